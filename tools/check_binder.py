"""Build what mybinder.org builds, as a plain virtualenv, and run the course in it.

    python tools/check_binder.py                  # what `make test-binder` (and CI) runs
    python tools/check_binder.py --keep           # reuse .venv-binder/ if it exists (faster, not clean)
    python tools/check_binder.py --notebooks 11   # other notebooks, in smoke mode

Binder builds its image from ``binder/environment.yml`` (conda-forge), then runs
``binder/postBuild``, which installs the package with ``--no-deps``: whatever the
package needs and that file does not name is simply missing there, and a learner
meets it as a ``ModuleNotFoundError`` in the middle of a notebook. This check, in a
clean virtualenv (``.venv-binder/``):

1. installs the pip equivalent of every package ``binder/environment.yml`` names
   (conda-forge names mapped to PyPI's: ``pytorch`` → ``torch``; build strings such
   as ``=cpu*`` dropped; PyTorch held to the pair CI tests, ``--torch-pin``), plus
   ``ipykernel``, which repo2docker adds to every image for the notebooks' kernel;
2. runs ``binder/postBuild`` with that virtualenv first on ``PATH``, as Binder does;
3. imports every module of the package;
4. executes a text notebook (07) and the audio notebook (13) in smoke mode in a
   kernel of that virtualenv, with claims enforced.

It exits 1 at the first step that fails, saying which.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
BINDER_ENVIRONMENT = REPO_ROOT / "binder" / "environment.yml"
#: conda-forge name → PyPI name, where they differ (tests/test_dependencies.py maps the other way).
PYPI_NAMES = {"pytorch": "torch"}
#: conda packages that are the interpreter and its installer, not packages to pip-install.
CONDA_ONLY = {"python", "pip"}
#: What repo2docker installs into every image besides the environment file: the kernel.
REPO2DOCKER_ADDS = ["ipykernel>=6.25"]
DEFAULT_TORCH_PIN = "torch==2.14.1 torchvision==0.29.1"   # the Makefile's TORCH_PIN: the pair CI tests


def pip_requirements(environment: Path = BINDER_ENVIRONMENT) -> list[str]:
    """The pip equivalents of the conda environment file's packages."""
    spec = yaml.safe_load(environment.read_text())
    wanted = []
    for entry in spec["dependencies"]:
        if isinstance(entry, dict):
            wanted += [line for line in entry.get("pip", []) if not line.startswith("-")]
            continue
        match = re.match(r"^([A-Za-z0-9_.-]+)((?:[<>!=~]=?)?[^=\s]*)?(?:=\S+)?$", str(entry).replace(" ", ""))
        name, version = match.group(1).lower(), match.group(2) or ""
        if name in CONDA_ONLY:
            continue
        if version.startswith("=") and not version.startswith("=="):   # conda's "=1.2" is "1.2.*"
            version = f"=={version[1:]}.*"
        wanted.append(PYPI_NAMES.get(name, name) + version)
    return wanted


def step(title: str) -> float:
    print(f"== {title}", flush=True)
    return time.perf_counter()


def run(command: list[str], what: str, **kwargs) -> None:
    result = subprocess.run(command, **kwargs)
    if result.returncode != 0:
        print(f"FAILED: {what} (exit status {result.returncode}): {' '.join(map(str, command))}", flush=True)
        sys.exit(1)


def import_every_module(python: Path) -> None:
    code = (
        "import importlib, pkgutil, sslworkbench\n"
        "names = ['sslworkbench'] + [m.name for m in pkgutil.walk_packages(sslworkbench.__path__, 'sslworkbench.')]\n"
        "failed = []\n"
        "for name in names:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print(f'imported {len(names) - len(failed)} of {len(names)} modules')\n"
        "for line in failed:\n"
        "    print('  cannot import', line)\n"
        "raise SystemExit(1 if failed else 0)\n"
    )
    with tempfile.TemporaryDirectory() as elsewhere:   # not the checkout: import what was installed
        run([str(python), "-c", code], "importing every module of the package", cwd=elsewhere)


def run_notebooks(python: Path, numbers: list[str], out_dir: Path) -> None:
    """Execute each notebook in smoke mode with papermill (this Python's), in a kernel of ``python``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with tempfile.TemporaryDirectory() as jupyter_path:
        kernel_dir = Path(jupyter_path) / "kernels" / "binder"
        kernel_dir.mkdir(parents=True)
        (kernel_dir / "kernel.json").write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Binder-like", "language": "python"}))
        os.environ["JUPYTER_PATH"] = jupyter_path
        os.environ["SSLWB_ENFORCE_CLAIMS"] = "1"
        os.environ.setdefault("TQDM_DISABLE", "1")
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        out_dir.mkdir(parents=True, exist_ok=True)
        for number in numbers:
            matches = sorted((REPO_ROOT / "notebooks").glob(f"{number}_*.ipynb"))
            if not matches:
                print(f"FAILED: no notebook numbered {number}")
                sys.exit(1)
            notebook = matches[0]
            start = step(f"notebook {notebook.name}, smoke mode, in the Binder-like kernel")
            try:
                papermill.execute_notebook(str(notebook), str(out_dir / notebook.name), parameters={"SMOKE": True},
                                           kernel_name="binder", cwd=str(notebook.parent), progress_bar=False,
                                           start_timeout=180, execution_timeout=600)
            except PapermillExecutionError as error:
                print(f"FAILED: {notebook.name} at In [{error.exec_count}]: {error.ename}: {error.evalue}")
                sys.exit(1)
            print(f"   ran to the end in {time.perf_counter() - start:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=REPO_ROOT / ".venv-binder", help="where to build it")
    parser.add_argument("--keep", action="store_true", help="reuse the virtualenv if it exists (not a clean check)")
    parser.add_argument("--torch-pin", default=os.environ.get("TORCH_PIN", DEFAULT_TORCH_PIN),
                        help=f"PyTorch versions to hold the install to (default: {DEFAULT_TORCH_PIN!r}; '' for none)")
    parser.add_argument("--notebooks", nargs="*", default=["07", "13"], help="notebook numbers to run (smoke mode)")
    args = parser.parse_args(argv)
    python = args.venv / "bin" / "python"

    started = step(f"a clean virtualenv with what {BINDER_ENVIRONMENT.relative_to(REPO_ROOT)} names")
    if not (args.keep and python.is_file()):
        shutil.rmtree(args.venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(args.venv)], "creating the virtualenv")
        requirements = pip_requirements() + REPO2DOCKER_ADDS
        print("   pip install " + " ".join(requirements), flush=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
            constraints.write("\n".join(args.torch_pin.split()) + "\n")
        run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", constraints.name,
             *requirements], "installing binder/environment.yml's packages")
        os.unlink(constraints.name)

    step("binder/postBuild, as Binder runs it")
    environment = dict(os.environ, PATH=f"{args.venv / 'bin'}{os.pathsep}{os.environ['PATH']}", VIRTUAL_ENV=str(args.venv))
    run(["bash", str(REPO_ROOT / "binder" / "postBuild")], "binder/postBuild", env=environment, cwd=REPO_ROOT)

    step("import every module of the package")
    import_every_module(python)

    run_notebooks(python, args.notebooks, REPO_ROOT / "notebooks" / "executed" / "binder")
    print(f"Binder-like check passed in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
