"""methods/rotation.py: what the model sees (all four rotations), and that it
learns which way is up on held-out images."""
import torch
from helpers import tiny_pretext as tiny

import sslworkbench as sw
from sslworkbench.views.pretext import rotate

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_rotation_shows_all_four_rotations(data):
    method = tiny("rotation")
    images = data.images[:5]
    seen = method.pretext_batch(images)
    assert seen["inputs"].shape == (20, 3, 32, 32) and seen["targets"].tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    back = rotate(seen["inputs"], (4 - seen["targets"]) % 4)
    assert torch.allclose(back, images.float().div(255).repeat(4, 1, 1, 1))
    assert method.predict(images).shape == (5,)


# (That the features then beat random init on shapes needs 10,000 images and a few
# CPU minutes per task, too slow for a unit test: on 256–2,000 images every probe,
# random init and raw pixels included, is near chance. Here: the task itself is
# learned, measured on held-out images.)


def test_rotation_learns_to_tell_which_way_is_up_on_held_out_digits():
    train_set, test_set = sw.load_dataset("digits", "train", n=384), sw.load_dataset("digits", "test", n=200)
    method = tiny("rotation")
    sw.train(method, train_set, epochs=3, batch_size=32, seed=0, progress=False, device="cpu")
    seen = method.pretext_batch(test_set.images)
    method.eval()
    with torch.no_grad():
        accuracy = (method.logits(seen["inputs"]).argmax(1) == seen["targets"]).float().mean().item()
    assert accuracy > 0.45  # chance: 0.25
