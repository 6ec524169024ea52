"""models/token_cnn.py: the backbone for token sequences."""

import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.models import TokenCNN


def test_token_ids_become_one_feature_vector_per_sequence():
    net = TokenCNN(vocab_size=20, embedding_dim=8, width=16, depth=2)
    tokens = torch.randint(0, 20, (5, 12))
    assert net.feature_dim == 16 and net.input_kind == "tokens"
    assert net(tokens).shape == (5, 16)
    assert net(tokens[:, :7]).shape == (5, 16)  # any length: features are averaged over positions


def test_the_order_of_the_tokens_matters():
    torch.manual_seed(0)
    net = TokenCNN(vocab_size=20, embedding_dim=8, width=16).eval()
    tokens = torch.tensor([[3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        assert not torch.allclose(net(tokens), net(tokens.flip(1)), atol=1e-4)  # a bag of words could not tell


@pytest.mark.parametrize("vocab_size", [1, 2.5, "62"])
def test_a_bad_vocabulary_size_is_one_clear_error(vocab_size):
    with pytest.raises(WorkbenchError, match="vocab_size"):
        TokenCNN(vocab_size=vocab_size)
