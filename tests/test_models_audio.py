"""models/audio.py: the audio backbone — its shapes, what each latent frame hears,
that blanked cells say nothing, one clear error for each wrong input, and the
sample rate travelling from the data to the backbone and checked on the way back."""

import pytest
import torch

from sslworkbench.data import load_dataset
from sslworkbench.data.dataset import AudioSet
from sslworkbench.errors import WorkbenchError
from sslworkbench.evaluation.probes import embed
from sslworkbench.methods import build_method
from sslworkbench.models import BACKBONES, build_backbone, data_options
from sslworkbench.models.audio import AudioCNN
from sslworkbench.training.recipe import method_settings


def test_shapes_one_latent_per_40_ms():
    torch.manual_seed(0)
    net = AudioCNN()
    waveforms = torch.randn(4, 8000) * 0.1
    assert net.log_mel(waveforms).shape == (4, 40, 101)  # one column per 10 ms
    assert net.frame_features(waveforms).shape == (4, 26, 128) and net.latent_frames(8000) == 26
    assert net(waveforms).shape == (4, 128) and net.feature_dim == 128
    assert net.frame_features(waveforms[:, :4000]).shape == (4, 13, 128)
    assert BACKBONES["audio_cnn"] is AudioCNN and build_backbone("audio_cnn", sample_rate=16000).sample_rate == 16000


def test_each_latent_frame_hears_19_spectrogram_frames():
    torch.manual_seed(0)
    net = AudioCNN().eval()  # running statistics: a change in one frame stays local
    spectrogram = torch.randn(1, 40, 101)
    changed = spectrogram.clone()
    changed[:, :, 50] += 3
    moved = (net.spectrogram_features(changed) - net.spectrogram_features(spectrogram)).abs().sum(dim=2)[0] > 0
    assert moved.nonzero().flatten().tolist() == [m for m in range(26) if abs(4 * m - 50) <= 9]  # 4m − 9 … 4m + 9


def test_blanked_cells_say_nothing_of_their_values():
    torch.manual_seed(0)
    net = AudioCNN().eval()
    spectrogram, hidden = torch.randn(2, 40, 101), torch.zeros(2, 40, 101)
    hidden[:, :, 30:60] = 1
    hidden[:, 10:15] = 1
    other = torch.where(hidden.bool(), torch.randn(2, 40, 101) * 5, spectrogram)
    assert torch.equal(net.spectrogram_features(spectrogram, hidden), net.spectrogram_features(other, hidden))
    assert not torch.equal(net.spectrogram_features(spectrogram), net.spectrogram_features(other))


@pytest.mark.parametrize("inputs, needle", [
    (torch.zeros(8000), r"add a batch dimension"),
    (torch.zeros(2, 40, 101), r"spectrograms\? .*spectrogram_features"),
    (torch.zeros(2, 8000, dtype=torch.int16), r"16-bit samples\? divide by 32768"),
])
def test_wrong_inputs_are_one_clear_error(inputs, needle):
    with pytest.raises(WorkbenchError, match=r"audio_cnn reads float waveforms of shape \(N, T\); got .*" + needle):
        AudioCNN()(inputs)


def test_bad_options_are_clear_errors():
    with pytest.raises(WorkbenchError, match="sample_rate must be a positive whole number"):
        AudioCNN(sample_rate=8000.0)
    with pytest.raises(WorkbenchError, match="dim must be a positive whole number"):
        AudioCNN(dim=0)
    with pytest.raises(WorkbenchError, match="spectrogram_features reads log-mel spectrograms"):
        AudioCNN().spectrogram_features(torch.zeros(2, 64, 101))


def test_the_recipe_builds_the_backbone_for_the_datas_sample_rate():
    waveforms = torch.randn(6, 16000) * 0.1
    data = AudioSet(waveforms, torch.zeros(6, dtype=torch.long), ["x"], "sixteen", sample_rate=16_000)
    assert data.method_settings() == {"sample_rate": 16_000}
    settings = method_settings("cola", data, {})
    assert settings["sample_rate"] == 16_000
    assert build_method("cola", **settings).backbone.sample_rate == 16_000
    assert data_options("audio_cnn", {"sample_rate": 22_050}, sample_rate=16_000) == {"sample_rate": 22_050}  # given win
    assert data_options("small_cnn", None, sample_rate=16_000) == {}   # only what the backbone is built for


def test_a_backbone_built_for_another_sample_rate_is_refused():
    sounds = load_dataset("sounds", "train", n=8)  # 8 kHz
    net = AudioCNN(sample_rate=16_000)
    with pytest.raises(WorkbenchError, match="built for 16,000 Hz audio and 'sounds' is sampled at 8,000 Hz"):
        sounds.check_model(net)
    with pytest.raises(WorkbenchError, match="built for 16,000 Hz"):
        embed(net, sounds)
    assert embed(AudioCNN(), sounds).shape == (8, 128)


def test_the_audio_benchmark_prints_both_rates():
    """benchmarks/audio_throughput.py: what models/audio.py's docstring points to for its speed."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "audio_throughput.py"
    finished = subprocess.run([sys.executable, str(script), "--batch-size", "4", "--repeats", "1"],
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert "log-mel front end" in finished.stdout and "training step" in finished.stdout
    assert finished.stdout.count("clips/s") == 2
