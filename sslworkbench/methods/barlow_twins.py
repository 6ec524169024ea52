"""Barlow Twins — Zbontar, Jing, Misra, LeCun & Deny, "Barlow Twins:
Self-Supervised Learning via Redundancy Reduction", ICML 2021.

Algorithm 1 of the paper, for each minibatch of N images x:

    y_A, y_B = augment(x), augment(x)
    z_A, z_B = g(f(y_A)), g(f(y_B))              backbone + projector, D-dim
    z_A, z_B standardised along the batch
    c = z_Aᵀ z_B / N                             D × D cross-correlation
    loss = Σ_i (1 − c_ii)² + λ Σ_{i≠j} c_ij²     invariance + redundancy reduction

No negatives, no asymmetry: decorrelating the dimensions is what prevents
collapse.

Defaults: λ = 5e-3 (the paper's); a 3-layer projector of width 1024 (the paper
uses 8192 for ResNet-50 and shows that wider is better; 1024 keeps a CPU step
cheap for the small CNN). Notebook 05 ranks it with the other joint-embedding
methods at one budget, with its collapse diagnostics.
"""

from __future__ import annotations

from torch import nn

from ..losses import barlow_twins
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number


def mlp_projector(in_dim: int, dim: int, layers: int = 3) -> nn.Sequential:
    """Barlow Twins' / VICReg's projector: (Linear-BN-ReLU) × (layers−1), Linear."""
    modules, width = [], in_dim
    for _ in range(layers - 1):
        modules += [nn.Linear(width, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(inplace=True)]
        width = dim
    modules.append(nn.Linear(width, dim, bias=False))
    return nn.Sequential(*modules)


class BarlowTwins(Method):
    name = "barlow_twins"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "a cross-correlation of the two views' embeddings equal to the identity"
    positives = "two augmented views of one image"
    negatives = "none"
    against_collapse = ("redundancy reduction: a constant output cannot reach C_ii = 1, and the dimensions are "
                        "decorrelated")
    notebook = "05"
    min_batch_size = 2
    min_batch_reason = "it standardises along the batch"
    across_devices = "gathers"  # the cross-correlation of the global batch
    uses_dataset_views = True
    parameter_constraints = {
        "lambd": Number(at_least=0, hint="Barlow Twins uses 5e-3"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        lambd: float = 5e-3,
        projection_dim: int = 1024,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.lambd = lambd
        self.views = views_with(simclr_views(image_size), views)
        self.projector = mlp_projector(self.backbone.feature_dim, projection_dim)

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        y1, y2 = self.views.pairs(images)
        z1, z2 = self.projector(self.backbone(y1)), self.projector(self.backbone(y2))
        loss = barlow_twins(self.gather(z1), self.gather(z2), self.lambd)
        return {"loss": loss, "embeddings": z1.detach()}
