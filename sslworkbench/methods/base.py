"""What every method shares: a backbone, its settings, and batch checks."""

from __future__ import annotations

import inspect

import torch
from torch import nn

from ..data.imageset import check_images
from ..errors import WorkbenchError
from ..models import build_backbone
from . import METHODS


class Method(nn.Module):
    """Base class. Subclasses set ``name`` and implement ``training_step``.

    ``hparams`` holds the JSON-able settings the method was built with, so a
    checkpoint can rebuild it with ``build_method(name, **hparams)``.
    """

    name = "method"

    def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None):
        super().__init__()
        self.backbone_name = backbone
        self.backbone = build_backbone(backbone, **(backbone_options or {}))
        self.hparams: dict = {}

    def training_step(self, batch) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def images_of(batch) -> torch.Tensor:
        """The images of a batch, checked: (N, 3, H, W)."""
        images = batch[0] if isinstance(batch, (tuple, list)) else batch
        check_images(images, "the batch's images")
        return images

    def on_step_end(self, step: int, total_steps: int) -> None:
        """Hook called by the trainer after each optimiser step (EMA updates etc.)."""


def build_method(name: str, **hparams) -> Method:
    """Build method ``name``; unknown settings fail with the list of known ones."""
    cls = METHODS[name]
    signature = inspect.signature(cls.__init__)
    known = [p for p in signature.parameters if p != "self"]
    unknown = sorted(set(hparams) - set(known))
    if unknown:
        raise WorkbenchError(
            f"Method {name!r} has no setting {unknown[0]!r}. Its settings: {', '.join(known)}."
        )
    method = cls(**hparams)
    bound = signature.bind(None, **hparams)
    bound.apply_defaults()
    method.hparams = {k: v for k, v in bound.arguments.items() if k != "self"}
    return method
