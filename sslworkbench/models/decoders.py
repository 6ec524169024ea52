"""Small networks the generative pretext tasks put on a backbone: decoders
(features → image or per-pixel prediction), Pathak et al.'s channel-wise fully
connected layer, and a discriminator."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
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


class NextFrameDecoder(nn.Module):
    """(the last frame seen (N, 3, H, W), a clip's features (N, D)) → the next frame,
    by moving the last frame's pixels:

        v = W h                      a velocity (N, 2), in pixels per frame, from the features
        m = σ(CNN(x_t))              (N, 1, H, W): what moves — a small CNN on the frame itself
        x̂_{t+1}(p) = x_t(p − m(p)·v)  each pixel fetched from where it came from (bilinear)

    The frame says *what* is where; only the features can say *how it moves*, which
    one frame cannot show. So the decoder moves pixels, as video-prediction models
    with flow or transformations do (Finn, Goodfellow & Levine 2016; Patraucean et
    al. 2016), rather than painting the next frame from scratch: the pixels are
    given, and only their motion has to be learned. Notebook 12 measures its
    predictions against copying the last frame.
    ``v`` starts at zero: the decoder begins as the copy-last-frame baseline."""

    def __init__(self, feature_dim: int, width: int = 16, layers: int = 3):
        super().__init__()
        if layers < 1 or width < 1:
            raise WorkbenchError(f"NextFrameDecoder needs layers ≥ 1 and width ≥ 1 (got layers={layers}, width={width}).")
        convs = []
        for i in range(layers):
            convs += [nn.Conv2d(3 if i == 0 else width, width, 3, padding=1), nn.ReLU(inplace=True)]
        self.moves = nn.Sequential(*convs, nn.Conv2d(width, 1, 3, padding=1))
        self.velocity = nn.Linear(feature_dim, 2)
        nn.init.zeros_(self.velocity.weight)
        nn.init.zeros_(self.velocity.bias)

    def flow(self, frame: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """(N, 2, H, W): how far each pixel moves to the next frame, in pixels (x right, y down)."""
        return torch.sigmoid(self.moves(frame * 2 - 1)) * self.velocity(features)[:, :, None, None]

    def forward(self, frame: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        n, _, h, w = frame.shape
        flow = self.flow(frame, features)
        # where each pixel of the next frame comes from, in grid_sample's [-1, 1] coordinates
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, h, device=frame.device),
                                torch.linspace(-1, 1, w, device=frame.device), indexing="ij")
        source = torch.stack([xs - flow[:, 0] * 2 / (w - 1), ys - flow[:, 1] * 2 / (h - 1)], dim=-1)
        return F.grid_sample(frame, source, mode="bilinear", padding_mode="border", align_corners=True)
