"""Future-frame prediction — predict the next frame from the past ones
(Srivastava, Mansimov & Salakhutdinov, "Unsupervised Learning of Video
Representations using LSTMs", ICML 2015; Mathieu, Couprie & LeCun, "Deep
multi-scale video prediction beyond mean square error", ICLR 2016).

For each minibatch of N clips:

    x_1 … x_P, x_{P+1} = a random window of P + 1 frames of each clip
    h = f(x_1 … x_P)                       the backbone reads the past (P = 4)
    x̂_{P+1} = g(x_P, h)                   the decoder moves the last frame's pixels
    loss = mean (x̂_{P+1} − x_{P+1})²       (losses.frame_prediction_error)

The decoder (``NextFrameDecoder``) sees the last frame itself, so it knows where
everything is; what it cannot know from one frame is how things move — a
velocity, read linearly off the backbone's features h, which is what this task
teaches them. The decoder starts by predicting no motion, which is the trivial
baseline: copying the last frame. ``copy_last_error`` is logged next to the loss, and
:meth:`prediction_errors` measures both on held-out clips, one or more steps
ahead (later steps feed the model its own predictions).

The mean squared error rewards a blurred average of the possible futures
(Mathieu et al.'s point): expect a smeared object where the motion is uncertain.
"""

from __future__ import annotations

import torch

from ..data.dataset import Dataset, to_float
from ..losses import frame_prediction_error
from ..models.decoders import NextFrameDecoder
from ..runtime import eval_mode
from ..views.clips import check_length, past_and_future
from .base import Method
from .constraints import Whole


class FutureFrames(Method):
    name = "future_frames"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the next frame's pixels, from the four frames before it"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "12"
    input_kind = "clips"
    parameter_constraints = {
        "past": Whole(at_least=2, below="frames", unit="frames",
                      hint="one frame shows no motion, and a clip must keep a frame to predict"),
    }

    def __init__(self, backbone: str = "video_cnn", backbone_options: dict | None = None, frames: int = 16,
                 image_size: int = 32, past: int = 4, decoder_width: int = 16):
        super().__init__(backbone, backbone_options, image_size=image_size)
        self.frames, self.image_size, self.past = frames, image_size, past
        self.decoder = NextFrameDecoder(self.backbone.feature_dim, decoder_width)

    def predict_next(self, past: torch.Tensor) -> torch.Tensor:
        """The next frame (N, 3, H, W) after ``past`` (N, P, 3, H, W), float in [0, 1]."""
        return self.decoder(past[:, -1], self.backbone(past))

    def training_step(self, batch) -> dict:
        clips = to_float(self.inputs_of(batch))
        check_length(clips, self.past + 1, f"future_frames (past={self.past}, then one frame to predict)")
        seen, future = past_and_future(clips, self.past, 1)
        loss = frame_prediction_error(self.predict_next(seen), future[:, 0])
        copy_last = frame_prediction_error(seen[:, -1], future[:, 0])
        return {"loss": loss, "copy_last_error": copy_last.detach()}

    @torch.no_grad()
    def rollout(self, past: torch.Tensor, steps: int) -> torch.Tensor:
        """``steps`` frames after ``past`` (N, P, 3, H, W; uint8 or float), each predicted
        from the P frames before it, predictions included: (N, steps, 3, H, W) in [0, 1]."""
        window = to_float(past)
        check_length(window, self.past, f"future_frames.rollout (past={self.past})")
        window = window[:, -self.past :]
        predicted = []
        with eval_mode(self):
            for _ in range(steps):
                frame = self.predict_next(window).clamp(0, 1)
                predicted.append(frame)
                window = torch.cat([window[:, 1:], frame[:, None]], dim=1)
        return torch.stack(predicted, dim=1)

    @torch.no_grad()
    def prediction_errors(self, clips, steps: int = 1, batch_size: int = 32) -> dict:
        """Mean squared error of the predictions 1 … ``steps`` frames after each clip's
        first P frames, and of the trivial baseline (the last seen frame, copied):
        {"model": [per step], "copy last frame": [per step]}."""
        clips = clips.inputs if isinstance(clips, Dataset) else clips
        check_length(clips, self.past + steps, f"prediction_errors (past={self.past}, steps={steps})")
        device = next(self.parameters()).device
        model, copy = torch.zeros(steps), torch.zeros(steps)
        for start in range(0, clips.shape[0], batch_size):
            batch = to_float(clips[start : start + batch_size].to(device))
            seen, future = batch[:, : self.past], batch[:, self.past : self.past + steps]
            predicted = self.rollout(seen, steps)
            model += ((predicted - future) ** 2).mean(dim=(2, 3, 4)).sum(0).cpu()
            copy += ((seen[:, -1:] - future) ** 2).mean(dim=(2, 3, 4)).sum(0).cpu()
        return {"model": (model / clips.shape[0]).tolist(), "copy last frame": (copy / clips.shape[0]).tolist()}
