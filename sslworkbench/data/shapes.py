"""``shapes``: an embedded, procedurally generated image set for teaching SSL.

Each 32×32 RGB image shows one object of one of ten shape classes. Everything
else about the image is a *nuisance*, drawn independently of the class:

    object colour, background colours (a two-colour gradient along a random
    direction), position, scale, rotation, lighting across the object, pixel
    noise — and, as an option, a background texture (stripes or waves).

So the pixels are dominated by colour — k-means on raw pixels groups images by
background colour, not by shape — while a feature that ignores colour, position
and small crops says a lot about the class. That is exactly the invariance
SimCLR's views (crop + colour distortion) teach, which is why this set makes the
lesson of notebook 01 visible in minutes on a CPU.

Why the texture is off by default: a texture pattern is an easy cue that no
SimCLR view removes (a crop keeps the stripes' frequency and direction; colour
jitter keeps their contrast), so instance discrimination latches onto it and
learns less about shape — "feature suppression" (Chen, Luo & Li 2021): the
stronger the texture, the lower the linear probe's accuracy on the shape.
``python benchmarks/design_choices.py shapes_texture`` trains SimCLR without a
texture and with two strengths of it and prints the scores. Turn it on to see
that effect.

The object is always clearly visible in grayscale (its lightness differs from
the background's by at least ``MIN_LIGHTNESS_GAP``), so the class is never lost
by a grayscale view.

Generation is deterministic: images come in chunks of 500, each from its own
``numpy`` generator seeded by (seed, split, chunk), so the first ``n`` images are
the same whatever ``n`` is. Splits are cached under ``data/`` as uint8 tensors.

Options:
    texture               strength of the stripes/waves background texture (0 = off)
    noise                 largest per-image standard deviation of pixel noise
    chromatic_aberration  shift the red and blue channels radially, in
                          proportion to the distance from the image centre, as
                          a cheap lens does (the shortcut Doersch et al. 2015
                          guard against). 0 = off; 0.04 = strong.
    renderings            instance mode (1 = off): every object is drawn this
                          many times in a row, like several photos of one
                          patient case. Its shape, colour and size are fixed;
                          pose (rotation, position), lighting, background and
                          noise change. ``extras["instance"]`` gives each
                          image's object id (image i shows object i // renderings).
                          Used by MICLe-style multi-instance positives.
    upright               give the images an "up" (off by default): objects are
                          drawn at their canonical orientation ± 15°, lit from
                          above, over a background whose gradient runs top to
                          bottom. Without it a rotated image is exactly as likely
                          as the original, and rotation prediction has nothing
                          to learn (notebook 03).
    object_scale          (smallest, largest) object radius, in units of half
                          the image; (0.42, 0.75) by default
    object_saturation     multiplies the object's colour saturation: 1 by
                          default, 0 for grey objects
    blur                  standard deviation, in pixels, of a Gaussian blur of
                          the whole image (0 = off)
    class_colour          a colour cue, for studying bias (0 = off): with this
                          probability an object wears its class's colour (hue
                          (label + colour_offset) / 10, ± 0.02) instead of a
                          random one; ``extras["colour_tied"]`` marks those
                          images. ``colour_offset`` k ≠ 0 dresses every tied
                          object in the colour of class label + k: a test set
                          where the cue points to the wrong class.
    stripes               a nuisance for the capstone (notebook 16), 0 = off: bold
                          background stripes of this contrast, one period every
                          ``STRIPE_PERIOD`` pixels, at an angle drawn uniformly in
                          [0°, 180°) independently of the class (from a stream of
                          their own: every other draw is unchanged, so the same
                          images appear with and without them). SimCLR's views
                          keep the angle (a crop keeps it, colour jitter keeps the
                          stripes' contrast) — a rotation of the view does not.
                          ``extras["stripe_angle"]`` gives each image's angle in
                          radians.

Shifted test sets (``shift=``, the names in ``SHIFTS``): each changes one
thing the training split never shows — a textured background, a lens's
chromatic aberration, grey objects (training objects are coloured: saturation
≥ 0.2), blur and heavier noise, smaller objects — while the classes stay the
same. A model's accuracy on them, next to its accuracy on the plain test split,
says how much it relies on what the shift changed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import WorkbenchError
from .dataset import ImageSet
from .image_ops import gaussian_blur
from .paths import read_cache, seeded_chunks, write_cache

CLASSES = [
    "circle",
    "square",
    "triangle",
    "star",
    "plus",
    "ring",
    "heart",
    "crescent",
    "arrow",
    "bowtie",
]

VERSION = 2  # bump when the generator changes, so stale caches are not used
SIZE = 32
SUPERSAMPLE = 2  # draw at 64×64 and average down: anti-aliased edges
CHUNK = 500
SPLIT_SIZES = {"train": 10_000, "test": 2_000}
SPLIT_STREAM = {"train": 0, "test": 1}
MIN_LIGHTNESS_GAP = 0.3
TEXTURE = 0.0  # strength of the stripes/waves background texture (off by default: see the module doc)
NOISE = 0.02  # largest per-image std of pixel noise
OBJECT_SCALE = (0.42, 0.75)  # object radius range, in units of half the image
STRIPE_PERIOD = 10  # the capstone's stripes: pixels from one dark stripe to the next

#: distribution shifts for testing: generator options the training split never uses
SHIFTS = {
    "textured background": {"texture": 0.35},
    "chromatic aberration": {"chromatic_aberration": 0.04},
    "grey objects": {"object_saturation": 0.0},  # unseen object colours: training objects have saturation ≥ 0.2
    "blur and noise": {"blur": 1.0, "noise": 0.08},
    "small objects": {"object_scale": (0.28, 0.4)},  # training objects: radius 0.42–0.75
}


# ---------------------------------------------------------------------------
# The ten shapes, as inside-tests in the object's own frame (u, v), where the
# object roughly fills the unit disc. Areas are kept similar so that size says
# little about the class.
# ---------------------------------------------------------------------------


def _polygon(u, v, sides: int, radius: float = 1.0):
    """Regular polygon with ``sides`` vertices on a circle of ``radius``."""
    angle = np.arctan2(v, u)
    sector = 2 * math.pi / sides
    # distance to the edge along the direction of the sector's centre
    local = np.mod(angle, sector) - sector / 2
    r = np.hypot(u, v)
    return r * np.cos(local) < radius * math.cos(math.pi / sides)


def _star(u, v, points: int = 5, outer: float = 1.05, inner: float = 0.45):
    angle = np.arctan2(v, u) + math.pi / 2
    sector = 2 * math.pi / points
    t = np.abs(np.mod(angle, sector) / sector - 0.5) * 2  # 1 at a tip, 0 between tips
    # boundary of a star polygon, linear in angle between the tip and the notch
    edge = inner + (outer - inner) * t**1.6
    return np.hypot(u, v) < edge


def _heart(u, v):
    x, y = u * 1.25, -v * 1.25 + 0.25
    return (x**2 + y**2 - 1) ** 3 - x**2 * y**3 < 0


SHAPE_TESTS = {
    "circle": lambda u, v: np.hypot(u, v) < 0.85,
    "square": lambda u, v: np.maximum(np.abs(u), np.abs(v)) < 0.72,
    "triangle": lambda u, v: _polygon(u, v, 3, 1.05),
    "star": _star,
    "plus": lambda u, v: ((np.abs(u) < 0.3) & (np.abs(v) < 0.95)) | ((np.abs(v) < 0.3) & (np.abs(u) < 0.95)),
    "ring": lambda u, v: (np.hypot(u, v) < 0.95) & (np.hypot(u, v) > 0.55),
    "heart": _heart,
    "crescent": lambda u, v: (np.hypot(u, v) < 0.95) & (np.hypot(u - 0.5, v) > 0.7),
    "arrow": lambda u, v: ((np.abs(v) < 0.2) & (u > -0.95) & (u < 0.15))
    | ((u >= 0.0) & (u < 0.95) & (np.abs(v) < (0.95 - u) * 0.85)),
    "bowtie": lambda u, v: (np.abs(u) < 0.9) & (np.abs(v) < np.abs(u) * 0.95 + 0.08),
}
assert list(SHAPE_TESTS) == CLASSES


# ---------------------------------------------------------------------------
# Colour helpers
# ---------------------------------------------------------------------------


def _hsv_to_rgb(h, s, v):
    """Vectorised HSV → RGB for arrays in [0, 1]; returns (..., 3)."""
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = np.zeros(h.shape + (3,), dtype=np.float32)
    for k, (r, g, b) in enumerate(choices):
        mask = i == k
        rgb[mask] = np.stack([r[mask], g[mask], b[mask]], axis=-1)
    return rgb


def _lightness(rgb):
    """ITU-R 601 luma, the weights torchvision's grayscale uses."""
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _column(values):
    """Per-image values as float32 (n, 1, 1), to broadcast over pixels."""
    return np.asarray(values, dtype=np.float32)[:, None, None]


def _grid(side: int):
    """Pixel-centre coordinates in [-1, 1]: x to the right, y downwards."""
    axis = (np.arange(side, dtype=np.float32) + 0.5) / side * 2 - 1
    y, x = np.meshgrid(axis, axis, indexing="ij")
    return x[None], y[None]


def _object_frame(side: int, cx, cy, scale, rotation):
    """Each pixel's coordinates (u, v) in each object's own rotated, scaled frame."""
    x, y = _grid(side)
    dx, dy = x - _column(cx), y - _column(cy)
    cos, sin = np.cos(_column(rotation)), np.sin(_column(rotation))
    return (dx * cos + dy * sin) / _column(scale), (-dx * sin + dy * cos) / _column(scale)


def _coverage(labels, cx, cy, scale, rotation) -> np.ndarray:
    """(n, SIZE, SIZE) float32: how much of each pixel the object covers —
    inside-tests on a supersampled grid, averaged down (anti-aliased edges)."""
    n = len(labels)
    mask = np.zeros((n, SIZE * SUPERSAMPLE, SIZE * SUPERSAMPLE), dtype=np.float32)
    u, v = _object_frame(SIZE * SUPERSAMPLE, cx, cy, scale, rotation)
    for label, name in enumerate(CLASSES):
        index = labels == label
        mask[index] = SHAPE_TESTS[name](u[index], v[index])
    return mask.reshape(n, SIZE, SUPERSAMPLE, SIZE, SUPERSAMPLE).mean(axis=(2, 4))


def object_masks(data: ImageSet) -> torch.Tensor:
    """(N, 32, 32) in [0, 1]: each image's object, as the share of each pixel it
    covers. Drawn again from what the generator recorded (the label and the
    extras ``x``, ``y``, ``scale``, ``rotation``), with the same inside-tests as
    the images: ground truth for where an object is (attention maps, notebook 10)."""
    pose = ("x", "y", "scale", "rotation")
    if data.name != "shapes" or any(key not in data.extras for key in pose):
        raise WorkbenchError("object_masks needs a shapes split as loaded (its extras record each object's pose).")
    if data.image_size != SIZE:
        raise WorkbenchError(f"object_masks draws {SIZE}×{SIZE} masks; this split was resized to {data.image_size}.")
    labels = data.labels.numpy()
    x, y, scale, rotation = (data.extras[key].double().numpy() for key in pose)
    return torch.from_numpy(np.concatenate([
        _coverage(labels[start : start + CHUNK], x[start : start + CHUNK], y[start : start + CHUNK],
                  scale[start : start + CHUNK], rotation[start : start + CHUNK])
        for start in range(0, len(labels), CHUNK)
    ]))


def keep_visible(rng: np.random.Generator, object_rgb, object_hue, background_light, object_saturation: float = 1.0):
    """Keep every object visible in grayscale: where its lightness is within
    ``MIN_LIGHTNESS_GAP`` of the background's, redraw its saturation and value
    (same hue), light on a dark background and dark on a light one. In place."""
    for _ in range(20):
        close = np.abs(_lightness(object_rgb) - background_light) < MIN_LIGHTNESS_GAP
        if not close.any():
            break
        k = int(close.sum())
        dark_background = background_light[close] < 0.5
        value = np.where(dark_background, rng.uniform(0.85, 1.0, k), rng.uniform(0.05, 0.3, k))
        object_rgb[close] = _hsv_to_rgb(object_hue[close], rng.uniform(0.2, 1.0, k) * object_saturation, value)


UPRIGHT_SPREAD = math.radians(15)  # upright mode: largest tilt of object, light and background


def _render_chunk(
    rng: np.random.Generator, count: int, texture: float, noise: float, renderings: int = 1, upright: bool = False,
    object_scale: tuple = OBJECT_SCALE, object_saturation: float = 1.0,
    class_colour: float = 0.0, colour_offset: int = 0, bias_rng: np.random.Generator | None = None,
    stripe_contrast: float = 0.0, stripe_rng: np.random.Generator | None = None,
):
    n = count
    # instance mode: each run of `renderings` images shows one object, whose shape,
    # colour and size are those drawn for its first image (the draws are unchanged)
    first = np.arange(n) // renderings * renderings
    labels = rng.permutation(np.arange(count) % len(CLASSES))[first]

    # nuisance factors, all independent of the label
    scale = rng.uniform(object_scale[0], object_scale[1], n)[first]  # object radius, in units of half the image
    rotation = rng.uniform(0, 2 * math.pi, n)
    if upright:  # the same draws, mapped into a small tilt: other options' images are unchanged
        rotation = (rotation / math.pi - 1) * UPRIGHT_SPREAD
    room = 1.0 - scale * 0.8
    cx, cy = rng.uniform(-room, room), rng.uniform(-room, room)

    background_hue = rng.uniform(0, 1, n)
    background_a = _hsv_to_rgb(background_hue, rng.uniform(0.3, 1.0, n), rng.uniform(0.25, 1.0, n))
    background_b = _hsv_to_rgb(
        np.mod(background_hue + rng.uniform(-0.15, 0.15, n), 1), rng.uniform(0.3, 1.0, n), rng.uniform(0.25, 1.0, n)
    )
    object_hue = rng.uniform(0, 1, n)
    saturation, value = rng.uniform(0.4, 1.0, n) * object_saturation, rng.uniform(0.2, 1.0, n)
    tied = np.zeros(n, dtype=bool)
    if class_colour:  # a colour cue: with probability class_colour the hue is that of class (label + offset)
        tied = (bias_rng.random(n) < class_colour)[first]
        class_hue = np.mod((labels + colour_offset) / len(CLASSES) + bias_rng.uniform(-0.02, 0.02, n)[first], 1)
        object_hue = np.where(tied, class_hue, object_hue)
    object_rgb = _hsv_to_rgb(object_hue, saturation, value)
    object_hue, object_rgb = object_hue[first], object_rgb[first]
    # keep the object visible in grayscale: push its lightness away from the background's
    background_light = _lightness((background_a + background_b) / 2)
    for _ in range(20 if renderings > 1 else 0):  # instance mode: the object's colour is fixed, move the background's
        close = np.abs(_lightness(object_rgb) - background_light) < MIN_LIGHTNESS_GAP
        if not close.any():
            break
        k = int(close.sum())
        dark_object = _lightness(object_rgb[close]) < 0.5
        for background in (background_a, background_b):
            value = np.where(dark_object, rng.uniform(0.85, 1.0, k), rng.uniform(0.05, 0.25, k))
            background[close] = _hsv_to_rgb(background_hue[close], rng.uniform(0.1, 0.6, k), value)
        background_light = _lightness((background_a + background_b) / 2)
    keep_visible(rng, object_rgb, object_hue, background_light, object_saturation)

    mask = _coverage(labels, cx, cy, scale, rotation)[..., None]

    # background: a two-colour gradient along a random direction, plus a texture
    x, y = _grid(SIZE)
    direction = rng.uniform(0, 2 * math.pi, n)
    if upright:  # background_a on top, background_b at the bottom
        direction = math.pi / 2 + (direction / math.pi - 1) * UPRIGHT_SPREAD
    direction = _column(direction)
    ramp = (x * np.cos(direction) + y * np.sin(direction) + 1.5) / 3  # in (0, 1)
    kind = _column(rng.integers(0, 3, n))  # 0 plain, 1 stripes, 2 waves
    frequency = _column(rng.uniform(1.5, 4.0, n)) * math.pi
    angle = _column(rng.uniform(0, math.pi, n))
    phase = _column(rng.uniform(0, 2 * math.pi, n))
    along = x * np.cos(angle) + y * np.sin(angle)
    across = -x * np.sin(angle) + y * np.cos(angle)
    stripes = np.sign(np.sin(frequency * along + phase)) * 0.5
    waves = np.sin(frequency * along + phase) * np.sin(frequency * 0.7 * across) * 0.5
    pattern = np.where(kind == 1, stripes, np.where(kind == 2, waves, 0.0))
    amplitude = _column(rng.uniform(0.3, 1.0, n)) * texture
    ramp = ramp[..., None]
    background = background_a[:, None, None] * (1 - ramp) + background_b[:, None, None] * ramp
    background = background + (pattern * amplitude)[..., None]
    if stripe_contrast:  # the capstone's nuisance: bold stripes at a random angle, from their own stream
        stripe_angle = stripe_rng.uniform(0, math.pi, n)
        stripe_phase = _column(stripe_rng.uniform(0, 2 * math.pi, n))
        along = x * np.cos(_column(stripe_angle)) + y * np.sin(_column(stripe_angle))
        wave = np.sign(np.sin(along * (SIZE / STRIPE_PERIOD) * math.pi + stripe_phase)) * 0.5
        background = background + (wave * stripe_contrast)[..., None]

    # the object, with soft directional lighting
    u, v = _object_frame(SIZE, cx, cy, scale, rotation)
    light_angle = rng.uniform(0, 2 * math.pi, n)
    if upright:  # lit from above: brighter towards the top of the object
        light_angle = -math.pi / 2 + (light_angle / math.pi - 1) * UPRIGHT_SPREAD
    light_angle = _column(light_angle)
    lighting = 1 + 0.25 * (u * np.cos(light_angle) + v * np.sin(light_angle)) / 1.5
    foreground = object_rgb[:, None, None] * lighting[..., None]

    image = background * (1 - mask) + foreground * mask
    sigma = _column(rng.uniform(0, noise, n))[..., None]
    image = image + rng.standard_normal(image.shape, dtype=np.float32) * sigma
    image = np.clip(image, 0, 1).astype(np.float32)

    extras = {
        "object_hue": object_hue,
        "background_hue": background_hue,
        "background_lightness": background_light,
        "rotation": rotation,
        "scale": scale,
        "x": cx,
        "y": cy,
    }
    if class_colour:
        extras["colour_tied"] = tied.astype(np.float32)
    if stripe_contrast:
        extras["stripe_angle"] = stripe_angle
    return image, labels, extras


def chromatic_aberration(images: torch.Tensor, strength: float) -> torch.Tensor:
    """Shift red outwards and blue inwards, in proportion to the distance from
    the centre (lateral chromatic aberration). ``images``: float (N, 3, H, W)."""
    if strength == 0:
        return images
    n, _, h, w = images.shape
    theta = torch.zeros(n, 2, 3)
    out = images.clone()
    for channel, factor in ((0, 1 - strength), (2, 1 + strength)):
        theta[:, 0, 0] = factor
        theta[:, 1, 1] = factor
        grid = F.affine_grid(theta, (n, 1, h, w), align_corners=False)
        out[:, channel : channel + 1] = F.grid_sample(
            images[:, channel : channel + 1], grid, mode="bilinear", padding_mode="border", align_corners=False
        )
    return out


def generate(
    split: str = "train",
    n: int | None = None,
    seed: int = 0,
    texture: float = None,
    noise: float = None,
    chromatic_aberration_strength: float = 0.0,
    renderings: int = 1,
    upright: bool = False,
    object_scale: tuple = OBJECT_SCALE,
    object_saturation: float = 1.0,
    blur: float = 0.0,
    class_colour: float = 0.0,
    colour_offset: int = 0,
    stripes: float = 0.0,
) -> ImageSet:
    """Generate (without caching) ``n`` images of split ``split``."""
    total = SPLIT_SIZES[split] if n is None else n
    if not (isinstance(renderings, int) and renderings >= 1 and CHUNK % renderings == 0):
        raise WorkbenchError(f"renderings must be a whole divisor of {CHUNK}, e.g. 1 (off), 2, 4 or 5 (got {renderings!r}).")
    texture = TEXTURE if texture is None else texture
    noise = NOISE if noise is None else noise
    # Each chunk is written, in place, into arrays allocated once for the whole
    # split. (Uint8 pixels: float copies of a whole split would cost ~0.5 GB at
    # 10,000 images.) Why in place: glibc's malloc keeps the memory of freed
    # temporaries for reuse, and a heap where they alternate with long-lived
    # arrays stays large. Converting each chunk with torch ops into a list of
    # tensors, then torch.cat, left the process much bigger after generating, and
    # training peaked higher than in a run that read the cache; converting in place
    # with numpy keeps both close to reading the cache. Measured by
    # ``python benchmarks/dataset_memory.py`` (its cases "generated", "legacy" and "cached").
    images = torch.empty((total, 3, SIZE, SIZE), dtype=torch.uint8)
    labels = np.empty(total, dtype=np.int64)
    extras = {}
    for chunk, rng, start, count in seeded_chunks(total, CHUNK, seed, SPLIT_STREAM[split], VERSION):
        # the colour cue's draws come from a stream of their own: every other draw is unchanged
        bias_rng = np.random.default_rng([seed, SPLIT_STREAM[split], chunk, VERSION, 1])
        stripe_rng = np.random.default_rng([seed, SPLIT_STREAM[split], chunk, VERSION, 2])  # the stripes' too
        chunk_images, chunk_labels, chunk_extras = _render_chunk(
            rng, CHUNK, texture, noise, renderings, upright, object_scale, object_saturation,
            class_colour, colour_offset, bias_rng, stripes, stripe_rng,
        )
        pixels = chunk_images[:count].transpose(0, 3, 1, 2)  # (count, 3, H, W), a view
        if chromatic_aberration_strength:
            pixels = chromatic_aberration(torch.from_numpy(pixels).contiguous(), chromatic_aberration_strength).numpy()
        if blur:
            pixels = gaussian_blur(torch.from_numpy(pixels).contiguous(), 2 * math.ceil(3 * blur) + 1, torch.full((count,), blur)).numpy()
        np.multiply(pixels, 255, out=pixels)
        np.round(pixels, out=pixels)  # halves to even, as torch.round
        images[start : start + count] = torch.from_numpy(pixels)  # whole numbers in [0, 255]: exact in uint8
        labels[start : start + count] = chunk_labels[:count]
        for key, value in chunk_extras.items():
            extras.setdefault(key, np.empty(total, dtype=np.float32))[start : start + count] = value[:count]
    extra_tensors = {key: torch.from_numpy(value) for key, value in extras.items()}
    if renderings > 1:
        extra_tensors["instance"] = torch.arange(total) // renderings
    return ImageSet(
        images,
        torch.from_numpy(labels),
        list(CLASSES),
        "shapes",
        extra_tensors,
    )


def load_shapes(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    chromatic_aberration: float = 0.0,
    texture: float = TEXTURE,
    noise: float = NOISE,
    cache: bool = True,
    renderings: int = 1,
    upright: bool = False,
    object_scale: tuple = OBJECT_SCALE,
    object_saturation: float = 1.0,
    blur: float = 0.0,
    class_colour: float = 0.0,
    colour_offset: int = 0,
    stripes: float = 0.0,
    shift: str | None = None,
) -> ImageSet:
    """The ``shapes`` split, generated once and cached under ``root``.

    ``renderings > 1`` turns on instance mode; ``shift`` (a name in ``SHIFTS``)
    sets the options of one distribution shift (see the module doc)."""
    if shift is not None:
        if shift not in SHIFTS:
            raise WorkbenchError(f"Unknown shift {shift!r} for shapes; use one of {sorted(SHIFTS)}.")
        shifted = SHIFTS[shift]
        chromatic_aberration = shifted.get("chromatic_aberration", chromatic_aberration)
        texture, noise, blur = shifted.get("texture", texture), shifted.get("noise", noise), shifted.get("blur", blur)
        object_scale = shifted.get("object_scale", object_scale)
        object_saturation = shifted.get("object_saturation", object_saturation)
    if not 0 <= chromatic_aberration <= 0.2:
        raise WorkbenchError(f"chromatic_aberration must be in [0, 0.2] (got {chromatic_aberration}).")
    if not (isinstance(renderings, int) and renderings >= 1 and CHUNK % renderings == 0):
        raise WorkbenchError(f"renderings must be a whole divisor of {CHUNK}, e.g. 1 (off), 2, 4 or 5 (got {renderings!r}).")
    object_scale = tuple(float(x) for x in object_scale)
    if not (len(object_scale) == 2 and 0.1 <= object_scale[0] <= object_scale[1] <= 0.9):
        raise WorkbenchError(f"object_scale must be (smallest, largest) radii within [0.1, 0.9] (got {object_scale}).")
    if not 0 <= object_saturation <= 1:
        raise WorkbenchError(f"object_saturation must be in [0, 1] (got {object_saturation}): 0 grey objects, 1 as trained.")
    if not 0 <= blur <= 3:
        raise WorkbenchError(f"blur must be a standard deviation in [0, 3] pixels (got {blur}).")
    if not 0 <= class_colour <= 1:
        raise WorkbenchError(f"class_colour must be a probability in [0, 1] (got {class_colour}): 0 no colour cue.")
    if not (isinstance(colour_offset, int) and 0 <= colour_offset < len(CLASSES)):
        raise WorkbenchError(f"colour_offset must be an integer in 0..{len(CLASSES) - 1} (got {colour_offset!r}).")
    if not 0 <= stripes <= 1:
        raise WorkbenchError(f"stripes is the stripes' contrast and must be in [0, 1] (got {stripes}): 0 no stripes.")
    total = SPLIT_SIZES[split] if n is None else max(n, 1)
    options = (texture, noise, chromatic_aberration, renderings, upright, object_scale, object_saturation, blur,
               class_colour, colour_offset, stripes)
    if not cache or root is None:
        return generate(split, total, seed, *options)
    tag = f"shapes-v{VERSION}-{split}-seed{seed}-ca{chromatic_aberration:g}"
    if (texture, noise) != (TEXTURE, NOISE):
        tag += f"-tex{texture:g}-noise{noise:g}"
    if renderings > 1:
        tag += f"-r{renderings}"
    if upright:
        tag += "-upright"
    if object_scale != OBJECT_SCALE:
        tag += f"-scale{object_scale[0]:g}-{object_scale[1]:g}"
    if object_saturation != 1:
        tag += f"-sat{object_saturation:g}"
    if blur:
        tag += f"-blur{blur:g}"
    if class_colour:
        tag += f"-colour{class_colour:g}-offset{colour_offset}"
    if stripes:
        tag += f"-stripes{stripes:g}"
    path = Path(root) / f"{tag}.pt"
    stored = read_cache(path, total)
    if stored is not None:
        return ImageSet(stored["images"], stored["labels"], list(CLASSES), "shapes", stored["extras"])
    data = generate(split, total, seed, *options)
    write_cache({"images": data.images, "labels": data.labels, "extras": data.extras}, path)
    return data

