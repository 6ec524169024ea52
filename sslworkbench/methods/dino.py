"""DINO — Caron et al., "Emerging Properties in Self-Supervised Vision
Transformers", ICCV 2021.

Algorithm 1 of the paper, for each minibatch of N images x:

    x1, x2 = global views;  local crops (optional: multi-crop)
    s = student(all crops) / τ_s           backbone + DINO head (K prototypes)
    t = teacher(x1, x2)                    an EMA copy of the student, no gradient
    P_t = softmax((t − C) / τ_t)           the teacher is centred and sharpened
    loss = dino_loss(s, t, C, τ_s, τ_t)    cross-entropy −P_t · log P_s over every
                                           (teacher crop, other student crop) pair
    teacher ← m · teacher + (1 − m) · student,  m cosine-increased to 1
    C ← c_m · C + (1 − c_m) · mean(t)      the centre, a running mean of the teacher

Centring alone would make the teacher uniform, sharpening alone would make it
one-hot: together they avoid both collapses. The state (centre, teacher
temperature) is kept here; the loss is a pure function of it.

Defaults: τ_s = 0.1, τ_t warmed up linearly 0.04 → 0.07 over the first 30% of
training (the paper warms up over 30 epochs), centre momentum 0.9 — the
paper's. Teacher momentum 0.996 → 1 (the paper's). Scaled down for the small
CNN: head 512 wide, bottleneck 128, K = 1024 prototypes (65,536 in the paper).
BatchNorm in the head is on (``head_batchnorm``; the authors' ``use_bn_in_head``,
off by default for ViTs): without it, in a short run on ``shapes`` the teacher
stayed near uniform (its loss near log K, the embeddings spread over fewer
directions), and a lower teacher momentum did not help; with it the embeddings
spread out more and the probe was a little better. Its loss still stays near
log K for the first epochs: notebook 05 ranks it with the others at one budget.
Multi-crop is off by default (``local_crops=0``): every local crop is one more
backbone pass on a CPU. With ``local_crops > 0`` the small crops are
``local_size``×``local_size`` with scale ``local_scale``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WorkbenchError
from ..losses import dino_loss
from ..views.images import Views, simclr_views
from .base import Method
from .constraints import Number, Whole
from .ema import MOMENTUM, cosine_momentum, ema_update, frozen_copy

PAPER_TEMPERATURES = "the paper: student 0.1, teacher 0.04 → 0.07"


class DINOHead(nn.Module):
    """MLP (GELU; BatchNorm with ``use_bn``, the authors' ``use_bn_in_head``) →
    bottleneck → L2-normalise → weight-normalised linear to K logits."""

    def __init__(
        self, in_dim: int, out_dim: int = 1024, hidden_dim: int = 512, bottleneck_dim: int = 128, use_bn: bool = False
    ):
        super().__init__()
        norm = (lambda: nn.BatchNorm1d(hidden_dim)) if use_bn else nn.Identity
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            norm(),
            nn.GELU(),
            nn.Linear(hidden_dim, hidden_dim),
            norm(),
            nn.GELU(),
            nn.Linear(hidden_dim, bottleneck_dim),
        )
        self.last_layer = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.parametrizations.weight.original0.data.fill_(1)  # the norm of each prototype
        self.last_layer.parametrizations.weight.original0.requires_grad = False  # DINO's norm_last_layer=True

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits over the K prototypes, the bottleneck embedding)."""
        embedding = self.mlp(features)
        return self.last_layer(F.normalize(embedding, dim=-1)), embedding


class DINO(Method):
    name = "dino"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "non-contrastive"
    predicts = "the EMA teacher's distribution over K prototypes for the other view"
    positives = "two augmented views (and local crops) of one image"
    negatives = "none"
    against_collapse = "an EMA teacher whose outputs are centred and sharpened"
    notebook = "05, 10"
    min_batch_size = 2
    min_batch_reason = "the centre is a batch mean"
    across_devices = "gathers"  # the centre is the mean of every device's teacher outputs
    uses_dataset_views = True
    parameter_constraints = {
        "student_temperature": Number(above=0, hint=PAPER_TEMPERATURES),
        "teacher_temperature": Number(above=0, hint=PAPER_TEMPERATURES),
        "warmup_teacher_temperature": Number(above=0, hint=PAPER_TEMPERATURES),
        "warmup_fraction": Number(at_least=0, at_most=1),
        "local_crops": Whole(at_least=0, hint="the paper uses 6–10"),
        "momentum": MOMENTUM,
        "center_momentum": Number(at_least=0, below=1, hint="the centre moves by (1 − m) of the way each step; "
                                                             "the paper uses 0.9"),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        out_dim: int = 1024,
        hidden_dim: int = 512,
        bottleneck_dim: int = 128,
        head_batchnorm: bool = True,
        student_temperature: float = 0.1,
        teacher_temperature: float = 0.07,
        warmup_teacher_temperature: float = 0.04,
        warmup_fraction: float = 0.3,
        momentum: float = 0.996,
        center_momentum: float = 0.9,
        local_crops: int = 0,
        local_size: int = 16,
        local_scale: tuple[float, float] = (0.1, 0.4),
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.student_temperature = student_temperature
        self.teacher_temperatures = (warmup_teacher_temperature, teacher_temperature)
        self.warmup_fraction = warmup_fraction
        self.base_momentum = float(momentum)
        # the schedules' current values are buffers, so that a checkpoint resumes them exactly
        self.register_buffer("teacher_temperature", torch.tensor(float(warmup_teacher_temperature), dtype=torch.float32))
        self.register_buffer("current_momentum", torch.tensor(self.base_momentum, dtype=torch.float32))
        self.center_momentum = float(center_momentum)
        config = simclr_views(image_size)
        config = config.replace(**views) if views else config
        self.views = Views(config)
        fixed_size = self.backbone.image_size if getattr(self.backbone, "fixed_image_size", False) else None
        if local_crops and fixed_size is not None and local_size != fixed_size:
            raise WorkbenchError(
                f"This {backbone} reads only {fixed_size}×{fixed_size} images (its position embedding has one grid), "
                f"so local crops of {local_size}×{local_size} cannot be encoded: use local_size={fixed_size} (small "
                "regions, resized up), or local_crops=0."
            )
        self.local_crops = local_crops
        self.local_views = Views(config.replace(size=local_size, scale=tuple(local_scale)))
        self.head = DINOHead(self.backbone.feature_dim, out_dim, hidden_dim, bottleneck_dim, head_batchnorm)
        self.teacher = frozen_copy(nn.Sequential(self.backbone, self.head))
        self.register_buffer("center", torch.zeros(out_dim))

    def training_step(self, batch) -> dict:
        images = self.inputs_of(batch)  # labels are never looked at
        global_crops = list(self.views.pairs(images))
        local_crops = [self.local_views(images) for _ in range(self.local_crops)]
        student, embeddings = [], None
        for crop in global_crops + local_crops:
            logits, embedding = self.head(self.backbone(crop))
            student.append(logits)
            embeddings = embedding if embeddings is None else embeddings
        with torch.no_grad():
            teacher = [self.teacher(crop)[0] for crop in global_crops]
        teacher_temperature = float(self.teacher_temperature)
        loss = dino_loss(student, teacher, self.center, self.student_temperature, teacher_temperature)
        self._update_center(self.gather(torch.cat(teacher)))
        return {"loss": loss, "embeddings": embeddings.detach(), "teacher_temperature": teacher_temperature}

    @torch.no_grad()
    def _update_center(self, teacher_logits: torch.Tensor) -> None:
        batch_center = teacher_logits.float().mean(dim=0)
        self.center.mul_(self.center_momentum).add_(batch_center, alpha=1 - self.center_momentum)

    def on_step_end(self, step: int, total_steps: int) -> None:
        ema_update(self.teacher, nn.Sequential(self.backbone, self.head), float(self.current_momentum))
        self.current_momentum.fill_(cosine_momentum(self.base_momentum, step + 1, total_steps))
        warmup_steps = self.warmup_fraction * total_steps
        start, end = self.teacher_temperatures
        done = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
        self.teacher_temperature.fill_(start + (end - start) * done)
