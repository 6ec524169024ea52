"""Rotation prediction — Gidaris, Singh & Komodakis, "Unsupervised
Representation Learning by Predicting Image Rotations", ICLR 2018.

For each minibatch of N images x (the paper feeds all four rotations of every
image in the same batch, which it found best):

    x_r = rot(x, r · 90°)  for r = 0, 1, 2, 3        4N inputs, 4N targets r
    h   = f(x_r)                                     the backbone's features
    loss = cross_entropy(W h, r)                     which way is up?

To tell the rotation, the network must find the object and know how it is
usually oriented. That needs data with an "up": on ordinary ``shapes`` the
object, its lighting and the background gradient are all drawn at uniformly
random angles, so a rotated image is exactly as likely as the original and the
task cannot be learned (its accuracy stays at chance, 25%) — a lesson in
itself: a pretext task only teaches what the data lets it ask. With
``load_dataset("shapes", ..., upright=True)`` (objects near their canonical
orientation, lit from above, backgrounds running top to bottom) it is learned
well. Notebook 03 measures both, and the probes with the other pretext tasks at
one budget. Digits have an up too.

    >>> method = build_method("rotation")
    >>> seen = method.pretext_batch(images)   # {"inputs": 4N rotated images, "targets": r}
    >>> method.predict(images)                # predicted quarter turns, 0..3
"""

from __future__ import annotations

import torch

from ..runtime import eval_mode
from ..views.pretext import classification_outputs, prepare, pretext_views, rotate
from .base import Method

ANGLES = (0, 90, 180, 270)


class RotationPrediction(Method):
    name = "rotation"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "pretext task"
    predicts = "which of four rotations (0°, 90°, 180°, 270°) was applied"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: a constant output scores chance"
    notebook = "03"

    def __init__(
        self,
        backbone: str = "small_cnn",
        backbone_options: dict | None = None,
        image_size: int = 32,
        views: dict | None = None,
    ):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.image_size = image_size
        self.views = pretext_views(image_size, views)
        self.head = torch.nn.Linear(self.backbone.feature_dim, 4)

    def pretext_batch(self, images: torch.Tensor) -> dict:
        """What the model sees and must predict: every image in its 4 rotations.
        ``inputs`` (4N, 3, H, W), ``targets`` (4N,) quarter turns; image i's
        rotations are rows i, N + i, 2N + i, 3N + i."""
        x = prepare(self.inputs_of(images), self.views, self.image_size, "rotation")
        n = x.shape[0]
        turns = torch.arange(4, device=x.device).repeat_interleave(n)
        return {"inputs": rotate(x.repeat(4, 1, 1, 1), turns), "targets": turns}

    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(inputs))

    def training_step(self, batch) -> dict:
        pretext = self.pretext_batch(self.inputs_of(batch))
        return classification_outputs(self.logits(pretext["inputs"]), pretext["targets"])

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """The predicted quarter turn (0..3, × 90° counter-clockwise) of each image, as given."""
        with eval_mode(self):
            x = prepare(self.inputs_of(images), None, self.image_size, "rotation")
            turns = self.logits(x).argmax(1)
        return turns
