"""What the audio methods cut out of a batch of sound, and how they distort it.

Every function takes a batch on any device and draws its random choices per
clip from the global torch generator of that device (seed it for repeatable
views), like the image views of ``views/images.py`` and the clip views of ``views/clips.py``.

Waveforms, float (N, T):

    segments(waveforms, length)            a random stretch of ``length`` samples of each clip
    random_gain(waveforms, db)             each clip louder or quieter by up to ``db`` decibels
    add_noise(waveforms, level_db)         white noise at a random level (dB below full scale)

Spectrograms, (N, n_mels, F) — SpecAugment's masks (Park et al., "SpecAugment: A
Simple Data Augmentation Method for Automatic Speech Recognition", Interspeech 2019):

    time_masks(n, frames, count, width)          ``count`` bands of up to ``width`` frames, (N, F) bool
    frequency_masks(n, bands, count, width)      ``count`` bands of up to ``width`` mel bands, (N, n_mels) bool
    time_blocks(n, frames, ratio, block)         a share ``ratio`` of the frames, hidden in blocks of ``block``
    hidden_cells(time_mask, frequency_mask)      (N, n_mels, F) float: 1 where a frame *or* a band is hidden
    spec_augment(spectrograms, ...)              both kinds of masks applied: the cells set to ``value``

A segment longer than the clip is one clear error (``check_length``).
"""

from __future__ import annotations

import torch

from ..errors import WorkbenchError


def check_length(waveforms: torch.Tensor, needed: int, task: str) -> None:
    """One clear error unless ``waveforms`` are (N, T) with T ≥ ``needed`` samples."""
    if not isinstance(waveforms, torch.Tensor) or waveforms.dim() != 2:
        got = tuple(waveforms.shape) if isinstance(waveforms, torch.Tensor) else type(waveforms).__name__
        raise WorkbenchError(f"{task} reads waveforms of shape (N, T); got {got}.")
    if waveforms.shape[1] < needed:
        raise WorkbenchError(
            f"{task} needs clips of at least {needed} samples; these have {waveforms.shape[1]}. "
            "Use a shorter segment, or longer clips (load_dataset(..., duration=...))."
        )


def segments(waveforms: torch.Tensor, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random stretch of ``length`` consecutive samples of each clip, (N, length),
    and where each starts (N,). The start is uniform over the positions that fit."""
    check_length(waveforms, length, f"a segment of {length} samples")
    n, t = waveforms.shape
    starts = (torch.rand(n, device=waveforms.device) * (t - length + 1)).long()  # uniform in 0 .. t - length
    index = starts[:, None] + torch.arange(length, device=waveforms.device)
    return waveforms.gather(1, index), starts


def random_gain(waveforms: torch.Tensor, db: float) -> torch.Tensor:
    """Each clip multiplied by a gain of g decibels, g uniform in [-db, db]:
    a factor 10^(g/20) (6 dB ≈ twice as loud in amplitude). In a log-mel
    spectrogram, a gain is the same offset added to every cell."""
    if not db >= 0:
        raise WorkbenchError(f"gain must be ≥ 0 decibels (got {db}).")
    gain_db = (torch.rand(waveforms.shape[0], 1, device=waveforms.device) * 2 - 1) * db
    return waveforms * 10.0 ** (gain_db / 20)


def add_noise(waveforms: torch.Tensor, level_db: tuple[float, float]) -> torch.Tensor:
    """Each clip plus white noise whose RMS level is uniform in ``level_db``, in
    decibels below full scale (dBFS): -60 is faint hiss, -20 as loud as the
    ``sounds`` events themselves."""
    low, high = level_db
    if not low <= high <= 0:
        raise WorkbenchError(f"noise levels are (low, high) in dBFS with low ≤ high ≤ 0, e.g. (-50, -30); got {level_db}.")
    level = low + torch.rand(waveforms.shape[0], 1, device=waveforms.device) * (high - low)
    return waveforms + 10.0 ** (level / 20) * torch.randn_like(waveforms)


def _bands(n: int, size: int, count: int, width: int, device) -> torch.Tensor:
    """SpecAugment's masks along one axis of ``size``: ``count`` times, a width w
    uniform in 0..``width`` and a start uniform in 0..size − w; (N, size) bool."""
    if not (isinstance(count, int) and count >= 0 and isinstance(width, int) and 0 <= width <= size):
        raise WorkbenchError(f"masks need a count ≥ 0 and a width in 0..{size} (got count={count!r}, width={width!r}).")
    mask = torch.zeros(n, size, dtype=torch.bool, device=device)
    position = torch.arange(size, device=device)
    for _ in range(count):
        w = (torch.rand(n, 1, device=device) * (width + 1)).long()
        start = (torch.rand(n, 1, device=device) * (size - w + 1)).long()
        mask |= (position >= start) & (position < start + w)
    return mask


def time_masks(n: int, frames: int, count: int = 2, width: int = 10, device=None) -> torch.Tensor:
    """(N, frames) bool: ``count`` bands of up to ``width`` consecutive frames hidden per clip (SpecAugment's T)."""
    return _bands(n, frames, count, width, device)


def frequency_masks(n: int, bands: int, count: int = 2, width: int = 8, device=None) -> torch.Tensor:
    """(N, bands) bool: ``count`` bands of up to ``width`` neighbouring mel bands hidden per clip (SpecAugment's F)."""
    return _bands(n, bands, count, width, device)


def time_blocks(n: int, frames: int, ratio: float, block: int, device=None) -> torch.Tensor:
    """(N, frames) bool: the frames cut into blocks of ``block`` (the last one may be
    shorter), and round(ratio × blocks) of them hidden per clip, at least one and
    at least one left visible. Unlike ``time_masks``, the share hidden is fixed
    (MAE's random masking, on blocks of time)."""
    if not (isinstance(ratio, (int, float)) and 0 < ratio < 1):
        raise WorkbenchError(f"mask_ratio is the share of the time frames hidden and must be in (0, 1) (got {ratio!r}).")
    if not (isinstance(block, int) and 1 <= block <= frames):
        raise WorkbenchError(f"a block must be a whole number of frames in 1..{frames} (got {block!r}).")
    blocks = -(-frames // block)
    if blocks < 2:
        raise WorkbenchError(f"{frames} frames in blocks of {block} make one block: nothing would be left visible. "
                             "Use smaller blocks.")
    hide = min(max(1, round(ratio * blocks)), blocks - 1)
    hidden_blocks = torch.rand(n, blocks, device=device).argsort(dim=1)[:, :hide]
    block_mask = torch.zeros(n, blocks, dtype=torch.bool, device=device).scatter_(1, hidden_blocks, True)
    return block_mask.repeat_interleave(block, dim=1)[:, :frames]


def hidden_cells(time_mask: torch.Tensor, frequency_mask: torch.Tensor) -> torch.Tensor:
    """(N, n_mels, F) float, 1 on every cell whose frame (``time_mask`` (N, F)) or
    whose band (``frequency_mask`` (N, n_mels)) is hidden."""
    return (frequency_mask[:, :, None] | time_mask[:, None, :]).float()


def spec_augment(spectrograms: torch.Tensor, time_count: int = 2, time_width: int = 10, frequency_count: int = 2,
                 frequency_width: int = 8, value: float = 0.0) -> torch.Tensor:
    """SpecAugment's time and frequency masking of (N, n_mels, F) spectrograms: the
    hidden cells set to ``value`` (0: the mean, for standardised spectrograms)."""
    if spectrograms.dim() != 3:
        raise WorkbenchError(f"spec_augment reads spectrograms of shape (N, n_mels, F); got {tuple(spectrograms.shape)}.")
    n, bands, frames = spectrograms.shape
    device = spectrograms.device
    cells = hidden_cells(time_masks(n, frames, time_count, time_width, device),
                         frequency_masks(n, bands, frequency_count, frequency_width, device))
    return torch.where(cells.bool(), torch.full_like(spectrograms, value), spectrograms)
