"""Backbones (the encoders being learned) and heads, by name.

    >>> from sslworkbench.models import build_backbone
    >>> net = build_backbone("small_cnn")
    >>> net.feature_dim          # 256
    >>> net(images).shape        # (N, 256); images float in [0, 1], (N, 3, H, W)
"""

from ..registry import Registry

BACKBONES = Registry("backbone")

from .backbones import ResNet18CIFAR, SmallCNN, build_backbone  # noqa: E402
from .heads import classifier, projection_head  # noqa: E402

__all__ = ["BACKBONES", "SmallCNN", "ResNet18CIFAR", "build_backbone", "projection_head", "classifier"]
