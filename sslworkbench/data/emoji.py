"""``emoji``: 3,655 emoji drawn at 32×32, each captioned with its name — real pictures,
human-written names, shipped in the package (``files/emoji-v1.bin.xz``, 3.8 MB).

Every fully-qualified emoji of Unicode 15.0 (``emoji-test.txt``) but the bare skin
tones and hair styles, drawn with Google's Noto Color Emoji on white, with

    its name   CLDR's short name in English ("grinning face", "flag: Japan",
               "woman cook: medium skin tone"), Spanish, French and German
    its group  one of 9 ("Smileys & Emotion", "People & Body", "Animals & Nature",
               "Food & Drink", "Travel & Places", "Activities", "Objects", "Symbols",
               "Flags") and one of 99 subgroups ("face-smiling", "animal-mammal", …)

Splits: emoji that differ only in skin tone are variants of one base; every fifth
base and all its variants are in ``test`` (753), the rest in ``train`` (2,902). The
two splits never share a near-copy. Skin-tone variants are 1,785 of the 3,655 (most
of "People & Body", which is then 58% of the training split): ``skin_tones=False``
keeps only the yellow (or unmodified) ones, 1,497 train / 373 test.

    >>> data = load_dataset("emoji", "train")                    # labels: the group
    >>> data.caption(0), data.classes[data.labels[0]]            # ('grinning face', 'Smileys & Emotion')
    >>> load_dataset("emoji", "test", label="subgroup", language="es")

Captions are tokenized with the Bible corpus's subword tokenizer (English and Spanish
in one vocabulary; French and German names fall into smaller pieces). How the file
is built, from three Debian packages, and its licences (the drawings: Apache 2.0 and
the SIL Open Font License; names and groups: the Unicode licence): ``tools/build_emoji.py``
and ``data/README.md``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from . import bible
from .dataset import PairedSet
from .paths import SHIPPED, read_shipped

EMOJI_FILE = SHIPPED / "emoji-v1.bin.xz"
EMOJI_SHA256 = "f7b9d3ac8c42e00469d54961f8bc9815341d6067a767fda229a09ef9964f7f2c"
REBUILD = "`python tools/build_emoji.py` (needs the Debian packages named there; see data/README.md)"
LANGUAGES = ("en", "es", "fr", "de")
LABELS = ("group", "subgroup")
SKIN_TONES = range(0x1F3FB, 0x1F400)
LENGTH = 48  # tokens per caption, [CLS] and [SEP] included (the longest name takes 31 in English, 41 in German)


@lru_cache(maxsize=1)
def read_emoji(path: Path = EMOJI_FILE) -> tuple[dict, np.ndarray]:
    """The file's header (groups, subgroups, one record per emoji) and its images,
    (N, 32, 32, 3) uint8; read and checked once per process."""
    raw = read_shipped(path, EMOJI_SHA256, "emoji", REBUILD)
    cut = raw.index(b"\n")
    header = json.loads(raw[:cut])
    size = header["size"]
    images = np.frombuffer(raw, dtype=np.uint8, offset=cut + 1).reshape(header["count"], size, size, 3)
    return header, images


def load_emoji(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    label: str = "group",
    language: str = "en",
    skin_tones: bool = True,
    length: int = LENGTH,
) -> PairedSet:
    """The emoji of ``split`` with their names in ``language`` as captions.

    label       "group" (9 classes) or "subgroup" (99)
    language    "en", "es", "fr" or "de" (the few emoji CLDR names in English only are left out)
    skin_tones  False: leave out the skin-tone variants
    extras: ``group``, ``subgroup`` (indices), ``skin_tone`` (1 for a variant), ``emoji`` (row in the file)"""
    for name, value, allowed in (("label", label, LABELS), ("language", language, LANGUAGES)):
        if value not in allowed:
            raise WorkbenchError(f"emoji: {name} must be one of {allowed} (got {value!r}).")
    if not (isinstance(length, int) and 8 <= length <= 128):
        raise WorkbenchError(f"emoji: length must be an integer in 8..128 tokens (got {length!r}).")
    header, images = read_emoji()
    records = header["emoji"]
    toned = np.array([any(code in SKIN_TONES for code in record["codes"]) for record in records])
    keep = [i for i, record in enumerate(records)
            if record["split"] == split and record[language] and (skin_tones or not toned[i])]
    if n is not None:
        keep = keep[:n]
    tokenizer = bible.tokenizer("bpe", 8000, root)
    texts = tokenizer.encode_batch([records[i][language] for i in keep], length)
    if tokenizer.truncated:
        raise WorkbenchError(f"emoji: {tokenizer.truncated} names are longer than length={length} tokens.")
    index = torch.tensor(keep, dtype=torch.long)
    group = torch.tensor([records[i]["group"] for i in keep])
    subgroup = torch.tensor([records[i]["subgroup"] for i in keep])
    return PairedSet(
        inputs=torch.from_numpy(images[keep].copy()).permute(0, 3, 1, 2).contiguous(),
        labels=group if label == "group" else subgroup,
        classes=list(header["groups"] if label == "group" else header["subgroups"]),
        name="emoji", texts=texts, vocab=tokenizer.vocab, tokenizer=tokenizer,
        extras={"group": group, "subgroup": subgroup, "skin_tone": torch.from_numpy(toned[keep]).long(), "emoji": index},
    )
