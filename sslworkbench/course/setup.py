"""What a notebook's first cells need: the install, device, seed, short error messages.

    sw.notebook.report_environment()              # the bootstrap cell: what this kernel found
    DEVICE = sw.notebook.setup(DEVICE, seed=SEED)

Every notebook's first code cell is :func:`bootstrap_source`: on Colab or a bare
kernel it installs the workbench from :data:`INSTALL_SOURCE`, the repository the
README's Binder and Colab badges open (:func:`badge_links`). Those three are kept
here, in one place; ``tools/sync_notebooks.py`` writes them into the notebooks and
the README, and ``tests/test_bootstrap.py`` fails when they differ.

``setup`` picks the device ("auto": CUDA, then MPS, then CPU), seeds every
generator, and makes a :class:`~sslworkbench.errors.WorkbenchError` raised in a
cell show as its one-line message instead of a long traceback. (The cell still
fails, so papermill and "Run all" stop there as they should.)
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import torch

from ..errors import WorkbenchError
from ..runtime import pick_device, seed_everything

#: The public repository (GitHub "owner/name") and branch the course is published from.
REPOSITORY = "sslworkbench/sslworkbench"
BRANCH = "main"
#: What the bootstrap cell gives ``pip install`` when the workbench is not importable.
INSTALL_SOURCE = f"git+https://github.com/{REPOSITORY}"


def bootstrap_source(source: str = INSTALL_SOURCE) -> str:
    """The first code cell of every notebook (``source``: where pip installs the workbench from)."""
    return f"""# Setup: on Colab or Binder, install the workbench if it is not importable yet.
import importlib, importlib.util, subprocess, sys
SOURCE = "{source}"
if importlib.util.find_spec("sslworkbench") is None:
    print(f"installing sslworkbench from {{SOURCE}} (a minute or two) ...")
    if subprocess.run([sys.executable, "-m", "pip", "install", "-q", SOURCE]).returncode != 0:
        raise SystemExit(f"Could not install sslworkbench from {{SOURCE}}: is this kernel online? "
                         "Or install it yourself (pip install sslworkbench's folder) and restart the kernel.")
    importlib.invalidate_caches()

import sslworkbench as sw
sw.notebook.report_environment()   # which workbench, PyTorch build and device this kernel found"""


def badge_links(notebook: str) -> dict[str, str]:
    """The Binder and Colab links the README gives for ``notebook`` (a file name in notebooks/)."""
    return {
        "binder": f"https://mybinder.org/v2/gh/{REPOSITORY}/{BRANCH}?labpath=notebooks%2F{notebook}",
        "colab": f"https://colab.research.google.com/github/{REPOSITORY}/blob/{BRANCH}/notebooks/{notebook}",
    }


def report_environment() -> str:
    """Print (and return) one line: the workbench's version and place, PyTorch's version and build,
    and the device ``DEVICE="auto"`` will pick."""
    try:
        release = version("sslworkbench")   # what pip installed (the package's own __init__ stands above this module)
    except PackageNotFoundError:
        release = "(not installed)"
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU build"
    device = pick_device("auto")
    found = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    where = Path(__file__).resolve().parents[1]   # the sslworkbench folder
    line = (f"sslworkbench {release} ({where}), torch {torch.__version__} ({build}); "
            f"DEVICE='auto' finds {device} ({found})")
    print(line)
    return line


def _short_error(shell, etype, value, tb, tb_offset=None):
    """IPython custom-exception handler: show only ``WorkbenchError: message``."""
    message = f"{etype.__name__}: {value}"
    shell._showtraceback(etype, value, [f"\x1b[0;31m{message}\x1b[0m"])
    return [message]


def setup(device: str = "auto", seed: int = 0, threads: int | None = None) -> torch.device:
    """Pick and announce the device, seed everything, shorten our error messages."""
    if threads:
        torch.set_num_threads(threads)
    chosen = pick_device(device)
    seed_everything(seed)
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and hasattr(shell, "set_custom_exc"):
        shell.set_custom_exc((WorkbenchError,), _short_error)
    where = "Colab" if in_colab() else "Binder" if on_binder() else "this machine"
    name = torch.cuda.get_device_name(chosen) if chosen.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    print(f"sslworkbench on {where}: device {chosen} ({name}), seed {seed}")
    return chosen


def fit_size(name: str, wanted: int, available: int, why: str) -> int:
    """A size that depends on sizes the learner may have lowered: ``wanted`` if it fits in
    ``available``, else ``available``, saying what was adjusted and why.

        LABELS_PER_CLASS = sw.notebook.fit_size("LABELS_PER_CLASS", LABELS_PER_CLASS, smallest_class,
                                                f"the smallest class of the {len(train_set):,} training images")
    """
    if wanted <= available:
        return wanted
    if available < 1:
        raise WorkbenchError(f"{name} = {wanted} cannot fit: {why} has nothing to take from. "
                             "Raise the size you lowered (see the parameters cell).")
    print(f"{name} lowered from {wanted:,} to {available:,}: {why} holds only {available:,}.")
    return available


def show(text: str, html: str | None = None) -> None:
    """Show ``text`` as Markdown in IPython (or ``html`` instead, when given); print ``text`` elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(text)
    else:
        display(HTML(html) if html is not None else Markdown(text))


def in_colab() -> bool:
    return "COLAB_RELEASE_TAG" in os.environ or "COLAB_GPU" in os.environ


def on_binder() -> bool:
    return "BINDER_SERVICE_HOST" in os.environ or "BINDER_REQUEST" in os.environ
