"""The supervised baseline: the same backbone, trained on the labels.

Every self-supervised result is read against it: how much of the supervised
accuracy does a method reach without ever seeing a label?

    x' = t(x)                       one random view (crop + flip by default)
    loss = cross_entropy(W f(x'), y)
"""

from __future__ import annotations

import torch.nn.functional as F

from ..models import classifier
from ..views.images import crop_flip_views, views_with
from .base import Method
from .constraints import Whole


class Supervised(Method):
    name = "supervised"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "supervised"
    predicts = "the human label of a view (cross-entropy)"
    positives = "none: one label per image"
    negatives = "none"
    against_collapse = "the labels: a classification target cannot collapse"
    notebook = "01"
    parameter_constraints = {"num_classes": Whole(at_least=2)}

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        num_classes: int = 10,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.views = views_with(crop_flip_views(image_size), views)
        self.head = classifier(self.backbone.feature_dim, num_classes)

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)
        labels = batch[1]
        logits = self.head(self.backbone(self.views(images)))
        loss = F.cross_entropy(logits, labels)
        accuracy = (logits.argmax(dim=1) == labels).float().mean()
        return {"loss": loss, "accuracy": accuracy.detach()}
