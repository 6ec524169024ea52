"""What a notebook's first cells need: device, seed, short error messages.

    DEVICE = sw.notebook.setup(DEVICE, seed=SEED)

``setup`` picks the device ("auto": CUDA, then MPS, then CPU), seeds every
generator, and makes a :class:`~sslworkbench.errors.WorkbenchError` raised in a
cell show as its one-line message instead of a long traceback. (The cell still
fails, so papermill and "Run all" stop there as they should.)
"""

from __future__ import annotations

import os

import torch

from .errors import WorkbenchError
from .runtime import pick_device, seed_everything


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
