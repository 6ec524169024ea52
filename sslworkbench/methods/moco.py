"""MoCo v2 — He et al., "Momentum Contrast for Unsupervised Visual
Representation Learning", CVPR 2020; Chen et al., "Improved Baselines with
Momentum Contrastive Learning" (v2: MLP head, stronger views), 2020.

Algorithm 1 of the paper, for each minibatch of N images x:

    q = normalize(g_q(f_q(t(x))))        queries: the online encoder, trained
    k = normalize(g_k(f_k(t'(x))))       keys: the momentum encoder, no gradient
    loss = InfoNCE(q, k, queue, τ)       each query picks out its key among the
                                         K keys of earlier batches in the queue
    θ_k ← m θ_k + (1 − m) θ_q            after the optimiser step (on_step_end)
    enqueue k, dequeue the oldest N      the queue is a FIFO of K = queue_size keys

``symmetric=True`` also swaps the two views and averages the two losses (the
MoCo v3 / CIFAR-demo variant; twice the encoder passes).

Shuffling BN: with one device, the key encoder's BatchNorm would see the same
batch as the query encoder's, and the model could cheat through the batch
statistics. MoCo shuffles the keys across GPUs; here both encoders run the
batch in ``bn_splits`` separate chunks, the keys in a shuffled order (as the
authors' CIFAR demo's SplitBatchNorm does).

Defaults: τ = 0.2, m = 0.99 (MoCo v2, the CIFAR-scale momentum), a 512-wide MLP
head with a 128-dim output. ``queue_size`` = 4096 (not 65,536: ``shapes`` has
10,000 training images, and a queue longer than an epoch would hold stale keys
of the same image); it must be a multiple of the batch size. Notebook 04
measures it against SimCLR at a small batch; notebook 05 ranks it with the
other joint-embedding methods at one budget.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WorkbenchError
from ..losses import info_nce
from ..models import projection_head
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number, Whole
from .ema import MOMENTUM, ema_update, frozen_copy


class MoCo(Method):
    name = "moco"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "its key (the other view, through a momentum encoder) among a queue of keys"
    positives = "two augmented views of one image"
    negatives = "a queue of keys from earlier batches"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "04"
    across_devices = "gathers"  # the queue takes every device's new keys (BatchNorm stays per device: bn_splits)
    min_batch_size = 2
    min_batch_reason = "BatchNorm needs a batch"
    uses_dataset_views = True
    parameter_constraints = {
        "temperature": Number(above=0, hint="MoCo v2 uses 0.2"),
        "queue_size": Whole(at_least=1, hint="MoCo uses 4096–65536"),
        "bn_splits": Whole(at_least=1, hint="1 turns shuffled BN off"),
        "momentum": MOMENTUM,
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        temperature: float = 0.2,
        momentum: float = 0.99,
        queue_size: int = 4096,
        projection_dim: int = 128,
        hidden_dim: int = 512,
        symmetric: bool = False,
        bn_splits: int = 4,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.temperature = temperature
        self.momentum = float(momentum)
        self.symmetric = symmetric
        self.bn_splits = bn_splits
        self.views = views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)
        self.key_encoder = frozen_copy(nn.Sequential(self.backbone, self.projector))
        self.register_buffer("queue", F.normalize(torch.randn(queue_size, projection_dim), dim=1))
        self.register_buffer("queue_pointer", torch.zeros((), dtype=torch.long))

    def _in_chunks(self, encoder, x: torch.Tensor, shuffle: bool) -> torch.Tensor:
        """encoder(x), with BatchNorm statistics per chunk (shuffled for keys)."""
        order = torch.randperm(len(x), device=x.device) if shuffle else torch.arange(len(x), device=x.device)
        chunks = x[order].chunk(min(self.bn_splits, len(x) // 2))
        out = torch.cat([encoder(chunk) for chunk in chunks])
        return out[torch.argsort(order)]

    def _query(self, x):
        return F.normalize(self._in_chunks(lambda c: self.projector(self.backbone(c)), x, shuffle=False), dim=1)

    @torch.no_grad()
    def _key(self, x):
        return F.normalize(self._in_chunks(self.key_encoder, x, shuffle=True), dim=1)

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        n = images.shape[0]
        if len(self.queue) % n:
            raise WorkbenchError(
                f"MoCo's queue_size ({len(self.queue)}) must be a multiple of the batch size ({n}), so that "
                f"whole batches of keys enter and leave the queue; e.g. queue_size={n * max(1, len(self.queue) // n)}."
            )
        x1, x2 = self.views.pairs(images)
        queue = self.queue.clone()  # the negatives of this step (the buffer is updated below)
        q1, k2 = self._query(x1), self._key(x2)
        if self.symmetric:
            q2, k1 = self._query(x2), self._key(x1)
            loss = (info_nce(q1, k2, queue, self.temperature) + info_nce(q2, k1, queue, self.temperature)) / 2
            keys = torch.cat([k2, k1])
        else:
            loss = info_nce(q1, k2, queue, self.temperature)
            keys = k2
        self._enqueue(self.gather(keys))  # every device's new keys, so that the queues stay alike
        return {"loss": loss, "embeddings": q1.detach()}

    @torch.no_grad()
    def _enqueue(self, keys: torch.Tensor) -> None:
        """The newest keys replace the oldest (a ring buffer of K rows)."""
        keys = keys[-len(self.queue) :]
        rows = (self.queue_pointer + torch.arange(len(keys), device=keys.device)) % len(self.queue)
        self.queue[rows] = keys.to(self.queue.dtype)
        self.queue_pointer.copy_((self.queue_pointer + len(keys)) % len(self.queue))

    def on_step_end(self, step: int, total_steps: int) -> None:
        ema_update(self.key_encoder, nn.Sequential(self.backbone, self.projector), self.momentum)
