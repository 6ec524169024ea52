"""VICReg — Bardes, Ponce & LeCun, "VICReg: Variance-Invariance-Covariance
Regularization for Self-Supervised Learning", ICLR 2022.

Algorithm 1 of the paper, for each minibatch of N images x:

    x_a, x_b = augment(x), augment(x)
    z_a, z_b = h(f(x_a)), h(f(x_b))                 backbone + expander
    loss = λ · ‖z_a − z_b‖² / (N·D)                           invariance
         + μ · ½ Σ_{k=a,b} (1/D) Σ_j hinge(1 − std(z_k^(j)))  variance: each dimension keeps std ≥ 1
         + ν · Σ_{k=a,b} (1/D) Σ_{i≠j} Cov(z_k)_ij²          covariance: dimensions decorrelated

Defaults: λ, μ, ν = 25, 25, 1 (the paper's); a 3-layer expander of width 1024
(the paper's 8192 is sized for ResNet-50). Notebook 05 ranks it with the other
joint-embedding methods at one budget, and trains it without its variance term.
"""

from __future__ import annotations

from ..losses import vicreg
from ..views.images import simclr_views, views_with
from .barlow_twins import mlp_projector
from .base import Method
from .constraints import Number

PAPER_WEIGHTS = "VICReg uses 25, 25, 1"


class VICReg(Method):
    name = "vicreg"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "the other view's embedding (mean squared error)"
    positives = "two augmented views of one image"
    negatives = "none"
    against_collapse = "a variance hinge (every dimension's std ≥ 1) and a covariance term"
    notebook = "05"
    min_batch_size = 2
    min_batch_reason = "variance and covariance are over the batch"
    across_devices = "gathers"  # variance and covariance over the global batch
    uses_dataset_views = True
    parameter_constraints = {
        "sim_weight": Number(at_least=0, hint=PAPER_WEIGHTS),
        "var_weight": Number(at_least=0, hint=PAPER_WEIGHTS),
        "cov_weight": Number(at_least=0, hint=PAPER_WEIGHTS),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        sim_weight: float = 25.0,
        var_weight: float = 25.0,
        cov_weight: float = 1.0,
        projection_dim: int = 1024,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.weights = (sim_weight, var_weight, cov_weight)
        self.views = views_with(simclr_views(image_size), views)
        self.projector = mlp_projector(self.backbone.feature_dim, projection_dim)

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        xa, xb = self.views.pairs(images)
        za, zb = self.projector(self.backbone(xa)), self.projector(self.backbone(xb))
        loss = vicreg(self.gather(za), self.gather(zb), *self.weights)
        return {"loss": loss, "embeddings": za.detach()}
