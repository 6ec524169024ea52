"""methods/context_encoder.py: only the mask is blacked out and inpainted, the
adversarial mode trains both players, a mask must fit the image."""
import pytest
import torch
from helpers import tiny_pretext as tiny

from sslworkbench import WorkbenchError, build_method

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_context_encoder_blacks_out_only_the_mask_and_inpaints(data):
    method = tiny("context_encoder", mask="center", mask_size=12)
    images = data.images[:4]
    seen = method.pretext_batch(images)
    x, masks = images.float() / 255, seen["masks"]
    assert torch.equal(seen["inputs"] * (1 - masks), x * (1 - masks))
    assert (seen["inputs"][masks.expand(-1, 3, -1, -1) == 1] == 0.5).all()
    filled = method.inpaint(images)
    assert torch.equal(filled["inpainted"] * (1 - masks), x * (1 - masks))
    assert method.discriminator is None  # reconstruction only: no discriminator
    assert tiny("context_encoder", mode="joint").discriminator is not None


def test_adversarial_mode_trains_both_players_in_one_backward(data):
    method = tiny("context_encoder", mode="adversarial")
    out = method.training_step((data.images[:16], None))
    out["loss"].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in method.discriminator.parameters())
    assert method.backbone.blocks[0][0].weight.grad.abs().sum() > 0


def test_a_mask_larger_than_the_image_fails_clearly():
    with pytest.raises(WorkbenchError, match="mask size 40 does not fit 32×32"):
        build_method("context_encoder", mask_size=40)
