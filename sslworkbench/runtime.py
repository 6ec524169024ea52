"""Device choice and seeding: the two things every notebook's first cell needs;
and giving freed memory back to the system during CPU training."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
from contextlib import contextmanager

import numpy as np
import torch

from .errors import WorkbenchError

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU. A CUDA device always
    comes with its index ("cuda" → "cuda:0"), so that what is printed is the GPU used."""
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", torch.cuda.current_device())
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    base, _, index = name.partition(":")
    if base not in DEVICE_NAMES or base == "auto" or (index and not index.isdigit()):
        raise WorkbenchError(
            f"Unknown device {device!r}. Use one of: {', '.join(DEVICE_NAMES)} "
            "(optionally with an index, e.g. 'cuda:1')."
        )
    if base == "cuda" and not torch.cuda.is_available():
        raise WorkbenchError(
            "device='cuda' was asked for but PyTorch sees no CUDA GPU here. "
            "Use device='auto' (or 'cpu'); on Colab, pick Runtime > Change runtime type > GPU."
        )
    if base == "cuda":
        index = int(index) if index else torch.cuda.current_device()
        count = torch.cuda.device_count()
        if index >= count:
            raise WorkbenchError(
                f"device={device!r} asks for GPU {index}, and PyTorch sees {count} GPU{'s' if count > 1 else ''} here "
                f"(cuda:0{f' … cuda:{count - 1}' if count > 1 else ''}): use one of those, or device='auto'."
            )
        return torch.device("cuda", index)
    if base == "mps" and not (
        getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    ):
        raise WorkbenchError("device='mps' was asked for but Apple MPS is not available here.")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def is_smoke_env() -> bool:
    """True when the environment asks for the fast CI mode (SSLWB_SMOKE=1)."""
    return os.environ.get("SSLWB_SMOKE", "") not in ("", "0", "false", "False")


@contextmanager
def eval_mode(module: torch.nn.Module):
    """Run a block with ``module`` in eval mode (BatchNorm uses its running
    statistics, dropout is off), then put it back in the mode it was in — also
    when the block raises."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def _glibc():
    """The C library when it is glibc (Linux), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _glibc()
#: how often the CPU loops call ``release_freed_memory``: every this many steps or batches
RELEASE_EVERY = 10


def release_due(count: int, device: torch.device) -> bool:
    """Whether a loop on ``device`` that has just done its ``count``-th step (counted
    from 1) should call :func:`release_freed_memory`: every ``RELEASE_EVERY`` steps,
    on the CPU only (a GPU's memory is not the C heap's)."""
    return device.type == "cpu" and count % RELEASE_EVERY == 0


def release_freed_memory() -> None:
    """Hand the memory of freed tensors back to the system (glibc's ``malloc_trim``).

    Why this is needed on a CPU: a training step allocates and frees large tensors
    whose sizes change from step to step (an MLM scores a different number of masked
    tokens each time), and glibc keeps freed memory resident rather than returning it,
    so the process grows step after step. Trimming costs time, so the trainer calls it
    every few steps, not every step (``benchmarks/cell_memory.py`` shows a notebook's
    resident memory cell by cell). A no-op without glibc (macOS, Windows)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
