"""Images, the first kind of :class:`~sslworkbench.data.dataset.Dataset`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError
from .dataset import Dataset, check_image_size, to_float


@dataclass(repr=False)
class ImageSet(Dataset):
    """A labelled image split held in memory.

    images   (``inputs``) uint8 tensor (N, 3, H, W), values 0..255
    labels   int64 tensor (N,)
    classes  class names, ``classes[label]``
    name     dataset name (e.g. ``"shapes"``), for titles and checkpoints
    extras   per-image side information (e.g. shapes' colour and rotation), each
             a tensor of length N; handy for showing what a model ignores
    """

    kind: ClassVar[str] = "images"
    raw_name: ClassVar[str] = "raw pixels"
    expected: ClassVar[str] = "a tensor of images of shape (N, 3, H, W)"

    @classmethod
    def check(cls, inputs, what: str = "images") -> None:
        check_images(inputs, what)

    def method_settings(self) -> dict:
        return {"image_size": self.image_size}

    def check_model(self, backbone) -> None:
        """Refuse a backbone pretrained at another image size (``backbone.image_size``,
        set when a method is built): its features would not mean what they meant."""
        check_image_size(self.name, self.image_size, backbone)

    @property
    def images(self) -> torch.Tensor:
        return self.inputs

    @property
    def image_size(self) -> int:
        return self.inputs.shape[-1]

    def resized(self, size: int) -> ImageSet:
        return ImageSet(resize_uint8(self.images, size), self.labels, list(self.classes), self.name, dict(self.extras))

    def float_images(self) -> torch.Tensor:
        """Images as float32 in [0, 1]."""
        return to_float(self.images)

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
        elif images.dim() == 2 and not images.is_floating_point():
            hint = " (token ids? this is a method or function for images)"
        raise WorkbenchError(
            f"{what} must have shape (N, 3, H, W); got {tuple(images.shape)}{hint}."
        )
