"""The four video methods (notebook 12): what each one asks, and that each learns it."""

import pytest
import torch

from sslworkbench.data import load_dataset
from sslworkbench.data.dataset import to_float
from sslworkbench.errors import WorkbenchError
from sslworkbench.losses import frame_prediction_error
from sslworkbench.methods import build_method
from sslworkbench.training.trainer import train


@pytest.fixture(scope="module")
def clips():
    return load_dataset("moving_shapes", "train", n=128, frames=8)


def test_frame_order_asks_about_triplets(clips):
    torch.manual_seed(0)
    method = build_method("frame_order", frames=8)
    triplets, in_order = method.pretext_batch(clips.inputs[:16])
    assert triplets.shape == (16, 3, 3, 32, 32) and triplets.dtype == torch.float32
    assert set(in_order.tolist()) <= {0, 1}


def test_arrow_of_time_shows_windows_forwards_or_backwards(clips):
    torch.manual_seed(0)
    method = build_method("arrow_of_time", frames=8, length=5)
    windows, forwards = method.pretext_batch(clips.inputs[:16])
    assert windows.shape == (16, 5, 3, 32, 32) and 0 < forwards.sum() < 16
    with pytest.raises(WorkbenchError, match="length must be a whole number of frames in 3..8"):
        build_method("arrow_of_time", frames=8, length=12)
    with pytest.raises(WorkbenchError, match="needs clips of at least 6 frames; these have 4"):
        build_method("arrow_of_time", frames=16, length=6).training_step((clips.inputs[:4, :4], clips.labels[:4]))


def test_temporal_contrast_pairs_two_frames_of_one_clip(clips):
    torch.manual_seed(0)
    method = build_method("temporal_contrast", frames=8, views=None, max_gap=2)
    first, second = method.pretext_batch(clips.inputs[:6])
    assert first.shape == second.shape == (6, 1, 3, 32, 32)
    frames = to_float(clips.inputs[:6])
    match = [[torch.equal(first[i, 0], frames[i, t]) for t in range(8)].index(True) for i in range(6)]
    later = [[torch.equal(second[i, 0], frames[i, t]) for t in range(8)].index(True) for i in range(6)]
    assert all(1 <= b - a <= 2 for a, b in zip(match, later))
    with pytest.raises(WorkbenchError, match="temperature"):
        build_method("temporal_contrast", temperature=0)
    with pytest.raises(WorkbenchError, match="at least 2 samples"):
        method.training_step((clips.inputs[:1], clips.labels[:1]))


def test_future_frames_starts_at_the_copy_last_frame_baseline_and_beats_it(clips):
    torch.manual_seed(0)
    method = build_method("future_frames", frames=8, past=3)
    before = method.prediction_errors(clips.inputs[:32], steps=2)
    assert before["model"] == pytest.approx(before["copy last frame"], rel=1e-4)
    train(method, clips, epochs=15, batch_size=32, progress=False, device="cpu")
    after = method.prediction_errors(clips.inputs[:32], steps=2)
    assert after["model"][0] < 0.85 * after["copy last frame"][0], after
    rolled = method.rollout(clips.inputs[:2, :3], steps=4)
    assert rolled.shape == (2, 4, 3, 32, 32) and 0 <= rolled.min() and rolled.max() <= 1
    with pytest.raises(WorkbenchError, match="past must be a whole number of frames in 2..7"):
        build_method("future_frames", frames=8, past=8)


@pytest.mark.parametrize("name, epochs, settings", [("frame_order", 10, {}), ("arrow_of_time", 14, {"length": 5})])
def test_the_order_tasks_learn_their_question(name, epochs, settings):
    torch.manual_seed(0)
    clips = load_dataset("moving_shapes", "train", n=512, frames=8)
    method = build_method(name, frames=8, **settings)
    history = train(method, clips, epochs=epochs, batch_size=32, progress=False, device="cpu")
    accuracy = history.metric("pretext_accuracy", per="epochs")
    assert max(accuracy[-3:]) > 0.7, accuracy  # chance: 0.5


def test_frame_prediction_error_is_the_mean_squared_error():
    a, b = torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4) * 0.5
    assert frame_prediction_error(a, b) == pytest.approx(0.25)
    with pytest.raises(WorkbenchError, match="same shape"):
        frame_prediction_error(a, b[:1])
