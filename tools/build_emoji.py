#!/usr/bin/env python3
"""Build the captioned emoji set shipped with sslworkbench: every emoji drawn small, with its names.

Output: ``sslworkbench/data/files/emoji-v1.bin.xz`` (or ``--output PATH``), read by
``sslworkbench/data/emoji.py``; what it holds and its licences: ``data/README.md``.

Where it comes from (build time only; nothing of this is needed to *use* the set), three
Debian packages::

    apt-get install -y fonts-noto-color-emoji unicode-data unicode-cldr-core

- ``emoji-test.txt`` (unicode-data): every emoji, in Unicode's order, with its group,
  subgroup and English name (the CLDR short name). Only *fully-qualified* emoji are kept,
  and the "Component" group (bare skin tones and hair styles) is left out.
- ``NotoColorEmoji.ttf`` (fonts-noto-color-emoji): Google's colour emoji font, drawn with
  Pillow's Raqm layout (needed for flags and ZWJ sequences, which are ligatures).
- CLDR annotations (unicode-cldr-core): each emoji's name in Spanish, French and German
  (``annotations/`` and ``annotationsDerived/``, the "tts" names).

What the script does:

1. Each emoji is drawn at the font's bitmap size (109 px) in colour on a transparent canvas,
   its ink's bounding box is centred in a square, the square composed over white and
   reduced to ``SIZE``×``SIZE`` with Pillow's Lanczos filter. An emoji the font does not
   draw as one glyph (its ink wider than one glyph) is reported and left out.
2. Train/test split: emoji that differ only in skin tone are variants of one *base*; every
   fifth base (in Unicode's order) and all its variants go to the test split, so that a
   test emoji never has a near-copy in training.
3. The file is one xz stream (preset 9 | extreme): a line of JSON (sizes, the Pillow and
   package versions, the groups and subgroups, and per emoji its code points, names, group,
   subgroup and split), then the images as raw uint8 bytes (N, SIZE, SIZE, 3). Nothing in it
   depends on time or machine, so re-running with the same package and Pillow versions gives
   a byte-identical file (a test checks this where the packages are installed).

Usage::

    python tools/build_emoji.py                       # writes the shipped file
    python tools/build_emoji.py --output /tmp/e.bin.xz --root /tmp/extracted   # packages unpacked with dpkg -x
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "sslworkbench" / "data" / "files" / "emoji-v1.bin.xz"
FONT = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_TEST = "usr/share/unicode/emoji/emoji-test.txt"
CLDR = "usr/share/unicode/cldr/common"
PACKAGES = ("fonts-noto-color-emoji", "unicode-data", "unicode-cldr-core")
LANGUAGES = ("es", "fr", "de")
SIZE = 32
FONT_SIZE = 109  # the size of Noto Color Emoji's bitmaps: any other is refused by FreeType
SKIN_TONES = {0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF}
TEST_EVERY = 5
LINE = re.compile(r"^([0-9A-F ]+?)\s*; fully-qualified\s*# \S+ E\d+\.\d+ (.+)$")


def read_emoji_test(path: Path) -> list[dict]:
    """Fully-qualified emoji in Unicode's order: code points, English name, group, subgroup."""
    emoji, group, subgroup = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group: "):
            group = line[len("# group: "):].strip()
        elif line.startswith("# subgroup: "):
            subgroup = line[len("# subgroup: "):].strip()
        elif (match := LINE.match(line)) and group != "Component":
            codes = [int(code, 16) for code in match.group(1).split()]
            emoji.append({"codes": codes, "en": match.group(2).strip(), "group": group, "subgroup": subgroup})
    return emoji


def read_names(root: Path, language: str) -> dict[str, str]:
    """CLDR's "tts" name of each emoji in ``language``, keyed by the emoji without U+FE0F."""
    names = {}
    for folder in ("annotations", "annotationsDerived"):
        path = root / CLDR / folder / f"{language}.xml"
        for node in ElementTree.parse(path).iter("annotation"):
            if node.get("type") == "tts" and node.text:
                names[node.get("cp").replace("\ufe0f", "")] = node.text.strip()
    return names


def draw(font: ImageFont.FreeTypeFont, text: str) -> Image.Image | None:
    """The emoji, centred on white and reduced to SIZE×SIZE (None: not one glyph)."""
    canvas = Image.new("RGBA", (4 * FONT_SIZE, 2 * FONT_SIZE), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((FONT_SIZE // 2, FONT_SIZE // 2), text, font=font, embedded_color=True)
    box = canvas.getbbox()
    if box is None or box[2] - box[0] > 1.3 * FONT_SIZE:
        return None
    ink = canvas.crop(box)
    side = max(ink.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    square.alpha_composite(ink, ((side - ink.size[0]) // 2, (side - ink.size[1]) // 2))
    return square.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def package_versions() -> dict:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True,
                                               text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            versions[package] = "unknown (not installed: read from --root)"
    return versions


def build(root: Path) -> tuple[bytes, list[str]]:
    """The file's bytes, and what was left out."""
    for needed in (FONT, EMOJI_TEST, f"{CLDR}/annotations/en.xml"):
        if not (root / needed).exists():
            sys.exit(f"{root / needed} is missing: apt-get install -y {' '.join(PACKAGES)} (or --root a folder "
                     "where they are unpacked with dpkg -x).")
    if not features.check("raqm"):
        sys.exit("Pillow was built without Raqm: flags and ZWJ sequences would not be drawn as one emoji.")
    font = ImageFont.truetype(str(root / FONT), FONT_SIZE, layout_engine=ImageFont.Layout.RAQM)
    names = {language: read_names(root, language) for language in LANGUAGES}
    kept, images, left_out, base_of = [], [], [], {}
    for entry in read_emoji_test(root / EMOJI_TEST):
        text = "".join(map(chr, entry["codes"]))
        image = draw(font, text)
        if image is None:
            left_out.append(f"{entry['en']} ({' '.join(f'{c:04X}' for c in entry['codes'])}): not one glyph")
            continue
        base = tuple(code for code in entry["codes"] if code not in SKIN_TONES)
        base_index = base_of.setdefault(base, len(base_of))
        key = text.replace("\ufe0f", "")
        entry = {**entry, **{language: names[language].get(key, "") for language in LANGUAGES},
                 "split": "test" if base_index % TEST_EVERY == TEST_EVERY - 1 else "train"}
        kept.append(entry)
        images.append(np.asarray(image, dtype=np.uint8))
    groups = list(dict.fromkeys(entry["group"] for entry in kept))
    subgroups = list(dict.fromkeys(entry["subgroup"] for entry in kept))
    header = {
        "version": 1, "size": SIZE, "count": len(kept), "pillow": Image.__version__, "packages": package_versions(),
        "groups": groups, "subgroups": subgroups,
        "emoji": [{"codes": e["codes"], "en": e["en"], **{lang: e[lang] for lang in LANGUAGES},
                   "group": groups.index(e["group"]), "subgroup": subgroups.index(e["subgroup"]), "split": e["split"]}
                  for e in kept],
    }
    payload = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
    payload += np.stack(images).tobytes()
    return lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME, check=lzma.CHECK_CRC64), left_out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--root", type=Path, default=Path("/"), help="where the Debian packages' files are")
    args = parser.parse_args(argv)
    data, left_out = build(args.root)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    for line in left_out:
        print("left out:", line)
    print(f"wrote {args.output} ({len(data) / 1e6:.2f} MB), sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
