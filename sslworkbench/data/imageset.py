"""The one in-memory format every dataset is converted to."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError


@dataclass
class ImageSet(torch.utils.data.Dataset):
    """A labelled image split held in memory.

    images   uint8 tensor (N, 3, H, W), values 0..255
    labels   int64 tensor (N,)
    classes  class names, ``classes[label]``
    name     dataset name (e.g. ``"shapes"``), for titles and checkpoints
    extras   per-image side information (e.g. shapes' colour and rotation), each
             a tensor of length N; handy for showing what a model ignores
    """

    images: torch.Tensor
    labels: torch.Tensor
    classes: list[str]
    name: str = "images"
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self):
        check_images(self.images, what=f"{self.name} images")
        if self.labels.shape != (self.images.shape[0],):
            raise WorkbenchError(
                f"{self.name}: {self.images.shape[0]} images but labels of shape {tuple(self.labels.shape)}."
            )
        self.labels = self.labels.long()

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index):
        return self.images[index], self.labels[index]

    @property
    def image_size(self) -> int:
        return self.images.shape[-1]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, n: int, seed: int = 0) -> "ImageSet":
        """A seeded random subset of ``n`` images (all of them if n ≥ len)."""
        if n >= len(self):
            return self
        generator = torch.Generator().manual_seed(seed)
        index = torch.randperm(len(self), generator=generator)[:n].sort().values
        return self.select(index)

    def select(self, index) -> "ImageSet":
        index = torch.as_tensor(index)
        return ImageSet(
            self.images[index],
            self.labels[index],
            list(self.classes),
            self.name,
            {key: value[index] for key, value in self.extras.items()},
        )

    def resized(self, size: int) -> "ImageSet":
        images = resize_uint8(self.images, size)
        return ImageSet(images, self.labels, list(self.classes), self.name, dict(self.extras))

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return self.images.float().div_(255)

    def __repr__(self) -> str:
        return (
            f"ImageSet({self.name!r}: {len(self)} images of 3×{self.image_size}×{self.image_size}, "
            f"{self.num_classes} classes)"
        )


def resize_uint8(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Bilinear, antialiased resize of a uint8 (N, 3, H, W) tensor, in chunks."""
    out = []
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk].float()
        # antialiasing only matters when shrinking (and costs 1.8× when enlarging)
        shrink = size < images.shape[-1]
        part = F.interpolate(part, size=(size, size), mode="bilinear", antialias=shrink, align_corners=False)
        out.append(part.round_().clamp_(0, 255).to(torch.uint8))
    return torch.cat(out) if out else images.new_zeros((0, 3, size, size))


def check_images(images, what: str = "images") -> None:
    """Images must be a (N, 3, H, W) tensor; say clearly what is wrong otherwise."""
    if not isinstance(images, torch.Tensor):
        raise WorkbenchError(f"{what} must be a torch tensor of shape (N, 3, H, W), got {type(images).__name__}.")
    if images.dim() != 4 or images.shape[1] != 3:
        hint = ""
        if images.dim() == 3:
            hint = " (a single image? add a batch dimension with images[None])"
        elif images.dim() == 4 and images.shape[-1] == 3:
            hint = " (channels last? use images.permute(0, 3, 1, 2))"
        elif images.dim() == 4 and images.shape[1] == 1:
            hint = " (grayscale? repeat to 3 channels with images.repeat(1, 3, 1, 1))"
        raise WorkbenchError(
            f"{what} must have shape (N, 3, H, W); got {tuple(images.shape)}{hint}."
        )
