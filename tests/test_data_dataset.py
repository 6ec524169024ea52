"""data/dataset.py: one in-memory format for every kind of data, each kind
checking its own inputs with one clear error; ImageSet's resizing of uint8 images and
the one check of an images tensor, with a hint for the usual mistakes."""

import pytest
import torch

import sslworkbench as sw
from sslworkbench.data import (
    DATASETS,
    KINDS,
    OPTIONS_PASSED_ON,
    AudioSet,
    ClipSet,
    Dataset,
    ImageSet,
    PairedSet,
    SequenceSet,
    dataset_kind,
)
from sslworkbench.data.dataset import check_images, resize_uint8
from sslworkbench.errors import WorkbenchError


def labels(n):
    return torch.arange(n) % 2


def test_every_kind_keeps_rows_together_when_selected():
    made = {
        "images": ImageSet(torch.zeros(4, 3, 8, 8, dtype=torch.uint8), labels(4), ["a", "b"]),
        "tokens": SequenceSet(torch.arange(8).view(4, 2), labels(4), ["a", "b"], vocab=[str(i) for i in range(8)]),
        "audio": AudioSet(torch.randn(4, 1_000), labels(4), ["a", "b"]),  # longer than one FFT window (400 samples)
        "clips": ClipSet(torch.zeros(4, 5, 3, 8, 8, dtype=torch.uint8), labels(4), ["a", "b"]),
        "image_text": PairedSet(torch.zeros(4, 3, 8, 8, dtype=torch.uint8), labels(4), ["a", "b"],
                                texts=torch.arange(12).view(4, 3), vocab=[str(i) for i in range(12)]),
    }
    assert set(made) | {"tensors"} == set(KINDS)
    for kind, data in made.items():
        assert data.kind == kind and len(data) == 4
        part = data.select(torch.tensor([3, 1]))
        assert type(part) is type(data) and part.labels.tolist() == [1, 1]
        assert data.raw_features().shape[0] == 4
        inputs = part.take(torch.tensor([0]))
        if kind == "image_text":
            assert torch.equal(inputs[1], data.texts[3:4])
        else:
            assert torch.equal(inputs, data.inputs[3:4])


@pytest.mark.parametrize("cls, bad, hint", [
    (ImageSet, torch.zeros(4, 8, 8, 3, dtype=torch.uint8), "permute"),
    (SequenceSet, torch.zeros(4, 2), "int64"),
    (AudioSet, torch.zeros(4, dtype=torch.long), "waveforms"),
    (ClipSet, torch.zeros(4, 3, 8, 8, dtype=torch.uint8), r"\(N, T, C, H, W\)"),
])
def test_wrong_inputs_are_one_clear_error(cls, bad, hint):
    with pytest.raises(sw.WorkbenchError, match=hint):
        cls.check(bad, "inputs")


def test_labels_and_extras_must_have_one_row_per_sample():
    with pytest.raises(sw.WorkbenchError, match="labels of shape"):
        Dataset(torch.zeros(4, 2), labels(3), ["a", "b"])
    with pytest.raises(sw.WorkbenchError, match="extras"):
        Dataset(torch.zeros(4, 2), labels(4), ["a", "b"], extras={"colour": torch.zeros(3)})
    with pytest.raises(sw.WorkbenchError, match="vocabulary"):
        SequenceSet(torch.full((2, 3), 9), labels(2), ["a", "b"], vocab=["x", "y"])


def test_sequences_count_their_tokens_and_decode():
    data = SequenceSet(torch.tensor([[2, 2, 0], [1, 2, 0]]), labels(2), ["a", "b"], vocab=["[PAD]", "x", "y"], pad_id=0)
    assert data.raw_features().tolist() == [[0, 0, 2], [0, 1, 1]]  # padding is not counted
    assert data.decode(data.inputs[1]) == "x y"
    assert data.method_settings() == {"vocab_size": 3, "sequence_length": 3, "pad_id": 0, "token_counts": [2, 1, 3]}


def test_the_raw_baseline_of_sound_is_log_mel_statistics_not_samples():
    rate = 8_000
    t = torch.arange(rate) / rate
    low, high = torch.sin(2 * torch.pi * 300 * t), torch.sin(2 * torch.pi * 2_500 * t)
    later = torch.sin(2 * torch.pi * 300 * t + 1.0)  # the same tone, its samples all different
    data = AudioSet(torch.stack([low, high, later]), labels(3), ["a", "b"], sample_rate=rate)
    raw = data.raw_features()
    assert data.raw_name == "log-mel statistics" and raw.shape == (3, 80)
    loud = raw[0, :40] > raw[0, :40].max() - 5  # the bands the tone fills (the others hold leakage, near log 0)
    assert (low - later).abs().mean() > 0.5 and torch.allclose(raw[0, :40][loud], raw[2, :40][loud], atol=0.05)
    assert (raw[0, :40][loud] - raw[1, :40][loud]).abs().max() > 1


@pytest.mark.parametrize("name, options, needle", [
    ("shapes", {"data_root": "data"}, "Unknown shapes option 'data_root'. Did you mean 'root'? Known shapes options: blur, "),
    ("shapes", {"colour": 3}, "Unknown shapes option 'colour'. Did you mean 'class_colour'?"),
    ("motifs", {"colour": 3}, "Unknown motifs option 'colour'. Known motifs options: n, root, seed, size."),
    ("captioned_shapes", {"uprigth": True}, "Did you mean 'upright'?"),  # options it passes on to shapes count
])
def test_an_unknown_dataset_option_is_one_clear_error_before_loading(name, options, needle):
    with pytest.raises(sw.WorkbenchError) as error:
        sw.load_dataset(name, "train", n=8, **options)
    assert needle in str(error.value)


def test_every_dataset_declares_its_kind_and_where_its_options_go():
    import inspect

    for name in DATASETS:
        assert dataset_kind(name) in KINDS
        catch_all = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(DATASETS[name]).parameters.values())
        assert catch_all == (name in OPTIONS_PASSED_ON), name  # else its options could not be checked
    for name in ("shapes", "motifs"):
        assert sw.load_dataset(name, "test", n=8).kind == dataset_kind(name)
    assert dataset_kind("spoken_digits") == "audio" and dataset_kind("captioned_shapes") == "image_text"


def test_resize_keeps_a_flat_image_flat_and_the_dtype():
    images = torch.full((5, 3, 8, 8), 77, dtype=torch.uint8)
    for size in (4, 8, 20):
        out = resize_uint8(images, size, chunk=2)  # chunked: several pieces put back together
        assert out.shape == (5, 3, size, size) and out.dtype == torch.uint8
        assert (out == 77).all()
    assert resize_uint8(images[:0], 16).shape == (0, 3, 16, 16)


def test_resize_matches_bilinear_interpolation():
    images = torch.randint(0, 256, (3, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    expected = torch.nn.functional.interpolate(images.float(), size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.equal(resize_uint8(images, 32), expected.round().clamp(0, 255).to(torch.uint8))


def test_resized_keeps_labels_classes_name_and_extras():
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8)
    data = ImageSet(images, torch.tensor([0, 1, 1, 0]), ["a", "b"], "tiny", {"hue": torch.arange(4.0)})
    small = data.resized(8)
    assert small.image_size == 8 and data.image_size == 16
    assert torch.equal(small.labels, data.labels) and small.classes == ["a", "b"] and small.name == "tiny"
    assert torch.equal(small.extras["hue"], data.extras["hue"])
    assert torch.allclose(data.float_images(), images.float() / 255)
    assert data.raw_features().shape == (4, 3 * 16 * 16)
    assert data.method_settings() == {"image_size": 16}


@pytest.mark.parametrize("bad, hint", [
    (torch.zeros(3, 8, 8), "add a batch dimension"),
    (torch.zeros(2, 8, 8, 3), "permute"),
    (torch.zeros(2, 1, 8, 8), "grayscale"),
    (torch.zeros(2, 8, dtype=torch.long), "token ids"),
    ([[0, 1]], "torch tensor"),
])
def test_a_wrong_images_tensor_is_one_error_with_a_hint(bad, hint):
    with pytest.raises(WorkbenchError, match=hint):
        check_images(bad)


def test_clips_refuse_a_backbone_built_for_frames_of_another_size():
    clips = ClipSet(torch.zeros(4, 5, 3, 16, 16, dtype=torch.uint8), labels(4), ["a", "b"], "small clips")
    backbone = sw.build_backbone("video_cnn", image_size=32)
    with pytest.raises(WorkbenchError, match="pretrained on 32×32 images and 'small clips' has 16×16"):
        clips.check_model(backbone)
    clips.check_model(sw.build_backbone("video_cnn", image_size=16))
    clips.check_model(sw.build_backbone("video_cnn"))   # built without a size: nothing to compare
