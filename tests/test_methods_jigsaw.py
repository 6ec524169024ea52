"""methods/jigsaw.py: puzzles are the tiles in a permuted order, can be solved
back, and the permutation set survives a checkpoint."""
import torch
from helpers import tiny_pretext as tiny

import sslworkbench as sw

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_jigsaw_puzzles_are_the_tiles_in_permuted_order_and_can_be_solved_back(data):
    method = tiny("jigsaw", jitter=False)
    images = data.images[:6]
    seen = method.pretext_batch(images)
    assert seen["inputs"].shape == (6, 9, 3, 8, 8)
    order = method.permutations[seen["targets"]]
    for n in range(6):
        for position in range(9):
            assert torch.equal(seen["inputs"][n, position], seen["tiles"][n, order[n, position]])
    assert torch.equal(method.unshuffle(seen["inputs"], seen["targets"]), seen["tiles"])
    solved = method.solve(images)
    assert solved["puzzle"].shape == solved["solved"].shape == (6, 3, 26, 26)
    assert method.permutations.shape == (24, 9)


def test_checkpoint_round_trip_keeps_the_permutation_set(data, tmp_path):
    method = tiny("jigsaw")
    sw.train(method, data.subset(32), epochs=1, batch_size=16, progress=False, device="cpu", checkpoint=tmp_path / "j.pt")
    loaded = sw.load_method(tmp_path / "j.pt")
    assert torch.equal(loaded.permutations, method.permutations)
    images = data.images[:4].float() / 255
    method.eval(), loaded.eval()
    assert torch.allclose(loaded.backbone(images), method.backbone(images))
