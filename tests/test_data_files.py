"""Your own data through ``load_dataset``: ``image_folder``, ``text_file``, ``audio_folder``.

Every test writes small real files in ``tmp_path`` (PNG, JPEG, GIF with Pillow; CSV, TSV
and text; WAV, FLAC and OGG with soundfile) and reads them back by name, as a learner would.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

import sslworkbench as sw
from sslworkbench.data import dataset_kind
from sslworkbench.data.dataset import UNLABELLED
from sslworkbench.data.image_folder import decode_image
from sslworkbench.evaluation.probes import evaluate_backbone

soundfile = pytest.importorskip("soundfile")


def load(name, split="train", **options):
    """load_dataset, failing the test on any warning (a test that expects one catches it itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return sw.load_dataset(name, split, **options)


# ---------------------------------------------------------------------------
# image_folder
# ---------------------------------------------------------------------------


def solid(colour, size=(40, 30), mode="RGB"):
    return Image.new(mode, size, colour)


def image_classes(folder, per_class=5, classes=("cat", "dog")):
    """``per_class`` small RGB images in each class sub-folder, every image its own colour."""
    for c, name in enumerate(classes):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            solid((40 * c + 10, 20 * i + 5, 99), size=(30 + 7 * i, 24)).save(folder / name / f"{i}.png")
    return folder


def test_class_subfolders_of_every_mode_and_size_load_as_uint8_rgb(tmp_path):
    folder = tmp_path / "pets"
    (folder / "cat" / "indoor").mkdir(parents=True)
    (folder / "dog").mkdir()
    solid((200, 10, 10), (64, 48)).save(folder / "cat" / "photo.jpg", quality=90)
    solid((0, 0, 255, 128), (20, 50), "RGBA").save(folder / "cat" / "icon.png")
    solid(120, (33, 33), "L").save(folder / "cat" / "indoor" / "grey.png")  # nested: still a cat
    Image.fromarray(np.full((16, 24), 40000, dtype=np.uint16)).save(folder / "dog" / "scan16.png")  # I;16
    solid((10, 200, 10)).convert("P", palette=Image.Palette.ADAPTIVE).save(folder / "dog" / "palette.gif")
    solid((10, 200, 10), (300, 200)).convert("CMYK").save(folder / "dog" / "print.jpg")
    (folder / "dog" / "notes.txt").write_text("not an image")  # other files are not read
    (folder / ".ipynb_checkpoints").mkdir()  # nor hidden folders
    solid((1, 2, 3)).save(folder / ".ipynb_checkpoints" / "x.png")

    train, test = load("image_folder", path=folder, root=tmp_path), load("image_folder", "test", path=folder, root=tmp_path)
    assert isinstance(train, sw.data.ImageSet) and dataset_kind("image_folder") == "images"
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (3, 32, 32)
    assert train.classes == ["cat", "dog"] and train.labelled and train.name == "pets"
    assert len(train) + len(test) == 6
    assert sorted(torch.cat([train.labels, test.labels]).tolist()) == [0, 0, 0, 1, 1, 1]
    assert test.labels.tolist() == [0, 1]  # stratified: one of each class's three (20%, at least one)


def test_every_mode_becomes_the_rgb_a_person_sees(tmp_path):
    cases = {
        "transparent.png": (solid((255, 0, 0, 0), mode="RGBA"), (255, 255, 255)),  # composited on white
        "half.png": (solid((0, 0, 0, 128), mode="RGBA"), (127, 127, 127)),
        "opaque.png": (solid((0, 0, 200, 255), mode="RGBA"), (0, 0, 200)),
        "grey.png": (solid(100, mode="L"), (100, 100, 100)),
        "grey_alpha.png": (solid((0, 0), mode="LA"), (255, 255, 255)),
        "sixteen.png": (Image.fromarray(np.full((30, 40), 65535, dtype=np.uint16)), (255, 255, 255)),
        "sixteen_mid.png": (Image.fromarray(np.full((30, 40), 257 * 60, dtype=np.uint16)), (60, 60, 60)),
        "palette.png": (solid((10, 20, 30)).convert("P", palette=Image.Palette.ADAPTIVE), (10, 20, 30)),
        "palette.gif": (solid((250, 250, 0)).convert("P", palette=Image.Palette.ADAPTIVE), (250, 250, 0)),
    }
    transparent = solid((0, 255, 0)).convert("P", palette=Image.Palette.ADAPTIVE)
    transparent.info["transparency"] = transparent.getpixel((0, 0))  # its one colour is see-through
    cases["clear.png"] = (transparent, (255, 255, 255))
    for name, (image, rgb) in cases.items():
        image.save(tmp_path / name, **({"transparency": image.info["transparency"]} if "transparency" in image.info else {}))
        pixels = decode_image(tmp_path / name, 8)
        assert pixels.shape == (3, 8, 8) and pixels.dtype == torch.uint8, name
        assert (pixels - torch.tensor(rgb).view(3, 1, 1)).abs().max() <= 1, (name, pixels[:, 0, 0])


def test_the_short_side_is_resized_and_the_middle_square_kept(tmp_path):
    wide = np.zeros((32, 64, 3), dtype=np.uint8)
    wide[:, :16] = (255, 0, 0)  # a red quarter, a green half, a blue quarter
    wide[:, 16:48] = (0, 255, 0)
    wide[:, 48:] = (0, 0, 255)
    Image.fromarray(wide).save(tmp_path / "wide.png")
    square = decode_image(tmp_path / "wide.png", 16)
    assert square.shape == (3, 16, 16)
    inside = square[:, :, 1:-1]  # (the filter of the edge columns reaches a little past the square)
    assert inside[1].min() >= 250 and inside[0].max() <= 5 and inside[2].max() <= 5  # all green: nothing squashed
    assert square[1].min() >= 200


def test_size_decodes_at_that_size_and_n_takes_a_seeded_subset(tmp_path):
    folder = image_classes(tmp_path / "pets")
    big = load("image_folder", path=folder, root=tmp_path, size=48)
    assert big.images.shape == (8, 3, 48, 48)
    assert (tmp_path / "cache").exists() is False and any(tmp_path.glob("image_folder-*-48px.pt"))
    assert len(load("image_folder", path=folder, root=tmp_path, n=3)) == 3
    same = load("image_folder", path=folder, root=tmp_path, n=3, seed=4).images
    assert torch.equal(same, load("image_folder", path=folder, root=tmp_path, n=3, seed=4).images)


def test_the_split_is_fixed_disjoint_and_the_same_for_every_seed(tmp_path):
    folder = image_classes(tmp_path / "pets", per_class=10)
    train = load("image_folder", path=folder, root=tmp_path)
    test = load("image_folder", "test", path=folder, root=tmp_path)
    assert len(train) == 16 and len(test) == 4 and test.labels.tolist() == [0, 0, 1, 1]
    colours = {tuple(image[:, 0, 0].tolist()) for image in train.images}
    assert not colours & {tuple(image[:, 0, 0].tolist()) for image in test.images}  # no image in both
    again = load("image_folder", "test", path=folder, root=tmp_path, seed=7)
    assert torch.equal(again.images, test.images)


def test_a_second_load_reads_the_cache_and_a_changed_file_is_decoded_again(tmp_path, monkeypatch):
    folder = image_classes(tmp_path / "pets")
    first = load("image_folder", path=folder, root=tmp_path)

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again although nothing changed")

    with monkeypatch.context() as patch:
        patch.setattr(Image, "open", no_decoding)
        assert torch.equal(load("image_folder", path=folder, root=tmp_path).images, first.images)
    solid((1, 2, 3), size=(30, 24)).save(folder / "cat" / "0.png")  # the same name, other pixels
    changed = load("image_folder", path=folder, root=tmp_path)
    assert not torch.equal(changed.images, first.images)
    assert (changed.images[:, :, 0, 0] == torch.tensor([1, 2, 3], dtype=torch.uint8)).all(1).any()
    assert len(list(tmp_path.glob("image_folder-*.pt"))) == 2
    for cached in tmp_path.glob("image_folder-*.pt"):
        cached.write_bytes(b"a damaged cache")  # is decoded again, not an error
    assert torch.equal(load("image_folder", path=folder, root=tmp_path).images, changed.images)


def test_files_that_do_not_decode_are_left_out_and_named_in_one_warning(tmp_path):
    folder = image_classes(tmp_path / "pets")
    solid((9, 9, 9), (200, 200)).save(tmp_path / "whole.jpg")
    (folder / "cat" / "cut.jpg").write_bytes((tmp_path / "whole.jpg").read_bytes()[:400])  # truncated
    (folder / "dog" / "fake.jpg").write_bytes(b"these bytes are no JPEG")
    with pytest.warns(UserWarning) as caught:
        train = sw.load_dataset("image_folder", path=folder, root=tmp_path)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "2 of 12 files" in message and "cat/cut.jpg" in message and "dog/fake.jpg" in message
    assert len(train) == 8
    with pytest.warns(UserWarning, match="2 of 12 files"):  # the cache remembers them, and says so again
        sw.load_dataset("image_folder", path=folder, root=tmp_path)


def test_bad_folders_are_one_clear_error(tmp_path):
    def refused(needle, **options):
        with pytest.raises(sw.WorkbenchError) as error:
            load("image_folder", root=tmp_path, **options)
        assert needle in str(error.value), str(error.value)

    refused("image_folder needs path=")
    refused("does not exist", path=tmp_path / "nowhere")
    (tmp_path / "file.png").write_bytes(b"x")
    refused("is a file", path=tmp_path / "file.png")
    (tmp_path / "empty").mkdir()
    refused("(it is empty)", path=tmp_path / "empty")
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("hi")
    refused("other files, e.g. a.txt", path=tmp_path / "texts")
    mixed = image_classes(tmp_path / "mixed")
    solid((0, 0, 0)).save(mixed / "stray.png")
    refused("files of its own (e.g. stray.png) and class sub-folders", path=mixed)
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("a.jpg", "b.png", "c.gif", "d.jpg"):
        (broken / name).write_bytes(b"nothing")
    refused("none of the 4 files", path=broken)
    refused("test_fraction must be", path=image_classes(tmp_path / "ok"), test_fraction=1.5)
    refused("size must be", path=tmp_path / "ok", size=4)
    refused("the test split is empty", path=tmp_path / "ok", test_fraction=0, split="test")


def test_a_flat_folder_is_unlabelled_pretrains_and_is_refused_by_the_probes(tmp_path):
    folder = tmp_path / "holiday"
    folder.mkdir()
    for i in range(12):
        solid((20 * i, 100, 200 - 10 * i), (40, 30 + i)).save(folder / f"{i:02}.jpg")
    train = load("image_folder", path=folder, root=tmp_path)
    assert train.classes == [UNLABELLED] and not train.labelled and (train.labels == 0).all()
    assert len(train) == 10 and not train.resized(16).labelled  # every copy stays unlabelled
    said = []
    run = sw.pretrain("simclr", "image_folder", data_options={"path": str(folder), "root": str(tmp_path)},
                      epochs=1, batch_size=8, log=said.append)   # evaluation asked for, and skipped: no labels
    assert np.isfinite(run.history.losses[-1]) and run.scores is None
    assert "not evaluated: 'holiday' has no labels (kNN and the linear probe need them)" in said
    test = load("image_folder", "test", path=folder, root=tmp_path)
    with pytest.raises(sw.WorkbenchError, match="'holiday' has no labels: kNN and the linear probe need labels"):
        evaluate_backbone(run.method.backbone, train, test)


# ---------------------------------------------------------------------------
# text_file
# ---------------------------------------------------------------------------

WORDS = "the cat sat on a mat while the dog ran to the park and a bird sang in the old tree".split()


def sentences(count, seed=0):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(3, 9))) for _ in range(count)]


def test_a_text_file_is_one_unlabelled_example_a_line(tmp_path):
    lines = sentences(40)
    (tmp_path / "poems.txt").write_text("\n".join(lines[:20]) + "\n\n   \n" + "\r\n".join(lines[20:]) + "\n")
    options = {"path": tmp_path / "poems.txt", "root": tmp_path, "vocab_size": 40, "length": 64}
    train, test = load("text_file", **options), load("text_file", "test", **options)
    assert isinstance(train, sw.data.SequenceSet) and dataset_kind("text_file") == "tokens"
    assert len(train) == 32 and len(test) == 8  # the empty lines are left out
    assert train.inputs.dtype == torch.long and train.inputs.shape == (32, 64) and train.name == "poems"
    assert not train.labelled and train.classes == [UNLABELLED]
    assert train.vocab_id is not None and train.vocab_id == test.vocab_id  # one tokenizer for both splits
    assert train.method_settings()["vocab_size"] == len(train.vocab)
    assert train.decode(train.inputs[0]) in lines and (train.inputs[:, 0] == 2).all()  # [CLS] text [SEP]
    assert len(list(tmp_path.glob("text_file-*-bpe-40.model"))) == 1  # learned once, then read


def test_csv_and_tsv_tables_give_labels_from_a_column(tmp_path):
    rows = sentences(30, seed=1)
    csv_text = "id,text,stars\n" + "".join(f'{i},"{text}, truly",{1 + i % 3}\n' for i, text in enumerate(rows))
    (tmp_path / "reviews.csv").write_text(csv_text + "30,,2\n31,an unlabelled row,\n")
    with pytest.warns(UserWarning, match="reviews.csv: 1 row without a label or with missing fields left out"):
        data = sw.load_dataset("text_file", path=tmp_path / "reviews.csv", label_column="stars", root=tmp_path,
                               vocab_size=40, length=64)
    with pytest.warns(UserWarning, match="1 row without a label"):  # every load says so
        test = sw.load_dataset("text_file", "test", path=tmp_path / "reviews.csv", label_column="stars",
                               root=tmp_path, vocab_size=40, length=64)
    assert data.classes == ["1", "2", "3"] and data.labelled
    assert sorted(torch.cat([data.labels, test.labels]).bincount().tolist()) == [10, 10, 10]
    assert test.labels.bincount().tolist() == [2, 2, 2]
    assert data.decode(data.inputs[0]).endswith(", truly")  # the quoted comma is the text's own
    (tmp_path / "reviews.tsv").write_text("body\tgenre\n" + "".join(f"{t}\t{'ab'[i % 2]}\n" for i, t in enumerate(rows)))
    tsv = load("text_file", path=tmp_path / "reviews.tsv", text_column="body", label_column="genre",
               root=tmp_path, vocab_size=40, length=64)
    assert tsv.classes == ["a", "b"] and len(tsv) == 24


def test_the_course_vocabulary_reads_a_file_as_the_bible_models_do(tmp_path):
    (tmp_path / "verses.txt").write_text("In the beginning God created the heavens and the earth.\nAnd it was so.\n")
    data = load("text_file", path=tmp_path / "verses.txt", tokens="bible", test_fraction=0)  # data/'s vocabulary
    assert data.vocab_id == sw.data.bible.tokenizer("bpe", 8000).fingerprint and len(data.vocab) == 8000
    assert data.decode(data.inputs[0]).lower().startswith("in the beginning")
    words = load("text_file", path=tmp_path / "verses.txt", tokens="words", root=tmp_path, vocab_size=20,
                 test_fraction=0)
    assert words.tokenizer.kind == "words"


def test_a_line_that_is_not_utf8_is_left_out_and_counted(tmp_path):
    lines = [text.encode() for text in sentences(9)]
    lines.insert(3, "caf\xe9 cr\xe8me br\xfbl\xe9e".encode("latin-1"))  # Latin-1: not UTF-8
    (tmp_path / "mixed.txt").write_bytes(b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"1 line not utf-8 text left out \(line 4; pass encoding='latin-1'"):
        data = sw.load_dataset("text_file", path=tmp_path / "mixed.txt", root=tmp_path, vocab_size=30)
    assert len(data) == 7  # 9 of the 10 lines, 80%
    (tmp_path / "latin.txt").write_bytes(b"\n".join(lines))
    every = load("text_file", path=tmp_path / "latin.txt", root=tmp_path, vocab_size=30, encoding="latin-1")
    assert len(every) == 8


def test_a_utf16_file_with_its_byte_order_mark_reads_as_utf16(tmp_path):
    lines = sentences(10)
    (tmp_path / "excel.txt").write_text("\r\n".join(lines), encoding="utf-16")  # a spreadsheet's "Unicode text"
    data = load("text_file", path=tmp_path / "excel.txt", root=tmp_path, vocab_size=30, length=64, test_fraction=0)
    assert [data.decode(row) for row in data.inputs] == lines


def test_long_texts_are_cut_and_counted(tmp_path):
    (tmp_path / "long.txt").write_text("\n".join(" ".join(WORDS) for _ in range(10)))
    with pytest.warns(UserWarning, match="8 of 8 train texts longer than length=6 tokens, cut"):
        data = sw.load_dataset("text_file", path=tmp_path / "long.txt", root=tmp_path, vocab_size=30, length=6)
    assert data.inputs.shape == (8, 6) and (data.inputs[:, -1] == 3).all()  # each ends in [SEP]


def test_bad_text_files_are_one_clear_error(tmp_path):
    (tmp_path / "t.csv").write_text("text,label\n" + "".join(f"{s},x\n" for s in sentences(10)))
    (tmp_path / "t.txt").write_text("\n".join(sentences(10)))
    (tmp_path / "t.json").write_text("{}")
    (tmp_path / "empty.txt").write_text("\n\n")
    (tmp_path / "latin.txt").write_bytes("\n".join(["d\xe9j\xe0 vu", "na\xefve"] * 4).encode("latin-1"))
    (tmp_path / "blank.csv").write_text("")
    cases = [
        ({"path": tmp_path / "t.csv", "label_column": "stars"},
         "t.csv has no column 'stars' (label_column=); its columns are 'text', 'label'"),
        ({"path": tmp_path / "t.csv", "text_column": "body"}, "no column 'body' (text_column=)"),
        ({"path": tmp_path / "t.txt", "label_column": "label"}, "has one text a line and no columns"),
        ({"path": tmp_path / "t.json"}, "reads .txt, .csv and .tsv files"),
        ({"path": tmp_path / "nowhere.txt"}, "does not exist"),
        ({"path": tmp_path}, "is a folder"),
        ({"path": tmp_path / "empty.txt"}, "no texts in"),
        ({"path": tmp_path / "blank.csv"}, "needs a header row"),
        ({"path": tmp_path / "latin.txt"}, "none of the 8 lines of"),
        ({"path": tmp_path / "t.txt", "vocab_size": 5000}, "Pass a smaller vocab_size=, or tokens='bible'"),
        ({"path": tmp_path / "t.txt", "tokens": "chars"}, "tokens must be one of"),
        ({"path": tmp_path / "t.txt", "length": 2}, "length must be"),
        ({"path": tmp_path / "t.txt", "encoding": "klingon"}, "unknown encoding"),
        ({"path": tmp_path / "t.txt", "lenght": 8}, "Did you mean 'length'"),
    ]
    for options, needle in cases:
        with pytest.raises(sw.WorkbenchError) as error:
            load("text_file", root=tmp_path, **options)
        assert needle in str(error.value), (options, str(error.value))


def test_an_unlabelled_text_file_pretrains_a_language_model(tmp_path):
    (tmp_path / "poems.txt").write_text("\n".join(sentences(24)))
    run = sw.pretrain("mlm", "text_file", data_options={"path": str(tmp_path / "poems.txt"), "root": str(tmp_path),
                                                       "vocab_size": 40, "length": 48},
                      epochs=1, batch_size=8, evaluate=False)
    assert np.isfinite(run.history.losses[-1])


# ---------------------------------------------------------------------------
# audio_folder
# ---------------------------------------------------------------------------


def tone(hz, seconds, rate, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    wave = 0.5 * np.sin(2 * np.pi * hz * t)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def test_recordings_of_any_rate_and_format_become_clips_at_the_course_rate(tmp_path):
    folder = tmp_path / "birds"
    for name in ("owl", "wren"):
        (folder / name).mkdir(parents=True)
    soundfile.write(folder / "owl" / "a.wav", tone(440, 1.5, 44_100, channels=2), 44_100)  # stereo, 44.1 kHz, cut
    soundfile.write(folder / "owl" / "b.flac", tone(440, 0.25, 16_000), 16_000)  # short: padded with silence
    soundfile.write(folder / "wren" / "c.wav", tone(1000, 1.0, 8_000), 8_000, subtype="PCM_16")
    soundfile.write(folder / "wren" / "d.ogg", tone(1000, 1.0, 22_050), 22_050, format="OGG", subtype="VORBIS")
    train = load("audio_folder", path=folder, root=tmp_path, test_fraction=0)
    assert isinstance(train, sw.data.AudioSet) and dataset_kind("audio_folder") == "audio"
    assert train.inputs.shape == (4, 8000) and train.inputs.dtype == torch.float32 and train.sample_rate == 8000
    assert train.classes == ["owl", "wren"] and train.labels.tolist() == [0, 0, 1, 1]
    spectrum = torch.fft.rfft(train.inputs[0]).abs()  # 1 Hz a bin for a clip of 1 s
    assert abs(int(spectrum.argmax()) - 440) <= 1 and float(train.inputs[0].abs().max()) == pytest.approx(0.5, abs=0.02)
    assert abs(int(torch.fft.rfft(train.inputs[3]).abs().argmax()) - 1000) <= 1  # OGG, 22,050 Hz
    assert train.inputs[1, 2100:].abs().max() == 0 and train.inputs[1, :1900].abs().max() > 0.4  # 0.25 s, then silence
    longer = load("audio_folder", path=folder, root=tmp_path, test_fraction=0, duration=2.0, sample_rate=16_000)
    assert longer.inputs.shape == (4, 32_000) and longer.sample_rate == 16_000


def test_stereo_is_mixed_to_mono(tmp_path):
    wave = tone(300, 1.0, 8_000)
    soundfile.write(tmp_path / "a.wav", np.stack([wave, -wave], axis=1), 8_000, subtype="FLOAT")
    soundfile.write(tmp_path / "b.wav", np.stack([wave, wave], axis=1), 8_000, subtype="FLOAT")
    data = load("audio_folder", path=tmp_path, root=tmp_path / "cache", test_fraction=0)
    assert data.inputs[0].abs().max() < 1e-6 and data.inputs[1].abs().max() == pytest.approx(0.5, abs=1e-3)


def test_a_0_second_recording_and_a_broken_file_are_left_out_and_counted(tmp_path):
    folder = tmp_path / "sounds"
    folder.mkdir()
    for i in range(5):
        soundfile.write(folder / f"{i}.wav", tone(200 + 100 * i, 0.5, 8_000), 8_000)
    soundfile.write(folder / "silent.wav", np.zeros(0), 8_000)
    (folder / "broken.flac").write_bytes(b"fLaC and nothing after")
    with pytest.warns(UserWarning) as caught:
        data = sw.load_dataset("audio_folder", path=folder, root=tmp_path, test_fraction=0)
    message = str(caught[0].message)
    assert len(caught) == 1 and "2 of 7 files" in message and "silent.wav (0 seconds long)" in message
    assert "broken.flac" in message and len(data) == 5 and not data.labelled
    with pytest.raises(sw.WorkbenchError, match="none of the 1 files .* silent.wav"):
        empty = tmp_path / "empty"
        empty.mkdir()
        soundfile.write(empty / "silent.wav", np.zeros(0), 8_000)
        sw.load_dataset("audio_folder", path=empty, root=tmp_path)
    for options, needle in (({"sample_rate": 1000}, "sample_rate must be"), ({"duration": 0}, "duration must be")):
        with pytest.raises(sw.WorkbenchError, match=needle):
            load("audio_folder", path=folder, root=tmp_path, **options)


def test_an_unlabelled_audio_folder_pretrains(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(10):
        soundfile.write(tmp_path / f"{i}.wav", 0.1 * rng.standard_normal(8_000), 8_000)
    run = sw.pretrain("cola", "audio_folder", data_options={"path": str(tmp_path), "root": str(tmp_path / "cache")},
                      epochs=1, batch_size=8, evaluate=False)
    assert np.isfinite(run.history.losses[-1])


def test_a_saved_image_set_reads_back_pixel_for_pixel(tmp_path):
    from sslworkbench.data import files_dataset, save_image_folder

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (12, 3, 32, 32), dtype=torch.uint8, generator=generator)
    original = sw.ImageSet(images, torch.arange(12) % 3, ["a cat", "b/dog", "c"], name="mine")
    folder = save_image_folder(original, tmp_path / "mine")
    assert sorted(p.name for p in folder.iterdir()) == ["a cat", "b-dog", "c"]
    assert files_dataset(folder) == "image_folder"
    both = [load("image_folder", split, path=folder, root=tmp_path) for split in ("train", "test")]
    assert sum(len(part) for part in both) == 12
    for part in both:
        for image, label in zip(part.images, part.labels):
            match = [i for i in range(12) if torch.equal(images[i], image)]
            assert len(match) == 1 and original.labels[match[0]] == label


def test_files_dataset_names_the_loader_for_your_files(tmp_path):
    from sslworkbench.data import files_dataset

    (tmp_path / "notes.csv").write_text("text\nhello\n")
    (tmp_path / "sounds").mkdir()
    soundfile.write(tmp_path / "sounds" / "a.wav", np.zeros(800, dtype=np.float32), 8000)
    assert files_dataset(tmp_path / "notes.csv") == "text_file"
    assert files_dataset(tmp_path / "sounds") == "audio_folder"
    with pytest.raises(sw.WorkbenchError, match="does not exist"):
        files_dataset(tmp_path / "nowhere")
    (tmp_path / "model.pt").write_bytes(b"x")
    with pytest.raises(sw.WorkbenchError, match="give a .txt/.csv/.tsv file of text, or a folder"):
        files_dataset(tmp_path / "model.pt")
