"""data/digits.py: scikit-learn's handwritten digits in the shared 3×32×32 format,
split into a fixed, stratified 70/30."""

import torch

from sslworkbench.data import load_dataset
from sslworkbench.data.digits import load_digits


def test_digits(tmp_path):
    train = load_dataset("digits", "train", root=tmp_path)
    test = load_dataset("digits", "test", root=tmp_path)
    assert (len(train), len(test)) == (1257, 540)
    assert train.images.shape == (1257, 3, 32, 32) and train.images.dtype == torch.uint8
    assert train.classes == [str(d) for d in range(10)]
    assert set(train.labels.tolist()) == set(range(10)) == set(test.labels.tolist())
    assert load_dataset("digits", "test", n=25, root=tmp_path).images.shape == (25, 3, 32, 32)


def test_digits_split_is_fixed_stratified_and_grayscale():
    train, test = load_digits("train", image_size=8), load_digits("test", image_size=8)
    assert torch.equal(train.images, load_digits("train", image_size=8).images)  # the same split every time
    assert torch.equal(train.images[:, 0], train.images[:, 1]) and torch.equal(train.images[:, 0], train.images[:, 2])
    assert int(train.images.max()) == 255  # the 0..16 values are spread over 0..255
    # stratified: every class is split 70/30 (to within one image)
    train_counts, test_counts = torch.bincount(train.labels, minlength=10), torch.bincount(test.labels, minlength=10)
    assert ((test_counts - 0.3 * (train_counts + test_counts)).abs() <= 1).all(), (train_counts, test_counts)
