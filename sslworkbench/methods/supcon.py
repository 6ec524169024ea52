"""Contrastive learning with several positives per anchor.

SupCon — Khosla et al., "Supervised Contrastive Learning", NeurIPS 2020:
the positives of a view are all views of images *with the same label*.

``instance_supcon`` — SupCon's loss with *instance* ids in place of labels: the
positives of a view are the views of every image of the same object (several
renderings of one object, several photos of one patient case). No labels are
used. It is a multi-positive relative of MICLe (Azizi et al., ICCV 2021), not
MICLe itself: MICLe (``methods/micle.py``) makes *one* positive pair per case, two
crops of two different images, with SimCLR's NT-Xent.

For each minibatch of N images x with group ids y (SupCon: class labels;
instance_supcon: instance ids):

    x1, x2 = t(x), t'(x)
    z = normalize(g(f([x1; x2])))                 2N embeddings
    loss = supervised_contrastive(z, y, τ)        each view is pulled to every
                                                  other view of its group and
                                                  pushed from all the rest

instance_supcon's ids come from the trainer (``instances = "groups"``): with
``load_dataset("shapes", renderings=4)`` the renderings of one object share an
id and are put in the same batches. On data with one image per object every
image would be its own group and the loss would be SimCLR's, so the trainer
refuses such data and says to use ``simclr``. With several renderings of an
object in one batch, the multi-positive loss keeps the other renderings from
being counted as negatives.

``positives="image"`` (default ``"group"``) keeps these batches (an object's renderings together) but
makes only the two views of the same image positive: SimCLR's NT-Xent (SupCon with
one positive per anchor is exactly NT-Xent), with the other renderings of the
object as negatives in the same batch. It is the control that separates the two
differences from SimCLR: the positives, and the batch composition.

Defaults: τ = 0.1 (SupCon's CIFAR value and SimCLR's on ``shapes``); the same
head as SimCLR. Notebook 04 measures instance_supcon on ``load_dataset("shapes", "train",
renderings=4)`` against SimCLR on the same renderings and against the control
``positives="image"``. SupCon's embeddings gather into the classes by design.
"""

from __future__ import annotations

import torch

from ..errors import WorkbenchError
from ..losses import supervised_contrastive
from ..models import projection_head
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number, OneOf


class MultiPositiveContrastive(Method):
    """Shared by SupCon and instance_supcon; subclasses say where the group ids come from."""
    min_batch_size = 2
    min_batch_reason = "the other images are the negatives"
    across_devices = "gathers"  # the negatives and the positives of a group: every device's
    uses_dataset_views = True
    parameter_constraints = {
        "temperature": Number(above=0, hint="SupCon uses 0.1"),
        "positives": OneOf({"group": "views of the same label or object", "image": "only the two views of one image"}),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        temperature: float = 0.1,
        projection_dim: int = 128,
        hidden_dim: int = 512,
        views: dict | None = None,
        positives: str = "group",
    ):
        """``positives``: "group" (every view of the same label or object) or "image"
        (only the other view of the same image: NT-Xent, in the same batches)."""
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.positives = positives
        self.temperature = temperature
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)

    def groups_of(self, batch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)
        groups = self.groups_of(batch)
        if self.positives == "image":   # every image its own group: NT-Xent
            groups = torch.arange(len(images), device=images.device)
        x1, x2 = self.views.pairs(images)
        z1, z2 = self.projector(self.backbone(x1)), self.projector(self.backbone(x2))
        views = self.gather(torch.stack([z1, z2], dim=1))
        loss = supervised_contrastive(views, self.gather(groups), self.temperature)
        return {"loss": loss, "embeddings": z1.detach()}


class SupCon(MultiPositiveContrastive):
    name = "supcon"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "supervised"
    predicts = "which views of the batch share its label (contrast with several positives)"
    positives = "every view of an image with the same label"
    negatives = "views of the batch's other classes"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "04"

    def groups_of(self, batch) -> torch.Tensor:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise WorkbenchError("supcon is supervised: it needs batches of (images, labels).")
        return batch[1]


class InstanceSupCon(MultiPositiveContrastive):
    name = "instance_supcon"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which views of the batch show its object (contrast with several positives)"
    positives = "every view of every rendering of the same object (instance ids, no labels)"
    negatives = "views of the batch's other objects"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "04"
    instances = "groups"  # the trainer adds each image's object id; the data must have several per object

    def groups_of(self, batch) -> torch.Tensor:
        return self.instance_ids_of(batch)
