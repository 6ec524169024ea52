"""Worked solutions to the notebooks' implementation exercises.

Each is written the way the exercise asks for it, step by step, and passes the
exercise's checker (``tests/test_exercises.py``). A notebook shows one only on
request: ``sw.exercises.solution("purity")`` displays it folded, to be opened with
a click.
"""

from __future__ import annotations

import torch
from torch import nn


def purity(labels: torch.Tensor, clusters: torch.Tensor) -> float:
    """Notebook 01: the share of images whose label is their cluster's most common one."""
    agreeing = 0
    for cluster in clusters.unique():
        labels_in_cluster = labels[clusters == cluster]
        agreeing += int(torch.bincount(labels_in_cluster).max())   # the cluster's majority label
    return agreeing / len(labels)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """Notebook 02: (N, 3, H, W) colour images in [0, 1] → (N, 1, H, W) luma."""
    red, green, blue = images[:, 0], images[:, 1], images[:, 2]
    luma = 0.2989 * red + 0.587 * green + 0.114 * blue   # how bright each colour looks to us
    return luma.unsqueeze(1)                              # keep a channel axis of size 1


def rotation_batch(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Notebook 03: every image in its 4 rotations, and how many quarter turns each got.

    Row ``k·N + i`` is image ``i`` turned ``k`` × 90° counter-clockwise; its target is ``k``."""
    n = images.shape[0]
    rotated = [torch.rot90(images, k, dims=(2, 3)) for k in range(4)]   # dims (2, 3): height and width
    targets = torch.arange(4).repeat_interleave(n)                      # 0 … 0, 1 … 1, 2 … 2, 3 … 3
    return torch.cat(rotated), targets


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """Notebook 05: BYOL's target update, in place: θ_target ← m · θ_target + (1 − m) · θ_online.

    Buffers (BatchNorm's running statistics) are not averaged: they are copied."""
    for target_weight, online_weight in zip(target.parameters(), online.parameters()):
        target_weight.copy_(momentum * target_weight + (1 - momentum) * online_weight)
    for target_buffer, online_buffer in zip(target.buffers(), online.buffers()):
        target_buffer.copy_(online_buffer)
