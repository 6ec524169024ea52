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


def predictor_head(in_dim: int, hidden_dim: int = 512, out_dim: int | None = None) -> nn.Sequential:
    """BYOL's / SimSiam's predictor q(·): Linear → BN → ReLU → Linear.

    It maps one view's projection to a prediction of the other's; with a
    stop-gradient on the target it is what keeps these methods from collapsing.
    ``out_dim`` defaults to ``in_dim`` (a prediction lives in projection space).
    """
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim or in_dim),
    )
