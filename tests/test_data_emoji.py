"""data/emoji.py: the captioned emoji shipped in the package (built by tools/build_emoji.py)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sslworkbench import WorkbenchError, load_dataset
from sslworkbench.data import emoji
from sslworkbench.data.emoji import EMOJI_FILE, EMOJI_SHA256, read_emoji

SHA256 = "f7b9d3ac8c42e00469d54961f8bc9815341d6067a767fda229a09ef9964f7f2c"
REPO = Path(__file__).resolve().parents[1]
FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


def test_file_is_the_pinned_one():
    assert EMOJI_SHA256 == SHA256
    assert hashlib.sha256(EMOJI_FILE.read_bytes()).hexdigest() == SHA256
    header, images = read_emoji()
    assert header["count"] == len(header["emoji"]) == 3655 and images.shape == (3655, 32, 32, 3)
    assert len(header["groups"]) == 9 and "Component" not in header["groups"] and len(header["subgroups"]) == 99


def test_splits_hold_every_emoji_once_and_never_split_skin_tone_variants():
    train, test = load_dataset("emoji", "train"), load_dataset("emoji", "test")
    assert (len(train), len(test)) == (2902, 753)
    assert set(train.extras["emoji"].tolist()).isdisjoint(test.extras["emoji"].tolist())
    header, _ = read_emoji()
    def base(i):
        return tuple(c for c in header["emoji"][i]["codes"] if c not in emoji.SKIN_TONES)
    assert {base(i) for i in train.extras["emoji"].tolist()}.isdisjoint(base(i) for i in test.extras["emoji"].tolist())


def test_captions_are_the_names_and_labels_the_groups():
    data = load_dataset("emoji", "train", n=3)
    assert [data.caption(i) for i in range(3)] == ["grinning face", "grinning face with big eyes",
                                                   "grinning face with smiling eyes"]
    assert data.classes[int(data.labels[0])] == "Smileys & Emotion" and data.kind == "image_text"
    assert data.images.dtype == torch.uint8 and data.images.shape == (3, 3, 32, 32)
    assert data.images[0].float().mean() > 100  # drawn on white
    spanish = load_dataset("emoji", "train", n=1, language="es", label="subgroup")
    assert spanish.caption(0) == "cara sonriendo" and spanish.classes[int(spanish.labels[0])] == "face-smiling"
    plain = load_dataset("emoji", "train", skin_tones=False)
    assert len(plain) == 1497 and int(plain.extras["skin_tone"].sum()) == 0


@pytest.mark.parametrize("options, needle", [
    ({"label": "colour"}, "label"),
    ({"language": "it"}, "language"),
    ({"length": 4}, "length"),
    ({"length": 12}, "longer than"),
])
def test_bad_options_are_one_clear_error(options, needle):
    with pytest.raises(WorkbenchError, match=needle):
        load_dataset("emoji", "train", **options)


def test_a_damaged_file_says_how_to_restore_it(tmp_path):
    broken = tmp_path / "emoji-v1.bin.xz"
    broken.write_bytes(b"not the file")
    with pytest.raises(WorkbenchError, match="damaged.*git checkout"):
        read_emoji.__wrapped__(broken)
    with pytest.raises(WorkbenchError, match="missing"):
        read_emoji.__wrapped__(tmp_path / "nowhere.bin.xz")


@pytest.mark.skipif(not FONT.exists(), reason="needs fonts-noto-color-emoji, unicode-data and unicode-cldr-core (apt)")
def test_build_script_rebuilds_the_file_byte_for_byte(tmp_path):
    out = tmp_path / "emoji.bin.xz"
    subprocess.run([sys.executable, str(REPO / "tools" / "build_emoji.py"), "--output", str(out)], check=True,
                   capture_output=True, timeout=600)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == SHA256
