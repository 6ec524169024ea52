"""A tiny vision transformer (Dosovitskiy et al. 2021), to be read top to bottom.

    images (N, 3, 32, 32) ──► cut into 4×4 patches, each linearly embedded     (N, 64, width)
                          ──► + a fixed 2-D sine–cosine position embedding
                          ──► [CLS] token in front                             (N, 65, width)
                          ──► the text model's pre-norm blocks × depth
                          ──► norm ──► the [CLS] state (or the patches' mean)  (N, width)

The blocks are ``transformer.Block``, the very blocks of the text model: a
sentence and an image differ only in how they become a sequence of tokens.

Three ways in, for the methods that need more than ``forward``:

    patch_tokens(images)     (N, P, width): embedded patches with their positions
    encode(tokens)           [CLS] + any subset of patch tokens → (N, 1 + k, width)
                             (MAE's encoder sees only the visible quarter)
    attention_maps(images)   (N, heads, grid, grid): where the [CLS] token looks in
                             the last block (DINO's attention maps)

Why fixed sine–cosine positions (MAE's choice) rather than learned ones: with
only ten thousand 32×32 images there is little data to learn 64 positions
from, and the fixed table ties the model to one grid — an image of another
size is refused with a clear error instead of silently read with wrong positions.

Defaults (patch 4, width 96, depth 4, 4 heads, MLP ×2): 0.30 M weights, about as
many as the small CNN's 0.39 M, sized so that the two train at a similar speed on a
CPU: ``sslworkbench bench --backbones small_cnn vit`` prints both.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import WorkbenchError
from .backbones import Normalize
from .transformer import Block, init_weights

POOLS = ("cls", "mean")


def sincos_positions(grid: int, width: int) -> torch.Tensor:
    """(grid², width): half of the channels encode the row, half the column, each
    as sin/cos at geometrically spaced frequencies (Vaswani et al. 2017, in 2-D)."""
    if width % 4:
        raise WorkbenchError(f"A 2-D sine–cosine position embedding needs width divisible by 4 (got {width}).")
    frequencies = 1.0 / 10000 ** (torch.arange(width // 4, dtype=torch.float64) / (width // 4))
    rows, columns = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")

    def encode(position):
        angles = position.reshape(-1, 1).double() * frequencies
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    return torch.cat([encode(rows), encode(columns)], dim=1).float()


class ViT(nn.Module):
    """A vision transformer over ``patch_size``-pixel patches of ``image_size`` images."""

    input_kind = "images"
    fixed_image_size = True   # one position grid: it reads ``image_size`` images only

    def __init__(
        self,
        image_size: int = 32,
        patch_size: int = 4,
        width: int = 96,
        depth: int = 4,
        heads: int = 4,
        mlp_ratio: int = 2,
        dropout: float = 0.0,
        pool: str = "cls",
    ):
        super().__init__()
        if not (isinstance(patch_size, int) and isinstance(image_size, int) and 0 < patch_size <= image_size):
            raise WorkbenchError(f"patch_size and image_size must be whole numbers of pixels, patch ≤ image (got {patch_size}, {image_size}).")
        if image_size % patch_size:
            raise WorkbenchError(
                f"patch_size {patch_size} does not divide the {image_size}-pixel image: the patches must tile it "
                f"exactly (e.g. patch_size {_divisor_near(image_size, patch_size)})."
            )
        if width % heads:
            raise WorkbenchError(f"width ({width}) must be a multiple of heads ({heads}).")
        if pool not in POOLS:
            raise WorkbenchError(f"pool must be one of {POOLS} (got {pool!r}).")
        self.patch_size, self.grid, self.pool, self.heads = patch_size, image_size // patch_size, pool, heads
        self._image_size = image_size
        self.normalize = Normalize()
        self.patch_embedding = nn.Conv2d(3, width, patch_size, stride=patch_size)  # one linear map per patch
        self.register_buffer("position_embedding", sincos_positions(self.grid, width), persistent=False)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.blocks = nn.ModuleList(Block(width, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.feature_dim = width
        self.apply(init_weights)
        nn.init.normal_(self.cls_token, std=0.02)

    @property
    def image_size(self) -> int:
        return self._image_size

    @property
    def num_patches(self) -> int:
        return self.grid * self.grid

    def check(self, images: torch.Tensor) -> None:
        if images.dim() != 4 or images.shape[1] != 3 or images.shape[-2:] != (self._image_size, self._image_size):
            got = tuple(images.shape)
            raise WorkbenchError(
                f"This ViT was built for (N, 3, {self._image_size}, {self._image_size}) images and got {got}: its "
                f"position embedding knows a {self.grid}×{self.grid} grid of patches only. Resize the data "
                f"(data.resized({self._image_size})) or build the ViT with image_size={got[-1]}."
            )

    def patch_tokens(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) in [0, 1] → (N, P, width): each patch embedded, its position added."""
        self.check(images)
        patches = self.patch_embedding(self.normalize(images)).flatten(2).transpose(1, 2)
        return patches + self.position_embedding.to(patches.dtype)

    def with_cls(self, tokens: torch.Tensor) -> torch.Tensor:
        """The [CLS] token in front of the patch tokens: (N, k, width) → (N, 1 + k, width)."""
        return torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1).to(tokens.dtype), tokens], dim=1)

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """[CLS] + the given patch tokens (N, k, width) → states (N, 1 + k, width)."""
        x = self.with_cls(tokens)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        states = self.encode(self.patch_tokens(images))
        return states[:, 0] if self.pool == "cls" else states[:, 1:].mean(1)

    @torch.no_grad()
    def attention_maps(self, images: torch.Tensor) -> torch.Tensor:
        """(N, heads, grid, grid): the [CLS] token's attention over the patches in
        the last block, per head (each map sums to 1 minus what [CLS] gives itself)."""
        x = self.with_cls(self.patch_tokens(images))
        for block in self.blocks[:-1]:
            x = block(x)
        weights = self.blocks[-1].attention.weights(self.blocks[-1].norm1(x))  # (N, heads, 1 + P, 1 + P)
        return weights[:, :, 0, 1:].reshape(images.shape[0], self.heads, self.grid, self.grid)


def _divisor_near(size: int, wanted: int) -> int:
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    return min(divisors, key=lambda d: (abs(d - wanted), d))


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(N, C, H, W) → (N, P, patch_size² · C), patches in row-major order."""
    n, c, h, w = images.shape
    p = patch_size
    x = images.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(n, (h // p) * (w // p), p * p * c)


def unpatchify(patches: torch.Tensor, patch_size: int, channels: int = 3) -> torch.Tensor:
    """The inverse of :func:`patchify`: (N, P, patch_size² · C) → (N, C, H, W)."""
    n, count, _ = patches.shape
    grid, p = math.isqrt(count), patch_size
    x = patches.reshape(n, grid, grid, p, p, channels).permute(0, 5, 1, 3, 2, 4)
    return x.reshape(n, channels, grid * p, grid * p)
