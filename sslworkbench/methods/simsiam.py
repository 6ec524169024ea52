"""SimSiam — Chen & He, "Exploring Simple Siamese Representation Learning",
CVPR 2021.

Algorithm 1 of the paper, for each minibatch of N images x:

    x1, x2 = aug(x), aug(x)
    z1, z2 = f(x1), f(x2)              backbone + projector, the *same* network
    p1, p2 = h(z1), h(z2)              predictor
    loss = D(p1, z2)/2 + D(p2, z1)/2   D(p, z) = −cos(p, stopgrad(z))

No negatives, no momentum encoder: what prevents collapse is the asymmetry of
the predictor and the stop-gradient, and the paper shows that it takes both.
Remove the stop-gradient (``stop_gradient=False``) and the embeddings collapse
(the paper's Figure 2); remove the predictor (``predictor=False``, h = identity:
the paper's Table 1 ablation) and they collapse too (0.1% linear accuracy).

Defaults: a 3-layer projector (Linear-BN-ReLU ×2, Linear-BN) of width 512 and a
bottleneck predictor 512 → 128 → 512, scaled down from the paper's 2048/512 for
the small CNN. Notebook 05 ranks it with the other joint-embedding methods at
one budget, and trains it without the stop-gradient; its effective rank there is
the diagnostic for dimensional collapse (the variance sitting in a few directions
while the embeddings still spread).
"""

from __future__ import annotations

from torch import nn

from ..losses import negative_cosine
from ..models.heads import predictor_head
from ..views.images import simclr_views, views_with
from .base import Method


def simsiam_projector(in_dim: int, dim: int) -> nn.Sequential:
    """SimSiam's projection MLP: BN on every layer, the output's included."""
    return nn.Sequential(
        nn.Linear(in_dim, dim, bias=False),
        nn.BatchNorm1d(dim),
        nn.ReLU(inplace=True),
        nn.Linear(dim, dim, bias=False),
        nn.BatchNorm1d(dim),
        nn.ReLU(inplace=True),
        nn.Linear(dim, dim, bias=False),
        nn.BatchNorm1d(dim, affine=False),
    )


class SimSiam(Method):
    name = "simsiam"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "the other view's projection (a predictor, negative cosine)"
    positives = "two augmented views of one image"
    negatives = "none"
    against_collapse = "asymmetry: a predictor and a stop-gradient (no EMA)"
    notebook = "05"
    min_batch_size = 2
    min_batch_reason = "BatchNorm needs a batch"
    uses_dataset_views = True

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        projection_dim: int = 512,
        predictor_hidden_dim: int = 128,
        stop_gradient: bool = True,
        predictor: bool = True,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.stop_gradient = stop_gradient
        self.views = views_with(simclr_views(image_size), views)
        self.projector = simsiam_projector(self.backbone.feature_dim, projection_dim)
        # predictor=False: the ablation without h (p = z)
        self.predictor = predictor_head(projection_dim, predictor_hidden_dim) if predictor else nn.Identity()

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        x1, x2 = self.views.pairs(images)
        z1, z2 = self.projector(self.backbone(x1)), self.projector(self.backbone(x2))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        if self.stop_gradient:
            loss = negative_cosine(p1, z2) / 2 + negative_cosine(p2, z1) / 2
        else:  # the ablation: the gradient also flows through the target branch
            cos = nn.functional.cosine_similarity
            loss = -(cos(p1, z2).mean() + cos(p2, z1).mean()) / 2
        return {"loss": loss, "embeddings": z1.detach()}
