"""Temporal contrast — two frames of the same video as a positive pair (the
"slowness" prior of Wiskott & Sejnowski 2002, made contrastive: Sermanet et al.,
"Time-Contrastive Networks", 2018; Qian et al., "Spatiotemporal Contrastive Video
Representation Learning", CVPR 2021).

For each minibatch of N clips:

    x, x' = two frames of each clip, at most ``max_gap`` frames apart (clip_views.frame_pairs)
    v, v' = t(x), t'(x')           optional image views on top (crop + colour, as SimCLR)
    h, h' = f(v), f(v')            the backbone reads each frame as a clip of one frame
    z, z' = g(h), g(h')            projection head
    loss  = NT-Xent(z, z', τ)      each frame must pick out the other frame of its video

Time supplies the augmentation: between two frames the object moved, turned and
changed size, so what stays the same is what it *is*. But a still camera keeps
the background and the object's colour identical in both frames, and colour is
the easiest way to match them. In the run on ``moving_shapes`` that chose the
default views (crops and colour changes), ``views=None`` left the shape probe at
random init's level and raised a probe of the object's hue above the default
views' — without colour changes it learns colour, not shape. Notebook 12
measures the default against the other video methods. This is a single-frame
model: nothing here asks it how things move (its temporal layers only ever see
one frame).
"""

from __future__ import annotations

from ..data.dataset import to_float
from ..losses import nt_xent
from ..models import projection_head
from ..views.clips import frame_pairs
from ..views.images import simclr_views, views_with
from .base import Method
from .constraints import Number, Whole

#: the objects of moving_shapes are small (radius 30–50% of half the image): crops keep half of it or more
CLIP_VIEWS = {"scale": (0.5, 1.0)}


class TemporalContrast(Method):
    name = "temporal_contrast"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which frame of the batch comes from the same clip (NT-Xent)"
    positives = "two frames of one clip, a few frames apart"
    negatives = "frames of the batch's other clips"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "12"
    input_kind = "clips"
    min_batch_size = 2
    min_batch_reason = "the other clips' frames are the negatives"
    across_devices = "gathers"  # every device's clips are the negatives
    parameter_constraints = {
        "temperature": Number(above=0, hint="contrastive methods use 0.1–0.5"),
        "max_gap": Whole(at_least=1, unit="frames", or_none="for anywhere in the clip"),
    }

    def __init__(self, backbone: str = "video_cnn", backbone_options: dict | None = None, frames: int = 16,
                 image_size: int = 32, max_gap: int | None = 4, temperature: float = 0.1,
                 projection_dim: int = 128, hidden_dim: int = 512, views: dict | None = CLIP_VIEWS):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.frames, self.image_size, self.max_gap, self.temperature = frames, image_size, max_gap, temperature
        self.views = None if views is None else views_with(simclr_views(image_size), views)
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)

    def pretext_batch(self, clips) -> tuple:
        """The two frames of each clip as the backbone sees them: (N, 1, 3, H, W) each."""
        first, second, _ = frame_pairs(to_float(self.inputs_of(clips)), self.max_gap)
        if self.views is not None:
            first, second = self.views(first), self.views(second)
        return first[:, None], second[:, None]

    def training_step(self, batch) -> dict:
        first, second = self.pretext_batch(batch)
        z1, z2 = self.projector(self.backbone(first)), self.projector(self.backbone(second))
        return {"loss": nt_xent(self.gather(z1), self.gather(z2), self.temperature), "embeddings": z1.detach()}
