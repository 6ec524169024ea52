"""What the video pretext tasks cut out of a batch of clips.

Every function takes clips (N, T, C, H, W) on any device and draws its random
choices per clip from the global torch generator of that device (seed it for
repeatable views), like the image views of ``views/images.py``:

    windows(clips, length)            a random stretch of ``length`` consecutive frames
    frame_pairs(clips, max_gap)       two frames of each clip, at most ``max_gap`` apart
    order_tuples(clips)               Shuffle & Learn's triplets: in order, or not (order_triplet)
    reverse_some(clips)               each clip played forwards or backwards
    past_and_future(clips, past, future)   the frames seen, and the frames to predict

A clip shorter than a task needs is one clear error (``check_length``).
"""

from __future__ import annotations

import torch

from ..errors import WorkbenchError


def check_length(clips: torch.Tensor, needed: int, task: str) -> None:
    """One clear error when ``clips`` have fewer than ``needed`` frames."""
    if clips.dim() != 5:
        raise WorkbenchError(f"{task} reads clips of shape (N, T, C, H, W); got {tuple(clips.shape)}.")
    if clips.shape[1] < needed:
        raise WorkbenchError(
            f"{task} needs clips of at least {needed} frames; these have {clips.shape[1]}. "
            f"Load longer clips (load_dataset('moving_shapes', frames=...)) or ask the task for fewer frames."
        )


def _gather(clips: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """clips[i, frames[i, j]] for every i, j: (N, J, C, H, W)."""
    rows = torch.arange(clips.shape[0], device=clips.device)[:, None]
    return clips[rows, frames]


def windows(clips: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random window of ``length`` consecutive frames of each clip, and where each starts."""
    check_length(clips, length, f"a window of {length} frames")
    n, t = clips.shape[:2]
    starts = torch.randint(0, t - length + 1, (n,), device=clips.device)
    return _gather(clips, starts[:, None] + torch.arange(length, device=clips.device)), starts


def frame_pairs(clips: torch.Tensor, max_gap: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two different frames of each clip, (N, C, H, W) each, at most ``max_gap``
    frames apart (None: anywhere in the clip), and the gap between them."""
    check_length(clips, 2, "a pair of frames")
    n, t = clips.shape[:2]
    largest = t - 1 if max_gap is None else min(max_gap, t - 1)
    if largest < 1:
        raise WorkbenchError(f"max_gap must be ≥ 1 frame (got {max_gap}).")
    gap = torch.randint(1, largest + 1, (n,), device=clips.device)
    first = (torch.rand(n, device=clips.device) * (t - gap)).long()  # uniform in 0 .. t - gap - 1
    rows = torch.arange(n, device=clips.device)
    return clips[rows, first], clips[rows, first + gap], gap


def order_triplet(clips: torch.Tensor, five: torch.Tensor, in_order: torch.Tensor, from_before: torch.Tensor) -> torch.Tensor:
    """The triplet of frames Shuffle & Learn shows, given the draws: ``five`` (N, 5)
    frame numbers a < b < c < d < e of each clip; ``in_order`` (N,) bool: (b, c, d);
    otherwise (b, a, d) where ``from_before`` and (b, e, d) where not. (N, 3, C, H, W)."""
    a, b, c, d, e = five.unbind(1)
    middle = torch.where(in_order, c, torch.where(from_before, a, e))
    return _gather(clips, torch.stack([b, middle, d], dim=1))


def order_tuples(clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle & Learn's question, one per clip: (N, 3, C, H, W) triplets and targets
    (1 in order, 0 shuffled).

    Five frames a < b < c < d < e are drawn from each clip. In order is (b, c, d);
    shuffled is (b, a, d) or (b, e, d) — the middle frame from outside the
    interval, so the two ends match a true triplet and only the middle gives it
    away (``order_triplet``). As in the paper, a triplet played backwards counts
    as in order: the question is "is this a possible order?", not "which way
    does time run?"."""
    check_length(clips, 5, "frame order (Shuffle & Learn: five frames a < b < c < d < e)")
    n, t = clips.shape[:2]
    device = clips.device
    five = torch.rand(n, t, device=device).argsort(dim=1)[:, :5].sort(dim=1).values  # a < b < c < d < e
    in_order = torch.rand(n, device=device) < 0.5
    triplets = order_triplet(clips, five, in_order, torch.rand(n, device=device) < 0.5)
    backwards = torch.rand(n, device=device) < 0.5
    triplets = torch.where(backwards[:, None, None, None, None], triplets.flip(1), triplets)
    return triplets, in_order.long()


def reverse_some(clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each clip played forwards or backwards (a coin per clip), and targets
    (1 forwards, 0 backwards)."""
    forwards = torch.rand(clips.shape[0], device=clips.device) < 0.5
    return torch.where(forwards[:, None, None, None, None], clips, clips.flip(1)), forwards.long()


def past_and_future(clips: torch.Tensor, past: int, future: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """A random window of ``past + future`` frames of each clip, cut into the
    ``past`` frames a model sees (N, past, C, H, W) and the ``future`` frames it
    must predict (N, future, C, H, W)."""
    window, _ = windows(clips, past + future)
    return window[:, :past], window[:, past:]
