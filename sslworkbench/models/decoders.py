"""Small networks the generative pretext tasks put on a backbone: decoders
(features → image or per-pixel prediction), Pathak et al.'s channel-wise fully
connected layer, and a discriminator."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import WorkbenchError
from ..runtime import eval_mode
from .backbones import ResNet18CIFAR, SmallCNN


def feature_map(backbone: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The backbone's last spatial feature map, before global pooling:
    (N, C, H/8, W/8) for the small CNN (depth 4), (N, 512, H/8, W/8) for ResNet-18.
    Pooling it over space gives ``backbone(images)``."""
    if isinstance(backbone, SmallCNN):
        return backbone.blocks(backbone.normalize(images))
    if isinstance(backbone, ResNet18CIFAR):
        net = backbone.net
        x = net.relu(net.bn1(net.conv1(backbone.normalize(images))))
        return net.layer4(net.layer3(net.layer2(net.layer1(x))))
    raise WorkbenchError(
        f"This task needs the backbone's spatial feature map, which is defined for small_cnn and resnet18, "
        f"not {type(backbone).__name__}."
    )


def feature_map_size(backbone: nn.Module, image_size: int) -> tuple[int, int]:
    """(channels, side) of :func:`feature_map` for ``image_size`` inputs (measured with one pass)."""
    with eval_mode(backbone), torch.no_grad():
        probe = torch.zeros(1, 3, image_size, image_size, device=next(backbone.parameters()).device)
        shape = feature_map(backbone, probe).shape
    return shape[1], shape[-1]


def up_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """×2 nearest upsampling, then conv–BN–ReLU."""
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class ConvDecoder(nn.Module):
    """(N, C, s, s) → (N, out_channels, out_size, out_size): up-blocks that halve
    the channels (from ``width``) while doubling the side, then a 3×3 conv.
    ``out_size / s`` must be a power of two (below 1: the map is average-pooled down)."""

    def __init__(self, in_channels: int, in_size: int, out_size: int, out_channels: int, width: int = 64):
        super().__init__()
        steps = round(math.log2(out_size / in_size))
        if 2.0**steps * in_size != out_size:
            raise WorkbenchError(
                f"A decoder from {in_size}×{in_size} to {out_size}×{out_size} needs a power-of-two ratio; "
                f"use an image size that is a power of two times {in_size} (e.g. 32)."
            )
        layers, channels = [], in_channels
        if steps < 0:  # a shallow backbone's map is larger than the output: average it down
            layers.append(nn.AvgPool2d(2**-steps))
        for i in range(steps):
            out = max(width // 2**i, 16)
            layers.append(up_block(channels, out))
            channels = out
        layers.append(nn.Conv2d(channels, out_channels, 3, padding=1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class VectorDecoder(nn.Module):
    """A feature vector (N, D) → an image-shaped output: Linear to a
    (C, s, s) map, ReLU, then a :class:`ConvDecoder` up to ``out_size``."""

    def __init__(self, in_dim: int, out_size: int, out_channels: int = 3, start_size: int = 4, width: int = 64):
        super().__init__()
        self.start = (width, start_size)
        self.linear = nn.Sequential(nn.Linear(in_dim, width * start_size * start_size), nn.ReLU(inplace=True))
        self.decoder = ConvDecoder(width, start_size, out_size, out_channels, width)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        width, side = self.start
        return self.decoder(self.linear(z).view(-1, width, side, side))


class ChannelWiseFC(nn.Module):
    """Pathak et al.'s bottleneck: each channel's s×s map goes through its own
    fully connected layer (s² → s², no mixing of channels: C·s⁴ weights instead
    of a full layer's C²·s⁴), then a 1×1 convolution mixes the channels. It lets
    every output position see the whole context, which a convolution cannot."""

    def __init__(self, channels: int, side: int):
        super().__init__()
        area = side * side
        self.weight = nn.Parameter(torch.randn(channels, area, area) / math.sqrt(area))
        self.bias = nn.Parameter(torch.zeros(channels, area))
        self.mix = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.BatchNorm2d(channels), nn.ReLU(inplace=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        y = torch.einsum("nci,cij->ncj", x.reshape(n, c, h * w), self.weight) + self.bias
        return self.mix(torch.relu(y).view(n, c, h, w))


class Discriminator(nn.Module):
    """A DCGAN-style critic: stride-2 4×4 convs with LeakyReLU (no BatchNorm, so
    that real and fake batches do not mix statistics) down to 4×4, then one logit."""

    def __init__(self, image_size: int = 32, width: int = 32):
        super().__init__()
        layers, channels, side = [], 3, image_size
        while side > 4:
            layers += [nn.Conv2d(channels, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            channels, width, side = width, width * 2, side // 2
        self.features = nn.Sequential(*layers)
        self.logit = nn.Linear(channels * side * side, 1)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logit(self.features(images * 2 - 1).flatten(1)).squeeze(1)
