"""A backbone for sound: log-mel spectrogram, then 1-D convolutions over time.

    waveforms (N, T) at sample_rate ──► LogMel ──► (N, n_mels, F) log-mel, one column per 10 ms
          ──► each mel band standardised (BatchNorm over the band's values in the batch)
          ──► 1-D convolutions over time (the mel bands are the input channels):
                kernel 5, stride 1   n_mels → width      10 ms per frame
                kernel 3, stride 2   width  → dim        20 ms
                kernel 3, stride 2   dim    → dim        40 ms
                kernel 3, stride 1   dim    → dim        40 ms
          ──► latent frames (N, T', D), one per 40 ms, each hearing 19 frames (~200 ms)
          ──► mean over time ──► (N, D) clip features

Why 1-D convolutions over time and not a 2-D CNN over the spectrogram "image":
the mel bands are not a spatial axis where the same pattern recurs anywhere —
band 3 and band 30 mean different frequencies — so every band gets its own
weights (it is an input channel) and only time is convolved. It is also far
cheaper on a CPU: a 2-D CNN would run its kernels over 40 × 101 cells per clip.

The per-band standardisation matters because log-mel values are not centred:
silence sits at log(1e-6) ≈ -13.8 and a loud band near 0, and some bands are
louder than others on average. Standardising each band with statistics over the data
(the running mean and variance at evaluation) puts every band on one scale.

What the methods use, besides ``forward``:

    log_mel(waveforms)                      (N, n_mels, F): the front end, with the shape checked
    frame_features(waveforms)               (N, T', D): one latent per 40 ms (CPC's z_t)
    spectrogram_features(log_mel, hidden)   (N, T', D) from a log-mel spectrogram whose
                                            ``hidden`` cells are blanked (masked spectrogram modelling)

The backbone is built for one sample rate (its mel filters lie on frequencies of
that rate): ``sample_rate`` is an option that the audio methods hand on from the
data (``Method.__init__``), and ``AudioSet.check_model`` refuses a backbone built for
another rate.

The front end runs inside every step, on the fly (no spectrograms are cached):
``python benchmarks/audio_throughput.py`` prints clips per second of the front end
alone and of a whole training step, for what it costs on the machine at hand.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.log_mel import LogMel
from ..errors import WorkbenchError


def conv_block(channels_in: int, channels_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """A 1-D convolution over time (padding keeps ⌈F / stride⌉ frames), BatchNorm, ReLU."""
    return nn.Sequential(
        nn.Conv1d(channels_in, channels_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm1d(channels_out),
        nn.ReLU(inplace=True),
    )


class AudioCNN(nn.Module):
    """Waveforms (N, T), float, at ``sample_rate`` Hz → (N, ``dim``) features."""

    input_kind = "audio"
    #: spectrogram frames per latent frame (the two stride-2 blocks): 4 × 10 ms = 40 ms
    stride = 4

    def __init__(self, sample_rate: int = 8000, n_mels: int = 40, width: int = 64, dim: int = 128):
        super().__init__()
        for name, value in (("width", width), ("dim", dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise WorkbenchError(f"audio_cnn: {name} must be a positive whole number (got {value!r}).")
        self.frontend = LogMel(sample_rate, n_mels)  # checks sample_rate and n_mels
        self.sample_rate, self.n_mels, self.feature_dim = sample_rate, n_mels, dim
        self.band_norm = nn.BatchNorm1d(n_mels)  # each mel band standardised over the batch and time
        self.convs = nn.Sequential(
            conv_block(n_mels, width, 5),
            conv_block(width, dim, 3, stride=2),
            conv_block(dim, dim, 3, stride=2),
            conv_block(dim, dim, 3),
        )

    def log_mel(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(N, T) waveforms → (N, n_mels, F) log-mel spectrograms, F = 1 + T // hop."""
        if not isinstance(waveforms, torch.Tensor) or waveforms.dim() != 2 or not waveforms.is_floating_point():
            got = tuple(waveforms.shape) if isinstance(waveforms, torch.Tensor) else type(waveforms).__name__
            hint = ""
            if isinstance(waveforms, torch.Tensor) and waveforms.dim() == 1:
                hint = " (one clip? add a batch dimension: waveform[None])"
            elif isinstance(waveforms, torch.Tensor) and waveforms.dim() == 3:
                hint = " (spectrograms? this backbone makes its own: give it waveforms, or call spectrogram_features)"
            elif isinstance(waveforms, torch.Tensor) and not waveforms.is_floating_point():
                hint = f" of {waveforms.dtype} (16-bit samples? divide by 32768)"
            raise WorkbenchError(f"audio_cnn reads float waveforms of shape (N, T); got {got}{hint}.")
        return self.frontend(waveforms)

    def latent_frames(self, samples: int) -> int:
        """How many latent frames T' a clip of ``samples`` samples gives."""
        return -(-self.frontend.frames(samples) // self.stride)  # ⌈F / 4⌉

    def spectrogram_features(self, log_mel: torch.Tensor, hidden: torch.Tensor | None = None) -> torch.Tensor:
        """(N, n_mels, F) log-mel spectrograms → (N, T', D) latent frames.

        ``hidden``: optional (N, n_mels, F) mask, 1 on the cells to blank. They are
        blanked *after* the per-band standardisation, to 0 — the band's mean — so
        that a hidden cell says nothing about its value."""
        if log_mel.dim() != 3 or log_mel.shape[1] != self.n_mels:
            raise WorkbenchError(f"audio_cnn's spectrogram_features reads log-mel spectrograms (N, {self.n_mels}, F); "
                                 f"got {tuple(log_mel.shape)}.")
        x = self.band_norm(log_mel)
        if hidden is not None:
            if hidden.shape != log_mel.shape:
                raise WorkbenchError(f"hidden must be a mask of the spectrograms' shape {tuple(log_mel.shape)}; "
                                     f"got {tuple(hidden.shape)}.")
            x = x * (1 - hidden.to(x.dtype))
        return self.convs(x).transpose(1, 2)

    def frame_features(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(N, T) waveforms → (N, T', D): one latent frame per 40 ms of sound."""
        return self.spectrogram_features(self.log_mel(waveforms))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.frame_features(waveforms).mean(dim=1)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, feature_dim={self.feature_dim}"


def check_audio_backbone(backbone: nn.Module, method: str, needs: str = "frame_features") -> None:
    """One clear error when ``method`` is given a backbone that does not read waveforms (or lacks ``needs``)."""
    if not isinstance(getattr(backbone, "sample_rate", None), int) or not hasattr(backbone, needs):
        raise WorkbenchError(f"{method} reads waveforms and needs an audio backbone with {needs}() "
                             f"(got {type(backbone).__name__}): use backbone='audio_cnn'.")
