"""Device choice and seeding: the two things every notebook's first cell needs."""

from __future__ import annotations

import os
import random
from contextlib import contextmanager

import numpy as np
import torch

from .errors import WorkbenchError

DEVICE_NAMES = ("auto", "cpu", "cuda", "mps")


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA, then Apple MPS, then the CPU."""
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    base = name.split(":")[0]
    if base not in DEVICE_NAMES:
        raise WorkbenchError(
            f"Unknown device {device!r}. Use one of: {', '.join(DEVICE_NAMES)} "
            "(optionally with an index, e.g. 'cuda:1')."
        )
    if base == "cuda" and not torch.cuda.is_available():
        raise WorkbenchError(
            "device='cuda' was asked for but PyTorch sees no CUDA GPU here. "
            "Use device='auto' (or 'cpu'); on Colab, pick Runtime > Change runtime type > GPU."
        )
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
