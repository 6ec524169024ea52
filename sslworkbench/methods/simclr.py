"""SimCLR — Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for
Contrastive Learning of Visual Representations", ICML 2020.

Algorithm 1 of the paper, for each minibatch of N images x:

    x1, x2 = t(x), t'(x)           two random views of every image (views/images.py)
    h1, h2 = f(x1), f(x2)          the backbone's features   (what we keep)
    z1, z2 = g(h1), g(h2)          the projection head's output
    loss   = NT-Xent(z1, z2, τ)    each view must pick out its partner among
                                   the 2N − 1 other views of the batch
                                   (on several devices: the global batch, gathered)

Defaults: τ = 0.1 (the paper's ImageNet value; notebook 04 measures τ = 0.05,
0.1 and 0.5 on ``shapes``), a 512-wide projection head with a 128-dim output,
and SimCLR's CIFAR view pipeline (``simclr_views``).
"""

from __future__ import annotations

from ..losses import nt_xent
from ..models import projection_head
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number


class SimCLR(Method):
    name = "simclr"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which of the batch's views is its partner (cosine similarity / τ, NT-Xent)"
    positives = "two augmented views of one image"
    negatives = "the other 2N − 2 views of the batch"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "01, 04"
    min_batch_size = 2
    min_batch_reason = "the other images are the negatives"
    across_devices = "gathers"  # the negatives are the whole global batch, on every device
    global_batch_norm = True    # the paper's "global BN": BatchNorm statistics of the whole batch
    uses_dataset_views = True
    parameter_constraints = {
        "temperature": Number(above=0, hint="SimCLR uses 0.1–0.5"),
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
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.temperature = temperature
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        x1, x2 = self.views.pairs(images)
        h1, h2 = self.backbone(x1), self.backbone(x2)
        z1, z2 = self.projector(h1), self.projector(h2)
        loss = nt_xent(self.gather(z1), self.gather(z2), self.temperature)
        return {"loss": loss, "embeddings": z1.detach()}
