"""A small backbone for token sequences: embeddings, then 1-D convolutions.

    tokens (N, L) ──► embedding (N, L, E) ──► [conv k=3 → BN → ReLU] × depth ──► mean over L ──► (N, width)

Each convolution reads three neighbouring positions, so two layers see five
tokens at once: enough to read the order of a short phrase, which a bag of
words cannot (see ``data/motifs.py``). The small CNN of the image backbones,
turned on its side. (The course's transformer for text comes with the text notebooks.)
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError


class TokenCNN(nn.Module):
    input_kind = "tokens"

    def __init__(self, vocab_size: int = 62, embedding_dim: int = 64, width: int = 128, depth: int = 2,
                 vocab_id: str | None = None):
        super().__init__()
        if not (isinstance(vocab_size, int) and vocab_size >= 2):
            raise WorkbenchError(f"vocab_size must be an integer ≥ 2 (got {vocab_size!r}).")
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        layers, channels = [], embedding_dim
        for _ in range(depth):
            layers += [nn.Conv1d(channels, width, 3, padding=1, bias=False), nn.BatchNorm1d(width), nn.ReLU(inplace=True)]
            channels = width
        self.convolutions = nn.Sequential(*layers)
        self.feature_dim = width
        self.vocab_size, self.vocab_id = vocab_size, vocab_id

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens).transpose(1, 2)  # (N, E, L): channels first, as Conv1d wants
        return self.convolutions(x).mean(dim=2)
