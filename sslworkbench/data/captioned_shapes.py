"""``captioned_shapes``: every ``shapes`` image with a caption written from what drew it.

The generator records each object's shape, hue, size and position and the
background's hue and lightness (``shapes.py``), so a caption can say what is in
the picture without a human:

    "a small red triangle at the top left on a dark blue background"
    "on a light green background there is a purple heart"
    "the star is orange and sits at the bottom"

Each image gets one of ``len(TEMPLATES)`` templates (drawn from the seed), with
different word orders, and some leave out the size, the position or the
background, as real alt-texts leave things out. Words:

    colour      the object's colour as it is drawn: the mean of the pixels it fully
                covers (its lighting varies across it), named by ``colour_name`` —
                "black" (value < 0.25), "white" / "grey" (saturation < 0.2), else a
                hue's name (``COLOURS``; hue in degrees: red < 15 ≤ orange < 45 ≤
                yellow < 70 ≤ green < 165 ≤ cyan < 195 ≤ blue < 260 ≤ purple < 290 ≤
                pink < 330 ≤ red), "dark" before it when value < 0.5 and "light"
                when saturation < 0.5 and value > 0.75: "a dark green triangle".
                The generator's hue alone would call a near-black object "blue".
    size        "small" (radius < 0.53 of half the image), "large" (> 0.64), else none
    position    "at the top left", "on the right", "in the centre", … (the centre's
                offset beyond ±0.2 of half the image)
    background  named the same way from the mean of its two gradient colours' pixels

**Held-out combinations** (``holdout=True``, the default): ten colour × shape pairs
(``HELD_OUT``, one per shape, each colour at least once) never appear in the
training split, whose images of them are left out; the test split keeps every
image and marks those in ``extras["held_out"]``. A model that names a held-out
"red crescent" correctly has put together "red" and "crescent", which it only
ever saw apart: composition, not memory. (Without a hold-out, zero-shot accuracy
on combinations seen in training says little: the model may have memorised them.)

Captions are tokenized with the Bible corpus's subword tokenizer (``bible.tokenizer``:
one vocabulary for every text of the course, so a text encoder trained on verses
can read captions), ``[CLS] caption [SEP] [PAD]…`` in ``length`` tokens.

    >>> data = load_dataset("captioned_shapes", "train")
    >>> data.images.shape, data.texts.shape        # (N, 3, 32, 32) uint8, (N, 24) int64
    >>> data.caption(0)                            # 'a large green ring on the left on a dark pink background'
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from matplotlib.colors import rgb_to_hsv

from ..errors import WorkbenchError
from . import bible
from .dataset import PairedSet
from .shapes import CLASSES, SPLIT_SIZES, load_shapes, object_masks

COLOURS = ["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "black", "white", "grey"]
#: upper hue limit (degrees) of each colour name; red wraps round from 330
HUE_LIMITS = [15, 45, 70, 165, 195, 260, 290, 330]
#: (shape, colour) pairs the training split never shows: hue name 3·k mod 8 for shape k
HELD_OUT = [(shape, COLOURS[3 * k % 8]) for k, shape in enumerate(CLASSES)]

TEMPLATES = [
    "a {size}{colour} {shape} {position} on a {background} background",
    "on a {background} background there is a {size}{colour} {shape}",
    "the {shape} is {colour} and sits {position}",
    "a {colour} {shape}",
    "{position} , a {colour} {shape} over {background}",
    "a {size}{shape} in {colour} on a {background} background",
]
LENGTH = 24  # tokens per caption, [CLS] and [SEP] included (the longest caption takes 20)


def colour_names(rgb) -> tuple[np.ndarray, list[str]]:
    """For each colour (..., 3) in [0, 1]: its index in ``COLOURS`` and its name with
    "dark " / "light " in front where it applies (the rules in the module doc)."""
    hue, saturation, value = rgb_to_hsv(np.asarray(rgb, dtype=np.float64).reshape(-1, 3)).T
    degrees = hue * 360
    index = np.searchsorted(HUE_LIMITS, degrees, side="right") % 8
    index = np.where(saturation < 0.2, np.where(value > 0.75, COLOURS.index("white"), COLOURS.index("grey")), index)
    index = np.where(value < 0.25, COLOURS.index("black"), index)
    names = []
    for i, v, sat in zip(index, value, saturation):
        shade = "" if i >= 8 else "dark " if v < 0.5 else "light " if sat < 0.5 and v > 0.75 else ""
        names.append(shade + COLOURS[i])
    return index, names


def drawn_colours(shapes) -> tuple[np.ndarray, np.ndarray]:
    """(N, 3) each object's and (N, 3) each background's mean colour in [0, 1]: the
    pixels the object covers fully, and those it does not touch."""
    coverage = object_masks(shapes).flatten(1).numpy()             # (N, H·W)
    pixels = (shapes.images.flatten(2).float() / 255).numpy()       # (N, 3, H·W)
    inside, outside = (coverage > 0.99)[:, None], (coverage == 0)[:, None]
    mean = lambda where: (pixels * where).sum(2) / np.maximum(where.sum(2), 1)  # noqa: E731
    return mean(inside), mean(outside)


def _position(x: float, y: float) -> str:
    vertical = "top" if y < -0.2 else "bottom" if y > 0.2 else ""
    horizontal = "left" if x < -0.2 else "right" if x > 0.2 else ""
    if vertical and horizontal:
        return f"at the {vertical} {horizontal}"
    if vertical:
        return f"at the {vertical}"
    return f"on the {horizontal}" if horizontal else "in the centre"


def _size(scale: float) -> str:
    return "small " if scale < 0.53 else "large " if scale > 0.64 else ""


def captions_of(shapes, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A caption for each image of a ``shapes`` split (as loaded: its extras record
    what was drawn), each object's colour (index in ``COLOURS``) and the template
    each caption used, drawn from ``seed``."""
    needed = ("scale", "x", "y")
    if shapes.name != "shapes" or any(key not in shapes.extras for key in needed):
        raise WorkbenchError("captions_of needs a shapes split as loaded (its extras record what was drawn).")
    x, y, scale = (shapes.extras[key].double().numpy() for key in ("x", "y", "scale"))
    object_rgb, background_rgb = drawn_colours(shapes)
    colours, colour_words = colour_names(object_rgb)
    background_words = colour_names(background_rgb)[1]
    templates = np.random.default_rng([seed, 7]).integers(len(TEMPLATES), size=len(shapes))
    captions = []
    for i, label in enumerate(shapes.labels.tolist()):
        captions.append(TEMPLATES[templates[i]].format(
            size=_size(scale[i]), colour=colour_words[i], shape=CLASSES[label],
            position=_position(x[i], y[i]), background=background_words[i],
        ))
    return [_articles(caption) for caption in captions], colours, templates


def _articles(caption: str) -> str:
    """"a" → "an" before a vowel ("an orange star")."""
    return re.sub(r"\ba (?=[aeiou])", "an ", caption)


def load_captioned_shapes(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    holdout: bool = True,
    length: int = LENGTH,
    **shape_options,
) -> PairedSet:
    """``shapes`` images (any of its options, e.g. ``upright=True``) with their captions.

    labels: the shape (10 classes); extras: the shapes extras, plus ``colour`` (index in
    ``COLOURS``), ``held_out`` (1 for the combinations in ``HELD_OUT``) and ``template``.
    ``n``: the first ``n`` images kept (training split with ``holdout``: of those left; up to
    8,000 they come from the cached 10,000)."""
    if not (isinstance(length, int) and 8 <= length <= 128):
        raise WorkbenchError(f"captioned_shapes: length must be an integer in 8..128 tokens (got {length!r}).")
    # the cached split when it has enough images left after the hold-out (~11% of them), else twice n
    count = n if n is None or not holdout or split != "train" else (None if n <= 0.8 * SPLIT_SIZES[split] else 2 * n)
    shapes = load_shapes(split, count, root=root, seed=seed, **shape_options)
    captions, colours, templates = captions_of(shapes, seed)
    held = {(CLASSES.index(shape), COLOURS.index(colour)) for shape, colour in HELD_OUT}
    held_out = np.array([(label, colour) in held for label, colour in zip(shapes.labels.tolist(), colours)])
    keep = np.flatnonzero(~held_out) if holdout and split == "train" else np.arange(len(shapes))
    if n is not None:
        keep = keep[:n]
    tokenizer = bible.tokenizer("bpe", 8000, root)
    texts = tokenizer.encode_batch([captions[i] for i in keep], length)
    if tokenizer.truncated:
        raise WorkbenchError(f"captioned_shapes: {tokenizer.truncated} captions are longer than length={length} tokens.")
    index = torch.from_numpy(keep)
    extras = {key: value[index] for key, value in shapes.extras.items()}
    extras.update(colour=torch.from_numpy(colours[keep]), held_out=torch.from_numpy(held_out[keep]).long(),
                  template=torch.from_numpy(templates[keep]))
    return PairedSet(
        inputs=shapes.images[index], labels=shapes.labels[index], classes=list(CLASSES), name="captioned_shapes",
        extras=extras, texts=texts, vocab=tokenizer.vocab, tokenizer=tokenizer,
    )
