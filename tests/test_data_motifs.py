"""data/motifs.py: the first dataset that is not images."""

import torch

import sslworkbench as sw
from sslworkbench.data.motifs import MARKERS, class_orders


def test_motifs_classes_share_their_words_and_differ_in_order():
    data = sw.load_dataset("motifs", "train", n=300)
    assert data.inputs.shape == (300, 32) and data.num_classes == 10
    orders = class_orders()
    assert len(set(orders)) == 10 and all(sorted(order) == sorted(MARKERS) for order in orders)
    for row in range(20):  # the class's motif is in the sequence, in its order
        assert data.classes[data.labels[row]] in data.decode(data.inputs[row])
    assert torch.equal(data.inputs, sw.load_dataset("motifs", "train", n=300).inputs)
    assert not torch.equal(data.inputs[:50], sw.load_dataset("motifs", "test", n=50).inputs)
