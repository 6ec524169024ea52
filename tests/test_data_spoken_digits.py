"""data/spoken_digits.py: digits spoken by eSpeak NG: format, the same clips in any
process, splits that share voices but never an utterance, the cache, the voices and
settings doing what they say, and one clear error per mistake (no library, an
unknown voice, nothing said, a bad option). (The loader is called from its module:
the dataset registry lists it by name.)"""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from sslworkbench.data import spoken_digits as digits_module
from sslworkbench.data.dataset import AudioSet
from sslworkbench.data.spoken_digits import (
    LOUDNESS,
    PITCHES,
    SPEEDS,
    VOICES,
    WORDS,
    load_spoken_digits,
    speak,
    voice_names,
)
from sslworkbench.errors import WorkbenchError

HASH_TEST_CLIPS = (
    "import hashlib; from sslworkbench.data.spoken_digits import load_spoken_digits; "
    "print(hashlib.sha256(load_spoken_digits('test', n=30, cache=False).inputs.numpy().tobytes()).hexdigest())"
)


def sha256(tensor):
    return hashlib.sha256(tensor.numpy().tobytes()).hexdigest()


def test_format_extras_and_balance():
    data = load_spoken_digits("train", n=40, cache=False)
    assert isinstance(data, AudioSet) and data.name == "spoken_digits" and data.classes == WORDS
    assert data.inputs.shape == (40, 8_000) and data.inputs.dtype == torch.float32 and data.sample_rate == 8_000
    assert torch.bincount(data.labels, minlength=10).tolist() == [4] * 10  # every ten clips say each word once
    assert set(data.extras) == {"voice", "speed", "pitch", "onset", "length"}
    assert data.extras["voice"].dtype == torch.int64 and 0 <= data.extras["voice"].min() <= data.extras["voice"].max() < 96
    assert set(data.extras["speed"].tolist()) <= set(SPEEDS) and set(data.extras["pitch"].tolist()) <= set(PITCHES)
    assert (data.extras["onset"] + data.extras["length"] <= 1 + 1e-6).all()
    assert len(VOICES) == 96 and voice_names() == VOICES
    # each clip holds its word where the extras say, and silence elsewhere
    for i in range(len(data)):
        start = round(float(data.extras["onset"][i]) * 8_000)
        end = start + round(float(data.extras["length"][i]) * 8_000)
        word, outside = data.inputs[i, start:end], torch.cat([data.inputs[i, :start], data.inputs[i, end:]])
        assert (outside == 0).all() and 0.5 * LOUDNESS < float(word.pow(2).mean().sqrt()) <= LOUDNESS + 1e-6
        assert word.abs().max() <= 0.99 + 1e-6


def test_the_same_clips_in_any_process_and_after_other_speech():
    """eSpeak keeps state between utterances: each chunk is spoken by a freshly loaded engine."""
    speak("hello there", "en+f2")  # breathy voice, other state: must not change what follows
    here = sha256(load_spoken_digits("test", n=30, cache=False).inputs)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs = [subprocess.run([sys.executable, "-c", HASH_TEST_CLIPS], capture_output=True, text=True, env=env, check=True)
            for _ in range(2)]
    assert [run.stdout.strip() for run in runs] == [here, here]


def test_prefix_and_splits_share_voices_but_never_an_utterance():
    small = load_spoken_digits("test", n=15, cache=False)
    large = load_spoken_digits("test", n=60, cache=False)
    assert torch.equal(small.inputs, large.inputs[:15]) and torch.equal(small.labels, large.labels[:15])
    # the whole table of draws: per word, the splits' (voice, speed, pitch) draws are disjoint and cover all
    train, test = digits_module._draws(0, "train", 96), digits_module._draws(0, "test", 96)
    assert test.shape == (10, 600, 3) and train.shape == (10, 1800, 3)
    for word in range(10):
        heard_in_test = {tuple(draw) for draw in test[word]}
        heard_in_train = {tuple(draw) for draw in train[word]}
        assert not heard_in_test & heard_in_train and len(heard_in_test | heard_in_train) == 96 * 25
    assert set(test[:, :100, 0].flatten().tolist()) == set(range(96))  # the default test split hears every voice
    assert set(train[:, :300, 0].flatten().tolist()) == set(range(96))


def test_cache_is_written_and_reread(tmp_path, monkeypatch):
    made = load_spoken_digits("test", n=20, root=tmp_path)
    (path,) = tmp_path.glob("spoken_digits-*.pt")
    assert path.name.startswith("spoken_digits-v1-espeak") and path.name.endswith("-test-seed0-8000hz-1s.pt")

    def no_generation(*args, **kwargs):
        raise AssertionError("should have read the cache")

    monkeypatch.setattr(digits_module, "generate", no_generation)
    reread = load_spoken_digits("test", n=20, root=tmp_path)
    assert torch.equal(made.inputs, reread.inputs) and torch.equal(made.labels, reread.labels)
    assert torch.equal(made.extras["voice"], reread.extras["voice"]) and reread.sample_rate == 8_000


def test_a_spoken_word_is_heard_and_voices_speeds_and_pitches_differ():
    seven = speak("seven")
    assert seven.dtype == torch.float32 and 0.2 < len(seven) / 8_000 < 1
    assert abs(float(seven.pow(2).mean().sqrt()) - LOUDNESS) < 0.01  # loudness normalised
    assert torch.equal(speak("seven"), seven)
    other_voice = speak("seven", voice="en-us+f2")
    assert len(other_voice) != len(seven) or not torch.equal(other_voice, seven)
    assert len(speak("seven", speed=230)) < 0.8 * len(speak("seven", speed=130))

    def pitch_hz(samples, sample_rate=8_000):  # the strongest autocorrelation lag between 60 and 400 Hz
        x = samples.double().numpy()
        correlation = np.correlate(x, x, "full")[len(x) - 1 :]
        lags = np.arange(sample_rate // 400, sample_rate // 60)
        return sample_rate / lags[correlation[lags].argmax()]

    assert pitch_hz(speak("zero", pitch=80)) > 1.3 * pitch_hz(speak("zero", pitch=20))
    assert speak("seven", sample_rate=16_000).shape[0] == pytest.approx(2 * len(seven), abs=40)  # ± the trimming


def test_options_placement_and_chosen_voices():
    centred = load_spoken_digits("test", n=10, cache=False, placement="centre", duration=1.5, sample_rate=16_000)
    assert centred.inputs.shape == (10, 24_000)
    assert torch.allclose(centred.extras["onset"], (1.5 - centred.extras["length"]) / 2, atol=1e-3)
    chosen = ["en+m3", "en-us+f1"]
    train = load_spoken_digits("train", n=30, cache=False, voices=chosen)
    test = load_spoken_digits("test", n=30, cache=False, voices=chosen)
    assert set(train.extras["voice"].tolist()) == set(test.extras["voice"].tolist()) == {0, 1}
    assert voice_names(chosen) == chosen


def test_a_missing_library_says_what_to_install(monkeypatch):
    def missing():
        raise ImportError("No module named 'espeakng_loader'")

    monkeypatch.setattr(digits_module, "_library_files", missing)
    with pytest.raises(WorkbenchError, match="pip install espeakng-loader"):
        speak("one")
    monkeypatch.setattr(digits_module, "_library_files", lambda: ("/nowhere/libespeak-ng.so", "/nowhere/data"))
    with pytest.raises(WorkbenchError, match="pip install espeakng-loader"):
        load_spoken_digits("test", n=5, cache=False)
    monkeypatch.undo()
    assert len(speak("one")) > 0  # the engine is free again after the errors


def test_unknown_voices_and_silence_are_refused():
    with pytest.raises(WorkbenchError, match="no voice 'en\\+m99'.*Did you mean"):
        speak("one", voice="en+m99")  # eSpeak itself would quietly use 'en'
    with pytest.raises(WorkbenchError, match="no voice 'martian'"):
        speak("one", voice="martian")  # (eSpeak does speak Klingon)
    with pytest.raises(WorkbenchError, match="no voice 'en-us\\+nobody'"):
        load_spoken_digits("test", n=5, cache=False, voices=["en+m1", "en-us+nobody"])
    with pytest.raises(WorkbenchError, match="said nothing"):
        speak("")
    with pytest.raises(WorkbenchError, match="said nothing"):
        speak("   ")


@pytest.mark.parametrize("options, message", [
    ({"split": "validation"}, "Unknown split"),
    ({"sample_rate": 4_000}, "sample_rate"),
    ({"duration": 0.2}, "duration"),
    ({"placement": "left"}, "placement"),
    ({"voices": []}, "voices"),
    ({"voices": "en+m1"}, "voices"),
    ({"voices": ["en+m1", "en+m1"]}, "voices"),
    ({"n": 6_001, "voices": None}, "distinct utterances"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(WorkbenchError, match=message):
        load_spoken_digits(**{"split": "test", "n": 5, "cache": False, **options})
