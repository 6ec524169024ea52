"""Write the course's install source into every notebook's first code cell and the README's badges.

    python tools/sync_notebooks.py           # rewrite what differs, say what changed
    python tools/sync_notebooks.py --check   # change nothing; exit 1 if anything differs

The source of truth is ``sslworkbench/course/setup.py``: ``REPOSITORY``, ``BRANCH`` and
``INSTALL_SOURCE`` (what Colab's first cell installs), ``bootstrap_source()`` (that
cell) and ``badge_links()`` (the README's Binder and Colab links).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from sslworkbench.course.setup import badge_links, bootstrap_source  # noqa: E402

BADGE_LINK = re.compile(r"\((https://(?:mybinder\.org|colab\.research\.google\.com)/[^)\s]*?notebooks(?:%2F|/)"
                        r"(\d\d[a-z]?_[a-z0-9_]+\.ipynb))\)")


def sync_notebook(path: Path, write: bool) -> bool:
    """Make the notebook's first code cell the bootstrap; True if it differed."""
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    if first.source == bootstrap_source():
        return False
    if write:
        first.source = bootstrap_source()
        nbformat.write(notebook, path)
    return True


def sync_readme(path: Path, write: bool) -> int:
    """Point every Binder/Colab badge of the README at ``badge_links``; the number that differed."""
    text = path.read_text(encoding="utf-8")
    differing = 0

    def fix(match: re.Match) -> str:
        nonlocal differing
        url, notebook = match.group(1), match.group(2)
        wanted = badge_links(notebook)["binder" if "mybinder" in url else "colab"]
        differing += url != wanted
        return f"({wanted})"

    fixed = BADGE_LINK.sub(fix, text)
    if write and fixed != text:
        path.write_text(fixed, encoding="utf-8")
    return differing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything differs")
    args = parser.parse_args(argv)
    changed = [path.name for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
               if sync_notebook(path, write=not args.check)]
    badges = sync_readme(REPO_ROOT / "README.md", write=not args.check)
    verb = "differ" if args.check else "rewritten"
    print(f"bootstrap cells {verb}: {', '.join(changed) or 'none'}; README badge links {verb}: {badges}")
    return 1 if args.check and (changed or badges) else 0


if __name__ == "__main__":
    sys.exit(main())
