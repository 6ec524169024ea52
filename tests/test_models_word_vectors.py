"""models/word_vectors.py: one vector per word, averaged over a sequence."""

import pytest
import torch

from sslworkbench import WorkbenchError, build_backbone


def test_a_sequence_is_the_mean_of_its_words_vectors_specials_left_out():
    net = build_backbone("word_vectors", vocab_size=20, dim=4)
    tokens = torch.tensor([[2, 7, 9, 3, 0, 0]])
    assert torch.allclose(net(tokens)[0], net.vectors[[7, 9]].mean(0))
    assert net.vectors.shape == (20, 4) and net.feature_dim == 4


def test_ids_outside_the_vocabulary_are_refused():
    with pytest.raises(WorkbenchError, match="outside"):
        build_backbone("word_vectors", vocab_size=20, dim=4)(torch.tensor([[25]]))
