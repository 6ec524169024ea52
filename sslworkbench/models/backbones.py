"""Encoders. Each takes float images in [0, 1] of shape (N, 3, H, W), returns
features (N, feature_dim), and exposes ``.feature_dim``.

Input normalisation lives inside the backbone, so training, ``embed`` and a
learner's own code all feed it the same thing: plain [0, 1] images.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError


class Normalize(nn.Module):
    """(x - mean) / std per channel; mean and std are buffers (saved, not trained)."""

    def __init__(self, mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def conv_block(in_channels: int, out_channels: int, downsample: bool) -> nn.Sequential:
    layers = [
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]
    if downsample:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """The CPU default: ``depth`` conv–BN–ReLU blocks, channels doubling from
    ``width``, 2×2 max-pooling after each but the last, then global average pooling.

    Width 32, depth 4: channels 32-64-128-256, 256-dim features, 0.4 M weights.
    """

    input_kind = "images"
    fixed_image_size = False   # convolutions and global pooling read any size

    def __init__(self, width: int = 32, depth: int = 4, image_size: int | None = None):
        super().__init__()
        if width < 1 or depth < 1:
            raise WorkbenchError(f"SmallCNN needs width ≥ 1 and depth ≥ 1 (got width={width}, depth={depth}).")
        channels = [3] + [width * 2**i for i in range(depth)]
        self.normalize = Normalize()
        self.blocks = nn.Sequential(
            *(conv_block(channels[i], channels[i + 1], downsample=i < depth - 1) for i in range(depth))
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.feature_dim = channels[-1]
        self.image_size = image_size   # the size it is built (and trained) for; None: not said

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.pool(self.blocks(self.normalize(images))).flatten(1)


class ResNet18CIFAR(nn.Module):
    """torchvision's ResNet-18 with the CIFAR stem: a 3×3 stride-1 first
    convolution and no max-pool (as in the SimCLR paper's CIFAR-10 experiments).
    512-dim features."""

    input_kind = "images"
    fixed_image_size = False

    def __init__(self, image_size: int | None = None):
        super().__init__()
        from torchvision.models import resnet18

        net = resnet18(weights=None)
        net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        net.maxpool = nn.Identity()
        net.fc = nn.Identity()
        self.normalize = Normalize()
        self.net = net
        self.feature_dim = 512
        self.image_size = image_size

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(self.normalize(images))
