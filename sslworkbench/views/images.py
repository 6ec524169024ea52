"""Views: random augmentations that make two different images of one image.

SimCLR's pipeline, in the order the paper applies it::

    RandomResizedCrop(size, scale, ratio)   crop a random area, resize back
    RandomHorizontalFlip(p=flip_p)
    RandomRotation(degrees)                  (off by default; see below)
    RandomApply(ColorJitter(brightness, contrast, saturation, hue), p=jitter_p)
    RandomGrayscale(p=grayscale_p)
    RandomApply(GaussianBlur(kernel_size, sigma), p=blur_p)
    RandomSolarize(threshold, p=solarize_p)          (BYOL adds this one)

Parameters are named as torchvision names them. Each image in a batch draws its
own random parameters (its own crop, its own jitter factors, its own order of the
four jitter operations, as ``ColorJitter`` does), but the whole batch is
transformed at once on the training device.

A rotation (``degrees``, as torchvision's ``RandomRotation``) is not in
SimCLR's pipeline, but it belongs in any pipeline for data whose objects appear
at every angle — like ``shapes``: views should vary exactly the factors a
representation should ignore. It is applied with the crop in the same
resampling, rotating the crop box about its centre (reflecting the image where
a corner reaches past the edge).

Why not call torchvision's transforms? They draw one set of random parameters
per call, so per-sample randomness means a Python loop over the batch, one call
per image and operation; here each operation is one call on the whole batch,
with a tensor of per-image parameters. On a CPU the loop is several times
slower, and its views would take a large share of the small CNN's training step
instead of a small one: ``python benchmarks/throughput.py`` prints the views/s
of both and the training step's images/s. Each operation below is checked
against torchvision's functional version in ``tests/test_views_images.py``, so
the numbers are torchvision's.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

import torch
import torch.nn.functional as F

from ..data.dataset import (
    check_images,
    to_float,  # noqa: F401  (sw.augment.to_float, used by the notebooks)
)
from ..data.image_ops import gaussian_blur
from ..errors import WorkbenchError

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)  # as torchvision's rgb_to_grayscale


@dataclass(frozen=True)
class ViewConfig:
    """The settings of a view pipeline (torchvision's names and meanings)."""

    size: int = 32
    scale: tuple[float, float] = (0.2, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    flip_p: float = 0.5
    degrees: float = 0.0
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    jitter_p: float = 0.8
    grayscale_p: float = 0.2
    blur_p: float = 0.0
    kernel_size: int = 3
    sigma: tuple[float, float] = (0.1, 2.0)
    solarize_p: float = 0.0
    threshold: float = 0.5

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        def fail(message):
            raise WorkbenchError(f"ViewConfig: {message}")

        if not isinstance(self.size, int) or self.size < 4:
            fail(f"size must be an integer ≥ 4 (got {self.size!r}).")
        low, high = self.scale
        if not 0 < low <= high <= 1:
            fail(f"scale must satisfy 0 < min ≤ max ≤ 1 (got {self.scale}).")
        if not 0 < self.ratio[0] <= self.ratio[1]:
            fail(f"ratio must satisfy 0 < min ≤ max (got {self.ratio}).")
        if not 0 <= self.degrees <= 180:
            fail(f"degrees must be in [0, 180] (got {self.degrees}); angles are drawn from [-degrees, degrees].")
        for name in ("flip_p", "jitter_p", "grayscale_p", "blur_p", "solarize_p"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                fail(f"{name} is a probability and must be in [0, 1] (got {value}).")
        for name in ("brightness", "contrast", "saturation"):
            value = getattr(self, name)
            if value < 0:
                fail(f"{name} must be ≥ 0 (got {value}); factors are drawn from [max(0, 1-{name}), 1+{name}].")
        if not 0 <= self.hue <= 0.5:
            fail(f"hue must be in [0, 0.5] (got {self.hue}).")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            fail(f"kernel_size must be a positive odd integer (got {self.kernel_size}).")
        if not 0 < self.sigma[0] <= self.sigma[1]:
            fail(f"sigma must satisfy 0 < min ≤ max (got {self.sigma}).")
        if not 0 <= self.threshold <= 1:
            fail(f"threshold is for images in [0, 1] and must be in [0, 1] (got {self.threshold}).")

    def replace(self, **changes) -> ViewConfig:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise WorkbenchError(f"ViewConfig has no setting {unknown[0]!r}. Settings: {', '.join(sorted(known))}.")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ViewConfig:
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls().replace(**values)




def simclr_views(size: int = 32, strength: float = 0.5, blur: bool = False) -> ViewConfig:
    """SimCLR's pipeline with colour-distortion ``strength`` s: jitter (0.8s, 0.8s, 0.8s, 0.2s).

    The paper uses s=1.0 on ImageNet and s=0.5 on CIFAR-10, and drops the blur on CIFAR;
    its crops are torchvision's default, an area of 8–100% of the image, on both
    (Appendix A and B.9). Datasets may ask for other crops (``data.VIEW_DEFAULTS``:
    40–100% on ``shapes``).
    """
    return ViewConfig(
        size=size,
        scale=(0.08, 1.0),
        brightness=0.8 * strength,
        contrast=0.8 * strength,
        saturation=0.8 * strength,
        hue=0.2 * strength,
        blur_p=0.5 if blur else 0.0,
        kernel_size=2 * round(0.05 * size) + 1,
    )


def byol_views(size: int = 32, blur: bool | None = None) -> ViewConfig:
    """BYOL's pipeline (Grill et al. 2020, Table 6): crop (0.08, 1), jitter (0.4, 0.4, 0.2, 0.1)
    with p=0.8, grayscale p=0.2, blur with σ in (0.1, 2), solarize with p=0.2 on one view.

    BYOL's two views differ: blur p=1.0 / 0.1, solarize p=0 / 0.2. One ViewConfig draws
    both views alike, so each gets the average: blur p=0.55, solarize p=0.1. The paper
    pre-trains on ImageNet only; for small images (``size`` ≤ 64, as on CIFAR) the blur is
    dropped, as SimCLR does on CIFAR (``blur=True`` keeps it).
    """
    blur = size > 64 if blur is None else blur
    return ViewConfig(
        size=size,
        scale=(0.08, 1.0),
        brightness=0.4,
        contrast=0.4,
        saturation=0.2,
        hue=0.1,
        blur_p=0.55 if blur else 0.0,
        kernel_size=2 * round(0.05 * size) + 1,
        solarize_p=0.1,
    )


def moco_v2_views(size: int = 32, blur: bool | None = None) -> ViewConfig:
    """MoCo v2's pipeline (Chen, Fan, Girshick & He 2020): crop (0.2, 1), jitter
    (0.4, 0.4, 0.4, 0.1) with p=0.8, grayscale p=0.2, blur p=0.5 with σ in (0.1, 2).

    The authors' CIFAR-10 version of MoCo keeps everything but the blur, which is
    dropped for ``size`` ≤ 64 (``blur=True`` keeps it).
    """
    blur = size > 64 if blur is None else blur
    return ViewConfig(
        size=size,
        scale=(0.2, 1.0),
        brightness=0.4,
        contrast=0.4,
        saturation=0.4,
        hue=0.1,
        blur_p=0.5 if blur else 0.0,
        kernel_size=2 * round(0.05 * size) + 1,
    )


def crop_flip_views(size: int = 32) -> ViewConfig:
    """Random resized crop (scale 0.5–1) and flip, no colour changes: the mild
    augmentation of supervised training and of the pretext tasks (whose targets
    colour jitter would change)."""
    return ViewConfig(size=size, scale=(0.5, 1.0), jitter_p=0.0, grayscale_p=0.0)


def views_with(config: ViewConfig, overrides: dict | None = None) -> Views:
    """The view pipeline ``config`` with a method's own ``views={...}`` settings on
    top (ViewConfig field names, e.g. ``{"scale": (0.4, 1.0)}``)."""
    return Views(config.replace(**overrides) if overrides else config)


#: The published pipelines by name (what the augmentation explorer's presets offer).
PRESETS = {"SimCLR": simclr_views, "BYOL": byol_views, "MoCo v2": moco_v2_views}


# ---------------------------------------------------------------------------
# Colour operations on a batch, each with a per-image factor of shape (N,).
# They follow torchvision.transforms.v2.functional for float images in [0, 1].
# ---------------------------------------------------------------------------


def _per_image(factor: torch.Tensor) -> torch.Tensor:
    return factor.view(-1, 1, 1, 1)


def grayscale(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) → (N, 1, H, W) luma."""
    r, g, b = images.unbind(dim=1)
    return (GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b).unsqueeze(1)


def adjust_brightness(images, factor):
    return (images * _per_image(factor)).clamp_(0, 1)


def adjust_contrast(images, factor):
    mean = grayscale(images).mean(dim=(1, 2, 3), keepdim=True)
    return (_per_image(factor) * images + (1 - _per_image(factor)) * mean).clamp_(0, 1)


def adjust_saturation(images, factor):
    gray = grayscale(images)
    return (_per_image(factor) * images + (1 - _per_image(factor)) * gray).clamp_(0, 1)


def _rgb_to_hsv(images):
    r, g, b = images.unbind(dim=1)
    maxc, _ = images.max(dim=1)
    minc, _ = images.min(dim=1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=1)


def _hsv_to_rgb(images):
    h, s, v = images.unbind(dim=1)
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(torch.int64) % 6
    p = (v * (1.0 - s)).clamp_(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp_(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp_(0.0, 1.0)
    sector = torch.arange(6, device=i.device).view(-1, 1, 1)
    mask = i.unsqueeze(dim=-3) == sector  # (N, 6, H, W)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)  # (N, 3, 6, H, W)
    return (a4.mul_(mask.unsqueeze(dim=-4).to(a4.dtype))).sum(dim=-3)


def adjust_hue(images, factor):
    hsv = _rgb_to_hsv(images)
    hsv[:, 0] = torch.remainder(hsv[:, 0] + factor.view(-1, 1, 1), 1.0)
    return _hsv_to_rgb(hsv)


def solarize(images, threshold: float):
    return torch.where(images >= threshold, 1.0 - images, images)


# ---------------------------------------------------------------------------
# Geometry: random resized crop + horizontal flip as one batched resampling
# ---------------------------------------------------------------------------


def random_resized_crop_boxes(n, height, width, scale, ratio, device, attempts: int = 10):
    """torchvision's RandomResizedCrop.get_params, for n images at once.

    Returns (top, left, crop_height, crop_width) in pixels, each of shape (N,).
    Draws up to ``attempts`` (area, aspect) pairs per image and keeps the first
    that fits; images where none fits fall back to the central crop.
    """
    area = height * width
    target_area = area * torch.empty(n, attempts, device=device).uniform_(scale[0], scale[1])
    log_ratio = torch.empty(n, attempts, device=device).uniform_(math.log(ratio[0]), math.log(ratio[1]))
    aspect = torch.exp(log_ratio)
    crop_w = torch.sqrt(target_area * aspect).round()
    crop_h = torch.sqrt(target_area / aspect).round()
    fits = (crop_w > 0) & (crop_h > 0) & (crop_w <= width) & (crop_h <= height)
    first = torch.where(fits.any(dim=1), fits.float().argmax(dim=1), torch.full((n,), -1, device=device))
    found = first >= 0
    pick = first.clamp(min=0).unsqueeze(1)
    crop_w = crop_w.gather(1, pick).squeeze(1)
    crop_h = crop_h.gather(1, pick).squeeze(1)
    # fallback: central crop with the ratio clamped into range
    in_ratio = width / height
    if in_ratio < ratio[0]:
        fallback_w, fallback_h = width, round(width / ratio[0])
    elif in_ratio > ratio[1]:
        fallback_h, fallback_w = height, round(height * ratio[1])
    else:
        fallback_w, fallback_h = width, height
    crop_w = torch.where(found, crop_w, torch.full_like(crop_w, fallback_w))
    crop_h = torch.where(found, crop_h, torch.full_like(crop_h, fallback_h))
    top = torch.floor(torch.rand(n, device=device) * (height - crop_h + 1))
    left = torch.floor(torch.rand(n, device=device) * (width - crop_w + 1))
    top = torch.where(found, top, torch.full_like(top, 0.0) + ((height - crop_h) / 2).round())
    left = torch.where(found, left, ((width - crop_w) / 2).round())
    return top, left, crop_h, crop_w


def crop_and_resize(images, boxes, size: int, flip: torch.Tensor | None = None, angle: torch.Tensor | None = None):
    """Cut each image's box out and resize it to size×size (bilinear), flipping
    horizontally where ``flip`` is True and rotating the box by ``angle``
    (radians) about its centre — one ``grid_sample`` for the whole batch."""
    n, _, height, width = images.shape
    top, left, crop_h, crop_w = boxes
    dtype = images.dtype
    # output pixel (u, v) in [-1, 1]² → input point: centre + R(angle) · (half-size · (±u, v))
    sign = 1 - 2 * flip.to(dtype) if flip is not None else torch.ones(n, device=images.device, dtype=dtype)
    angle = angle.to(dtype) if angle is not None else torch.zeros(n, device=images.device, dtype=dtype)
    cos, sin = torch.cos(angle), torch.sin(angle)
    half_w, half_h = crop_w / 2, crop_h / 2  # in pixels
    theta = torch.zeros(n, 2, 3, device=images.device, dtype=dtype)
    # rotate in pixel units, then convert to the input's normalised coordinates
    theta[:, 0, 0] = cos * half_w * sign / (width / 2)
    theta[:, 0, 1] = -sin * half_h / (width / 2)
    theta[:, 1, 0] = sin * half_w * sign / (height / 2)
    theta[:, 1, 1] = cos * half_h / (height / 2)
    theta[:, 0, 2] = (2 * left + crop_w) / width - 1
    theta[:, 1, 2] = (2 * top + crop_h) / height - 1
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


# ---------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------


def _uniform(n, low, high, device):
    return torch.empty(n, device=device).uniform_(low, high)


def _coin(n, p, device):
    return torch.rand(n, device=device) < p


def _apply_where(images, chosen, operation, *per_image_args):
    """Apply ``operation`` to the images where ``chosen`` is True, in place."""
    index = chosen.nonzero().squeeze(1)
    if index.numel():
        images[index] = operation(images[index], *(arg[index] for arg in per_image_args))
    return images


def make_views(images: torch.Tensor, config: ViewConfig) -> torch.Tensor:
    """One random view of each image: float (N, 3, size, size) in [0, 1].

    ``images`` is a uint8 or float batch (N, 3, H, W) on any device; randomness
    comes from the global torch generator of that device (seed it for repeatable
    views).
    """
    check_images(images, "images to augment")
    x = to_float(images)
    n, device = x.shape[0], x.device

    boxes = random_resized_crop_boxes(n, x.shape[2], x.shape[3], config.scale, config.ratio, device)
    flip = _coin(n, config.flip_p, device)
    angle = _uniform(n, -config.degrees, config.degrees, device) * (math.pi / 180) if config.degrees else None
    x = crop_and_resize(x, boxes, config.size, flip, angle)

    if config.jitter_p > 0:
        jitter = _coin(n, config.jitter_p, device)
        factors = {
            adjust_brightness: _uniform(n, max(0.0, 1 - config.brightness), 1 + config.brightness, device),
            adjust_contrast: _uniform(n, max(0.0, 1 - config.contrast), 1 + config.contrast, device),
            adjust_saturation: _uniform(n, max(0.0, 1 - config.saturation), 1 + config.saturation, device),
            adjust_hue: _uniform(n, -config.hue, config.hue, device),
        }
        operations = [op for op, strength in zip(factors, (config.brightness, config.contrast, config.saturation, config.hue)) if strength > 0]
        if operations:
            # like ColorJitter, each image applies the operations in its own random order
            order = torch.rand(n, len(operations), device=device).argsort(dim=1)
            for position in range(len(operations)):
                for k, operation in enumerate(operations):
                    _apply_where(x, jitter & (order[:, position] == k), operation, factors[operation])

    if config.grayscale_p > 0:
        gray = _coin(n, config.grayscale_p, device)
        _apply_where(x, gray, lambda images: grayscale(images).expand(-1, 3, -1, -1))

    if config.blur_p > 0:
        blur = _coin(n, config.blur_p, device)
        sigma = _uniform(n, config.sigma[0], config.sigma[1], device)
        _apply_where(x, blur, lambda images, s: gaussian_blur(images, config.kernel_size, s), sigma)

    if config.solarize_p > 0:
        sun = _coin(n, config.solarize_p, device)
        _apply_where(x, sun, lambda images: solarize(images, config.threshold))

    return x


class Views(torch.nn.Module):
    """A view pipeline as a module: ``views(images)`` → one random view per image."""

    def __init__(self, config: ViewConfig | None = None, **settings):
        super().__init__()
        config = config or ViewConfig()
        self.config = config.replace(**settings) if settings else config

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return make_views(images, self.config)

    def pairs(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Two independent views of each image: a positive pair."""
        return make_views(images, self.config), make_views(images, self.config)

    def extra_repr(self) -> str:
        return repr(self.config)
