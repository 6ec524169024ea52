"""COLA — Saeed, Grangier & Zeghidour, "Contrastive Learning of General-Purpose
Audio Representations", ICASSP 2021.

For each minibatch of N clips x:

    a, p = segment(x), segment(x)     two random segments of every clip (0.5 s of 1 s here;
                                      1 s of 10 s in the paper): its anchor and its positive
    h_a, h_p = f(a), f(p)             the backbone's features      (what we keep)
    g_a, g_p = g(h_a), g(h_p)         projection: linear → LayerNorm → tanh
    s(a_i, p_j) = g_aᵢᵀ W g_pⱼ        a learned *bilinear* similarity
    loss = bilinear_contrastive(g_a, g_p, W)
                                      cross-entropy over the batch: each anchor must pick out
                                      its own clip's segment among the N segments

The paper uses no augmentation but the choice of segments (the authors' code adds
a faint noise to the positive). What two segments of a clip share is what the
clip *is* — but also everything that does not change within a clip: in
``sounds``, the pitch, the loudness, the level of the background noise. The model
uses whatever tells clips apart most easily, so by default here each segment is
also made louder or quieter (``gain_db``: up to ±6 dB) and gets its own background
noise (``noise_db``: -60 to -35 dBFS, around the clips' own -65 to -40), which
takes the loudness and the noise floor away as cues. In a run on ``sounds`` that
chose these defaults, segments alone (``gain_db=0, noise_db=None``) solved the
pretext task more often, yet the linear probe of the frozen backbone on the sound
class fell below the untrained backbone's; with gain and noise it rose far above
it. With segments alone the task is solved by something the two segments share
and the class does not: the features are worse than random ones. (Notebook 13
trains COLA on spoken digits and probes it against the untrained backbone.)

The bilinear similarity W replaces SimCLR's cosine similarity with a temperature
(the paper compares the two and keeps the bilinear one). W starts small (normal,
std 1/D), so that the first scores are about ±0.5 and the first loss is log N, what
a model that knows nothing scores. The authors' code draws it with std 0.05: at
D = 512 the first scores are about ±13 and the first loss about 4 times log N
(in a short run, that start did not end with a better probe).

    >>> method = build_method("cola", sample_rate=8000)
    >>> anchors, positives = method.pretext_batch(waveforms)      # (N, 4000) each
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError
from ..losses import bilinear_contrastive
from ..models.audio import check_audio_backbone
from ..views.audio import add_noise, check_length, random_gain, segments
from .base import Method
from .constraints import Number


def segment_samples(seconds: float, sample_rate: int) -> int:
    """``seconds`` as a whole number of samples at ``sample_rate`` (at least one)."""
    return max(1, round(seconds * sample_rate))


class COLA(Method):
    name = "cola"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which segment of the batch comes from the same clip (a learned bilinear similarity)"
    positives = "two random segments of one clip, each with its own gain and noise"
    negatives = "the segments of the batch's other clips"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "13"
    input_kind = "audio"
    min_batch_size = 2
    min_batch_reason = "the other clips' segments are the negatives"
    across_devices = "gathers"  # every device's clips are the negatives
    parameter_constraints = {
        "segment_seconds": Number(above=0, unit="seconds", hint="the paper cuts 1 s of 10 s clips"),
        "gain_db": Number(at_least=0, hint="0 dB turns it off"),
    }

    def __init__(
        self,
        backbone: str = "audio_cnn",
        backbone_options: dict | None = None,
        sample_rate: int = 8000,
        segment_seconds: float = 0.5,
        projection_dim: int = 512,
        gain_db: float = 6.0,
        noise_db: tuple | None = (-60.0, -35.0),
    ):
        super().__init__(backbone, backbone_options, sample_rate=sample_rate)
        check_audio_backbone(self.backbone, self.name, needs="forward")
        self.sample_rate = sample_rate
        self.segment = segment_samples(segment_seconds, sample_rate)
        if self.segment < self.backbone.frontend.n_fft:
            raise WorkbenchError(f"segment_seconds={segment_seconds} is shorter than one spectrogram window "
                                 f"({self.backbone.frontend.n_fft} samples); use 0.1 s or more (the paper: 1 s).")
        if noise_db is not None:
            add_noise(torch.zeros(1, 1), noise_db)  # fails clearly on a bad range
        self.gain_db, self.noise_db = gain_db, noise_db
        self.projector = nn.Sequential(
            nn.Linear(self.backbone.feature_dim, projection_dim), nn.LayerNorm(projection_dim), nn.Tanh()
        )
        self.similarity = nn.Parameter(torch.randn(projection_dim, projection_dim) / projection_dim)  # W; see the module doc

    def distort(self, waveforms: torch.Tensor) -> torch.Tensor:
        if self.gain_db:
            waveforms = random_gain(waveforms, self.gain_db)
        if self.noise_db is not None:
            waveforms = add_noise(waveforms, self.noise_db)
        return waveforms

    def pretext_batch(self, waveforms) -> tuple[torch.Tensor, torch.Tensor]:
        """Two random segments of every clip, (N, segment) each: the anchors and their positives."""
        waveforms = self.inputs_of(waveforms)
        check_length(waveforms, 1, self.name)  # waveforms (N, T), not spectrograms
        if waveforms.shape[1] < self.segment:
            raise WorkbenchError(
                f"cola cuts segments of {self.segment} samples ({self.segment / self.sample_rate:g} s) and these clips "
                f"have {waveforms.shape[1]} ({waveforms.shape[1] / self.sample_rate:g} s): use segment_seconds ≤ "
                f"{waveforms.shape[1] / self.sample_rate:g}."
            )
        anchors, _ = segments(waveforms, self.segment)
        positives, _ = segments(waveforms, self.segment)
        return self.distort(anchors), self.distort(positives)

    def training_step(self, batch) -> dict:
        anchors, positives = self.pretext_batch(batch)  # the labels are never looked at
        g_a, g_p = self.projector(self.backbone(torch.cat([anchors, positives]))).chunk(2)  # one pass: shared BN statistics
        g_a, g_p = self.gather(g_a), self.gather(g_p)
        loss = bilinear_contrastive(g_a, g_p, self.similarity)
        with torch.no_grad():
            picked = (g_a @ self.similarity @ g_p.T).argmax(dim=1) == torch.arange(len(g_a), device=g_a.device)
        return {"loss": loss, "pretext_accuracy": picked.float().mean(), "embeddings": g_a.detach()}
