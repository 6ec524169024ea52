"""``sounds``: procedurally generated sound clips, the audio twin of ``shapes``.

Each clip (1 s by default) holds one sound *event* of one of ten classes. The
class is decided by the event's **structure** — one pitch or three, a glide up
or down, a wobble in loudness or in pitch, a rhythm of clicks or of beeps, a
band of noise — never by where it sits on the frequency axis:

    tone        a steady sine at the base pitch f0
    chord       a major triad: f0, f0·2^(4/12), f0·2^(7/12)
    harmonic    f0 with its harmonics 2f0, 3f0, 4f0 (amplitudes 1/k): a buzzy note
    chirp up    a glide over one octave, from f0/√2 up to f0·√2
    chirp down  the same glide, downwards
    tremolo     a tone whose loudness swells and fades 4–8 times a second
    vibrato     a tone whose pitch wavers by ±10%, 4–8 times a second
    clicks      8–16 knocks a second, each ringing at f0 and dying away within ~20 ms
    beeps       three short beeps at f0, evenly spaced over the event
    noise band  noise filtered to the octave around f0

Everything else is a *nuisance*, drawn independently of the class, and
recorded in ``extras`` so that a probe can ask what a model kept:

    pitch     the base pitch f0 in Hz, log-uniform in ``pitch_range`` (200–900 Hz)
    loudness  the event's RMS level in dB below full scale (dBFS), in ``loudness_range``
    onset     when the event starts, in seconds; ``length``: how long it lasts
              (30–80% of the clip)
    noise     the level of a white background noise (dBFS), in ``noise_range``
              (-inf with ``noise_range=None``: no background noise)

As with ``shapes``, a model that learns the nuisances (how high, how loud, when)
learns little about the class; an invariance to pitch shifts, gain and time
shifts is what augmentations for audio teach.

**Size.** Float32 samples at 16 kHz would take 64 kB a second: 256 MB for 4,000
one-second clips, too much next to a model on a 2 GB Binder. So the clips are
generated at **8 kHz** by default (every class's highest frequency stays below
the 4 kHz Nyquist limit: the harmonics reach 4 × 900 Hz at most), and the
splits hold 3,000 and 1,000 clips: 96 MB and 32 MB in memory (and in the cache).
``sample_rate=16000`` gives the same events, sampled twice as finely.

Generation is deterministic: clips come in chunks of 500, each from its own
``numpy`` generator seeded by (seed, split, chunk, VERSION), so the first ``n``
clips are the same whatever ``n`` is. Splits are cached under ``data/`` as
float32 tensors (``python benchmarks/timings.py generation`` times generating them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import AudioSet
from .paths import read_cache, seeded_chunks, write_cache

CLASSES = ["tone", "chord", "harmonic", "chirp up", "chirp down", "tremolo", "vibrato", "clicks", "beeps", "noise band"]

VERSION = 1  # bump when the generator changes, so stale caches are not used
CHUNK = 500
SPLIT_SIZES = {"train": 3_000, "test": 1_000}  # at 8 kHz, 1 s: 96 MB and 32 MB of float32
SPLIT_STREAM = {"train": 0, "test": 1}
SAMPLE_RATE = 8_000
PITCH_RANGE = (200.0, 900.0)  # Hz: the base pitch f0
LOUDNESS_RANGE = (-35.0, -20.0)  # dBFS: the event's RMS level
NOISE_RANGE = (-65.0, -40.0)  # dBFS: the background noise's RMS level
LENGTH_RANGE = (0.3, 0.8)  # the event's length, as a share of the clip
HIGHEST_PARTIAL = 4  # the highest frequency of any class is 4 f0 (the harmonic class)
FADE_SECONDS = 0.01  # every event fades in and out over 10 ms, so that its edges do not click

CHORD = (1.0, 2 ** (4 / 12), 2 ** (7 / 12))  # root, major third, fifth
SWEEP = 2.0  # the chirps glide over one octave
VIBRATO_DEPTH = 0.1  # ±10% of the pitch
CLICK_DECAY = 0.008  # seconds: each click rings at f0 and dies away with this time constant


def _db_to_amplitude(db):
    return 10.0 ** (np.asarray(db) / 20.0)


def _fade(count: int, sample_rate: int) -> np.ndarray:
    """1 in the middle, raised-cosine ramps of FADE_SECONDS at both ends."""
    envelope = np.ones(count)
    ramp = min(int(FADE_SECONDS * sample_rate), count // 2)
    if ramp:
        rise = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        envelope[:ramp], envelope[count - ramp :] = rise, rise[::-1]
    return envelope


def _glide_phase(t, start_hz: float, ratio: float, length: float):
    """The phase of an exponential glide from ``start_hz`` to ``start_hz · ratio`` over ``length`` seconds
    (the integral of the frequency start_hz · ratio^(t / length))."""
    return 2 * np.pi * start_hz * length * (ratio ** (t / length) - 1) / np.log(ratio)


def _event(label: int, t: np.ndarray, pitch: float, phases: np.ndarray, wobble: float, rng: np.random.Generator,
           sample_rate: int) -> np.ndarray:
    """One event of class ``label`` (before its loudness is set), on the times ``t`` (seconds from its onset).

    ``phases``: three random starting phases; ``wobble`` in [0, 1): where the class's
    own rate (tremolo, vibrato, clicks) falls in its range."""
    name, length = CLASSES[label], len(t) / sample_rate
    if name == "tone":
        return np.sin(2 * np.pi * pitch * t + phases[0])
    if name == "chord":
        return sum(np.sin(2 * np.pi * pitch * step * t + phase) for step, phase in zip(CHORD, phases))
    if name == "harmonic":
        return sum(np.sin(2 * np.pi * k * pitch * t + k * phases[0]) / k for k in range(1, HIGHEST_PARTIAL + 1))
    if name == "chirp up":
        return np.sin(_glide_phase(t, pitch / math.sqrt(SWEEP), SWEEP, length) + phases[0])
    if name == "chirp down":
        return np.sin(_glide_phase(t, pitch * math.sqrt(SWEEP), 1 / SWEEP, length) + phases[0])
    if name == "tremolo":
        rate = 4 + 4 * wobble  # swells per second
        return np.sin(2 * np.pi * pitch * t + phases[0]) * (0.55 - 0.45 * np.cos(2 * np.pi * rate * t))
    if name == "vibrato":
        rate = 4 + 4 * wobble
        # the phase is 2π ∫ f(t) dt for the frequency f(t) = f0 · (1 + depth · sin(2π · rate · t))
        wander = VIBRATO_DEPTH * pitch / rate * (1 - np.cos(2 * np.pi * rate * t))
        return np.sin(2 * np.pi * pitch * t + wander + phases[0])
    if name == "clicks":
        rate = 8 + 8 * wobble  # knocks per second
        since_click = np.mod(t + phases[0] / (2 * np.pi * rate), 1 / rate)  # time since the last knock
        return np.exp(-since_click / CLICK_DECAY) * np.sin(2 * np.pi * pitch * since_click)
    if name == "beeps":
        fifth = length / 5  # on, off, on, off, on: fifths of the event
        on = np.mod(np.floor(t / fifth), 2) == 0
        into = np.mod(t, fifth)  # seconds into the current fifth
        ramps = np.clip(np.minimum(into, fifth - into) / FADE_SECONDS, 0, 1)  # each beep fades in and out too
        return np.sin(2 * np.pi * pitch * t + phases[0]) * on * ramps
    # noise band: white noise with every frequency outside [f0/√2, f0·√2] removed
    spectrum = np.fft.rfft(rng.standard_normal(len(t)))
    hz = np.fft.rfftfreq(len(t), 1 / sample_rate)
    spectrum[(hz < pitch / math.sqrt(2)) | (hz > pitch * math.sqrt(2))] = 0
    return np.fft.irfft(spectrum, len(t))


def _render_chunk(rng: np.random.Generator, samples: int, count: int, sample_rate: int, pitch_range, loudness_range,
                  noise_range):
    """``count`` clips of ``samples`` samples (the first ``count`` of a chunk of CHUNK)."""
    # every per-clip draw is made for the whole chunk first, so the first clips do not depend on count
    labels = rng.permutation(np.arange(CHUNK) % len(CLASSES))
    pitch = np.exp(rng.uniform(np.log(pitch_range[0]), np.log(pitch_range[1]), CHUNK))
    loudness = rng.uniform(*loudness_range, CHUNK)
    noise = rng.uniform(*(noise_range or NOISE_RANGE), CHUNK)  # drawn even when off: the other draws stay the same
    if noise_range is None:
        noise[:] = -np.inf  # silence: an amplitude of 10^(-inf / 20) = 0
    length = np.floor(rng.uniform(*LENGTH_RANGE, CHUNK) * samples).astype(int)  # in samples
    onset = np.floor(rng.uniform(0, 1, CHUNK) * (samples - length)).astype(int)
    phases = rng.uniform(0, 2 * np.pi, (CHUNK, 3))
    wobble = rng.uniform(0, 1, CHUNK)

    clips = np.empty((count, samples), dtype=np.float32)
    for i in range(count):  # the noise draws, clip after clip
        clip = rng.standard_normal(samples) * _db_to_amplitude(noise[i])
        t = np.arange(length[i]) / sample_rate
        event = _event(labels[i], t, pitch[i], phases[i], wobble[i], rng, sample_rate) * _fade(length[i], sample_rate)
        event *= _db_to_amplitude(loudness[i]) / np.sqrt(np.mean(event**2))  # set its RMS level
        clip[onset[i] : onset[i] + length[i]] += event
        clips[i] = np.clip(clip, -1, 1)
    extras = {"pitch": pitch, "loudness": loudness, "onset": onset / sample_rate, "length": length / sample_rate,
              "noise": noise}
    return clips, labels[:count], {key: value[:count] for key, value in extras.items()}


def _check_range(name: str, value, low: float, high: float, unit: str, why: str = "") -> tuple[float, float]:
    try:
        pair = tuple(float(x) for x in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) != 2 or not low <= pair[0] <= pair[1] <= high:
        raise WorkbenchError(f"{name} must be a pair (lowest, highest) within [{low:g}, {high:g}] {unit}{why} "
                             f"(got {value!r}).")
    return pair


def _check_options(split, sample_rate, duration, pitch_range, loudness_range, noise_range):
    """Every option checked, each with its own clear error; returns the ranges as pairs of floats."""
    if split not in SPLIT_SIZES:
        raise WorkbenchError(f"Unknown split {split!r} for sounds; use one of {sorted(SPLIT_SIZES)}.")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 48_000:
        raise WorkbenchError(f"sample_rate must be a whole number of Hz in [8000, 48000] (got {sample_rate!r}).")
    if not isinstance(duration, (int, float)) or not 0.25 <= duration <= 10:
        raise WorkbenchError(f"duration must be a number of seconds in [0.25, 10] (got {duration!r}).")
    highest = 0.9 * sample_rate / 2 / HIGHEST_PARTIAL  # the top harmonic stays below 90% of the Nyquist frequency
    pitch_range = _check_range("pitch_range", pitch_range, 50, highest, "Hz",
                               f" (at {sample_rate} Hz: the harmonics, up to {HIGHEST_PARTIAL}× the pitch, "
                               f"must stay well below {sample_rate // 2} Hz)")
    loudness_range = _check_range("loudness_range", loudness_range, -60, -6, "dBFS")
    if noise_range is not None:
        noise_range = _check_range("noise_range", noise_range, -100, -10, "dBFS", " (or None for silence)")
    return pitch_range, loudness_range, noise_range


def generate(
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    duration: float = 1.0,
    pitch_range: tuple = PITCH_RANGE,
    loudness_range: tuple = LOUDNESS_RANGE,
    noise_range: tuple | None = NOISE_RANGE,
) -> AudioSet:
    """Generate (without caching) ``n`` clips of split ``split``."""
    pitch_range, loudness_range, noise_range = _check_options(split, sample_rate, duration, pitch_range,
                                                              loudness_range, noise_range)
    total = SPLIT_SIZES[split] if n is None else n
    samples = round(duration * sample_rate)
    waveforms = torch.empty((total, samples), dtype=torch.float32)  # allocated once, filled chunk by chunk
    labels = np.empty(total, dtype=np.int64)
    extras = {}
    for _, rng, start, count in seeded_chunks(total, CHUNK, seed, SPLIT_STREAM[split], VERSION):
        clips, chunk_labels, chunk_extras = _render_chunk(rng, samples, count, sample_rate, pitch_range,
                                                          loudness_range, noise_range)
        waveforms[start : start + count] = torch.from_numpy(clips)
        labels[start : start + count] = chunk_labels
        for key, value in chunk_extras.items():
            extras.setdefault(key, np.empty(total, dtype=np.float32))[start : start + count] = value
    return AudioSet(waveforms, torch.from_numpy(labels), list(CLASSES), "sounds",
                    {key: torch.from_numpy(value) for key, value in extras.items()}, sample_rate=sample_rate)


def load_sounds(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    duration: float = 1.0,
    cache: bool = True,
    pitch_range: tuple = PITCH_RANGE,
    loudness_range: tuple = LOUDNESS_RANGE,
    noise_range: tuple | None = NOISE_RANGE,
) -> AudioSet:
    """The ``sounds`` split: float32 waveforms (N, duration · sample_rate), generated once and cached under ``root``.

    ``pitch_range``, ``loudness_range``, ``noise_range``: where the nuisances are
    drawn (see the module doc); a test set with other ranges is a distribution
    shift (e.g. ``noise_range=(-25, -15)``: a noisy room)."""
    options = _check_options(split, sample_rate, duration, pitch_range, loudness_range, noise_range)
    total = SPLIT_SIZES[split] if n is None else max(n, 1)
    if not cache or root is None:
        return generate(split, total, seed, sample_rate, duration, *options)
    tag = f"sounds-v{VERSION}-{split}-seed{seed}-{sample_rate}hz-{duration:g}s"
    for name, value, default in zip(("pitch", "loudness", "noise"), options, (PITCH_RANGE, LOUDNESS_RANGE, NOISE_RANGE)):
        if value != default:
            tag += f"-{name}" + ("off" if value is None else f"{value[0]:g}-{value[1]:g}")
    path = Path(root) / f"{tag}.pt"
    stored = read_cache(path, total)
    if stored is not None:
        return AudioSet(stored["waveforms"], stored["labels"], list(CLASSES), "sounds", stored["extras"], sample_rate=sample_rate)
    data = generate(split, total, seed, sample_rate, duration, *options)
    write_cache({"waveforms": data.inputs, "labels": data.labels, "extras": data.extras}, path)
    return data

