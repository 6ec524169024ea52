"""data/sounds.py: the procedural sound clips: format, determinism, the cache, that
the recorded nuisances are what was played, that the classes have their structure,
and one clear error per bad option. (The loader is called from its module: the
dataset registry lists it by name.)"""

import numpy as np
import pytest
import torch

from sslworkbench.data import sounds as sounds_module
from sslworkbench.data.dataset import AudioSet
from sslworkbench.data.sounds import CLASSES, load_sounds
from sslworkbench.errors import WorkbenchError


def loudest_hz(samples, sample_rate):
    """The frequency of the largest peak of a clip's spectrum."""
    spectrum = np.abs(np.fft.rfft(np.asarray(samples, dtype=np.float64)))
    return np.fft.rfftfreq(len(samples), 1 / sample_rate)[spectrum.argmax()]


def event_of(data, i):
    """The samples of clip i's event, from its recorded onset and length."""
    start = round(float(data.extras["onset"][i]) * data.sample_rate)
    return data.inputs[i, start : start + round(float(data.extras["length"][i]) * data.sample_rate)].double().numpy()


def test_format_and_determinism():
    first = load_sounds("train", n=40, cache=False)
    again = load_sounds("train", n=40, cache=False)
    other = load_sounds("train", n=40, seed=1, cache=False)
    assert isinstance(first, AudioSet) and first.name == "sounds" and first.classes == CLASSES
    assert first.inputs.shape == (40, 8_000) and first.inputs.dtype == torch.float32 and first.sample_rate == 8_000
    assert first.labels.dtype == torch.int64 and first.num_classes == 10
    assert set(first.extras) == {"pitch", "loudness", "onset", "length", "noise"}
    assert torch.equal(first.inputs, again.inputs) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.inputs, other.inputs)
    assert first.inputs.abs().max() <= 1


def test_prefix_balance_and_splits():
    small = load_sounds("test", n=50, cache=False)
    large = load_sounds("test", n=600, cache=False)
    assert torch.equal(small.inputs, large.inputs[:50]) and torch.equal(small.labels, large.labels[:50])
    counts = torch.bincount(large.labels, minlength=10)
    assert counts.min() >= 40 and counts.max() <= 80
    assert not torch.equal(load_sounds("train", n=20, cache=False).inputs, small.inputs[:20])


def test_cache_is_written_and_reread(tmp_path, monkeypatch):
    made = load_sounds("test", n=30, root=tmp_path)
    assert [p.name for p in tmp_path.glob("sounds-*.pt")] == ["sounds-v1-test-seed0-8000hz-1s.pt"]

    def no_generation(*args, **kwargs):
        raise AssertionError("should have read the cache")

    monkeypatch.setattr(sounds_module, "generate", no_generation)
    reread = load_sounds("test", n=20, root=tmp_path)  # fewer: the first 20 of the cached 30
    assert torch.equal(made.inputs[:20], reread.inputs) and torch.equal(made.labels[:20], reread.labels)
    assert torch.equal(made.extras["pitch"][:20], reread.extras["pitch"]) and reread.sample_rate == 8_000


def test_the_extras_say_what_was_played():
    data = load_sounds("train", n=200, cache=False)
    for i in range(len(data)):
        event = event_of(data, i)
        level = 10 * np.log10(np.mean(event**2))  # the event's RMS level, in dB; the noise adds its power
        loudness, noise = float(data.extras["loudness"][i]), float(data.extras["noise"][i])
        assert abs(level - 10 * np.log10(10 ** (loudness / 10) + 10 ** (noise / 10))) < 0.3
        before = data.inputs[i, : round(float(data.extras["onset"][i]) * data.sample_rate)].double()
        if len(before) > 800:  # only the background noise before the event
            assert abs(10 * np.log10(float(before.pow(2).mean())) - noise) < 1
    assert 0.3 <= data.extras["length"].min() and data.extras["length"].max() <= 0.8
    assert (data.extras["onset"] + data.extras["length"] <= 1.0 + 1e-6).all()
    # a tone is at its recorded pitch (the FFT of the event resolves it to within 1/length Hz)
    for i in (data.labels == CLASSES.index("tone")).nonzero().flatten().tolist():
        event = event_of(data, i)
        assert abs(loudest_hz(event, 8_000) - float(data.extras["pitch"][i])) <= 8_000 / len(event) + 1


def test_the_classes_have_their_structure():
    data = load_sounds("train", n=300, cache=False, noise_range=None)
    sample_rate = data.sample_rate
    for name in ("chirp up", "chirp down"):
        for i in (data.labels == CLASSES.index(name)).nonzero().flatten().tolist():
            event = event_of(data, i)
            quarter = len(event) // 4
            start, end = loudest_hz(event[:quarter], sample_rate), loudest_hz(event[-quarter:], sample_rate)
            assert (end > start * 1.3) if name == "chirp up" else (start > end * 1.3), (name, i)
    for i in (data.labels == CLASSES.index("chord")).nonzero().flatten().tolist():
        spectrum = np.abs(np.fft.rfft(event_of(data, i)))
        hz = np.fft.rfftfreq(len(event_of(data, i)), 1 / sample_rate)
        pitch = float(data.extras["pitch"][i])
        for step in (1, 2 ** (4 / 12), 2 ** (7 / 12)):  # three notes, each a peak of the spectrum
            near = np.abs(hz - pitch * step) < 6
            assert spectrum[near].max() > 0.2 * spectrum.max()
    # no background noise: silence outside the events, and the same draws otherwise
    plain = load_sounds("train", n=300, cache=False)
    assert torch.equal(plain.labels, data.labels) and torch.equal(plain.extras["pitch"], data.extras["pitch"])
    first = data.inputs[0, : round(float(data.extras["onset"][0]) * sample_rate)]
    assert (first == 0).all() and torch.isinf(data.extras["noise"]).all()


def test_another_sample_rate_plays_the_same_events():
    low = load_sounds("test", n=20, cache=False)
    high = load_sounds("test", n=20, cache=False, sample_rate=16_000, duration=0.5)
    assert high.inputs.shape == (20, 8_000) and high.sample_rate == 16_000
    assert torch.equal(low.labels, high.labels) and torch.equal(low.extras["pitch"], high.extras["pitch"])


def test_the_default_clips_never_change_silently():
    """Measured results depend on these clips: a generator change must bump sounds.VERSION."""
    data = load_sounds("train", n=50, cache=False)
    assert data.labels[:10].tolist() == [7, 2, 4, 4, 5, 3, 1, 5, 9, 8]
    assert float(data.inputs.double().pow(2).sum()) == pytest.approx(555.73494, rel=1e-5)


@pytest.mark.parametrize("options, message", [
    ({"split": "validation"}, "Unknown split"),
    ({"sample_rate": 4_000}, "sample_rate"),
    ({"sample_rate": 16_000.0}, "sample_rate"),
    ({"duration": 0.1}, "duration"),
    ({"pitch_range": (900, 200)}, "pitch_range"),
    ({"pitch_range": (200, 2_000)}, "harmonics"),
    ({"pitch_range": 440}, "pitch_range"),
    ({"loudness_range": (-20, 0)}, "loudness_range"),
    ({"noise_range": (-30, -50)}, "noise_range"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(WorkbenchError, match=message):
        load_sounds(**{"n": 5, "cache": False, **options})
