"""A backbone for video clips: a CNN on every frame, then a few layers over time.

    clips (N, T, 3, H, W) ──► a small CNN on each frame ──► (N, T, D) frame features
          ──► + 1-D convolutions over time of [f_t, f_t − f_{t−1}] (kernel 3, dilations 1, 2, …)
          ──► mean over time ──► (N, D) clip features

The frame CNN can only see what is in one frame (shape, colour, where the object
is); the temporal layers see neighbouring frames' features together, so they can
compute how things change (direction and speed of motion, spin). Their output
is added to the frame features and starts at zero: untrained, the clip feature
is the mean of the frame features, so a method that trains on single frames
(temporal contrast) still gives sensible clip features.

The frame CNN's default width is 16 (features of 128 dims): a clip is 16 frames,
and at width 16 a 2-core CPU trains ~2,400 frames/s against ~500 at width 32.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError
from .backbones import SmallCNN


class TemporalLayers(nn.Module):
    """What changes over time: 1-D convolutions over the frame features f_t *and*
    their change since the previous frame, f_t − f_{t−1} (0 at the first frame):

        g_t = W ∗ ReLU(BN(V_k ∗ … ReLU(BN(V_1 ∗ [f, Δf])) …))     kernel 3, dilations 1, 2, 4, …

    Why the differences: speed is the size of a change and the arrow of time a
    change of speed, and a convolution over f alone must first learn to subtract
    neighbouring frames; given Δf, speed and its change are a linear read-out.
    Padding repeats the end frames (a clip does not stop moving at its ends). W
    starts at zero: untrained, g = 0."""

    def __init__(self, dim: int, layers: int = 2):
        super().__init__()
        # the changes are much smaller than the features (~8× in an untrained frame encoder):
        # normalising each input channel lets the first layer weigh them equally
        convs, channels = [nn.BatchNorm1d(2 * dim)], 2 * dim
        for i in range(layers):
            convs += [nn.Conv1d(channels, dim, 3, padding=2**i, dilation=2**i, padding_mode="replicate", bias=False),
                      nn.BatchNorm1d(dim), nn.ReLU(inplace=True)]
            channels = dim
        self.convs = nn.Sequential(*convs)
        self.out = nn.Conv1d(dim, dim, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:  # (N, D, T) → (N, D, T)
        change = torch.cat([torch.zeros_like(features[:, :, :1]), features.diff(dim=2)], dim=2)
        return self.out(self.convs(torch.cat([features, change], dim=1)))


class FrameEncoder(nn.Module):
    """One frame (N, 3, H, W) → (N, dim): the small CNN's conv blocks, then its
    feature map averaged to a ``grid``×``grid`` map, flattened, and a linear layer.

    Not global average pooling (what the image backbones do): that would keep
    *what* is in the frame and throw away *where* it is, and motion is a change
    of where: frame order and the arrow of time need the where."""

    def __init__(self, width: int = 16, depth: int = 4, dim: int = 128, grid: int = 4):
        super().__init__()
        self.cnn = SmallCNN(width, depth)
        self.grid = nn.AdaptiveAvgPool2d(grid)
        self.linear = nn.Linear(self.cnn.feature_dim * grid * grid, dim)
        self.feature_dim = dim

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.linear(self.grid(self.cnn.blocks(self.cnn.normalize(frames))).flatten(1))


class VideoCNN(nn.Module):
    """Clips (N, T, 3, H, W), float in [0, 1], of any length T ≥ 1 → (N, D) features."""

    input_kind = "clips"
    fixed_image_size = False

    def __init__(self, width: int = 16, depth: int = 4, dim: int = 128, temporal_layers: int = 2,
                 image_size: int | None = None):
        super().__init__()
        if not (isinstance(temporal_layers, int) and temporal_layers >= 0):
            raise WorkbenchError(f"temporal_layers must be an integer ≥ 0 (got {temporal_layers!r}).")
        self.frame_encoder = FrameEncoder(width, depth, dim)
        self.feature_dim = dim
        self.image_size = image_size   # the frames' size it is built (and trained) for; None: not said
        self.temporal = TemporalLayers(dim, temporal_layers) if temporal_layers else None

    def frame_features(self, clips: torch.Tensor) -> torch.Tensor:
        """(N, T, D): the frame encoder's features of every frame, on its own."""
        if clips.dim() != 5 or clips.shape[2] != 3:
            got = tuple(clips.shape)
            hint = " (one image per sample? give clips of one frame: images.unsqueeze(1))" if clips.dim() == 4 else ""
            raise WorkbenchError(f"video_cnn reads clips of shape (N, T, 3, H, W); got {got}{hint}.")
        n, t = clips.shape[:2]
        return self.frame_encoder(clips.flatten(0, 1)).view(n, t, -1)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        features = self.frame_features(clips).transpose(1, 2)  # (N, D, T): Conv1d's layout
        if self.temporal is not None:
            features = features + self.temporal(features)
        return features.mean(dim=2)
