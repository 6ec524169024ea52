"""views/audio.py: segments, gain and noise on waveforms; SpecAugment's masks on
spectrograms — each draws per clip, repeatably from the global generator, with
one clear error for what does not fit."""

import math

import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.views.audio import (
    add_noise,
    frequency_masks,
    hidden_cells,
    random_gain,
    segments,
    spec_augment,
    time_blocks,
    time_masks,
)


def ramps(n=6, t=100):
    """Clip i is i·1000 + 0, 1, …, t − 1: every sample says where it came from."""
    return (torch.arange(n)[:, None] * 1000 + torch.arange(t)).float()


def test_segments_are_stretches_of_their_own_clip():
    torch.manual_seed(0)
    waveforms = ramps()
    cut, starts = segments(waveforms, 30)
    assert cut.shape == (6, 30) and starts.shape == (6,)
    for i in range(6):
        assert torch.equal(cut[i], waveforms[i, starts[i] : starts[i] + 30])
    many = torch.cat([segments(waveforms, 30)[1] for _ in range(200)])
    assert many.min() == 0 and many.max() == 70  # every start that fits, and only those


def test_segments_are_repeatable_with_a_seed():
    torch.manual_seed(3)
    first = segments(ramps(), 10)[0]
    torch.manual_seed(3)
    assert torch.equal(first, segments(ramps(), 10)[0])


def test_a_segment_longer_than_the_clip_is_one_clear_error():
    with pytest.raises(WorkbenchError, match="at least 120 samples; these have 100"):
        segments(ramps(), 120)
    with pytest.raises(WorkbenchError, match=r"waveforms of shape \(N, T\)"):
        segments(torch.zeros(2, 40, 101), 10)


def test_gain_scales_each_clip_by_one_factor_within_its_range():
    torch.manual_seed(0)
    waveforms = torch.randn(64, 50)
    louder = random_gain(waveforms, 6.0)
    factors = louder / waveforms
    assert torch.allclose(factors, factors[:, :1].expand_as(factors), rtol=1e-4)  # one factor per clip
    db = 20 * torch.log10(factors[:, 0])
    assert db.abs().max() <= 6.0 + 1e-4 and db.std() > 2  # spread over ±6 dB
    assert torch.equal(random_gain(waveforms, 0.0), waveforms)
    with pytest.raises(WorkbenchError, match="gain must be ≥ 0"):
        random_gain(waveforms, -1.0)


def test_noise_is_added_at_the_level_asked_for():
    torch.manual_seed(0)
    silence = torch.zeros(8, 20_000)
    noisy = add_noise(silence, (-40.0, -40.0))
    rms_db = 20 * torch.log10(noisy.pow(2).mean(dim=1).sqrt())
    assert torch.allclose(rms_db, torch.full((8,), -40.0), atol=0.2)
    with pytest.raises(WorkbenchError, match="low ≤ high ≤ 0"):
        add_noise(silence, (-20.0, -40.0))


def test_time_and_frequency_masks_are_bands_no_wider_than_asked():
    torch.manual_seed(0)
    masks = time_masks(200, 100, count=1, width=10)
    assert masks.shape == (200, 100) and masks.dtype == torch.bool
    widths = masks.sum(dim=1)
    assert widths.max() <= 10 and widths.min() == 0 and len(set(widths.tolist())) > 5
    for row in masks:  # one band: contiguous
        hidden = row.nonzero().flatten()
        if len(hidden):
            assert hidden[-1] - hidden[0] + 1 == len(hidden)
    assert frequency_masks(50, 40, count=2, width=8).sum(dim=1).max() <= 16
    assert not time_masks(5, 100, count=0).any()
    with pytest.raises(WorkbenchError, match="width in 0..40"):
        frequency_masks(2, 40, count=1, width=50)


def test_time_blocks_hide_a_fixed_share_in_whole_blocks():
    torch.manual_seed(0)
    masks = time_blocks(32, 100, ratio=0.5, block=10)
    assert (masks.sum(dim=1) == 50).all()  # 5 of 10 blocks in every clip
    assert (masks.view(32, 10, 10).all(dim=2) == masks.view(32, 10, 10).any(dim=2)).all()  # whole blocks
    short = time_blocks(4, 101, ratio=0.99, block=8)  # 13 blocks, the last one 5 frames: one is always left
    assert (short.sum(dim=1) < 101).all()
    for ratio in (0, 1, 1.5):
        with pytest.raises(WorkbenchError, match=r"must be in \(0, 1\)"):
            time_blocks(2, 100, ratio=ratio, block=10)
    with pytest.raises(WorkbenchError, match="one block"):
        time_blocks(2, 10, ratio=0.5, block=10)


def test_hidden_cells_are_the_union_of_hidden_frames_and_bands():
    time = torch.tensor([[True, False, False]])
    bands = torch.tensor([[False, True]])
    expected = torch.tensor([[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])
    assert torch.equal(hidden_cells(time, bands), expected)


def test_spec_augment_sets_the_hidden_cells_and_leaves_the_rest():
    torch.manual_seed(0)
    spectrograms = torch.randn(16, 40, 101) + 5
    masked = spec_augment(spectrograms, time_count=2, time_width=10, frequency_count=2, frequency_width=8, value=0.0)
    changed = masked != spectrograms
    assert torch.equal(masked[changed], torch.zeros(int(changed.sum())))
    assert 0.05 < changed.float().mean() < 0.6 and math.isclose(float(masked[~changed].mean()), 5, abs_tol=0.05)
    with pytest.raises(WorkbenchError, match=r"\(N, n_mels, F\)"):
        spec_augment(torch.randn(40, 101))
