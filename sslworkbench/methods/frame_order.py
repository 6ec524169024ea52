"""Frame-order verification — Misra, Zitnick & Hebert, "Shuffle and Learn:
Unsupervised Learning using Temporal Order Verification", ECCV 2016.

For each minibatch of N clips (``clip_views.order_tuples``):

    a < b < c < d < e          five frames drawn from each clip
    in order:  (b, c, d)       or played backwards: (d, c, b)
    shuffled:  (b, a, d) or (b, e, d)          — the middle frame from outside
    h = f(triplet)             the backbone reads the three frames as a short clip
    loss = cross_entropy(W h, in order?)       a coin decides which one is shown

Telling (b, c, d) from (b, e, d) needs more than what is in each frame: the
model must see that the object's position (and pose) in the middle frame lies
between those in the outer two — it has to follow the motion. A triplet and its
reverse are both "in order" (as in the paper): which way time runs is another
question (``arrow_of_time``).

The paper chose tuples from high-motion windows of human-action videos and a
frame CNN whose three fc7 features were concatenated; here the video backbone's
temporal layers fuse the three frames.

    >>> method = build_method("frame_order")
    >>> triplets, in_order = method.pretext_batch(clips)    # (N, 3, 3, H, W), (N,)
"""

from __future__ import annotations

import torch

from ..data.dataset import to_float
from ..views.clips import order_tuples
from ..views.pretext import classification_outputs
from .base import Method


class FrameOrder(Method):
    name = "frame_order"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "pretext task"
    predicts = "whether three frames are in order (either way) or the middle one is from outside"
    positives = "triplets of frames in order, played either way (the paper's positive tuples)"
    negatives = "triplets whose middle frame comes from outside (its negative tuples)"
    against_collapse = "a classification target made from the input: a constant output scores chance"
    notebook = "12"
    input_kind = "clips"

    def __init__(self, backbone: str = "video_cnn", backbone_options: dict | None = None, frames: int = 16,
                 image_size: int = 32):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.frames, self.image_size = frames, image_size
        self.head = torch.nn.Linear(self.backbone.feature_dim, 2)

    def pretext_batch(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Triplets (N, 3, 3, H, W) in [0, 1] and their targets (1 in order, 0 shuffled)."""
        return order_tuples(to_float(self.inputs_of(clips)))

    def training_step(self, batch) -> dict:
        triplets, in_order = self.pretext_batch(batch)
        return classification_outputs(self.head(self.backbone(triplets)), in_order)
