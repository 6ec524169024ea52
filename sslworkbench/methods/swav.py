"""SwAV — Caron, Misra, Mairal, Goyal, Bojanowski & Joulin, "Unsupervised
Learning of Visual Features by Contrasting Cluster Assignments", NeurIPS 2020.

Algorithm 1 of the paper, for each minibatch of N images x:

    C ← normalize(C)                    the K prototypes, kept on the unit sphere
    x1, x2 = t(x), t'(x)                two random views of every image (SimCLR's)
    z1, z2 = normalize(g(f(x1))), …     backbone, projection head, L2-normalised
    s1, s2 = z1 Cᵀ, z2 Cᵀ               each view's scores against the prototypes (N × K)
    with no gradient:
        q1 = sinkhorn_knopp(s1, ε)      the codes: soft assignments to the prototypes
        q2 = sinkhorn_knopp(s2, ε)      that give every prototype N/K of the batch
    p1, p2 = softmax(s1/τ), softmax(s2/τ)
    loss = −½ mean[ q1 · log p2 + q2 · log p1 ]    swapped prediction: each view
                                                   predicts the other view's code

It is clustering done online: the codes are cluster assignments of the batch,
the prototypes the cluster centres, and the loss asks both views of an image to
fall in the same cluster. What prevents collapse is the equipartition of
Sinkhorn–Knopp: all the images cannot take one prototype. There are no negative
pairs and no momentum encoder.

Defaults: ε = 0.05, 3 Sinkhorn–Knopp iterations, τ = 0.1 — the paper's. The
prototypes get no gradient for the first 5% of training
(``freeze_prototypes_fraction``; the paper freezes them for its first epoch of
hundreds, the authors' ``freeze_prototypes_niters``; the runs here are tens of
epochs, so 5% is about one epoch of a 20-epoch run). The freeze is kept as a
buffer (``prototypes_frozen``, set by ``on_step_end``), so a checkpoint resumes
it; a step taken outside the trainer sees it as it was left.

Scaled down for the small CNN on ``shapes`` and a CPU: a 512-wide projection
head with a 128-dim output (the paper: 2048 → 128) and K = 100 prototypes
(``num_prototypes``), ten for each of shapes' 10 classes (the paper: 3000 for
ImageNet, and it shows that the number matters little once there are enough).

Left out, and how this differs from the paper:

- No queue. With small batches the authors keep a queue of past embeddings
  (3840 of them for batches of 256) and compute the codes over it and the
  batch together, so that the equipartition is over more images than there
  are prototypes; here it is over the batch alone, N/K of an image per
  prototype (1.28 for the trainer's default batch of 128 and K = 100).
- No multi-crop (the paper's 2 × 224 + 6 × 96 crops): every extra crop is one
  more backbone pass on a CPU. Two views, as SimCLR's.
- The two views go through the backbone one after the other (the authors
  concatenate the crops of one size), so each view has its own BatchNorm
  statistics, as in this library's SimCLR.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..distributed import own_rows
from ..losses import sinkhorn_knopp, swav_loss
from ..models import projection_head
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number, Whole


class SwAV(Method):
    name = "swav"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "the other view's cluster code (a soft assignment to prototypes)"
    positives = "two augmented views of one image"
    negatives = "none"
    against_collapse = "equipartition: Sinkhorn–Knopp gives every prototype an equal share of the batch"
    notebook = "05"
    min_batch_size = 2
    min_batch_reason = "the codes share the prototypes out equally over the batch"
    across_devices = "gathers"  # the codes share the prototypes out over the global batch
    uses_dataset_views = True
    parameter_constraints = {
        "temperature": Number(above=0, hint="SwAV uses 0.1"),
        "epsilon": Number(above=0, what="the entropy weight of Sinkhorn–Knopp (smaller: sharper codes)",
                          hint="SwAV uses 0.05"),
        "sinkhorn_iterations": Whole(at_least=1, hint="SwAV uses 3"),
        "num_prototypes": Whole(at_least=2, what="the number of prototypes (clusters) K",
                                hint="SwAV uses 3000 for ImageNet"),
        "freeze_prototypes_fraction": Number(at_least=0, at_most=1, what="the share of training with frozen prototypes",
                                             hint="SwAV freezes them for its first epoch; 0 never freezes them"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        temperature: float = 0.1,
        epsilon: float = 0.05,
        sinkhorn_iterations: int = 3,
        num_prototypes: int = 100,
        freeze_prototypes_fraction: float = 0.05,
        projection_dim: int = 128,
        hidden_dim: int = 512,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.temperature = temperature
        self.epsilon = epsilon
        self.sinkhorn_iterations = sinkhorn_iterations
        self.freeze_prototypes_fraction = freeze_prototypes_fraction
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)
        # the K prototypes c_k, one row each: C is (K, D); kept unit-norm (training_step)
        self.prototypes = nn.Parameter(F.normalize(torch.randn(num_prototypes, projection_dim), dim=1))
        self.register_buffer("prototypes_frozen", torch.tensor(freeze_prototypes_fraction > 0))

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        self._normalize_prototypes()
        x1, x2 = self.views.pairs(images)
        z1 = F.normalize(self.projector(self.backbone(x1)), dim=1)
        z2 = F.normalize(self.projector(self.backbone(x2)), dim=1)
        # while frozen, the prototypes are read as constants: they get no gradient
        prototypes = self.prototypes.detach() if bool(self.prototypes_frozen) else self.prototypes
        scores1, scores2 = z1 @ prototypes.T, z2 @ prototypes.T  # (N, K)
        with torch.no_grad():
            # equipartition over the whole global batch, then this device's rows
            codes1 = own_rows(sinkhorn_knopp(self.gather(scores1), self.epsilon, self.sinkhorn_iterations))
            codes2 = own_rows(sinkhorn_knopp(self.gather(scores2), self.epsilon, self.sinkhorn_iterations))
        loss = swav_loss(scores1, scores2, codes1, codes2, self.temperature)
        # the share of the prototypes that are some image's strongest assignment (at most N/K when N < K)
        prototypes_used = codes1.argmax(dim=1).unique().numel() / len(self.prototypes)
        return {
            "loss": loss,
            "embeddings": z1.detach(),
            "prototypes_used": prototypes_used,
            "prototypes_frozen": float(self.prototypes_frozen),
        }

    @torch.no_grad()
    def _normalize_prototypes(self) -> None:
        """Back onto the unit sphere, after the last optimiser step (as the authors do each step)."""
        self.prototypes.copy_(F.normalize(self.prototypes, dim=1))

    def on_step_end(self, step: int, total_steps: int) -> None:
        """Step s (from 0) reads the prototypes frozen when s < freeze_prototypes_fraction × total_steps:
        step 0 whenever the fraction is > 0 (the buffer starts so), and none when it is 0."""
        next_step = step + 1
        self.prototypes_frozen.fill_(next_step < self.freeze_prototypes_fraction * total_steps)
