"""``moving_shapes``: short video clips of one ``shapes`` object in motion.

Each clip is T frames (16 by default) of 32×32 RGB, uint8 (N, T, 3, 32, 32).
One object of one of the ten ``shapes`` classes slides over a still background
(a fixed camera), and in every clip:

    it moves    from a random position, in a random direction, at a random speed,
                bouncing off the borders (a mirror reflection of its path)
    it spins    clockwise or anticlockwise
    it slows    friction takes 10% of its speed and of its spin every frame: the only
                thing in these clips that is not the same played backwards — the
                arrow of time
    it zooms    its size changes steadily by up to ±25% over the clip

Colours, background, lighting and pixel noise are drawn as for ``shapes`` (the
object stays visible in grayscale), fixed for the clip; the noise is new in
every frame. The label is the shape. What the generator drew is kept, so that a
probe can ask which factor a representation keeps (``FACTORS``):

    extras["direction"]  0 right, 1 down, 2 left, 3 up: the nearest of the four to
                         the first frame's direction of motion (before any bounce)
    extras["speed"]      0 slow, 1 medium, 2 fast: the first frame's speed in thirds
                         of its range (0.6–2.4 pixels per frame)
    extras["spin"]       0 clockwise, 1 anticlockwise
    and as numbers: "speed_px" (pixels per frame, at the start), "angle" (the
    direction in radians, y downwards), "spin_deg" (degrees per frame at the start, signed),
    "bounces" (how many times the object hit a border), "zoom", "object_hue",
    "background_hue"; and the pose of every frame: "x", "y", "scale",
    "rotation" as (N, T) (the pose of shapes' extras, per frame)

Why friction: motion at a steady speed with mirror bounces looks exactly as
plausible backwards as forwards, and the arrow of time could not be learned from
it. Set ``friction=0`` to see that (notebook 12).

Generation is deterministic: clips come in chunks of 32, each from its own
``numpy`` generator seeded by (seed, split, chunk, VERSION), so the first ``n``
clips are the same whatever ``n`` is. Splits are cached under ``data/``: drawing
16 frames a clip takes far longer than reading them back. How long, on your
machine: ``python benchmarks/timings.py generation``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import ClipSet
from .paths import read_cache, seeded_chunks, write_cache
from .shapes import (
    CLASSES,
    NOISE,
    SIZE,
    _column,
    _coverage,
    _grid,
    _hsv_to_rgb,
    _lightness,
    _object_frame,
    keep_visible,
)

VERSION = 2  # bump when the generator changes, so stale caches are not used
CHUNK = 32  # clips per generator (512 frames at 16 frames a clip)
FRAMES = 16
SPLIT_SIZES = {"train": 2_000, "test": 1_000}
SPLIT_STREAM = {"train": 0, "test": 1}
FRICTION = 0.1  # share of its speed an object loses every frame
SPEED_RANGE = (0.6, 2.4)  # pixels per frame, at the first frame
SPIN_RANGE = (4.0, 10.0)  # degrees per frame
ZOOM_RANGE = (0.8, 1.25)  # size at the last frame / size at the first
OBJECT_SCALE = (0.3, 0.5)  # object radius at the first frame, in units of half the image

#: what a probe can ask about a clip: factor → its class names (the labels are in extras)
FACTORS = {
    "shape": list(CLASSES),
    "direction": ["right", "down", "left", "up"],
    "speed": ["slow", "medium", "fast"],
    "spin": ["clockwise", "anticlockwise"],
}


def factor_labels(data: ClipSet, factor: str) -> torch.Tensor:
    """The labels of ``factor`` (a name in ``FACTORS``) for every clip of ``data``."""
    if factor not in FACTORS:
        raise WorkbenchError(f"Unknown factor {factor!r}; moving_shapes records {list(FACTORS)}.")
    if factor == "shape":
        return data.labels
    if factor not in data.extras:
        raise WorkbenchError(f"{data.name!r} does not record {factor!r}: factor_labels needs a moving_shapes split.")
    return data.extras[factor].long()


def factors_of(train: ClipSet, test: ClipSet, names=None) -> dict:
    """{factor: (train labels, test labels)} for ``evaluate.probe_factors``
    (every factor in ``FACTORS`` unless ``names`` says which)."""
    return {name: (factor_labels(train, name), factor_labels(test, name)) for name in (names or FACTORS)}


def _motion(rng, n: int, frames: int, friction: float, scale: np.ndarray, zoom: np.ndarray):
    """Every frame's position (n, T) of n objects sliding with friction and bouncing
    off the borders, and what a probe may ask about the motion."""
    # the room the object's centre has: the object (radius ≈ scale) stays in view at its largest
    room = 1.0 - 0.9 * scale * np.maximum(zoom, 1.0)
    position = np.stack([rng.uniform(-room, room), rng.uniform(-room, room)], axis=1)
    angle = rng.uniform(0, 2 * math.pi, n)
    speed_px = rng.uniform(*SPEED_RANGE, n)
    velocity = np.stack([np.cos(angle), np.sin(angle)], axis=1) * (speed_px * 2 / SIZE)[:, None]
    xy = np.empty((n, frames, 2))
    bounces = np.zeros(n, dtype=np.int64)
    wall = room[:, None]
    for t in range(frames):
        xy[:, t] = position
        position = position + velocity
        for side in (1, -1):  # a mirror reflection off the right/bottom, then the left/top border
            out = side * position > wall
            position = np.where(out, side * 2 * wall - position, position)
            velocity = np.where(out, -velocity, velocity)
            bounces += out.any(axis=1)
        velocity = velocity * (1 - friction)
    direction = np.round(angle / (math.pi / 2)).astype(np.int64) % 4  # 0 right, 1 down (y downwards), 2 left, 3 up
    third = (SPEED_RANGE[1] - SPEED_RANGE[0]) / 3
    speed = np.minimum((speed_px - SPEED_RANGE[0]) // third, 2).astype(np.int64)
    return xy, {"direction": direction, "speed": speed, "speed_px": speed_px, "angle": angle, "bounces": bounces}


def _render_chunk(rng: np.random.Generator, count: int, frames: int, friction: float, noise: float, object_scale: tuple):
    n = count
    labels = rng.permutation(np.arange(n) % len(CLASSES))
    scale = rng.uniform(*object_scale, n)
    zoom = np.exp(rng.uniform(np.log(ZOOM_RANGE[0]), np.log(ZOOM_RANGE[1]), n))
    xy, motion = _motion(rng, n, frames, friction, scale, zoom)
    spin = rng.integers(0, 2, n)  # 0 clockwise (a growing angle turns clockwise on screen: y points down)
    spin_deg = rng.uniform(*SPIN_RANGE, n) * np.where(spin == 0, 1, -1)
    time = np.arange(frames) / max(frames - 1, 1)
    turned = np.concatenate([[0.0], np.cumsum((1 - friction) ** np.arange(frames - 1))])  # friction slows the spin too
    rotation = rng.uniform(0, 2 * math.pi, n)[:, None] + np.radians(spin_deg)[:, None] * turned
    scale_t = scale[:, None] * zoom[:, None] ** time

    # colours as in shapes: a two-colour gradient background, an object kept visible in grayscale
    background_hue = rng.uniform(0, 1, n)
    background_a = _hsv_to_rgb(background_hue, rng.uniform(0.3, 1.0, n), rng.uniform(0.25, 1.0, n))
    background_b = _hsv_to_rgb(
        np.mod(background_hue + rng.uniform(-0.15, 0.15, n), 1), rng.uniform(0.3, 1.0, n), rng.uniform(0.25, 1.0, n)
    )
    object_hue = rng.uniform(0, 1, n)
    object_rgb = _hsv_to_rgb(object_hue, rng.uniform(0.4, 1.0, n), rng.uniform(0.2, 1.0, n))
    keep_visible(rng, object_rgb, object_hue, _lightness((background_a + background_b) / 2))

    x, y = _grid(SIZE)
    gradient = _column(rng.uniform(0, 2 * math.pi, n))
    ramp = ((x * np.cos(gradient) + y * np.sin(gradient) + 1.5) / 3)[..., None]  # (n, H, W, 1) in (0, 1)
    background = background_a[:, None, None] * (1 - ramp) + background_b[:, None, None] * ramp  # (n, H, W, 3)

    # every frame of every clip at once: (n·T) poses
    flat = {"labels": np.repeat(labels, frames), "x": xy[..., 0].ravel(), "y": xy[..., 1].ravel(),
            "scale": scale_t.ravel(), "rotation": rotation.ravel()}
    mask = _coverage(flat["labels"], flat["x"], flat["y"], flat["scale"], flat["rotation"])
    mask = mask.reshape(n, frames, SIZE, SIZE, 1)
    u, v = _object_frame(SIZE, flat["x"], flat["y"], flat["scale"], flat["rotation"])
    light_angle = _column(np.repeat(rng.uniform(0, 2 * math.pi, n), frames))
    lighting = (1 + 0.25 * (u * np.cos(light_angle) + v * np.sin(light_angle)) / 1.5).reshape(n, frames, SIZE, SIZE, 1)
    foreground = object_rgb[:, None, None, None] * lighting
    clips = background[:, None] * (1 - mask) + foreground * mask
    sigma = rng.uniform(0, noise, n)[:, None, None, None, None]
    clips = clips + rng.standard_normal(clips.shape, dtype=np.float32) * sigma
    clips = np.clip(clips, 0, 1).astype(np.float32)

    extras = {**motion, "spin": spin, "spin_deg": spin_deg, "zoom": zoom, "object_hue": object_hue,
              "background_hue": background_hue, "x": xy[..., 0], "y": xy[..., 1], "scale": scale_t, "rotation": rotation}
    return clips, labels, extras


def generate(split: str = "train", n: int | None = None, seed: int = 0, frames: int = FRAMES,
             friction: float = FRICTION, noise: float = NOISE, object_scale: tuple = OBJECT_SCALE) -> ClipSet:
    """Generate (without caching) ``n`` clips of split ``split``."""
    total = SPLIT_SIZES[split] if n is None else n
    clips = torch.empty((total, frames, 3, SIZE, SIZE), dtype=torch.uint8)
    labels = np.empty(total, dtype=np.int64)
    extras: dict[str, np.ndarray] = {}
    for _, rng, start, count in seeded_chunks(total, CHUNK, seed, SPLIT_STREAM[split], VERSION):
        chunk_clips, chunk_labels, chunk_extras = _render_chunk(rng, CHUNK, frames, friction, noise, object_scale)
        pixels = chunk_clips[:count].transpose(0, 1, 4, 2, 3)  # (count, T, 3, H, W), a view
        np.multiply(pixels, 255, out=pixels)
        np.round(pixels, out=pixels)  # whole numbers in [0, 255]: exact in uint8
        clips[start : start + count] = torch.from_numpy(pixels)
        labels[start : start + count] = chunk_labels[:count]
        for key, value in chunk_extras.items():
            dtype = np.int64 if value.dtype == np.int64 else np.float32
            extras.setdefault(key, np.empty((total, *value.shape[1:]), dtype=dtype))[start : start + count] = value[:count]
    return ClipSet(clips, torch.from_numpy(labels), list(CLASSES), "moving_shapes",
                   {key: torch.from_numpy(value) for key, value in extras.items()})


def load_moving_shapes(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    frames: int = FRAMES,
    friction: float = FRICTION,
    noise: float = NOISE,
    object_scale: tuple = OBJECT_SCALE,
    cache: bool = True,
) -> ClipSet:
    """The ``moving_shapes`` split, generated once and cached under ``root``."""
    if not (isinstance(frames, int) and not isinstance(frames, bool) and 4 <= frames <= 64):
        raise WorkbenchError(f"frames must be an integer in 4..64 (got {frames!r}); the pretext tasks need a few frames.")
    if not 0 <= friction < 0.5:
        raise WorkbenchError(f"friction must be in [0, 0.5): the share of its speed an object loses per frame (got {friction}).")
    if not 0 <= noise <= 0.3:
        raise WorkbenchError(f"noise must be a pixel standard deviation in [0, 0.3] (got {noise}).")
    object_scale = tuple(float(x) for x in object_scale)
    if not (len(object_scale) == 2 and 0.1 <= object_scale[0] <= object_scale[1] <= 0.6):
        raise WorkbenchError(f"object_scale must be (smallest, largest) radii within [0.1, 0.6] (got {object_scale}).")
    total = SPLIT_SIZES[split] if n is None else max(n, 1)
    options = (frames, friction, noise, object_scale)
    if not cache or root is None:
        return generate(split, total, seed, *options)
    tag = f"moving_shapes-v{VERSION}-{split}-seed{seed}-t{frames}-f{friction:g}-noise{noise:g}"
    if object_scale != OBJECT_SCALE:
        tag += f"-scale{object_scale[0]:g}-{object_scale[1]:g}"
    path = Path(root) / f"{tag}.pt"
    stored = read_cache(path, total)
    if stored is not None:
        return ClipSet(stored["clips"], stored["labels"], list(CLASSES), "moving_shapes", stored["extras"])
    data = generate(split, total, seed, *options)
    write_cache({"clips": data.inputs, "labels": data.labels, "extras": data.extras}, path)
    return data
