import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.views.clips import check_length, frame_pairs, order_tuples, past_and_future, reverse_some, windows


def numbered(n=64, t=10):
    """Clips whose every pixel holds its frame number and its clip number: (N, T, 2, 1, 1)."""
    frame = torch.arange(t).view(1, t, 1, 1, 1).expand(n, t, 1, 1, 1).float()
    clip = torch.arange(n).view(n, 1, 1, 1, 1).expand(n, t, 1, 1, 1).float()
    return torch.cat([frame, clip], dim=2)


def frames_of(views):
    return views[..., 0, 0, 0].long()


def test_windows_are_consecutive_frames_of_the_same_clip():
    torch.manual_seed(0)
    views, starts = windows(numbered(), 4)
    assert views.shape == (64, 4, 2, 1, 1)
    assert torch.equal(frames_of(views), starts[:, None] + torch.arange(4))
    assert torch.equal(views[:, :, 1, 0, 0].long(), torch.arange(64)[:, None].expand(64, 4))
    assert starts.min() >= 0 and starts.max() <= 6 and len(set(starts.tolist())) > 3


def test_frame_pairs_are_two_different_frames_at_most_max_gap_apart():
    torch.manual_seed(0)
    first, second, gap = frame_pairs(numbered(), max_gap=3)
    a, b = first[:, 0, 0, 0], second[:, 0, 0, 0]
    assert torch.equal(b - a, gap.float()) and gap.min() >= 1 and gap.max() <= 3 and len(set(gap.tolist())) == 3
    assert torch.equal(first[:, 1, 0, 0], second[:, 1, 0, 0])  # the same clip
    _, _, anywhere = frame_pairs(numbered(t=5), max_gap=None)
    assert anywhere.max() <= 4


def test_order_tuples_in_order_are_monotone_and_shuffled_ones_are_not():
    torch.manual_seed(0)
    triplets, in_order = order_tuples(numbered(n=400))
    frames = frames_of(triplets)
    monotone = ((frames[:, 1] - frames[:, 0]) * (frames[:, 2] - frames[:, 1])) > 0
    assert torch.equal(monotone, in_order.bool())
    assert 0.4 < in_order.float().mean() < 0.6
    backwards = frames[:, 0] > frames[:, 2]
    assert 0.4 < backwards[in_order.bool()].float().mean() < 0.6  # both directions count as in order


def test_reverse_some_flips_exactly_the_clips_labelled_backwards():
    torch.manual_seed(0)
    clips = numbered()
    played, forwards = reverse_some(clips)
    assert torch.equal(played[forwards == 1], clips[forwards == 1])
    assert torch.equal(played[forwards == 0], clips[forwards == 0].flip(1))
    assert 0 < forwards.sum() < 64


def test_past_and_future_are_one_window_cut_in_two():
    torch.manual_seed(0)
    past, future = past_and_future(numbered(), 4, 2)
    assert past.shape[1] == 4 and future.shape[1] == 2
    assert torch.equal(frames_of(future)[:, 0], frames_of(past)[:, -1] + 1)


def test_clips_too_short_for_a_task_are_one_clear_error():
    with pytest.raises(WorkbenchError, match="needs clips of at least 5 frames; these have 4"):
        order_tuples(numbered(t=4))
    with pytest.raises(WorkbenchError, match="clips of shape"):
        check_length(torch.zeros(2, 3, 8, 8), 2, "a task")
    with pytest.raises(WorkbenchError, match="max_gap must be"):
        frame_pairs(numbered(), max_gap=0)
