"""Helpers the classic pretext tasks share: rotations, tiles, colour spaces, masks.

Each is a plain function on a batch of float images (N, 3, H, W) in [0, 1], so
a notebook can call it on a few images and show what a model sees:

    rotate(images, quarter_turns)            0/90/180/270° per image (rotation)
    grid_tiles(images, grid, tile, jitter)   an image cut into grid×grid tiles
                                             with gaps and jitter (jigsaw, patch)
    assemble_tiles(tiles, grid)              the tiles laid back out as a mosaic
    hamming_permutations(count)              jigsaw's permutation set
    rgb_to_lab / lab_to_rgb                  CIE Lab, D65 (colorization)
    ab_bins / soft_encode / annealed_mean    colorization's colour classes
    block_masks(n, size, mask, region)       which pixels to black out (inpainting)
    held_out_accuracy(method, inputs)        a classifying task's accuracy on data it did not train on
    pretext_views(image_size, views)         optional augmentation before a task
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import torch
import torch.nn.functional as F

from ..errors import WorkbenchError
from ..runtime import eval_mode
from .images import Views, crop_flip_views, to_float, views_with

# ---------------------------------------------------------------------------
# Augmentation before the pretext transform
# ---------------------------------------------------------------------------


def pretext_views(image_size: int, views: dict | None) -> Views | None:
    """``None``: no augmentation (the pretext transform is the only one, as in the
    papers). A dict: random crop + flip (no colour jitter, which would change
    what colorization must predict) with these ViewConfig settings on top."""
    if views is None:
        return None
    return views_with(crop_flip_views(image_size), views)


def prepare(images: torch.Tensor, views: Views | None, image_size: int, method: str) -> torch.Tensor:
    """uint8 or float images → float [0, 1], checked against ``image_size``, augmented."""
    if images.shape[-1] != image_size or images.shape[-2] != image_size:
        raise WorkbenchError(
            f"{method} was built for {image_size}×{image_size} images but got "
            f"{images.shape[-2]}×{images.shape[-1]}; build it with image_size={images.shape[-1]}."
        )
    x = to_float(images)
    return views(x) if views is not None else x


# ---------------------------------------------------------------------------
# Rotation
# ---------------------------------------------------------------------------


def classification_outputs(logits: torch.Tensor, targets: torch.Tensor) -> dict:
    """What a pretext task that classifies returns: cross-entropy on the labels it
    made itself, and its accuracy on them (logged as ``pretext_accuracy``)."""
    loss = F.cross_entropy(logits, targets)
    accuracy = (logits.argmax(1) == targets).float().mean()
    return {"loss": loss, "pretext_accuracy": accuracy.detach()}


def rotate(images: torch.Tensor, quarter_turns: torch.Tensor) -> torch.Tensor:
    """Rotate image i by ``quarter_turns[i]`` × 90° counter-clockwise (square images)."""
    out = torch.empty_like(images)
    for k in range(4):
        chosen = quarter_turns == k
        if chosen.any():
            out[chosen] = torch.rot90(images[chosen], k, dims=(2, 3))
    return out


# ---------------------------------------------------------------------------
# Tiles: jigsaw and relative patch location
# ---------------------------------------------------------------------------


def check_tiling(image_size: int, grid: int, tile: int, what: str) -> int:
    """The cell size (image_size // grid) if ``grid`` tiles of ``tile`` pixels fit; else a clear error."""
    if grid < 2:
        raise WorkbenchError(f"{what}: grid must be ≥ 2 (got {grid}).")
    cell = image_size // grid
    if tile < 1 or tile > cell:
        raise WorkbenchError(
            f"{what}: a {grid}×{grid} grid of {tile}-pixel tiles does not fit a {image_size}-pixel image "
            f"(each grid cell is {image_size}//{grid} = {cell} pixels, so tile must be ≤ {cell}). "
            f"Use a smaller grid or tile, or larger images."
        )
    return cell


def grid_tiles(images: torch.Tensor, grid: int, tile: int, jitter: bool = True) -> torch.Tensor:
    """Cut each image into ``grid``×``grid`` tiles of ``tile`` pixels.

    The central (grid·cell)² square is split into cells of ``cell = H // grid``
    pixels; each tile is a ``tile``-pixel square inside its cell. The
    ``cell - tile`` pixels left over are the gap between tiles (so edges do not
    continue from tile to tile); with ``jitter`` each tile sits at a random offset
    in its cell (its own per image and tile), otherwise in the cell's centre.

    Returns (N, grid², 3, tile, tile), tiles in reading order (row by row).
    """
    n, c, h, w = images.shape
    cell = check_tiling(min(h, w), grid, tile, "grid_tiles")
    top0, left0 = (h - grid * cell) // 2, (w - grid * cell) // 2
    slack = cell - tile
    if jitter and slack > 0:
        offset = torch.randint(0, slack + 1, (n, grid * grid, 2), device=images.device)
    else:
        offset = torch.full((n, grid * grid, 2), slack // 2, device=images.device)
    rows = torch.arange(grid, device=images.device).repeat_interleave(grid)  # tile index → row
    cols = torch.arange(grid, device=images.device).repeat(grid)
    top = top0 + rows * cell + offset[..., 0]  # (N, T)
    left = left0 + cols * cell + offset[..., 1]
    r = torch.arange(tile, device=images.device)
    ys = (top.unsqueeze(-1) + r).view(n, grid * grid, tile, 1).expand(-1, -1, -1, tile)
    xs = (left.unsqueeze(-1) + r).view(n, grid * grid, 1, tile).expand(-1, -1, tile, -1)
    flat = (ys * w + xs).reshape(n, 1, -1).expand(-1, c, -1)  # pixel indices, per channel
    picked = images.reshape(n, c, h * w).gather(2, flat)  # (N, C, T·tile·tile)
    return picked.view(n, c, grid * grid, tile, tile).permute(0, 2, 1, 3, 4).contiguous()


def assemble_tiles(tiles: torch.Tensor, grid: int, gap: int = 1, fill: float = 1.0) -> torch.Tensor:
    """Lay (N, grid², C, t, t) tiles out as (N, C, H, W) mosaics with ``gap``-pixel white lines."""
    n, count, c, t, _ = tiles.shape
    if count != grid * grid:
        raise WorkbenchError(f"assemble_tiles: {count} tiles do not make a {grid}×{grid} grid.")
    side = grid * t + (grid - 1) * gap
    out = tiles.new_full((n, c, side, side), fill)
    for index in range(count):
        row, col = divmod(index, grid)
        out[:, :, row * (t + gap) : row * (t + gap) + t, col * (t + gap) : col * (t + gap) + t] = tiles[:, index]
    return out


@lru_cache(maxsize=16)
def hamming_permutations(count: int = 100, tiles: int = 9, seed: int = 0) -> torch.Tensor:
    """Jigsaw's permutation set: Noroozi & Favaro's Algorithm 1 ("maximal Hamming distance").

    Start from one random permutation of ``tiles`` tiles; repeatedly add the
    permutation, among all ``tiles!`` of them, whose *average* Hamming distance
    to those chosen so far is the largest (ties: the first). Far apart *on
    average*, so that most pairs of classes differ in many tiles: for 100
    permutations of 9 tiles the average distance is 8.08 and the smallest 2 (the
    paper's Table 3 reports 8.00 and 2 for its "maximal" set; maximising the
    minimum instead would be another algorithm). Returns a (count, tiles) int64 tensor, one permutation a row:
    row p lists, for each position of the shuffled puzzle, which tile goes there.
    """
    if tiles > 9:
        raise WorkbenchError(f"hamming_permutations enumerates all tiles! permutations: tiles must be ≤ 9 (got {tiles}).")
    total = math.factorial(tiles)
    if not 2 <= count <= total:
        raise WorkbenchError(f"count must be between 2 and {tiles}! = {total} (got {count}); the paper uses 100–1000.")
    every = torch.tensor(list(itertools.permutations(range(tiles))), dtype=torch.int8)
    generator = torch.Generator().manual_seed(seed)
    chosen = [int(torch.randint(total, (1,), generator=generator))]
    distance_sum = torch.zeros(total)
    available = torch.ones(total, dtype=torch.bool)
    for _ in range(count - 1):
        last = chosen[-1]
        available[last] = False
        distance_sum += (every != every[last]).sum(dim=1)
        score = torch.where(available, distance_sum, torch.tensor(-1.0))
        chosen.append(int(score.argmax()))
    return every[chosen].long()


def min_hamming_distance(permutations: torch.Tensor) -> int:
    """The smallest Hamming distance between two rows of a permutation set."""
    d = (permutations.unsqueeze(0) != permutations.unsqueeze(1)).sum(-1)
    d.fill_diagonal_(permutations.shape[1] + 1)
    return int(d.min())


#: Relative patch location: the 8 neighbours of the centre tile of a 3×3 grid,
#: as (row, column) offsets, in the paper's reading order (class 0 = top left).
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
NEIGHBOUR_NAMES = ("top left", "top", "top right", "left", "right", "bottom left", "bottom", "bottom right")


def drop_colours(patches: torch.Tensor, noise: float = 0.01) -> torch.Tensor:
    """Doersch et al.'s colour dropping: keep one random channel per patch and
    replace the other two with Gaussian noise (std ``noise`` × the kept channel's std)."""
    n = patches.shape[0]
    keep = torch.randint(0, 3, (n,), device=patches.device)
    kept = patches[torch.arange(n, device=patches.device), keep]  # (N, h, w)
    std = kept.flatten(1).std(dim=1).clamp_min(1e-3).view(n, 1, 1, 1)
    out = patches.mean(dim=(1, 2, 3), keepdim=True) + noise * std * torch.randn_like(patches)
    out[torch.arange(n, device=patches.device), keep] = kept
    return out


#: The green–magenta colour axis Doersch et al. project out (their cameras'
#: aberration shrinks green relative to red and blue).
GREEN_MAGENTA = (-1.0, 2.0, -1.0)
#: The red–blue axis: the one ``shapes``' simulated aberration (red out, blue in) moves along.
RED_BLUE = (1.0, 0.0, -1.0)


def project_out(patches: torch.Tensor, axis=GREEN_MAGENTA) -> torch.Tensor:
    """Doersch et al.'s colour projection: remove each pixel's component along a
    colour ``axis`` (the image mean's component is kept, so the patch stays in range)."""
    a = torch.tensor(axis, dtype=patches.dtype, device=patches.device)
    a = (a / a.norm()).view(1, 3, 1, 1)
    coefficient = (patches * a).sum(dim=1, keepdim=True)
    mean = coefficient.mean(dim=(2, 3), keepdim=True)
    return patches - (coefficient - mean) * a


def pixelate(patches: torch.Tensor, probability: float, smallest: int) -> torch.Tensor:
    """Doersch et al.'s defence against relying on fine detail: each patch, with ``probability``,
    is shrunk to a random side of ``smallest`` … (its side − 1) pixels (averaging: area
    interpolation) and scaled back up (bilinear), so its finest detail is gone. The paper shrinks
    some of its 96-pixel patches "to as little as 100 total pixels" (10×10)."""
    side = patches.shape[-1]
    chosen = torch.rand(patches.shape[0], device=patches.device) < probability
    sides = torch.randint(smallest, side, (patches.shape[0],), device=patches.device)
    out = patches.clone()
    for small in sides[chosen].unique().tolist():   # one resize per side drawn: a handful
        rows = chosen & (sides == small)
        shrunk = F.interpolate(patches[rows], size=(small, small), mode="area")
        out[rows] = F.interpolate(shrunk, size=(side, side), mode="bilinear", align_corners=False)
    return out


# ---------------------------------------------------------------------------
# Lab colour (colorization)
# ---------------------------------------------------------------------------

_RGB_TO_XYZ = torch.tensor(
    [[0.412453, 0.357580, 0.180423], [0.212671, 0.715160, 0.072169], [0.019334, 0.119193, 0.950227]]
)
_WHITE = torch.tensor([0.95047, 1.0, 1.08883])  # D65


def rgb_to_lab(images: torch.Tensor) -> torch.Tensor:
    """sRGB in [0, 1] (N, 3, H, W) → CIE Lab (L in [0, 100], a and b about ±110), D65 white."""
    linear = torch.where(images <= 0.04045, images / 12.92, ((images.clamp_min(0) + 0.055) / 1.055) ** 2.4)
    xyz = torch.einsum("ij,njhw->nihw", _RGB_TO_XYZ.to(images), linear) / _WHITE.to(images).view(1, 3, 1, 1)
    f = torch.where(xyz > 0.008856, xyz.clamp_min(1e-12) ** (1 / 3), 7.787 * xyz + 16 / 116)
    fx, fy, fz = f.unbind(1)
    return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=1)


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """CIE Lab → sRGB in [0, 1] (colours outside the sRGB gamut are clipped)."""
    L, a, b = lab.unbind(1)
    fy = (L + 16) / 116
    f = torch.stack((fy + a / 500, fy, fy - b / 200), dim=1)
    xyz = torch.where(f**3 > 0.008856, f**3, (f - 16 / 116) / 7.787) * _WHITE.to(lab).view(1, 3, 1, 1)
    linear = torch.einsum("ij,njhw->nihw", torch.linalg.inv(_RGB_TO_XYZ).to(lab), xyz).clamp(0, 1)
    rgb = torch.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear.clamp_min(1e-12) ** (1 / 2.4) - 0.055)
    return rgb.clamp(0, 1)


def is_grayscale(images: torch.Tensor, tolerance: float = 1 / 255) -> bool:
    """True when every pixel of every image has R = G = B (within ``tolerance``)."""
    x = to_float(images)
    return bool(((x - x.mean(dim=1, keepdim=True)).abs() <= tolerance).all())


@lru_cache(maxsize=4)
def ab_bins(grid: int = 10) -> torch.Tensor:
    """Zhang et al.'s colour classes: the points of a ``grid``-spaced ab grid
    that sRGB colours reach (the paper counts 313 for grid 10; this sampling finds 261).
    Found by converting a dense sample of the RGB cube to Lab. Returns (Q, 2)."""
    steps = torch.linspace(0, 1, 64)
    cube = torch.stack(torch.meshgrid(steps, steps, steps, indexing="ij")).reshape(1, 3, -1, 1)
    ab = rgb_to_lab(cube)[0, 1:, :, 0].T  # (M, 2)
    points = torch.unique((ab / grid).round(), dim=0) * grid
    return points.float()


def soft_encode(ab: torch.Tensor, bins: torch.Tensor, neighbours: int = 5, sigma: float = 5.0) -> torch.Tensor:
    """Zhang et al.'s soft targets: each pixel's ab value spread over its
    ``neighbours`` nearest bins with Gaussian weights (σ = ``sigma``).
    ab (N, 2, H, W) → (N, Q, H, W), each pixel's weights summing to 1."""
    n, _, h, w = ab.shape
    points = ab.permute(0, 2, 3, 1).reshape(-1, 2)
    distance = torch.cdist(points, bins.to(ab))  # (P, Q)
    nearest, index = distance.topk(neighbours, dim=1, largest=False)
    weights = torch.softmax(-(nearest**2) / (2 * sigma**2), dim=1)
    target = torch.zeros(points.shape[0], bins.shape[0], dtype=ab.dtype, device=ab.device)
    target.scatter_(1, index, weights)
    return target.view(n, h, w, -1).permute(0, 3, 1, 2)


def annealed_mean(logits: torch.Tensor, bins: torch.Tensor, temperature: float = 0.38) -> torch.Tensor:
    """Zhang et al.'s decoding of a colour distribution into one ab value per
    pixel: the mean of softmax(logits / T) over the bins. T = 1 gives the
    (desaturated) mean, T → 0 the (patchy) mode; the paper uses 0.38."""
    probabilities = torch.softmax(logits / temperature, dim=1)  # (N, Q, H, W)
    return torch.einsum("nqhw,qc->nchw", probabilities, bins.to(logits))


# ---------------------------------------------------------------------------
# Masks (context encoder)
# ---------------------------------------------------------------------------

MASK_REGIONS = ("center", "random")


def block_masks(n: int, image_size: int, size: int, region: str = "center", device=None) -> torch.Tensor:
    """(N, 1, H, W) float masks, 1 on a ``size``×``size`` square to black out.

    ``center``: the central square (Pathak et al.'s main setting);
    ``random``: a square at a random position in each image ("random block").
    """
    if region not in MASK_REGIONS:
        raise WorkbenchError(f"mask region must be one of {MASK_REGIONS} (got {region!r}).")
    if not 1 <= size < image_size:
        raise WorkbenchError(
            f"mask size {size} does not fit {image_size}×{image_size} images: it must be between 1 and "
            f"{image_size - 1} pixels, so that some context is left to inpaint from."
        )
    if region == "center":
        top = torch.full((n,), (image_size - size) // 2, device=device)
        left = top.clone()
    else:
        top = torch.randint(0, image_size - size + 1, (n,), device=device)
        left = torch.randint(0, image_size - size + 1, (n,), device=device)
    r = torch.arange(image_size, device=device)
    rows = (r.view(1, -1) >= top.view(-1, 1)) & (r.view(1, -1) < (top + size).view(-1, 1))  # (N, H)
    cols = (r.view(1, -1) >= left.view(-1, 1)) & (r.view(1, -1) < (left + size).view(-1, 1))
    return (rows.unsqueeze(2) & cols.unsqueeze(1)).unsqueeze(1).float()


@torch.no_grad()
def held_out_accuracy(method, inputs: torch.Tensor, seed: int = 0, batch_size: int = 32) -> float:
    """How often a classifying pretext task (a method with ``pretext_batch`` → (inputs,
    targets) and a ``head`` on its backbone: frame order, the arrow of time) answers its
    own question right on ``inputs`` it did not train on — in eval mode, its random draws
    seeded by ``seed`` (the global generator is left as it was)."""
    device = next(method.parameters()).device
    right = 0
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), eval_mode(method):
        torch.manual_seed(seed)
        for start in range(0, inputs.shape[0], batch_size):
            x, targets = method.pretext_batch(inputs[start : start + batch_size].to(device))
            right += int((method.head(method.backbone(x)).argmax(1) == targets).sum())
    return right / inputs.shape[0]
