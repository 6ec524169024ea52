"""Masked spectrogram modelling — reconstruct the parts of the sound that were
taken away: the denoising autoencoder (Vincent et al. 2008) and MAE (He et al.
2022) for audio, as in SSAST (Gong et al., "SSAST: Self-Supervised Audio
Spectrogram Transformer", AAAI 2022) and MAE-AST (Baade, Peng & Harwath 2022).

For each minibatch of N clips x:

    S = log_mel(x)                        (N, n_mels, F): one column per 10 ms
    M = time blocks ∪ frequency bands     per clip, a share ``mask_ratio`` of the frames hidden in
                                          blocks of ``time_block`` frames, and ``frequency_masks``
                                          bands of up to ``frequency_width`` mel bands (SpecAugment's
                                          shapes); M = 1 on every hidden cell
    z = f(S with the cells of M blanked)  the backbone's latent frames (spectrogram_features): (N, T', D)
    Ŝ = decoder(z)                        back to (N, n_mels, F): a convolution over time, then a
                                          linear map of each latent frame to its 4 spectrogram columns
    target = standardise(S)               each clip's log-mel minus its mean, over its spread
    loss = masked_mse(Ŝ, target, M)       the hidden cells only: what was shown costs nothing

A hidden stretch of a tone is easy to fill from both sides; a hidden stretch of
clicks or of a vibrato needs the model to know the rhythm or the rate; a hidden
band needs it to know which harmonics go together. The encoder never gets the
hidden cells' values — only zeros where they were — so all it can use is what
the sound around them implies.

``band_mean_mse`` is logged next to the loss: the error of filling every hidden
cell with its band's mean over the visible cells of the same clip (the data's
mean, 0, for a band hidden throughout): what a model that knows the clip's
spectrum but nothing of time would score. Beating it is learning something.

Notebook 13 measures the hidden-cell error against the band-mean baseline, and the
probes of the frozen backbone against the untrained one, on spoken digits.

    >>> method = build_method("masked_spectrogram", sample_rate=8000)
    >>> pictures = method.reconstruct(waveforms)    # "masked", "target", "prediction", "mask": (N, n_mels, F)
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import WorkbenchError
from ..losses import masked_mse
from ..models.audio import check_audio_backbone
from ..runtime import eval_mode
from ..views.audio import check_length, frequency_masks, hidden_cells, time_blocks
from .base import Method
from .constraints import Number, Whole


def standardise(spectrograms: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Each (n_mels, F) spectrogram minus its mean, over its standard deviation
    (like MAE's per-patch normalised targets): a louder clip is the same target."""
    mean = spectrograms.mean(dim=(1, 2), keepdim=True)
    return (spectrograms - mean) / (spectrograms.var(dim=(1, 2), keepdim=True) + eps).sqrt()


def band_mean_baseline(target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Every cell predicted as its band's mean over the clip's visible cells (0 where the whole band is hidden)."""
    visible = 1 - mask
    return (target * visible).sum(dim=2, keepdim=True) / visible.sum(dim=2, keepdim=True).clamp_min(1)


class SpectrogramDecoder(nn.Module):
    """Latent frames (N, T', D) → spectrograms (N, n_mels, frames): a convolution
    over time (kernel 3), GELU, then each latent frame's ``stride`` spectrogram
    columns from a linear map (a 1×1 convolution to stride × n_mels channels)."""

    def __init__(self, dim: int, n_mels: int, stride: int, hidden: int = 128):
        super().__init__()
        self.n_mels, self.stride = n_mels, stride
        self.layers = nn.Sequential(nn.Conv1d(dim, hidden, 3, padding=1), nn.GELU(), nn.Conv1d(hidden, n_mels * stride, 1))

    def forward(self, latents: torch.Tensor, frames: int) -> torch.Tensor:
        n, t, _ = latents.shape
        y = self.layers(latents.transpose(1, 2))  # (N, n_mels · stride, T'): channel m · stride + s
        y = y.view(n, self.n_mels, self.stride, t).transpose(2, 3)  # (N, n_mels, T', stride)
        return y.reshape(n, self.n_mels, t * self.stride)[:, :, :frames]  # column t' · stride + s


class MaskedSpectrogram(Method):
    name = "masked_spectrogram"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "reconstruction"
    predicts = "the hidden time blocks and mel bands of the log-mel spectrogram"
    positives = "none"
    negatives = "none"
    against_collapse = "a reconstruction target made from the input: a constant output cannot reproduce it"
    notebook = "13"
    input_kind = "audio"
    parameter_constraints = {
        "mask_ratio": Number(above=0, below=1, what="the share of the time frames hidden", hint="try 0.5"),
        "time_block": Whole(at_least=1, unit="spectrogram frames", hint="8 frames are 80 ms"),
    }

    def __init__(
        self,
        backbone: str = "audio_cnn",
        backbone_options: dict | None = None,
        sample_rate: int = 8000,
        mask_ratio: float = 0.5,
        time_block: int = 8,
        frequency_masks: int = 1,
        frequency_width: int = 8,
        decoder_width: int = 128,
    ):
        super().__init__(backbone, backbone_options, sample_rate=sample_rate)
        check_audio_backbone(self.backbone, self.name, needs="spectrogram_features")
        n_mels = self.backbone.n_mels
        if not (isinstance(frequency_masks, int) and frequency_masks >= 0
                and isinstance(frequency_width, int) and 0 <= frequency_width < n_mels):
            raise WorkbenchError(f"frequency_masks must be a count ≥ 0 and frequency_width a number of mel bands in "
                                 f"0..{n_mels - 1} (got {frequency_masks!r}, {frequency_width!r}).")
        self.sample_rate, self.mask_ratio, self.time_block = sample_rate, float(mask_ratio), time_block
        self.frequency_masks, self.frequency_width = frequency_masks, frequency_width
        self.decoder = SpectrogramDecoder(self.backbone.feature_dim, n_mels, self.backbone.stride, decoder_width)

    def draw_mask(self, n: int, frames: int, device=None) -> torch.Tensor:
        """(N, n_mels, frames), 1 on the hidden cells: time blocks and frequency bands."""
        if frames < 2 * self.time_block:
            raise WorkbenchError(f"masked_spectrogram hides blocks of {self.time_block} frames and these clips have "
                                 f"only {frames} spectrogram frames: use time_block ≤ {max(1, frames // 2)}, or longer clips.")
        time = time_blocks(n, frames, self.mask_ratio, self.time_block, device)
        bands = frequency_masks(n, self.backbone.n_mels, self.frequency_masks, self.frequency_width, device)
        return hidden_cells(time, bands)

    def predict(self, waveforms, mask: torch.Tensor | None = None) -> dict:
        """Mask, encode, decode: ``prediction``, ``target`` and ``mask``, each (N, n_mels, F)."""
        waveforms = self.inputs_of(waveforms)
        check_length(waveforms, 1, self.name)  # waveforms (N, T), not spectrograms
        spectrograms = self.backbone.log_mel(waveforms)
        n, _, frames = spectrograms.shape
        mask = self.draw_mask(n, frames, spectrograms.device) if mask is None else mask
        latents = self.backbone.spectrogram_features(spectrograms, hidden=mask)
        prediction = self.decoder(latents, frames)
        return {"prediction": prediction, "target": standardise(spectrograms), "mask": mask}

    @staticmethod
    def errors(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> dict:
        """The loss on the hidden cells, and the band-mean baseline's error on the same cells."""
        loss = masked_mse(prediction.float()[:, None], target[:, None], mask[:, None])  # a spectrogram is a 1-channel image
        with torch.no_grad():
            baseline = masked_mse(band_mean_baseline(target, mask)[:, None].expand_as(target[:, None]),
                                  target[:, None], mask[:, None])
        return {"loss": loss, "band_mean_mse": baseline}

    def training_step(self, batch) -> dict:
        out = self.predict(batch)  # the labels are never looked at
        return self.errors(out["prediction"], out["target"], out["mask"])

    @torch.no_grad()
    def reconstruct(self, waveforms: torch.Tensor, seed: int = 0) -> dict:
        """Pictures of a batch, each (N, n_mels, F) in the target's units: ``target``,
        ``masked`` (hidden cells at 0), ``prediction``, ``reconstruction`` (the visible
        cells as they were, the hidden ones predicted) and ``mask``; and the errors."""
        devices = [waveforms.device] if waveforms.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), eval_mode(self):  # the same mask for a seed; training's draws untouched
            torch.manual_seed(seed)
            out = self.predict(waveforms)
        target, prediction, mask = out["target"], out["prediction"].float(), out["mask"]
        errors = {key: float(value) for key, value in self.errors(prediction, target, mask).items()}
        return {
            "target": target, "masked": target * (1 - mask), "prediction": prediction,
            "reconstruction": target * (1 - mask) + prediction * mask, "mask": mask,
            "hidden_mse": errors["loss"], "band_mean_mse": errors["band_mean_mse"],
        }
