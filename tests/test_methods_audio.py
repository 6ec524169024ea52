"""The three audio methods (notebook 13): what each one shows the network, that its
loss is its pure function's, that each bad setting is one clear error, and that
each learns its question on a small budget."""

import math

import pytest
import torch

from sslworkbench.data import load_dataset
from sslworkbench.data.dataset import AudioSet
from sslworkbench.errors import WorkbenchError
from sslworkbench.losses import bilinear_contrastive, cpc_loss, masked_mse
from sslworkbench.methods import build_method
from sslworkbench.methods.masked_spectrogram import band_mean_baseline, standardise
from sslworkbench.training.trainer import train


@pytest.fixture(scope="module")
def sounds():
    return load_dataset("sounds", "train", n=256)


# -- what each method shows the network ---------------------------------------------------


def test_cola_pairs_two_segments_of_the_same_clip(sounds):
    torch.manual_seed(0)
    method = build_method("cola", segment_seconds=0.25, gain_db=0, noise_db=None)  # the paper's views: segments only
    waveforms = sounds.inputs[:4]
    anchors, positives = method.pretext_batch(waveforms)
    assert anchors.shape == positives.shape == (4, 2000)
    for i in range(4):
        for segment in (anchors[i], positives[i]):
            windows = waveforms[i].unfold(0, 2000, 1)  # every stretch of 2,000 samples of clip i
            assert (windows == segment).all(dim=1).any()


def test_cola_gives_each_segment_its_own_gain_and_noise_by_default(sounds):
    torch.manual_seed(0)
    clip = sounds.inputs[:1].expand(64, -1)
    anchors, positives = build_method("cola").pretext_batch(clip)
    level = 20 * torch.log10(torch.cat([anchors, positives]).pow(2).mean(dim=1).sqrt())
    assert level.max() - level.min() > 6  # the same clip, louder or quieter: ±6 dB, and noise


def test_cola_loss_is_the_bilinear_contrast_of_its_projections(sounds):
    torch.manual_seed(0)
    method = build_method("cola")
    torch.manual_seed(1)
    out = method.training_step((sounds.inputs[:8], sounds.labels[:8]))
    torch.manual_seed(1)
    anchors, positives = method.pretext_batch(sounds.inputs[:8])  # the same segments
    with torch.no_grad():
        g = method.projector(method.backbone(torch.cat([anchors, positives])))
    assert out["loss"].item() == pytest.approx(bilinear_contrastive(g[:8], g[8:], method.similarity).item(), rel=1e-5)
    assert out["embeddings"].shape == (8, 512) and 0 <= out["pretext_accuracy"] <= 1


def test_cpc_predicts_k_latents_ahead_from_a_context(sounds):
    torch.manual_seed(0)
    method = build_method("cpc", prediction_steps=4, context_dim=32)
    out = method.predict(sounds.inputs[:3])
    assert out["latents"].shape == (3, 26, 128) and out["context"].shape == (3, 26, 32)
    assert out["predictions"].shape == (3, 26, 4, 128)
    torch.manual_seed(1)
    loss = method.training_step(sounds.inputs[:3])["loss"]
    torch.manual_seed(1)
    negatives = method.draw_negatives(3 * 26)  # the same draw: 256 ≥ 78 latents, so all of them (None)
    assert negatives is None and torch.allclose(cpc_loss(out["predictions"], out["latents"]), loss)
    torch.manual_seed(2)
    sample = build_method("cpc", negatives=20).draw_negatives(78)
    assert sample.shape == (20,) and len(set(sample.tolist())) == 20 and sample.max() < 78
    # the context at t has heard only z_≤t: changing the clip's end leaves the early contexts as they were
    method.eval()
    later = sounds.inputs[:1].clone()
    later[:, 6000:] = 0
    early = method.predict(sounds.inputs[:1])["context"][:, :10], method.predict(later)["context"][:, :10]
    assert torch.allclose(*early)


def test_masked_spectrogram_hides_time_blocks_and_bands_and_scores_only_them(sounds):
    torch.manual_seed(0)
    method = build_method("masked_spectrogram", mask_ratio=0.5, time_block=8, frequency_masks=1, frequency_width=8)
    out = method.predict(sounds.inputs[:8])
    prediction, target, mask = out["prediction"], out["target"], out["mask"]
    assert prediction.shape == target.shape == mask.shape == (8, 40, 101)
    hidden_frames = mask.min(dim=1).values  # a frame hidden in every band
    assert ((hidden_frames.sum(dim=1) - 48).abs() <= 5).all()  # 6 of 13 blocks of 8 frames (the last has 5)
    assert torch.allclose(target.mean(dim=(1, 2)), torch.zeros(8), atol=1e-4)  # each clip standardised
    errors = method.errors(prediction, target, mask)
    assert errors["loss"].item() == pytest.approx(masked_mse(prediction[:, None], target[:, None], mask[:, None]).item())
    changed = torch.where(mask.bool(), prediction, prediction + 10)  # the visible cells cost nothing
    assert method.errors(changed, target, mask)["loss"].item() == pytest.approx(errors["loss"].item(), rel=1e-5)


def test_the_band_mean_baseline_fills_each_band_with_its_visible_mean():
    target = torch.tensor([[[1.0, 3.0, 100.0], [5.0, 5.0, 5.0]]])
    mask = torch.tensor([[[0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]])
    assert band_mean_baseline(target, mask).flatten().tolist() == [2.0, 0.0]  # a band hidden throughout: 0
    assert torch.allclose(standardise(target).std(), torch.tensor(1.0), atol=0.2)


def test_masked_spectrogram_reconstructs_a_batch_for_pictures(sounds):
    torch.manual_seed(0)
    method = build_method("masked_spectrogram")
    pictures = method.reconstruct(sounds.inputs[:2], seed=1)
    assert set(pictures) >= {"target", "masked", "prediction", "reconstruction", "mask", "hidden_mse", "band_mean_mse"}
    visible = ~pictures["mask"].bool()
    assert torch.equal(pictures["reconstruction"][visible], pictures["target"][visible])
    assert torch.equal(pictures["mask"], method.reconstruct(sounds.inputs[:2], seed=1)["mask"])  # a seed, one mask


# -- bad settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, settings, needle", [
    ("cola", {"segment_seconds": 0}, "segment_seconds must be a number of seconds > 0"),
    ("cola", {"segment_seconds": 0.01}, "shorter than one spectrogram window"),
    ("cola", {"gain_db": -3}, "gain_db must be ≥ 0"),
    ("cola", {"noise_db": (-10, -30)}, "low ≤ high ≤ 0"),
    ("cpc", {"prediction_steps": 0}, "prediction_steps is K"),
    ("cpc", {"negatives": 0}, "negatives is how many latents"),
    ("masked_spectrogram", {"mask_ratio": 1.0}, r"mask_ratio .* must be in \(0, 1\)"),
    ("masked_spectrogram", {"mask_ratio": 0}, r"must be in \(0, 1\)"),
    ("masked_spectrogram", {"time_block": 0}, "time_block must be a whole number"),
    ("masked_spectrogram", {"frequency_width": 40}, "frequency_width a number of mel bands in 0..39"),
    ("cpc", {"backbone": "small_cnn"}, "cpc reads waveforms and needs an audio backbone.*backbone='audio_cnn'"),
])
def test_bad_settings_fail_clearly(name, settings, needle):
    with pytest.raises(WorkbenchError, match=needle):
        build_method(name, **settings)


def test_what_the_clips_cannot_give_is_one_clear_error(sounds):
    short = sounds.inputs[:4, :2000]  # 0.25 s
    with pytest.raises(WorkbenchError, match=r"segments of 4000 samples \(0.5 s\) .* use segment_seconds ≤ 0.25"):
        build_method("cola").training_step(short)
    with pytest.raises(WorkbenchError, match="give only 7 latent frames: use prediction_steps ≤ 6"):
        build_method("cpc", prediction_steps=8).training_step(short)
    with pytest.raises(WorkbenchError, match="blocks of 16 frames .* only 26 spectrogram frames"):
        build_method("masked_spectrogram", time_block=16).training_step(short)
    with pytest.raises(WorkbenchError, match=r"waveforms of shape \(N, T\)"):
        build_method("cpc").training_step(torch.zeros(2, 40, 101))
    with pytest.raises(WorkbenchError, match="at least 2 samples"):
        build_method("cola").training_step(sounds.inputs[:1])


def test_training_on_data_at_another_sample_rate_is_refused_before_it_starts():
    data = AudioSet(torch.randn(8, 16000) * 0.1, torch.zeros(8, dtype=torch.long), ["x"], "sixteen", sample_rate=16_000)
    with pytest.raises(WorkbenchError, match="built for 8,000 Hz audio and 'sixteen' is sampled at 16,000 Hz"):
        train(build_method("cpc"), data, epochs=1, progress=False, device="cpu")


# -- each learns its question -------------------------------------------------------------------


FAST = {"batch_size": 64, "progress": False, "device": "cpu", "seed": 0}


def test_cola_learns_to_pick_out_the_other_segment(sounds):
    torch.manual_seed(0)
    history = train(build_method("cola"), sounds, epochs=6, **FAST)
    loss, accuracy = history.metric("loss", per="epochs"), history.metric("pretext_accuracy", per="epochs")
    assert loss[-1] < math.log(64) - 0.5, loss  # log 64: a model that cannot tell the clips apart
    assert accuracy[-1] > 5 / 64, accuracy  # chance: 1 in 64


def test_cpc_learns_to_pick_out_the_future(sounds):
    torch.manual_seed(0)
    history = train(build_method("cpc"), sounds, epochs=6, **FAST)
    loss, accuracy = history.metric("loss", per="epochs"), history.metric("pretext_accuracy", per="epochs")
    assert loss[-1] < 0.8 * loss[0], loss
    assert accuracy[-1] > 20 / (64 * 26), accuracy  # chance: 1 in 64 clips × 26 latents
    far = history.metric("accuracy_step_6", per="epochs")
    assert far[-1] > 20 / (64 * 26), far


def test_masked_spectrogram_beats_the_band_mean(sounds):
    torch.manual_seed(0)
    history = train(build_method("masked_spectrogram"), sounds, epochs=6, **FAST)
    loss, baseline = history.metric("loss", per="epochs"), history.metric("band_mean_mse", per="epochs")
    assert loss[-1] < 0.8 * loss[0], loss
    assert loss[-1] < baseline[-1], (loss, baseline)
