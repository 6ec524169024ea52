"""The notebooks' first cell: one install source, kept with the README's badges, and tested.

``sslworkbench/course/setup.py`` holds the repository, the branch and the install source;
``bootstrap_source()`` is every notebook's first code cell and ``badge_links()`` the
README's Binder and Colab links (``tools/sync_notebooks.py`` writes both). The last
test runs that cell, as Colab would, in a virtualenv where the package is missing
(its source pointed at this checkout) and imports the package afterwards.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import nbformat
import pytest

from sslworkbench.course import setup as nb

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_notebook_starts_with_the_one_bootstrap_cell(path):
    first = next(cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    assert first.source == nb.bootstrap_source(), (
        f"{path.name}: the first code cell is not sslworkbench.course.setup.bootstrap_source(); "
        "run `python tools/sync_notebooks.py`")
    assert nb.INSTALL_SOURCE in first.source


def test_the_readme_badges_open_the_repository_the_cell_installs_from():
    readme = (REPO_ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        links = nb.badge_links(path.name)
        assert f"({links['binder']})" in readme and f"({links['colab']})" in readme, (
            f"README.md lacks the badges of {path.name}; run `python tools/sync_notebooks.py`")
    others = set(re.findall(r"https://(?:mybinder\.org/v2|colab\.research\.google\.com/github)/\S*?\)", readme))
    assert len(others) >= 2 * len(NOTEBOOKS)
    assert all(nb.REPOSITORY in link for link in others), "a badge points at another repository"
    assert nb.INSTALL_SOURCE == f"git+https://github.com/{nb.REPOSITORY}"


def test_the_sync_tool_finds_nothing_to_change():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "sync_notebooks.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_bootstrap_cell_installs_the_package_where_it_is_missing(tmp_path):
    """A virtualenv that sees this environment's packages (torch …) but not sslworkbench, as on Colab."""
    env_dir = tmp_path / "colab-like"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site_packages = Path(subprocess.check_output(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # A path line: this environment's packages become importable, but its .pth files (among them
    # the editable install of this checkout) are not processed, so sslworkbench stays missing.
    (site_packages / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    elsewhere = tmp_path / "kernel-cwd"   # not the checkout, whose sslworkbench/ folder would import
    elsewhere.mkdir()

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(python), "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=600)

    missing = run("import importlib.util; print(importlib.util.find_spec('sslworkbench') is None)")
    assert missing.stdout.strip() == "True", missing.stdout + missing.stderr

    cell = nb.bootstrap_source(source=str(REPO_ROOT))
    installed = run(cell)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-4000:]
    assert f"installing sslworkbench from {REPO_ROOT}" in installed.stdout
    assert re.search(r"sslworkbench \S+ \(.*colab-like.*\), torch \S+ \((CPU|CUDA \S+) build\); "
                     r"DEVICE='auto' finds \S+", installed.stdout), installed.stdout
    again = run("import sslworkbench, sys; print(sslworkbench.__file__)")
    assert again.returncode == 0 and "colab-like" in again.stdout, again.stdout + again.stderr
