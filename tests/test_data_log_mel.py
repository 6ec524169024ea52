"""data/log_mel.py: the log-mel front end — the mel filters against librosa's formula and
against where they should peak, a tone's energy in the band of its frequency,
shapes, the layer, and one clear error for each mistake (the wrong sample rate
above all)."""

import math

import numpy as np
import pytest
import torch

from sslworkbench.data.dataset import AudioSet
from sslworkbench.data.log_mel import LogMel, hz_to_mel, log_mel_spectrogram, mel_filterbank, mel_to_hz, spectrogram_set
from sslworkbench.errors import WorkbenchError


def librosa_htk_mel(sample_rate, n_fft, n_mels, f_min, f_max):
    """librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=True, norm=None), written out in numpy
    (librosa 0.10's code, so the workbench need not depend on librosa)."""
    fft_frequencies = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    to_mel = lambda hz: 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)  # noqa: E731
    mel_f = 700.0 * (10.0 ** (np.linspace(to_mel(f_min), to_mel(f_max), n_mels + 2) / 2595.0) - 1.0)
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_frequencies)
    weights = np.zeros((n_mels, 1 + n_fft // 2))
    for i in range(n_mels):
        lower = -ramps[i] / fdiff[i]
        upper = ramps[i + 2] / fdiff[i + 1]
        weights[i] = np.maximum(0, np.minimum(lower, upper))
    return weights


def tone(hz, seconds=1.0, sample_rate=16_000, amplitude=0.5):
    t = torch.arange(round(seconds * sample_rate), dtype=torch.float64) / sample_rate
    return (amplitude * torch.sin(2 * math.pi * hz * t)).float()


@pytest.mark.parametrize("sample_rate, n_fft, n_mels, f_min, f_max", [
    (16_000, 400, 40, 0.0, None), (8_000, 200, 40, 0.0, None), (22_050, 512, 64, 50.0, 8_000.0),
])
def test_the_filterbank_is_librosas_htk_filterbank(sample_rate, n_fft, n_mels, f_min, f_max):
    filters = mel_filterbank(n_fft, n_mels, sample_rate, f_min, f_max)
    assert filters.shape == (n_mels, n_fft // 2 + 1) and filters.dtype == torch.float32
    reference = librosa_htk_mel(sample_rate, n_fft, n_mels, f_min, sample_rate / 2 if f_max is None else f_max)
    assert np.abs(filters.numpy() - reference).max() < 1e-5


def test_the_filters_peak_at_mel_spaced_centres_and_are_triangles():
    sample_rate, n_fft, n_mels = 16_000, 2048, 40  # fine bins, so each peak can be located
    filters = mel_filterbank(n_fft, n_mels, sample_rate)
    bin_hz = sample_rate / n_fft
    peaks_hz = filters.argmax(dim=1).double() * bin_hz
    centres_hz = mel_to_hz(torch.linspace(0, float(hz_to_mel(torch.tensor(8000.0))), n_mels + 2)[1:-1].double())
    assert (peaks_hz - centres_hz).abs().max() <= bin_hz / 2 + 1e-6
    assert torch.allclose(hz_to_mel(torch.tensor(1000.0)), torch.tensor(1000.0), atol=0.1)  # the scale's anchor
    assert 0.9 < filters.max(dim=1).values.min() <= 1  # 1 at the centre, which may fall between two bins
    assert (filters >= 0).all()
    # between neighbouring centres, the two filters that overlap add up to 1 (triangles)
    between = (filters.argmax(dim=1)[0] + 1, filters.argmax(dim=1)[-1])
    assert torch.allclose(filters[:, between[0] : between[1]].sum(dim=0), torch.ones(between[1] - between[0]), atol=1e-5)
    # mel spacing: the filters widen with frequency
    widths = (filters > 0).sum(dim=1)
    assert widths[-1] > 4 * widths[1]


@pytest.mark.parametrize("hz", [300.0, 1000.0, 2500.0, 6000.0])
def test_a_tones_energy_lands_in_the_band_of_its_frequency(hz):
    sample_rate, n_mels = 16_000, 40
    spectrogram = log_mel_spectrogram(tone(hz), sample_rate, n_mels=n_mels)
    loudest = int(spectrogram[0].mean(dim=1).argmax())
    centres = mel_to_hz(torch.linspace(0, float(hz_to_mel(torch.tensor(8000.0))), n_mels + 2).double())
    assert centres[loudest] <= hz <= centres[loudest + 2]  # inside the band's triangle …
    assert loudest == int((centres[1:-1] - hz).abs().argmin())  # … whose centre is the nearest


def test_shapes_single_waveforms_and_the_log_of_a_gain():
    waveforms = torch.randn(3, 16_000) * 0.1
    spectrogram = log_mel_spectrogram(waveforms, 16_000)
    assert spectrogram.shape == (3, 40, 1 + 16_000 // 160)  # 25 ms windows every 10 ms
    assert log_mel_spectrogram(waveforms[0], 16_000).shape == (1, 40, 101)
    assert log_mel_spectrogram(torch.randn(2, 8_000), 8_000, n_mels=20).shape == (2, 20, 101)  # same frames at 8 kHz
    # the log turns a gain into an offset: twice the amplitude, four times the power, + log 4 everywhere
    louder = log_mel_spectrogram(2 * waveforms, 16_000)
    assert torch.allclose(louder - spectrogram, torch.full_like(spectrogram, math.log(4)), atol=1e-3)
    silence = log_mel_spectrogram(torch.zeros(1, 1000), 16_000)
    assert torch.allclose(silence, torch.full_like(silence, math.log(1e-6)))


def test_the_layer_has_buffers_and_no_parameters_and_matches_the_function():
    frontend = LogMel(16_000, n_mels=32)
    assert list(frontend.parameters()) == [] and set(frontend.state_dict()) == {"filters", "window"}
    assert (frontend.n_fft, frontend.hop, frontend.frames(16_000)) == (400, 160, 101)
    waveforms = torch.randn(2, 4_000)
    assert torch.allclose(frontend(waveforms), log_mel_spectrogram(waveforms, 16_000, n_mels=32), atol=1e-5)
    assert torch.equal(frontend(waveforms, sample_rate=16_000), frontend(waveforms))
    assert "sample_rate=16000" in repr(frontend)


def test_audio_at_another_rate_is_refused():
    frontend = LogMel(16_000)
    with pytest.raises(WorkbenchError, match="built for 16,000 Hz audio and got 22,050 Hz"):
        frontend.check_rate(22_050)
    with pytest.raises(WorkbenchError, match="22,050 Hz"):
        frontend(torch.randn(1, 22_050), sample_rate=22_050)
    with pytest.raises(WorkbenchError, match="built for 16,000 Hz"):
        log_mel_spectrogram(torch.randn(1, 22_050), 22_050, expected_rate=16_000)
    # the rate travels with the data: a whole AudioSet is checked, then converted
    data = AudioSet(torch.randn(5, 8_000), torch.arange(5), list("abcde"), "noise", sample_rate=8_000)
    with pytest.raises(WorkbenchError, match="built for 16,000 Hz audio and got 8,000 Hz"):
        spectrogram_set(data, frontend)
    spectrograms = spectrogram_set(data, LogMel(8_000), batch_size=2)
    assert spectrograms.inputs.shape == (5, 40, 101) and spectrograms.sample_rate == 8_000
    assert torch.equal(spectrograms.labels, data.labels) and spectrograms.classes == data.classes


@pytest.mark.parametrize("waveforms, message", [
    (torch.zeros(2, 1000, dtype=torch.int16), "float tensor"),
    (np.zeros((2, 1000), dtype=np.float32), "float tensor"),
    (torch.zeros(2, 40, 101), "look like spectrograms already"),
    (torch.zeros(2, 1, 1, 1000), r"\(N, T\) or \(T,\)"),
    (torch.zeros(2, 300), "shorter than one FFT window"),
])
def test_bad_waveforms_are_refused(waveforms, message):
    with pytest.raises(WorkbenchError, match=message):
        log_mel_spectrogram(waveforms, 16_000)


def test_bad_settings_are_refused():
    with pytest.raises(WorkbenchError, match="cover no frequency bin"):
        mel_filterbank(64, 80, 16_000)
    with pytest.raises(WorkbenchError, match="f_max"):
        mel_filterbank(400, 40, 16_000, f_max=9_000)
    with pytest.raises(WorkbenchError, match="n_mels"):
        mel_filterbank(400, 0, 16_000)
    with pytest.raises(WorkbenchError, match="sample_rate"):
        LogMel(16_000.0)
    with pytest.raises(WorkbenchError, match="hop"):
        LogMel(16_000, n_fft=100, hop=200)
