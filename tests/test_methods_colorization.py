"""methods/colorization.py: the model sees only lightness, colourises, and
refuses grayscale images."""
import pytest
import torch
from helpers import tiny_pretext as tiny

import sslworkbench as sw
from sslworkbench import WorkbenchError

DATA_SIZE = 256  # the `data` fixture (conftest.py): shapes' first 256 training images


def test_colorization_sees_only_lightness_and_colourises(data):
    method = tiny("colorization")
    seen = method.pretext_batch(data.images[:4])
    gray = seen["inputs"]
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    assert seen["targets"].shape == (4, 2, 32, 32)
    coloured = method.colorize(data.images[:4])
    assert coloured.shape == (4, 3, 32, 32) and 0 <= coloured.min() and coloured.max() <= 1
    # the lightness is kept: only the colour is the model's
    lab_in, lab_out = sw.pretext.rgb_to_lab(data.images[:4].float() / 255), sw.pretext.rgb_to_lab(coloured)
    assert (lab_in[:, 0] - lab_out[:, 0]).abs().mean() < 2.0


def test_colorization_refuses_grayscale_images():
    digits = sw.load_dataset("digits", "train", n=8)
    method = tiny("colorization", image_size=digits.image_size)
    with pytest.raises(WorkbenchError, match="grayscale"):
        method.training_step((digits.images, digits.labels))
