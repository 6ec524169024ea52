"""data/captioned_shapes.py: shapes with captions written from what drew them."""

import numpy as np
import pytest
import torch

from sslworkbench import WorkbenchError, load_dataset
from sslworkbench.data.captioned_shapes import COLOURS, HELD_OUT, captions_of, colour_names
from sslworkbench.data.shapes import CLASSES


def test_captions_name_the_shape_and_the_colour_the_image_shows():
    data = load_dataset("captioned_shapes", "test", n=200)
    assert data.kind == "image_text" and data.texts.shape == (200, 24) and data.images.shape == (200, 3, 32, 32)
    for i in range(200):
        caption = data.caption(i)
        assert f" {CLASSES[int(data.labels[i])]}" in f" {caption}"
        assert COLOURS[int(data.extras["colour"][i])] in caption.split()
    # every template is used, and the templates differ in word order
    assert len(set(data.extras["template"].tolist())) == 6
    # deterministic: the same seed gives the same captions
    again = load_dataset("captioned_shapes", "test", n=200)
    assert torch.equal(again.texts, data.texts) and torch.equal(again.images, data.images)


def test_colour_names_follow_the_rules_of_the_module_doc():
    index, names = colour_names([[1, 0, 0], [0.2, 0.45, 0.2], [0.1, 0.1, 0.1], [0.95, 0.95, 0.95], [0.5, 0.5, 0.55],
                                 [0.9, 0.7, 0.7], [0, 0, 1]])
    assert names == ["red", "dark green", "black", "white", "grey", "light red", "blue"]
    assert [COLOURS[i] for i in index] == ["red", "green", "black", "white", "grey", "red", "blue"]


def test_the_held_out_combinations_never_appear_in_training_but_do_in_test():
    held = {(CLASSES.index(s), COLOURS.index(c)) for s, c in HELD_OUT}
    assert len(held) == len(CLASSES) and {c for _, c in held} == set(range(8))  # one per shape, every hue name
    train = load_dataset("captioned_shapes", "train", n=400)
    pairs = set(zip(train.labels.tolist(), train.extras["colour"].tolist()))
    assert len(train) == 400 and not pairs & held and int(train.extras["held_out"].sum()) == 0
    test = load_dataset("captioned_shapes", "test", n=400)
    marked = test.extras["held_out"].bool()
    assert 0 < int(marked.sum()) < 400
    assert all((label, colour) in held for label, colour in
               zip(test.labels[marked].tolist(), test.extras["colour"][marked].tolist()))
    everything = load_dataset("captioned_shapes", "train", n=400, holdout=False)
    assert int(everything.extras["held_out"].sum()) > 0


def test_captions_need_a_shapes_split_and_a_sensible_length():
    digits = load_dataset("digits", "test", n=10)
    with pytest.raises(WorkbenchError, match="shapes split"):
        captions_of(digits)
    with pytest.raises(WorkbenchError, match="length"):
        load_dataset("captioned_shapes", "test", n=10, length=4)
    with pytest.raises(WorkbenchError, match="longer than length"):
        load_dataset("captioned_shapes", "test", n=50, length=10)


def test_a_paired_batch_with_mismatched_counts_is_one_clear_error():
    data = load_dataset("captioned_shapes", "test", n=8)
    with pytest.raises(WorkbenchError, match="8 images but 5 captions"):
        data.check((data.images, data.texts[:5]), "a batch")
    assert np.isclose(float(data.texts[:, 0].eq(2).float().mean()), 1.0)  # every caption starts with [CLS]


def test_the_images_alone_are_an_image_set_for_image_methods():
    pairs = load_dataset("captioned_shapes", "test", n=12)
    images = pairs.image_set()
    assert images.kind == "images" and torch.equal(images.images, pairs.images)
    assert torch.equal(images.labels, pairs.labels) and images.classes == pairs.classes
