"""``audio_folder``: your own recordings, from a folder on disk.

    >>> sw.load_dataset("audio_folder", path="my_recordings")             # AudioSet: float32 (N, 8000), 8 kHz
    >>> sw.load_dataset("audio_folder", path="my_recordings", duration=2.0, sample_rate=16000)
    >>> sw.pretrain("cola", "audio_folder", data_options={"path": "my_recordings"}, epochs=5)

The folder is laid out as ``image_folder``'s: one sub-folder per class (the sorted
sub-folder names are the classes), or flat (unlabelled: it pretrains, and kNN and the
linear probe refuse it). Files ending in .wav, .flac or .ogg are read, with
``soundfile`` (libsndfile), at whatever rate, bit depth and number of channels they
were recorded with; anything else, and hidden files and folders, are not.

Every recording becomes one clip the course's models read, as ``sounds`` and
``spoken_digits`` are made:

    mono         the channels averaged
    the rate     resampled to ``sample_rate`` (8,000 Hz, the course's rate) with
                 ``scipy.signal.resample_poly`` (a polyphase filter: no aliasing)
    the length   its first ``duration`` seconds (1 s, the course's clip), or the
                 whole recording followed by silence when it is shorter
    loudness     as recorded (not normalised: how loud a sound is may be what you study)

A file that does not decode, and a recording of **0 seconds** (nothing to hear: padding
it would add a clip of pure silence under a label), are left out and counted, and one
warning names the first few; if none is left, one :class:`WorkbenchError` says so.

The split (seeded, fixed, stratified, ``test_fraction``) and the cache (the decoded
clips saved under ``root``, named by a hash of the files, ``sample_rate`` and
``duration``) are ``image_folder``'s.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import AudioSet
from .image_folder import TEST_FRACTION, content_hash, decode_all, find_files, in_split, resolve, split_rows
from .paths import default_root
from .sounds import SAMPLE_RATE

VERSION = 1  # bump when decoding changes, so that stale caches are not used
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg")
DURATION = 1.0  # seconds: the course's clips (sounds, spoken_digits)


def decode_audio(path: Path, sample_rate: int, samples: int) -> torch.Tensor:
    """One recording as float32 (samples,): mono, at ``sample_rate``, cut or padded with silence."""
    import soundfile
    from scipy.signal import resample_poly

    waveform, rate = soundfile.read(path, dtype="float32", always_2d=True)  # (frames, channels)
    if waveform.shape[0] == 0:
        raise ValueError("0 seconds long")
    mono = waveform.mean(axis=1, dtype=np.float64)
    if rate != sample_rate:
        gcd = math.gcd(rate, sample_rate)  # 44,100 → 8,000 Hz: up by 80, low-pass, down by 441
        mono = resample_poly(mono, sample_rate // gcd, rate // gcd)
    clip = np.zeros(samples, dtype=np.float32)
    clip[: min(samples, len(mono))] = mono[:samples]
    return torch.from_numpy(clip)


def load_audio_folder(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    path: str | Path | None = None,
    sample_rate: int = SAMPLE_RATE,
    duration: float = DURATION,
    test_fraction: float = TEST_FRACTION,
    cache: bool = True,
) -> AudioSet:
    """The recordings of folder ``path`` as an :class:`AudioSet` of float32 (N, duration · sample_rate).

    path            the folder: one sub-folder per class, or flat (unlabelled)
    sample_rate     the rate of the clips, in Hz (8000: the course's)
    duration        the clips' length in seconds (1.0); longer recordings are cut, shorter padded
    test_fraction   the share of every class in the test split (0.2)
    cache           keep the decoded clips in ``root`` (a file named by the recordings' hash)
    """
    folder = resolve("audio_folder", path, "folder")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 48_000:
        raise WorkbenchError(f"audio_folder: sample_rate must be a whole number of Hz in [8000, 48000] "
                             f"(got {sample_rate!r}).")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0.1 <= duration <= 60:
        raise WorkbenchError(f"audio_folder: duration must be a number of seconds in [0.1, 60] (got {duration!r}).")
    files, labels, classes = find_files("audio_folder", folder, AUDIO_EXTENSIONS)
    rows = split_rows(labels, split, test_fraction, "audio_folder")  # checked before any decoding
    root = Path(root) if root is not None else default_root()
    samples = round(duration * sample_rate)
    tag = f"{sample_rate}hz-{duration:g}s"
    key = content_hash(folder, files, f"audio_folder-v{VERSION}-{tag}")
    cached = root / f"audio_folder-v{VERSION}-{key}-{tag}.pt" if cache else None
    clips, kept = decode_all("audio_folder", folder, files, lambda file: decode_audio(file, sample_rate, samples), cached)
    chosen = in_split("audio_folder", split, kept, rows)
    data = AudioSet(clips[chosen], torch.tensor(labels)[kept[chosen]], classes, folder.name, sample_rate=sample_rate)
    return data.subset(n, seed=seed) if n is not None else data
