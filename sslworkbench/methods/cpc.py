"""Contrastive predictive coding (CPC) — van den Oord, Li & Vinyals,
"Representation Learning with Contrastive Predictive Coding", 2018.

For each minibatch of N clips x (Figure 1 of the paper):

    z_t = g_enc(x)            the backbone's latent frames, one per 40 ms (frame_features): (N, T, D)
    c_t = g_ar(z_≤t)          a GRU over the latents: the context, everything heard up to t
    ẑ_t+k = W_k c_t           for k = 1..K: a linear prediction of the latent k steps ahead
    loss = InfoNCE            ẑ_t+k must pick out the true z_t+k among latents of the batch —
                              the other clips' and the same clip's at other times (cpc_loss;
                              the score is the paper's f_k = exp(z_t+kᵀ W_k c_t))

Predicting the future *in latent space* and contrastively is the idea: predicting
the waveform itself would spend the model on every detail of the noise, while
telling the true future latent from others only needs what is predictable —
the pitch that goes on, the rhythm, the glide's direction.

The paper reads 10 ms latents from raw waveforms with a strided CNN and predicts
12 steps (120 ms); here the latents come from the audio backbone (log-mel, 40 ms
per latent, each hearing ~200 ms of sound) and K = 6 steps span 240 ms. For k ≤ 4
the window the latent z_t+k hears overlaps the last one the context heard, so the
first steps are partly a matter of continuing the same sound: the accuracy per
step (``accuracy_step_k``, logged) falls with k. The paper keeps c_t as the
representation for downstream tasks; here, as for every method, the backbone's
features (z averaged over time) are what is evaluated, and the GRU is thrown away.

The negatives: ``negatives`` latents drawn at random from the batch's N·T (256 of
128 × 26 = 3,328 at the default batch size), one draw for every prediction of a training step. Scoring
every prediction against every latent (``negatives=None``) costs (N·T)² products
per step: on a CPU, training with all of them ran several times slower than with
256, for a loss that only sums more of the same kind of terms.

Notebook 13 measures the accuracy per step, and the probes of the frozen backbone
against the untrained one, on spoken digits.

    >>> method = build_method("cpc", sample_rate=8000)
    >>> out = method.predict(waveforms)        # latents (N, T, D), context (N, T, C), predictions (N, T, K, D)
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError
from ..losses import cpc_logits, cpc_loss
from ..models.audio import check_audio_backbone
from ..views.audio import check_length
from .base import Method
from .constraints import Whole


class CPC(Method):
    name = "cpc"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "the latent k steps ahead, from the context heard so far (InfoNCE)"
    positives = "the true future latent"
    negatives = "latents of the batch's other clips and of other times in the same clip"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "13"
    across_devices = "one process"
    one_process_reason = ("its negatives are drawn from the batch's latent frames, and drawing them from "
                          "every device is not built: train it in one process")
    input_kind = "audio"
    parameter_constraints = {
        "prediction_steps": Whole(at_least=1, at_most=32, what="K (how many latent frames ahead to predict)",
                                  hint="the paper predicts 12 steps of 10 ms"),
        "negatives": Whole(at_least=1, what="how many latents of the batch each prediction is told apart from",
                           or_none="for all of them"),
    }

    def __init__(
        self,
        backbone: str = "audio_cnn",
        backbone_options: dict | None = None,
        sample_rate: int = 8000,
        prediction_steps: int = 6,
        context_dim: int = 128,
        negatives: int | None = 256,
    ):
        super().__init__(backbone, backbone_options, sample_rate=sample_rate)
        check_audio_backbone(self.backbone, self.name, needs="frame_features")
        self.sample_rate, self.prediction_steps, self.negatives = sample_rate, prediction_steps, negatives
        dim = self.backbone.feature_dim
        self.context = nn.GRU(dim, context_dim, batch_first=True)  # g_ar
        self.predictors = nn.Linear(context_dim, prediction_steps * dim, bias=False)  # W_1 … W_K, stacked

    def predict(self, waveforms) -> dict:
        """The latents z (N, T, D), the contexts c (N, T, C) and the predictions W_k c_t (N, T, K, D)."""
        waveforms = self.inputs_of(waveforms)
        check_length(waveforms, 1, self.name)  # waveforms (N, T), not spectrograms
        latents = self.backbone.frame_features(waveforms)
        n, t, d = latents.shape
        if t <= self.prediction_steps:
            raise WorkbenchError(
                f"cpc predicts up to {self.prediction_steps} latent frames ahead, and these clips "
                f"({waveforms.shape[1] / self.sample_rate:g} s) give only {t} latent frames: use prediction_steps ≤ "
                f"{t - 1} (or longer clips)."
            )
        context, _ = self.context(latents)
        predictions = self.predictors(context).view(n, t, self.prediction_steps, d)
        return {"latents": latents, "context": context, "predictions": predictions}

    def draw_negatives(self, count: int, device=None) -> torch.Tensor | None:
        """Indices of ``negatives`` of the batch's ``count`` latents, drawn without replacement (None: all)."""
        if self.negatives is None or self.negatives >= count:
            return None
        return torch.randperm(count, device=device)[: self.negatives]

    def training_step(self, batch) -> dict:
        out = self.predict(batch)  # the labels are never looked at
        predictions, latents = out["predictions"], out["latents"]
        negatives = self.draw_negatives(latents.shape[0] * latents.shape[1], latents.device)
        loss = cpc_loss(predictions, latents, negatives)
        metrics = {}
        with torch.no_grad():  # does the true future score highest? step by step
            for step in range(1, self.prediction_steps + 1):
                logits, targets = cpc_logits(predictions.float(), latents.float(), step, negatives)
                metrics[f"accuracy_step_{step}"] = (logits.argmax(dim=1) == targets).float().mean()
        accuracy = torch.stack(list(metrics.values())).mean()
        return {"loss": loss, "pretext_accuracy": accuracy, **metrics, "embeddings": latents.mean(dim=1).detach()}
