"""``spoken_digits``: the English words "zero" … "nine", spoken by a speech synthesiser.

A small real-speech task that needs no download: every clip is synthesised on
first use by **eSpeak NG**, a formant synthesiser whose shared library and data
ship inside the PyPI package ``espeakng-loader``. eSpeak speaks English in eight
accents (British, American, Scottish, Received Pronunciation, Lancaster, West
Midlands, New York City, Caribbean) and each in many *voice variants* (``+m1`` …
``+m7`` male, ``+f1`` … ``+f4`` female, ``+klatt``: another synthesis method), so
``VOICES`` holds 8 × 12 = 96 voices. Each utterance is one word drawn with:

    voice   an index into VOICES (``voice_names()``): who says it
    speed   words per minute, one of SPEEDS (eSpeak's default is 175)
    pitch   eSpeak's pitch setting, one of PITCHES (0–100; 50 is the voice's own)
    onset   where the word starts in the clip, in seconds (``length``: how long it lasts)

``extras`` records all of them, so a probe can ask what a model kept: the word
(the label), or who said it, how fast and how high. Train and test share the
voices, but never an exact (voice, speed, pitch, word) draw: for each word, a
seeded shuffle of all 96 × 5 × 5 = 2,400 (voice, speed, pitch) draws gives one in
four to the test split and the rest to the training split.

Each word is synthesised at eSpeak's native 22,050 Hz, resampled to
``sample_rate`` (``scipy.signal.resample_poly``), trimmed of the silence around it,
normalised to the same loudness (an RMS of 0.1, −20 dBFS), and placed in a clip of
``duration`` seconds at a random onset (``placement="centre"``: in the middle).

**Size.** As for ``sounds``: 8 kHz by default (telephone speech, in which spoken
digits stay clear), 3,000 training and 1,000 test clips of 1 s: 96 MB and 32 MB
of float32. The training split is synthesised once, then cached under ``data/``, in
a file named with eSpeak's version (``python benchmarks/timings.py generation`` times it).

**Deterministic.** eSpeak keeps state between utterances (the phase of its pitch
flutter, a random generator for breathy voices), so the same call can give other
samples after other calls. Each chunk of 500 clips is therefore spoken by a freshly
loaded engine (the library is unloaded and loaded again, a small cost next to speaking
500 words: the same benchmark times it), in a fixed order,
with its random generators seeded: the same clips in any process, whatever was
synthesised before.

**Licence.** eSpeak NG is GPL-3.0-or-later. sslworkbench does not ship it or any
audio made with it: ``espeakng-loader`` installs the library, and the clips are
generated on your machine (see ``data/README.md``).
"""

from __future__ import annotations

import ctypes
import difflib
import hashlib
import math
import os
import threading
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import AudioSet
from .paths import read_cache, seeded_chunks, write_cache

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

#: eSpeak's English languages (the files in espeak-ng-data/lang/gmw/), and what they sound like
ACCENTS = {
    "en": "British English",
    "en-us": "American English",
    "en-gb-scotland": "Scottish English",
    "en-gb-x-rp": "Received Pronunciation",
    "en-gb-x-gbclan": "Lancaster English",
    "en-gb-x-gbcwmd": "West Midlands English",
    "en-us-nyc": "New York City English",
    "en-029": "Caribbean English",
}
#: voice variants (the files in espeak-ng-data/voices/!v/): 7 male, 4 female, and the Klatt synthesiser
VARIANTS = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "klatt"]
VOICES = [f"{accent}+{variant}" for accent in ACCENTS for variant in VARIANTS]
SPEEDS = (130, 155, 180, 205, 230)  # words per minute; at 130 the longest word ("nine") lasts ~0.85 s
PITCHES = (20, 35, 50, 65, 80)  # eSpeak's pitch setting, 0–100

VERSION = 1  # bump when the generator changes, so stale caches are not used
CHUNK = 500  # clips spoken by one freshly loaded engine
SPLIT_SIZES = {"train": 3_000, "test": 1_000}  # at 8 kHz, 1 s: 96 MB and 32 MB of float32
SPLIT_STREAM = {"train": 0, "test": 1}
TEST_SHARE = 4  # one (voice, speed, pitch) draw in four, for each word, belongs to the test split
SAMPLE_RATE = 8_000
LOUDNESS = 0.1  # every word's RMS level (−20 dBFS)
SILENCE = 0.02  # samples quieter than 2% of a word's peak, before and after it, are trimmed
FADE_SECONDS = 0.01  # a word cut short by the end of the clip fades out over 10 ms
PLACEMENTS = ("random", "centre")


def voice_names(voices: list[str] | None = None) -> list[str]:
    """The names that ``extras["voice"]`` indexes, for data loaded with ``voices=voices``."""
    return list(VOICES if voices is None else voices)


# ---------------------------------------------------------------------------
# eSpeak NG through ctypes: the few functions of its C API (speak_lib.h) we need
# ---------------------------------------------------------------------------

_AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_Synth returns when done, handing the samples to our callback
_INITIALIZE_DONT_EXIT = 0x8000  # on an error, return it instead of ending the whole process
_RATE, _PITCH = 1, 3  # espeak_PARAMETER: speed in words per minute, pitch 0–100
_POSITION_CHARACTER = 1  # espeak_POSITION_TYPE (we start at position 0 anyway)
_CHARS_UTF8 = 1  # the text is UTF-8
# int callback(short *samples, int count, espeak_EVENT *events): 0 means "go on"
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_ENGINE_LOCK = threading.Lock()  # eSpeak is one engine per process: one user at a time


def _c_library():
    """The C library, whose ``rand`` eSpeak's breathy voices call (None where it cannot be reached, as on
    Windows: breathy voices may then differ from run to run)."""
    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):
        return None
    return libc if hasattr(libc, "srand") else None


_C_LIBRARY = _c_library()


def _library_files() -> tuple[str, str]:
    """Paths of eSpeak NG's shared library and of its data folder, from the ``espeakng-loader`` package."""
    import espeakng_loader

    return espeakng_loader.get_library_path(), espeakng_loader.get_data_path()


class _Engine:
    """A freshly loaded eSpeak NG, as a context manager: ``with _Engine() as engine: engine.say(...)``.

    On exit the library is unloaded, so the next engine starts from the same state."""

    def __enter__(self) -> _Engine:
        _ENGINE_LOCK.acquire()
        try:
            library_path, self.data_path = _library_files()
            self.lib = lib = ctypes.CDLL(library_path)
        except (ImportError, OSError, RuntimeError) as error:
            _ENGINE_LOCK.release()
            raise WorkbenchError(f"The speech synthesiser eSpeak NG could not be loaded ({error}). It comes with the "
                                 "package espeakng-loader: pip install espeakng-loader") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        self.native_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self.data_path.encode(),
                                                 _INITIALIZE_DONT_EXIT)
        if self.native_rate <= 0:
            self.__exit__()
            raise WorkbenchError(f"eSpeak NG could not read its data in {self.data_path}: reinstall it with "
                                 "pip install --force-reinstall espeakng-loader")
        self.version = lib.espeak_Info(None).decode()
        self.variants = sorted(os.listdir(Path(self.data_path) / "voices" / "!v"))
        self.seed_random = getattr(lib, "espeak_ng_SetRandSeed", None)  # since eSpeak NG 1.52
        self._callback = _SYNTH_CALLBACK(self._receive)  # kept here: ctypes must not free it while eSpeak holds it
        lib.espeak_SetSynthCallback(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.lib.espeak_Terminate()
            import _ctypes

            if hasattr(_ctypes, "dlclose"):  # POSIX: unload, so the next engine starts fresh
                _ctypes.dlclose(self.lib._handle)
        finally:
            _ENGINE_LOCK.release()

    def _receive(self, samples, count, events) -> int:
        if count > 0:
            self.pieces.append(ctypes.string_at(samples, count * 2))  # int16: two bytes a sample
        return 0

    def set_voice(self, voice: str) -> None:
        """Speak with ``voice`` ("language+variant"), or one clear error for a name eSpeak does not know."""
        variant = voice.partition("+")[2]
        # eSpeak ignores an unknown variant without a word, so variants are checked against its files
        if (variant and variant not in self.variants) or self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            close = difflib.get_close_matches(voice, VOICES, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise WorkbenchError(
                f"eSpeak NG has no voice {voice!r}.{hint} A voice is a language — English ones: "
                f"{', '.join(ACCENTS)} — optionally with a variant after '+': {', '.join(self.variants)}."
            )

    def say(self, text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
        """``text`` spoken by ``voice``: int16 samples at ``native_rate`` (22,050 Hz)."""
        self.set_voice(voice)
        self.lib.espeak_SetParameter(_RATE, speed, 0)  # (0: an absolute value, not relative to the current one)
        self.lib.espeak_SetParameter(_PITCH, pitch, 0)
        if self.seed_random is not None:
            self.seed_random(0)  # eSpeak's own random numbers …
        if _C_LIBRARY is not None:
            _C_LIBRARY.srand(0)  # … and the C library's, which breathy voices use
        self.pieces = []
        text_bytes = text.encode() + b"\0"
        self.lib.espeak_Synth(text_bytes, len(text_bytes), 0, _POSITION_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        samples = np.frombuffer(b"".join(self.pieces), dtype=np.int16)
        if not samples.any():
            raise WorkbenchError(f"eSpeak NG said nothing for {text!r} in voice {voice!r} "
                                 f"({len(samples)} samples, all silent): give it a word to say.")
        return samples


# ---------------------------------------------------------------------------
# From eSpeak's samples to a clip
# ---------------------------------------------------------------------------


def _resample(samples: np.ndarray, native_rate: int, sample_rate: int) -> np.ndarray:
    """int16 samples at ``native_rate`` → float64 in [-1, 1] at ``sample_rate`` (a polyphase filter:
    22,050 → 8,000 Hz is up by 160, low-pass, down by 441)."""
    from scipy.signal import resample_poly

    gcd = math.gcd(native_rate, sample_rate)
    return resample_poly(samples / 32768.0, sample_rate // gcd, native_rate // gcd)


def _trim_and_normalise(word: np.ndarray) -> np.ndarray:
    """The word without the silence around it, at an RMS of LOUDNESS (lower if its peak would pass 0.99)."""
    loud = np.flatnonzero(np.abs(word) > SILENCE * np.abs(word).max())
    word = word[loud[0] : loud[-1] + 1]
    return word * min(LOUDNESS / np.sqrt(np.mean(word**2)), 0.99 / np.abs(word).max())


def _place(word: np.ndarray, samples: int, where: float, sample_rate: int) -> tuple[np.ndarray, int, int]:
    """A clip of ``samples`` samples with ``word`` starting at ``where`` ∈ [0, 1] of the room left;
    returns (clip, onset, length) in samples. A word longer than the clip is cut short, with a fade."""
    if len(word) > samples:
        fade = min(int(FADE_SECONDS * sample_rate), samples)
        word = word[:samples].copy()
        word[samples - fade :] *= np.linspace(1, 0, fade)
    onset = int(where * (samples - len(word)))
    clip = np.zeros(samples)
    clip[onset : onset + len(word)] = word
    return clip, onset, len(word)


def speak(word: str, voice: str = "en", speed: int = 175, pitch: int = 50, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """``word`` (any short text) spoken by eSpeak NG: float32 samples at ``sample_rate``, the silence
    around it trimmed, at the dataset's loudness. For listening (``IPython.display.Audio``) and trying voices."""
    _check_rate(sample_rate)
    with _Engine() as engine:
        samples = engine.say(word, voice, speed, pitch)
    return torch.from_numpy(_trim_and_normalise(_resample(samples, engine.native_rate, sample_rate))).float()


# ---------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------


def _check_rate(sample_rate) -> None:
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or not 8_000 <= sample_rate <= 48_000:
        raise WorkbenchError(f"sample_rate must be a whole number of Hz in [8000, 48000] (got {sample_rate!r}).")


def _check_options(split, sample_rate, duration, voices, placement) -> list[str]:
    """Every option checked, each with its own clear error; returns the voices' names."""
    if split not in SPLIT_SIZES:
        raise WorkbenchError(f"Unknown split {split!r} for spoken_digits; use one of {sorted(SPLIT_SIZES)}.")
    _check_rate(sample_rate)
    if not isinstance(duration, (int, float)) or not 0.5 <= duration <= 10:
        raise WorkbenchError(f"duration must be a number of seconds in [0.5, 10] (got {duration!r}); "
                             "slowly spoken words last up to ~0.85 s and longer ones are cut short.")
    if placement not in PLACEMENTS:
        raise WorkbenchError(f"placement must be one of {PLACEMENTS} (got {placement!r}).")
    names = voice_names(voices)
    if isinstance(voices, str) or not names or not all(isinstance(v, str) for v in names) or len(set(names)) < len(names):
        raise WorkbenchError(f"voices must be a list of distinct eSpeak voice names, e.g. ['en+m1', 'en-us+f2'] "
                             f"(got {voices!r}).")
    return names


def _draws(seed: int, split: str, voice_count: int) -> np.ndarray:
    """(10, draws per word, 3): for each word, the (voice, speed, pitch) indices this split speaks it with, in order.

    One seeded shuffle per word of every (voice, speed, pitch) draw, shared by both
    splits: its first quarter is the test split's, the rest the training split's."""
    shape = (voice_count, len(SPEEDS), len(PITCHES))
    combinations = math.prod(shape)
    test_count = combinations // TEST_SHARE
    rng = np.random.default_rng([seed, VERSION, 2])  # the same for both splits
    table = []
    for _ in WORDS:
        order = rng.permutation(combinations)
        mine = order[:test_count] if split == "test" else order[test_count:]
        table.append(np.stack(np.unravel_index(mine, shape), axis=1))
    return np.stack(table)


def generate(
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    duration: float = 1.0,
    voices: list[str] | None = None,
    placement: str = "random",
) -> AudioSet:
    """Synthesise (without caching) ``n`` clips of split ``split``."""
    names = _check_options(split, sample_rate, duration, voices, placement)
    total = SPLIT_SIZES[split] if n is None else n
    draws = _draws(seed, split, len(names))
    if total > draws.shape[0] * draws.shape[1]:
        raise WorkbenchError(f"{split!r} has {draws.shape[0] * draws.shape[1]} distinct utterances with "
                             f"{len(names)} voices, fewer than n={total}: ask for fewer, or give more voices.")
    with _Engine() as engine:  # every voice checked before any work is done
        for voice in names:
            engine.set_voice(voice)
    samples = round(duration * sample_rate)
    waveforms = torch.empty((total, samples), dtype=torch.float32)  # allocated once, filled chunk by chunk
    labels = np.empty(total, dtype=np.int64)
    extras = {key: np.empty(total, dtype=np.float32) for key in ("voice", "speed", "pitch", "onset", "length")}
    for _, rng, start, _ in seeded_chunks(total, CHUNK, seed, SPLIT_STREAM[split], VERSION):
        # every ten clips say every word once, in a random order: the labels stay balanced at any n
        words = np.concatenate([rng.permutation(len(WORDS)) for _ in range(CHUNK // len(WORDS))])
        where = rng.uniform(0, 1, CHUNK) if placement == "random" else np.full(CHUNK, 0.5)
        with _Engine() as engine:
            for i in range(start, min(start + CHUNK, total)):
                word = words[i - start]
                voice, speed, pitch = draws[word, i // len(WORDS)]  # the word's (i // 10)-th draw: each used once
                spoken = engine.say(WORDS[word], names[voice], SPEEDS[speed], PITCHES[pitch])
                spoken = _trim_and_normalise(_resample(spoken, engine.native_rate, sample_rate))
                clip, onset, length = _place(spoken, samples, where[i - start], sample_rate)
                waveforms[i] = torch.from_numpy(clip)
                labels[i] = word
                for key, value in zip(extras, (voice, SPEEDS[speed], PITCHES[pitch], onset / sample_rate,
                                               length / sample_rate)):
                    extras[key][i] = value
    extra_tensors = {key: torch.from_numpy(value) for key, value in extras.items()}
    extra_tensors["voice"] = extra_tensors["voice"].long()
    return AudioSet(waveforms, torch.from_numpy(labels), list(WORDS), "spoken_digits", extra_tensors,
                    sample_rate=sample_rate)


def load_spoken_digits(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
    duration: float = 1.0,
    voices: list[str] | None = None,
    cache: bool = True,
    placement: str = "random",
) -> AudioSet:
    """The ``spoken_digits`` split: float32 waveforms (N, duration · sample_rate), synthesised once and
    cached under ``root``. ``voices``: eSpeak voice names to speak with (default ``VOICES``);
    ``extras["voice"]`` indexes them (``voice_names(voices)``)."""
    names = _check_options(split, sample_rate, duration, voices, placement)
    total = SPLIT_SIZES[split] if n is None else max(n, 1)
    if not cache or root is None:
        return generate(split, total, seed, sample_rate, duration, voices, placement)
    with _Engine() as engine:
        version = engine.version
    tag = f"spoken_digits-v{VERSION}-espeak{version}-{split}-seed{seed}-{sample_rate}hz-{duration:g}s"
    if placement != "random":
        tag += f"-{placement}"
    if voices is not None:
        tag += "-voices" + hashlib.sha256("\n".join(names).encode()).hexdigest()[:10]
    path = Path(root) / f"{tag}.pt"
    stored = read_cache(path, total)
    if stored is not None:
        return AudioSet(stored["waveforms"], stored["labels"], list(WORDS), "spoken_digits", stored["extras"], sample_rate=sample_rate)
    data = generate(split, total, seed, sample_rate, duration, voices, placement)
    write_cache({"waveforms": data.inputs, "labels": data.labels, "extras": data.extras}, path)
    return data

