"""BYOL — Grill et al., "Bootstrap Your Own Latent: A New Approach to
Self-Supervised Learning", NeurIPS 2020.

Algorithm 1 of the paper, for each minibatch of N images x:

    v, v' = t(x), t'(x)
    online:  y = f_θ(v),  z = g_θ(y),  p = q_θ(z)     backbone, projector, predictor
    target:  z'_ξ = g_ξ(f_ξ(v'))                      an EMA copy, no gradient
    loss = ‖p̄ − z̄'_ξ‖² + (the same with v and v' swapped)      (x̄ = x / ‖x‖)
         = 2 + 2·negative_cosine(p, z'_ξ)  per direction
    ξ ← τ ξ + (1 − τ) θ        τ cosine-increased from τ_base to 1 (on_step_end)

No negatives: the predictor and the stop-gradient on the slowly moving target
are what keep the embeddings from collapsing to one point.

Defaults: τ_base = 0.996 (the paper's; 0.99 was no better in a short run on
``shapes``), projector 512 → 128 and predictor 512 wide (the paper's 4096 → 256
is sized for ResNet-50 on ImageNet). Notebook 05 ranks it with the other
joint-embedding methods at one budget, with its collapse diagnostics.
"""

from __future__ import annotations

import torch
from torch import nn

from ..losses import negative_cosine
from ..models import projection_head
from ..models.heads import predictor_head
from ..views.images import simclr_views, views_with
from .base import Method
from .ema import MOMENTUM, cosine_momentum, ema_update, frozen_copy


class BYOL(Method):
    name = "byol"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "the target network's projection of the other view (a predictor, cosine)"
    positives = "two augmented views of one image"
    negatives = "none"
    against_collapse = "asymmetry: a predictor, and a stop-gradient on a slowly moving (EMA) target"
    notebook = "05"
    min_batch_size = 2
    min_batch_reason = "BatchNorm needs a batch"
    uses_dataset_views = True
    parameter_constraints = {"momentum": MOMENTUM}

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        momentum: float = 0.996,
        projection_dim: int = 128,
        hidden_dim: int = 512,
        predictor_hidden_dim: int = 512,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.base_momentum = float(momentum)
        # a buffer, so that a checkpoint resumes the schedule exactly
        self.register_buffer("current_momentum", torch.tensor(self.base_momentum, dtype=torch.float32))
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)
        self.predictor = predictor_head(projection_dim, predictor_hidden_dim)
        self.target = frozen_copy(nn.Sequential(self.backbone, self.projector))

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        v1, v2 = self.views.pairs(images)
        z1, z2 = self.projector(self.backbone(v1)), self.projector(self.backbone(v2))
        p1, p2 = self.predictor(z1), self.predictor(z2)
        with torch.no_grad():
            t1, t2 = self.target(v1), self.target(v2)
        loss = (2 + 2 * negative_cosine(p1, t2)) + (2 + 2 * negative_cosine(p2, t1))
        return {"loss": loss, "embeddings": z1.detach(), "momentum": float(self.current_momentum)}

    def on_step_end(self, step: int, total_steps: int) -> None:
        ema_update(self.target, nn.Sequential(self.backbone, self.projector), float(self.current_momentum))
        self.current_momentum.fill_(cosine_momentum(self.base_momentum, step + 1, total_steps))
