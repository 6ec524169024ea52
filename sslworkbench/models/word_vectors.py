"""One vector per word: the backbone of word2vec.

    tokens (N, L) ──► a vector per token (N, L, D) ──► mean over the text tokens ──► (N, D)

As a backbone it turns a whole sequence into the average of its words' vectors
(a "bag of vectors"), so word vectors are probed like any other features;
``vectors`` is the (vocabulary, D) table itself, for neighbours and analogies.
Special tokens ([PAD], [CLS], [SEP], … ids below ``first_word_id``) are left out
of the average.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError


class WordVectors(nn.Module):
    input_kind = "tokens"

    def __init__(self, vocab_size: int = 8000, dim: int = 100, first_word_id: int = 5, vocab_id: str | None = None):
        super().__init__()
        if not (isinstance(vocab_size, int) and vocab_size > first_word_id):
            raise WorkbenchError(f"vocab_size must be an integer > {first_word_id} (got {vocab_size!r}).")
        self.embedding = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.embedding.weight, -0.5 / dim, 0.5 / dim)  # word2vec's initialisation
        self.first_word_id, self.vocab_id, self.feature_dim = first_word_id, vocab_id, dim
        self.vocab_size = vocab_size

    @property
    def vectors(self) -> torch.Tensor:
        return self.embedding.weight

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.numel() and int(tokens.max()) >= self.embedding.num_embeddings:
            raise WorkbenchError(f"Token id {int(tokens.max())} is outside this model's vocabulary of {self.embedding.num_embeddings}.")
        words = (tokens >= self.first_word_id).unsqueeze(-1).float()
        return (self.embedding(tokens) * words).sum(1) / words.sum(1).clamp(min=1)
