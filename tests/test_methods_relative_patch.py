"""methods/relative_patch.py: the neighbour is at the target position; pixelation (a training-time
defence) shrinks and restores the chosen patches."""
import pytest
import torch
from helpers import tiny_pretext as tiny

from sslworkbench import WorkbenchError
from sslworkbench.views.pretext import NEIGHBOURS, grid_tiles, pixelate

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_relative_patch_neighbour_is_at_the_target_position(data):
    method = tiny("relative_patch", jitter=False, color="none")
    images = data.images[:16]
    torch.manual_seed(3)
    seen = method.pretext_batch(images)
    tiles = grid_tiles(images.float() / 255, 3, 8, jitter=False)
    for n in range(16):
        dy, dx = NEIGHBOURS[seen["targets"][n]]
        assert torch.equal(seen["centre"][n], tiles[n, 4])
        assert torch.equal(seen["neighbour"][n], tiles[n, 4 + 3 * dy + dx])
    assert method.predict(seen["centre"], seen["neighbour"]).shape == (16,)
    assert 0 <= method.pretext_accuracy(images) <= 1


def test_pixelate_shrinks_the_chosen_patches_and_keeps_the_others():
    torch.manual_seed(0)
    patches = torch.rand(200, 3, 8, 8)
    out = pixelate(patches, probability=0.5, smallest=3)
    changed = (out != patches).flatten(1).any(1)
    assert 0.35 < changed.float().mean() < 0.65          # about half the patches
    assert torch.equal(out[~changed], patches[~changed])  # the others untouched
    # a pixelated patch keeps its mean colour (area averaging, then bilinear back up) and loses detail
    assert torch.allclose(out[changed].mean(dim=(2, 3)), patches[changed].mean(dim=(2, 3)), atol=0.06)
    assert out[changed].std(dim=(2, 3)).mean() < 0.8 * patches[changed].std(dim=(2, 3)).mean()
    assert torch.equal(pixelate(patches, 0.0, 3), patches)
    # 2-pixel patches can only shrink to 1 pixel: back up, one flat colour per channel, the patch's mean
    tiny_patches = torch.rand(4, 3, 2, 2)
    flat = pixelate(tiny_patches, 1.0, 1)
    assert torch.allclose(flat, tiny_patches.mean(dim=(2, 3), keepdim=True).expand_as(flat), atol=1e-6)


def test_pixelation_is_a_training_defence_with_checked_settings(data):
    method = tiny("relative_patch", pixelate=1.0, pixelate_smallest=2)
    out = method.training_step(data.images[:16])
    assert torch.isfinite(out["loss"])
    for bad in ({"pixelate": 1.5}, {"pixelate_smallest": 8}, {"pixelate_smallest": 0}):
        with pytest.raises(WorkbenchError, match="pixelate"):
            tiny("relative_patch", **bad)
