"""The audio front end: waveforms → log-mel spectrograms.

A waveform is a long row of numbers (8,000 or 16,000 a second), and nearly all of
what a listener hears in it — pitch, timbre, a vowel — is in *which frequencies*
are loud, and how that changes over time. So audio models almost never read the
raw samples. They read a **log-mel spectrogram**, made in four steps:

1. cut the waveform into short overlapping windows (25 ms, every 10 ms), each
   tapered by a Hann window so that its edges do not sound like clicks;
2. take each window's Fourier transform and keep its power |X(f)|²
   (``torch.stft``): a *spectrogram*, one column per window;
3. pool the power of neighbouring frequencies with triangular filters spaced
   evenly on the **mel scale** — the ear tells 100 Hz from 200 Hz far better
   than 4,100 Hz from 4,200 Hz, so filters are narrow at low frequencies and
   wide at high ones;
4. take the logarithm: loudness is heard on a log scale too, and the log turns
   a sound's overall gain into an additive offset.

The result is a small image, (n_mels, frames) per clip, that image backbones can read.

The filters depend on the sample rate (a filter meant for 1 kHz lies on other
frequency bins at another rate), so a front end built for 16 kHz audio must
refuse 22,050 Hz audio, not quietly compute nonsense: the rate travels with the
data (``AudioSet.sample_rate``) and is checked here (``LogMel.check_rate``).

Why written here and not taken from torchaudio: torchaudio's releases no longer
follow the torch version this project pins (a torchaudio wheel is built for one
exact torch release), and the whole front end is ~40 lines of torch.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from ..errors import WorkbenchError

WINDOW_SECONDS = 0.025  # the usual speech front end: 25 ms windows …
HOP_SECONDS = 0.010  # … every 10 ms


def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    """HTK's mel scale: nearly linear below ~700 Hz, logarithmic above (1,000 Hz ↦ 1,000 mel)."""
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def mel_filterbank(n_fft: int, n_mels: int, sample_rate: int, f_min: float = 0.0, f_max: float | None = None) -> torch.Tensor:
    """Triangular filters, evenly spaced on the (HTK) mel scale, as a (n_mels, n_fft // 2 + 1) tensor.

    Filter ``k`` rises from 0 at centre ``k - 1`` to 1 at centre ``k`` and falls to
    0 at centre ``k + 1``, where the ``n_mels + 2`` centres (the two ends included)
    are evenly spaced in mels between ``f_min`` and ``f_max`` (default: the Nyquist
    frequency, half the sample rate). Multiply a power spectrum by it to get the
    power in each mel band. Peaks are 1 (no area normalisation: HTK's and librosa's
    ``htk=True, norm=None``)."""
    f_max = sample_rate / 2 if f_max is None else f_max
    if isinstance(n_mels, bool) or not isinstance(n_mels, int) or n_mels < 1:
        raise WorkbenchError(f"n_mels must be a positive whole number (got {n_mels!r}).")
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise WorkbenchError(f"The mel filters need 0 ≤ f_min < f_max ≤ sample_rate / 2 = {sample_rate / 2:g} Hz "
                             f"(got f_min={f_min:g}, f_max={f_max:g}).")
    bin_hz = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # the frequency of each FFT bin
    mel_low, mel_high = hz_to_mel(torch.tensor([f_min, f_max], dtype=torch.float64))
    edges_hz = mel_to_hz(torch.linspace(mel_low, mel_high, n_mels + 2, dtype=torch.float64))  # evenly spaced in mels
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]  # each (n_mels, 1)
    rising = (bin_hz - lower) / (centre - lower)  # 0 at the lower edge, 1 at the centre
    falling = (upper - bin_hz) / (upper - centre)  # 1 at the centre, 0 at the upper edge
    filters = torch.clamp(torch.minimum(rising, falling), min=0)
    empty = (filters.sum(dim=1) == 0).nonzero().flatten().tolist()
    if empty:  # more bands than the FFT can tell apart at low frequencies
        raise WorkbenchError(f"Mel filters {empty[:5]} cover no frequency bin: {n_mels} mel bands are too many for an "
                             f"FFT of {n_fft} samples at {sample_rate} Hz; use fewer mels or a longer window.")
    return filters.float()


def check_waveforms(waveforms) -> torch.Tensor:
    """``waveforms`` as a float (N, T) batch (a single (T,) waveform gets N = 1), or one clear error."""
    if not isinstance(waveforms, torch.Tensor) or not waveforms.is_floating_point():
        got = waveforms.dtype if isinstance(waveforms, torch.Tensor) else type(waveforms).__name__
        raise WorkbenchError(f"Waveforms must be a float tensor (samples in [-1, 1]); got {got}. "
                             "16-bit audio: divide by 32768, e.g. torch.from_numpy(samples).float() / 32768.")
    if waveforms.dim() == 1:
        waveforms = waveforms[None]
    if waveforms.dim() != 2:
        hint = " (these look like spectrograms already)" if waveforms.dim() == 3 else ""
        raise WorkbenchError(f"Waveforms must be of shape (N, T) or (T,); got {tuple(waveforms.shape)}{hint}.")
    return waveforms


def check_rate(rate, expected: int) -> None:
    """One clear error when audio at ``rate`` Hz meets a front end built for ``expected`` Hz."""
    if rate != expected:
        raise WorkbenchError(
            f"This audio front end was built for {expected:,} Hz audio and got {rate:,} Hz: its mel filters would "
            f"lie on the wrong frequencies. Resample the audio to {expected:,} Hz (most loaders take sample_rate=), "
            f"or build the front end for {rate:,} Hz."
        )


def window_sizes(sample_rate: int, n_fft: int | None = None, hop: int | None = None) -> tuple[int, int]:
    """(n_fft, hop) in samples: by default 25 ms windows every 10 ms (400 and 160 at 16 kHz)."""
    n_fft = round(WINDOW_SECONDS * sample_rate) if n_fft is None else n_fft
    hop = round(HOP_SECONDS * sample_rate) if hop is None else hop
    if not (isinstance(n_fft, int) and isinstance(hop, int) and 0 < hop <= n_fft):
        raise WorkbenchError(f"n_fft and hop must be whole numbers of samples with 0 < hop ≤ n_fft (got {n_fft}, {hop}).")
    return n_fft, hop


def _log_mel(waveforms: torch.Tensor, filters: torch.Tensor, window: torch.Tensor, hop: int, eps: float) -> torch.Tensor:
    """The four steps, for a checked (N, T) batch and a built filterbank and window."""
    n_fft = window.shape[0]
    if waveforms.shape[1] < n_fft:
        raise WorkbenchError(f"A clip of {waveforms.shape[1]} samples is shorter than one FFT window ({n_fft} samples).")
    spectrum = torch.stft(waveforms, n_fft, hop_length=hop, window=window, center=True, return_complex=True)
    power = spectrum.abs().pow(2)  # (N, n_fft // 2 + 1, frames)
    return torch.log(filters @ power + eps)  # (N, n_mels, frames)


def log_mel_spectrogram(
    waveforms: torch.Tensor,
    sample_rate: int,
    *,
    expected_rate: int | None = None,
    n_mels: int = 40,
    n_fft: int | None = None,
    hop: int | None = None,
    f_min: float = 0.0,
    f_max: float | None = None,
    eps: float = 1e-6,
) -> torch.Tensor:
    """Log-mel spectrograms (N, n_mels, frames) of float waveforms (N, T) or (T,) at ``sample_rate`` Hz.

    ``expected_rate``: the rate the caller's model was built for; audio at another
    rate is refused. ``n_fft``/``hop``: window length and step in samples (default
    25 ms and 10 ms); frames = 1 + T // hop (windows are centred on their frame).
    ``eps`` keeps silence finite: log(eps) ≈ -13.8 for the default."""
    if expected_rate is not None:
        check_rate(sample_rate, expected_rate)
    waveforms = check_waveforms(waveforms)
    n_fft, hop = window_sizes(sample_rate, n_fft, hop)
    filters = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max).to(waveforms)
    window = torch.hann_window(n_fft, dtype=waveforms.dtype, device=waveforms.device)
    return _log_mel(waveforms, filters, window, hop, eps)


class LogMel(nn.Module):
    """The log-mel front end as a layer: waveforms (N, T) → (N, n_mels, frames).

    Built for one sample rate. It has no parameters, only buffers (the filterbank
    and the window), so it moves with ``.to(device)`` and is saved in a checkpoint
    without anything to train. Use it as the first layer of an audio backbone, and
    call :meth:`check_rate` with the data's ``sample_rate`` before feeding it."""

    def __init__(self, sample_rate: int, n_mels: int = 40, n_fft: int | None = None, hop: int | None = None,
                 f_min: float = 0.0, f_max: float | None = None, eps: float = 1e-6):
        super().__init__()
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
            raise WorkbenchError(f"sample_rate must be a positive whole number of Hz (got {sample_rate!r}).")
        self.sample_rate, self.n_mels, self.eps = sample_rate, n_mels, eps
        self.n_fft, self.hop = window_sizes(sample_rate, n_fft, hop)
        self.register_buffer("filters", mel_filterbank(self.n_fft, n_mels, sample_rate, f_min, f_max))
        self.register_buffer("window", torch.hann_window(self.n_fft))

    def check_rate(self, rate: int) -> None:
        """Refuse audio at another sample rate than this front end's."""
        check_rate(rate, self.sample_rate)

    def frames(self, samples: int) -> int:
        """How many spectrogram columns a clip of ``samples`` samples gives."""
        return 1 + samples // self.hop

    def forward(self, waveforms: torch.Tensor, sample_rate: int | None = None) -> torch.Tensor:
        """Log-mel spectrograms of ``waveforms``; pass ``sample_rate`` to have it checked."""
        if sample_rate is not None:
            self.check_rate(sample_rate)
        return _log_mel(check_waveforms(waveforms), self.filters, self.window, self.hop, self.eps)

    def extra_repr(self) -> str:
        return f"sample_rate={self.sample_rate}, n_mels={self.n_mels}, n_fft={self.n_fft}, hop={self.hop}"


def spectrogram_set(data, frontend: LogMel, batch_size: int = 256):
    """An ``AudioSet`` of waveforms as an ``AudioSet`` of log-mel spectrograms (N, n_mels, frames),
    with the same labels, extras and sample rate. Computed in batches: the complex
    spectra of a whole split at once would take hundreds of MB."""
    frontend.check_rate(data.sample_rate)
    with torch.no_grad():
        inputs = torch.cat([frontend(data.inputs[start : start + batch_size].float())
                            for start in range(0, len(data), batch_size)])
    return replace(data, inputs=inputs)
