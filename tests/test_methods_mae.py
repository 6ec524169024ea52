"""methods/mae.py: the masked autoencoder on the tiny ViT."""

import pytest
import torch

from sslworkbench import WorkbenchError, build_method, load_dataset, train
from sslworkbench.losses import masked_patch_mse
from sslworkbench.methods.mae import normalised_patches, random_masking

TINY = {"backbone_options": {"width": 16, "depth": 1, "heads": 2}, "decoder_width": 16, "decoder_heads": 2}


def tiny_mae(**settings):
    torch.manual_seed(0)
    return build_method("mae", **{**TINY, **settings})


def test_random_masking_hides_the_ratio_of_patches_differently_per_image():
    keep, mask = random_masking(5, 64, 0.75, generator=torch.Generator().manual_seed(0))
    assert keep.shape == (5, 16) and mask.shape == (5, 64)
    assert torch.equal(mask.sum(1), torch.full((5,), 48.0))
    assert (mask.gather(1, keep) == 0).all()  # the kept patches are the visible ones
    assert len({tuple(row.sort().values.tolist()) for row in keep}) == 5
    assert random_masking(2, 64, 0.999)[0].shape == (2, 1)  # at least one patch stays visible


@pytest.mark.parametrize("ratio", [0, 1, 1.5, -0.2, "0.75"])
def test_a_mask_ratio_outside_0_1_is_refused(ratio):
    with pytest.raises(WorkbenchError, match=r"mask_ratio .* must be in \(0, 1\)"):
        tiny_mae(mask_ratio=ratio)
    with pytest.raises(WorkbenchError, match=r"must be in \(0, 1\)"):
        build_method("mae", **TINY).reconstruct(torch.zeros(1, 3, 32, 32), mask_ratio=ratio)


def test_the_encoder_sees_only_the_visible_patches():
    method = tiny_mae()
    seen = []
    original = method.backbone.encode
    method.backbone.encode = lambda tokens: seen.append(tokens.shape) or original(tokens)
    images = load_dataset("shapes", "train", n=4).images
    out = method.training_step((images, None))
    assert seen == [torch.Size([4, 16, 16])]  # 25% of 64 patches, [CLS] added inside
    assert torch.isfinite(out["loss"]) and "visible_patch_mse" in out


def test_the_loss_counts_hidden_patches_only():
    prediction, target = torch.zeros(2, 4, 3), torch.ones(2, 4, 3)
    mask = torch.tensor([[1.0, 0, 0, 0], [0, 1, 0, 0]])
    assert masked_patch_mse(prediction, target, mask) == 1.0
    target[0, 1:] = 7  # visible patches: anything goes
    target[1, [0, 2, 3]] = 7
    assert masked_patch_mse(prediction, target, mask) == 1.0
    with pytest.raises(WorkbenchError, match="no patch is hidden"):
        masked_patch_mse(prediction, target, torch.zeros(2, 4))
    with pytest.raises(WorkbenchError, match="mask of shape"):
        masked_patch_mse(prediction, target, torch.ones(2, 3))


def test_normalised_targets_have_zero_mean_and_unit_spread_per_patch():
    patches = normalised_patches(torch.rand(3, 5, 48) * 4 + 2)
    assert torch.allclose(patches.mean(-1), torch.zeros(3, 5), atol=1e-5)
    assert torch.allclose(patches.std(-1), torch.ones(3, 5), atol=1e-3)


def test_reconstruct_keeps_the_visible_patches_and_fills_the_hidden_ones():
    method = tiny_mae(normalise_targets=False)
    images = load_dataset("shapes", "train", n=3).images
    pictures = method.reconstruct(images, mask_ratio=0.5, seed=1)
    x = images.float() / 255
    visible = 1 - pictures["mask"]
    assert pictures["mask"].mean() == 0.5
    assert torch.allclose(pictures["reconstruction"] * visible, x * visible, atol=1e-6)
    assert torch.allclose(pictures["reconstruction"] * pictures["mask"], pictures["prediction"] * pictures["mask"])
    assert torch.equal(pictures["masked"] * pictures["mask"], (0.5 * pictures["mask"]).expand(-1, 3, -1, -1))
    assert torch.equal(method.reconstruct(images, 0.5, seed=1)["mask"], pictures["mask"])  # seeded
    assert {"hidden_mse", "visible_mse"} <= set(pictures)


def test_training_lowers_the_loss_on_hidden_patches():
    data = load_dataset("shapes", "train", n=64)
    method = tiny_mae(normalise_targets=False)  # raw pixels: their colours are learned within a few steps
    history = train(method, data, epochs=6, batch_size=16, lr=3e-3, progress=False, device="cpu")
    first, last = history.epochs[0]["loss"], history.epochs[-1]["loss"]
    assert last < 0.9 * first


def test_mae_needs_a_vision_transformer():
    with pytest.raises(WorkbenchError, match="backbone 'small_cnn' cannot. Use backbone='vit'"):
        build_method("mae", backbone="small_cnn")
