"""CLIP — Radford et al., "Learning Transferable Visual Models From Natural
Language Supervision", ICML 2021 (Fig. 3 of the paper, for a batch of N
image–caption pairs):

    u = normalise(W_i · f(image))     the image encoder (any image backbone) and a linear projection
    v = normalise(W_t · g(caption))   the text encoder (the text half's transformer) and its projection
    logits = s · u vᵀ                  (N, N) similarities, s = 1/τ learned (starts at 1/0.07, at most 100)
    loss = ½ [CE(logits, diagonal) + CE(logitsᵀ, diagonal)]      losses.clip_loss

Each image must pick out its own caption among the batch's N captions, and each
caption its own image: notebook 04's InfoNCE with the second view replaced by a
second modality. What is learned is a shared space where a picture and the words
that describe it land together — so a class can be recognised from its *name*
(zero-shot classification, ``sslworkbench.evaluation.zero_shot``), and images found by text.

The image encoder is ``backbone`` (what ``embed``, kNN and the probe evaluate, as
for every method); the text encoder is a :class:`~sslworkbench.models.Transformer`
(``text_options``: width, depth, heads, pool …) over the captions' vocabulary.

Differences from the paper, for a CPU and 32×32 images: tiny encoders trained
from scratch on thousands of pairs (CLIP: 400 M pairs, ResNet-50/ViT and a
12-layer text transformer); the text transformer is bidirectional and mean-pooled
over the caption's tokens (CLIP's is causal and reads the [EOS] token's state);
no image augmentation by default (CLIP used only a random square crop; here a
crop or a flip would make "at the top left" false — ``views`` turns views on).

    >>> method = build_method("clip", vocab_size=8000, context=24)
    >>> method.encode_images(images), method.encode_texts(tokens)   # (N, 128) unit vectors each
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..losses import clip_loss
from ..models import build_backbone
from ..views.images import crop_flip_views, to_float, views_with
from .base import Method
from .constraints import Number, Whole

#: CLIP's starting temperature and the largest inverse temperature it allows
INITIAL_TEMPERATURE, MAX_LOGIT_SCALE = 0.07, 100.0


class CLIP(Method):
    name = "clip"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which caption of the batch belongs to each image, and which image to each caption"
    positives = "an image and its caption"
    negatives = "the batch's other captions (and images)"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "11"
    input_kind = "image_text"
    min_batch_size = 2
    min_batch_reason = "the batch's other captions are each image's negatives, and its other images each caption's"
    across_devices = "gathers"  # the paper gathers every device's pairs: 32,768 in one batch
    recommended_lr = 1e-3  # as the text methods (mlm, gpt) whose transformer it trains; CLIP: 5e-4 at batch 32,768
    parameter_constraints = {
        "temperature": Number(at_least=1 / MAX_LOGIT_SCALE, hint=f"CLIP starts at {INITIAL_TEMPERATURE}"),
        "embed_dim": Whole(at_least=2),
    }

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        vocab_size: int = 8000,
        context: int = 24,
        vocab_id: str | None = None,
        text_options: dict | None = None,
        embed_dim: int = 128,
        temperature: float = INITIAL_TEMPERATURE,
        learn_temperature: bool = True,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.text_encoder = build_backbone("transformer", **{
            "vocab_size": vocab_size, "context": context, "vocab_id": vocab_id, **(text_options or {})})
        self.image_projection = nn.Linear(self.backbone.feature_dim, embed_dim, bias=False)
        self.text_projection = nn.Linear(self.text_encoder.feature_dim, embed_dim, bias=False)
        # log(1/τ), as CLIP stores it: a learned scalar whose exponential scales the logits
        self.log_logit_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)), requires_grad=learn_temperature)
        # views={} turns on CLIP's only augmentation, a random crop (no flip: "on the left" would turn false)
        self.views = views_with(crop_flip_views(image_size).replace(flip_p=0.0), views) if views is not None else None

    @property
    def logit_scale(self) -> torch.Tensor:
        """s = 1/τ, clamped at 100 as in CLIP (beyond it, training becomes unstable)."""
        return self.log_logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Images (uint8, or float in [0, 1]) → (N, embed_dim) unit vectors in the shared space."""
        return nn.functional.normalize(self.image_projection(self.backbone(to_float(images))), dim=1)

    def encode_texts(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (N, L) → (N, embed_dim) unit vectors in the shared space."""
        return nn.functional.normalize(self.text_projection(self.text_encoder(tokens)), dim=1)

    def training_step(self, batch) -> dict:
        images, texts = self.inputs_of(batch)  # a pair; the labels are never looked at
        if self.views is not None:
            images = self.views(images)
        u, v = self.gather(self.encode_images(images)), self.gather(self.encode_texts(texts))
        loss = clip_loss(u, v, self.logit_scale)
        with torch.no_grad():
            matched = (u @ v.T).argmax(1) == torch.arange(len(u), device=u.device)
        return {"loss": loss, "embeddings": u.detach(), "temperature": float(1 / self.logit_scale.detach()),
                "batch_image_to_text_accuracy": float(matched.float().mean())}
