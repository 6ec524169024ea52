"""The arrow of time — Wei, Lim, Zisserman & Freeman, "Learning and Using the
Arrow of Time", CVPR 2018 (after Pickup et al., "Seeing the Arrow of Time", 2014).

For each minibatch of N clips:

    w = a random window of ``length`` frames of each clip
    w' = w played backwards, for a random half of the clips (``clip_views.reverse_some``)
    h = f(w')                      the backbone reads the window
    loss = cross_entropy(W h, forwards?)

Only what physics does not run backwards can tell the direction: a ball
sliding at a steady speed and bouncing off a wall looks as plausible reversed.
On ``moving_shapes`` the cue is friction (every object slows down): a reversed
clip shows an object speeding up on its own. With ``friction=0`` there is no
cue at all and the task stays at chance (notebook 12). Wei et al. found the
same in real video, and warned of artificial cues — compression artefacts,
camera motion conventions — that a network finds before the physics.
"""

from __future__ import annotations

import torch

from ..data.dataset import to_float
from ..views.clips import check_length, reverse_some, windows
from ..views.pretext import classification_outputs
from .base import Method
from .constraints import Whole


class ArrowOfTime(Method):
    name = "arrow_of_time"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "pretext task"
    predicts = "whether a window of frames plays forwards or backwards"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: a constant output scores chance"
    notebook = "12"
    input_kind = "clips"
    parameter_constraints = {
        "length": Whole(at_least=3, at_most="frames", unit="frames", hint="frames is the clips' length"),
    }

    def __init__(self, backbone: str = "video_cnn", backbone_options: dict | None = None, frames: int = 16,
                 image_size: int = 32, length: int = 8):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.frames, self.image_size, self.length = frames, image_size, length
        self.head = torch.nn.Linear(self.backbone.feature_dim, 2)

    def pretext_batch(self, clips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Windows (N, length, 3, H, W) in [0, 1], some reversed, and targets (1 forwards, 0 backwards)."""
        clips = self.inputs_of(clips)
        check_length(clips, self.length, f"arrow_of_time (length={self.length})")
        window, _ = windows(to_float(clips), self.length)
        return reverse_some(window)

    def training_step(self, batch) -> dict:
        window, forwards = self.pretext_batch(batch)
        return classification_outputs(self.head(self.backbone(window)), forwards)
