"""One list of dependencies: ``pyproject.toml`` is the truth, and the two conda files follow it.

* ``binder/environment.yml`` (what mybinder.org installs; ``binder/postBuild`` then
  adds the package with ``--no-deps``) must hold every dependency of the package;
* ``environment.yml`` (a contributor's conda environment) must hold those plus the
  ``notebooks`` and ``test`` extras;

each under its conda-forge name (``torch`` is ``pytorch``) or in the file's ``pip:``
list, with a version bound inside ``pyproject.toml``'s range. And every third-party
module the package imports must come from a declared dependency (or from one of
theirs), so that an image built from those lists can import all of it.
``make test-binder`` (tools/check_binder.py) then builds such an environment and runs
notebooks in it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]

#: pip name → conda-forge name, where the two differ.
CONDA_NAMES = {"torch": "pytorch"}
#: conda packages that are not Python distributions of ours (the interpreter, its installer).
CONDA_ONLY = {"python", "pip"}
#: A conda spec: name, version constraint, build string ("pytorch>=2.1=cpu*").
CONDA_SPEC = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)\s*(?P<version>(?:[<>!=~]=?)?[^=\s]*)?(?:=(?P<build>\S+))?$")


def requirements(*groups: str) -> list[Requirement]:
    """The project's dependencies plus the named extras, those whose marker holds on Python 3.11."""
    lines = list(PYPROJECT["dependencies"])
    for group in groups:
        lines += PYPROJECT["optional-dependencies"][group]
    wanted = [Requirement(line) for line in lines]
    wanted = [r for r in wanted if r.marker is None or r.marker.evaluate({"python_version": "3.11"})]
    return list({canonicalize_name(r.name): r for r in wanted}.values())


def environment(path: Path) -> dict[str, tuple[str, str]]:
    """``{pip name: (version constraint, where)}`` of a conda environment file (conda names mapped back)."""
    spec = yaml.safe_load(path.read_text())
    to_pip = {conda: pip for pip, conda in CONDA_NAMES.items()}
    found = {}
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):   # the pip: list
            for line in entry.get("pip", []):
                if line.startswith("-"):   # -e ., --index-url …
                    continue
                requirement = Requirement(line)
                found[canonicalize_name(requirement.name)] = (str(requirement.specifier), "pip")
            continue
        match = CONDA_SPEC.match(str(entry).replace(" ", ""))
        assert match, f"{path.name}: cannot read the conda spec {entry!r}"
        name = match["name"].lower()
        if name not in CONDA_ONLY:
            found[canonicalize_name(to_pip.get(name, name))] = (match["version"] or "", "conda")
    return found


def problems_of(path: Path, wanted: list[Requirement]) -> list[str]:
    have = environment(path)
    problems = []
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        conda = CONDA_NAMES.get(name, name)
        if name not in have:
            problems.append(f"{requirement.name} is missing (conda-forge: `{conda}{requirement.specifier}`, "
                            f"or under pip:)")
            continue
        constraint, _ = have[name]
        bounds = re.findall(r"\d[\w.]*", constraint)
        if requirement.specifier and not bounds:
            problems.append(f"{conda} has no version bound; pyproject.toml asks for {requirement.specifier}")
        for bound in bounds:
            if not requirement.specifier.contains(Version(bound), prereleases=True):
                problems.append(f"{conda}{constraint} pins outside pyproject.toml's {requirement.name}"
                                f"{requirement.specifier}")
    return problems


@pytest.mark.parametrize(("relative", "groups"), [
    ("binder/environment.yml", ()),
    ("environment.yml", ("notebooks", "test")),
])
def test_conda_files_hold_every_dependency_within_its_range(relative, groups):
    problems = problems_of(REPO_ROOT / relative, requirements(*groups))
    if problems:
        pytest.fail(f"{relative} differs from pyproject.toml:\n  - " + "\n  - ".join(problems), pytrace=False)


def test_the_check_catches_a_missing_package_and_a_pin_outside_the_range(tmp_path):
    """The test above can fail: a file without sentencepiece, with numpy below the range."""
    path = tmp_path / "environment.yml"
    path.write_text("dependencies:\n  - python=3.11\n  - pytorch>=2.1=cpu*\n  - numpy>=1.20\n"
                    "  - pip:\n      - espeakng-loader>=0.2\n")
    wanted = [Requirement(line) for line in ("torch>=2.1", "numpy>=1.24", "sentencepiece>=0.2", "espeakng-loader>=0.2")]
    problems = problems_of(path, wanted)
    assert any(p.startswith("sentencepiece is missing") for p in problems)
    assert any("numpy>=1.20 pins outside" in p for p in problems)
    assert len(problems) == 2, problems


def imported_distributions() -> dict[str, set[str]]:
    """``{distribution: modules of the package importing it}`` for every third-party import."""
    by_module = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in sorted((REPO_ROOT / "sslworkbench").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top == "sslworkbench":
                    continue
                for distribution in by_module.get(top, [top]):
                    found.setdefault(canonicalize_name(distribution), set()).add(path.stem)
    return found


def test_every_imported_module_comes_from_a_declared_dependency():
    direct = {canonicalize_name(r.name) for r in requirements()}
    indirect = set()
    for name in direct:
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                indirect.add(canonicalize_name(requirement.name))
    undeclared = {name: sorted(users) for name, users in imported_distributions().items()
                  if name not in direct | indirect}
    assert not undeclared, f"imported but not in pyproject.toml's dependencies (nor theirs): {undeclared}"
