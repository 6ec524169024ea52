"""Small networks put on top of a backbone's features."""

from __future__ import annotations

from torch import nn


def projection_head(in_dim: int, hidden_dim: int = 512, out_dim: int = 128) -> nn.Sequential:
    """SimCLR's projection head g(·): Linear → BN → ReLU → Linear.

    The loss is computed on g(h); the features h before it are what we keep.
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )


def classifier(in_dim: int, num_classes: int) -> nn.Linear:
    return nn.Linear(in_dim, num_classes)
