"""methods/relative_patch.py: the neighbour is at the target position."""
import torch
from helpers import tiny_pretext as tiny

from sslworkbench.views.pretext import NEIGHBOURS, grid_tiles

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
