"""The package's folders follow the pipeline, and imports only go down it.

docs/architecture.md draws the layers; this test reads every ``import`` of the
package (those inside functions too) and fails on an import of a higher layer
or on modules that import each other in a loop. A new module must be given a
layer here: the test names any module it cannot place.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sslworkbench"

#: bottom to top; a module may import its own layer and the layers below it
LAYERS = [
    ("errors", "registry", "runtime", "distributed"),   # what every layer uses (distributed: torchrun's processes)
    ("data",),         # loaders, the in-memory kinds, the tokenizer, the log-mel front end, image ops
    ("views",),        # what a method is shown of each sample
    ("models",),       # backbones, heads, decoders
    ("losses",),       # pure functions of embeddings and targets
    ("methods",),      # one file per paper: views + backbone + head + loss
    ("evaluation",),   # what a frozen or fine-tuned backbone is worth
    ("training",),     # the trainer (its kNN monitor evaluates), the recipe, checkpoints
    ("course",),       # what the notebooks use: setup, claims, exercises, plots, widgets
    ("cli", "__main__", ""),   # the command line and the package's face (sslworkbench/__init__.py, "")
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """The package's modules ``path`` imports (relative to the package: "data.dataset", "" for its face)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".") if package else []
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:   # from . import bible: the module bible, not the package's face
                candidate = f"{target}.{alias.name}".strip(".")
                where = PACKAGE / candidate.replace(".", "/")
                found.add(candidate if where.with_suffix(".py").exists() or where.is_dir() else target)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for imported in names:
                if imported and (imported == "sslworkbench" or imported.startswith("sslworkbench.")):
                    found.add(imported.removeprefix("sslworkbench").lstrip("."))
    found.discard(name)
    return found


def layer_of(module: str) -> int:
    top = module.split(".")[0]
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"sslworkbench.{module} has no layer: add its folder or file to LAYERS in {__file__}")


def import_graph() -> dict[str, set[str]]:
    return {module_name(path): imports_of(path) for path in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    for module in import_graph():
        layer_of(module)


def test_imports_only_go_down_the_pipeline():
    upward = [
        f"sslworkbench.{module} ({LAYERS[layer_of(module)][0]}) imports sslworkbench.{target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in import_graph().items() for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "imports that run up the pipeline:\n" + "\n".join(upward)


def test_no_modules_import_each_other_in_a_loop():
    graph = import_graph()
    # a package's face (its __init__) imports its modules; a module that imports its own
    # package's face for a name defined in a sibling would close a loop through it
    loops = []
    state = {}   # module -> "open" while on the path, "done" after

    def visit(module, path):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                loops.append(" -> ".join([*path[path.index(target):], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert not loops, "modules that import each other:\n" + "\n".join(f"sslworkbench.{loop}" for loop in loops)


@pytest.mark.parametrize("source, expected", [
    ("from ..errors import WorkbenchError", {"errors"}),
    ("from .dataset import Dataset", {"data.dataset"}),
    ("def f():\n    from ..course import viz", {"course.viz"}),
    ("from .. import errors, losses", {"errors", ""}),
    ("import sslworkbench.training.trainer", {"training.trainer"}),
])
def test_the_reader_finds_every_kind_of_import(tmp_path, monkeypatch, source, expected):
    """The test above can fail: an import in any of these forms is seen."""
    folder = tmp_path / "sslworkbench" / "data"
    folder.mkdir(parents=True)
    for name in ("dataset", "errors"):
        (tmp_path / "sslworkbench" / f"{name}.py").write_text("")
    (folder / "dataset.py").write_text("")
    (tmp_path / "sslworkbench" / "course").mkdir()
    (tmp_path / "sslworkbench" / "course" / "viz.py").write_text("")
    module = folder / "shapes.py"
    module.write_text(source)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "sslworkbench")
    assert imports_of(module) == expected
