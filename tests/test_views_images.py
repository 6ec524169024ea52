"""Batched view operations against torchvision's per-image functional versions."""

import math

import pytest
import torch
import torch.nn.functional as F
import torchvision.transforms.v2.functional as TF

from sslworkbench import WorkbenchError
from sslworkbench.views.images import (
    ViewConfig,
    Views,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    crop_and_resize,
    gaussian_blur,
    grayscale,
    make_views,
    random_resized_crop_boxes,
    simclr_views,
    solarize,
)

# float32 operations done the same way agree to ~1e-6; 1e-5 leaves room for
# a different order of float operations but not for different formulas.
ATOL = 1e-5


def random_images(n=6, h=12, w=10, seed=0):
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand(n, 3, h, w, generator=generator)
    # include exact extremes and gray pixels (max == min, the HSV corner case)
    images[0, :, 0, 0] = 0.0
    images[0, :, 0, 1] = 1.0
    images[-1, :, 1, :] = 0.4
    images[-1, 0, 2, :] = images[-1, 1, 2, :]  # r == g ties
    return images


def per_image(op, images, factors, **kwargs):
    return torch.stack([op(img, float(f), **kwargs) for img, f in zip(images, factors)])


# -- colour operations ---------------------------------------------------------


def test_grayscale_matches_torchvision():
    images = random_images()
    expected = torch.stack([TF.rgb_to_grayscale(img, num_output_channels=1) for img in images])
    assert grayscale(images).shape == (6, 1, 12, 10)
    torch.testing.assert_close(grayscale(images), expected, atol=ATOL, rtol=0)


def test_adjust_brightness_matches_torchvision():
    images = random_images()
    factors = torch.tensor([0.0, 0.3, 0.9, 1.0, 1.4, 2.5])
    torch.testing.assert_close(
        adjust_brightness(images, factors), per_image(TF.adjust_brightness, images, factors), atol=ATOL, rtol=0
    )


def test_adjust_contrast_matches_torchvision():
    images = random_images()
    factors = torch.tensor([0.0, 0.3, 0.9, 1.0, 1.4, 2.5])
    torch.testing.assert_close(
        adjust_contrast(images, factors), per_image(TF.adjust_contrast, images, factors), atol=ATOL, rtol=0
    )


def test_adjust_saturation_matches_torchvision():
    images = random_images()
    factors = torch.tensor([0.0, 0.3, 0.9, 1.0, 1.4, 2.5])
    torch.testing.assert_close(
        adjust_saturation(images, factors), per_image(TF.adjust_saturation, images, factors), atol=ATOL, rtol=0
    )


def test_adjust_hue_matches_torchvision():
    images = random_images()
    factors = torch.tensor([-0.5, -0.2, -0.01, 0.0, 0.13, 0.5])
    torch.testing.assert_close(
        adjust_hue(images, factors), per_image(TF.adjust_hue, images, factors), atol=1e-4, rtol=0
    )


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 1.0])
def test_solarize_matches_torchvision(threshold):
    images = random_images()
    expected = torch.stack([TF.solarize(img, threshold) for img in images])
    torch.testing.assert_close(solarize(images, threshold), expected, atol=0, rtol=0)


@pytest.mark.parametrize("kernel_size", [3, 5])
def test_gaussian_blur_with_per_image_sigma_matches_torchvision(kernel_size):
    images = random_images()
    sigma = torch.tensor([0.1, 0.5, 0.8, 1.0, 1.7, 2.0])
    expected = torch.stack(
        [TF.gaussian_blur(img, [kernel_size, kernel_size], [float(s), float(s)]) for img, s in zip(images, sigma)]
    )
    torch.testing.assert_close(gaussian_blur(images, kernel_size, sigma), expected, atol=1e-5, rtol=0)


def test_colour_ops_do_not_modify_their_input():
    images = random_images()
    copy = images.clone()
    factors = torch.full((6,), 1.3)
    adjust_brightness(images, factors)
    adjust_contrast(images, factors)
    adjust_saturation(images, factors)
    adjust_hue(images, torch.full((6,), 0.1))
    gaussian_blur(images, 3, torch.full((6,), 1.0))
    assert torch.equal(images, copy)


# -- geometry -------------------------------------------------------------------


def full_boxes(n, h, w):
    return (torch.zeros(n), torch.zeros(n), torch.full((n,), float(h)), torch.full((n,), float(w)))


def test_crop_and_resize_full_box_is_identity():
    images = random_images(n=4, h=16, w=16)
    out = crop_and_resize(images, full_boxes(4, 16, 16), 16)
    torch.testing.assert_close(out, images, atol=1e-5, rtol=0)


def test_crop_and_resize_full_box_with_flip_equals_torch_flip():
    images = random_images(n=4, h=16, w=16)
    flip = torch.tensor([True, False, True, False])
    out = crop_and_resize(images, full_boxes(4, 16, 16), 16, flip)
    expected = torch.where(flip.view(-1, 1, 1, 1), images.flip(-1), images)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


def test_crop_and_resize_full_box_downsizing_equals_bilinear_interpolate():
    images = random_images(n=3, h=24, w=24)
    out = crop_and_resize(images, full_boxes(3, 24, 24), 16)
    expected = F.interpolate(images, size=(16, 16), mode="bilinear", align_corners=False, antialias=False)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "box, size",
    [
        ((3, 5, 16, 12), 32),  # upsampling
        ((0, 0, 20, 20), 16),  # downsampling, corner crop
        ((7, 2, 9, 21), 24),  # non-square crop
    ],
)
def test_crop_and_resize_sub_box_matches_resized_crop_in_the_interior(box, size):
    images = random_images(n=3, h=28, w=26, seed=5)
    top, left, h, w = box
    boxes = tuple(torch.full((3,), float(v)) for v in box)
    out = crop_and_resize(images, boxes, size)
    expected = torch.stack([TF.resized_crop(img, top, left, h, w, [size, size], antialias=False) for img in images])
    # our border samples the real neighbouring pixels instead of clamping at the
    # crop's edge: compare only output pixels whose source lies inside the crop
    rows = torch.arange(size)
    inside_y = ((rows + 0.5) * h / size - 0.5 >= 0) & ((rows + 0.5) * h / size - 0.5 <= h - 1)
    inside_x = ((rows + 0.5) * w / size - 0.5 >= 0) & ((rows + 0.5) * w / size - 0.5 <= w - 1)
    mask = inside_y.view(-1, 1) & inside_x.view(1, -1)
    assert mask.float().mean() > 0.8
    torch.testing.assert_close(out[..., mask], expected[..., mask], atol=1e-5, rtol=0)
    assert (out - expected).abs().mean() < 0.02


def test_crop_and_resize_sub_box_with_flip_is_the_mirrored_crop():
    images = random_images(n=2, h=20, w=20, seed=6)
    boxes = (torch.tensor([2.0, 4.0]), torch.tensor([3.0, 1.0]), torch.tensor([12.0, 14.0]), torch.tensor([10.0, 16.0]))
    plain = crop_and_resize(images, boxes, 16)
    flipped = crop_and_resize(images, boxes, 16, torch.tensor([True, True]))
    torch.testing.assert_close(flipped, plain.flip(-1), atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "h, w, scale, ratio",
    [
        (32, 32, (0.2, 1.0), (3 / 4, 4 / 3)),
        (32, 32, (0.08, 1.0), (3 / 4, 4 / 3)),
        (40, 24, (0.3, 0.9), (0.5, 2.0)),
        (32, 32, (1.0, 1.0), (1.0, 1.0)),
    ],
)
def test_random_resized_crop_boxes_lie_inside_and_respect_scale_and_ratio(h, w, scale, ratio):
    torch.manual_seed(0)
    n = 500
    top, left, ch, cw = random_resized_crop_boxes(n, h, w, scale, ratio, torch.device("cpu"))
    for value in (top, left, ch, cw):
        assert value.shape == (n,)
        assert torch.equal(value, value.round())  # whole pixels
    assert (top >= 0).all() and (left >= 0).all()
    assert (ch >= 1).all() and (cw >= 1).all()
    assert (top + ch <= h).all() and (left + cw <= w).all()
    # the unrounded sides sqrt(A·r), sqrt(A/r) are within 0.5 of the rounded ones,
    # with A in scale·H·W and r in ratio
    area = h * w
    assert ((cw - 0.5) * (ch - 0.5) <= scale[1] * area + 1e-6).all()
    assert ((cw + 0.5) * (ch + 0.5) >= scale[0] * area - 1e-6).all()
    assert ((cw - 0.5) / (ch + 0.5) <= ratio[1] + 1e-6).all()
    assert ((cw + 0.5) / (ch - 0.5) >= ratio[0] - 1e-6).all()
    # and the boxes really vary (unless the settings pin them)
    if scale[0] < scale[1]:
        assert len(set(zip(ch.tolist(), cw.tolist()))) > 10
        assert len(set(top.tolist())) > 3


def test_random_resized_crop_boxes_fallback_is_central_and_inside():
    # no box of area ≥ 0.95·H·W has an aspect ratio in [3, 4] in a square image
    torch.manual_seed(0)
    top, left, ch, cw = random_resized_crop_boxes(50, 32, 32, (0.95, 1.0), (3.0, 4.0), torch.device("cpu"))
    assert (cw == 32).all() and (ch == round(32 / 3)).all()
    assert (left == 0).all() and (top == round((32 - ch[0].item()) / 2)).all()


# -- the pipeline -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shapes():
    from sslworkbench import load_dataset

    return load_dataset("shapes", "train", n=16).images


@pytest.mark.parametrize("size", [32, 24])
def test_make_views_shape_dtype_range(shapes, size):
    torch.manual_seed(0)
    config = ViewConfig(size=size, blur_p=0.5, solarize_p=0.5)
    views = make_views(shapes, config)
    assert views.shape == (16, 3, size, size)
    assert views.dtype == torch.float32
    assert views.min() >= 0 and views.max() <= 1
    assert torch.isfinite(views).all()


def test_make_views_randomness_is_per_sample():
    image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    batch = image.repeat(8, 1, 1, 1)
    torch.manual_seed(0)
    views = make_views(batch, ViewConfig())
    for i in range(8):
        for j in range(i + 1, 8):
            assert not torch.allclose(views[i], views[j]), (i, j)


def test_make_views_same_seed_same_views(shapes):
    config = ViewConfig(blur_p=0.5, solarize_p=0.3)
    torch.manual_seed(123)
    a = make_views(shapes, config)
    torch.manual_seed(123)
    b = make_views(shapes, config)
    torch.manual_seed(124)
    c = make_views(shapes, config)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_make_views_accepts_uint8_and_float_alike(shapes):
    config = ViewConfig()
    torch.manual_seed(7)
    from_uint8 = make_views(shapes, config)
    torch.manual_seed(7)
    from_float = make_views(shapes.float() / 255, config)
    torch.testing.assert_close(from_uint8, from_float, atol=1e-5, rtol=0)


def test_make_views_does_not_modify_a_float_input():
    images = torch.rand(4, 3, 32, 32)
    copy = images.clone()
    torch.manual_seed(0)
    make_views(images, ViewConfig(blur_p=1.0, solarize_p=1.0))
    assert torch.equal(images, copy)


@pytest.mark.parametrize(
    "shape, hint",
    [
        ((4, 32, 32, 3), "permute"),
        ((3, 32, 32), "images\\[None\\]"),
        ((4, 1, 32, 32), "repeat"),
    ],
)
def test_make_views_rejects_wrong_shapes_with_a_hint(shape, hint):
    with pytest.raises(WorkbenchError, match=hint):
        make_views(torch.zeros(shape, dtype=torch.uint8), ViewConfig())


def test_make_views_rejects_non_tensors():
    with pytest.raises(WorkbenchError, match="tensor"):
        make_views([[0.0]], ViewConfig())


@pytest.mark.parametrize("ratio", [(3 / 4, 4 / 3), (1.0, 1.0)])
def test_no_augmentation_config_returns_the_image(ratio):
    config = ViewConfig(scale=(1.0, 1.0), ratio=ratio, flip_p=0.0, jitter_p=0.0, grayscale_p=0.0)
    images = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    torch.testing.assert_close(make_views(images, config), images.float() / 255, atol=1e-5, rtol=0)
    # a larger input comes back resized (bilinear) to config.size
    big = torch.rand(2, 3, 48, 48)
    expected = F.interpolate(big, size=(32, 32), mode="bilinear", align_corners=False, antialias=False)
    torch.testing.assert_close(make_views(big, config), expected, atol=1e-5, rtol=0)


def test_views_module_and_pairs():
    views = Views(simclr_views(16), flip_p=0.0)
    assert views.config.flip_p == 0.0 and views.config.size == 16
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    torch.manual_seed(0)
    x1, x2 = views.pairs(images)
    assert x1.shape == x2.shape == (4, 3, 16, 16)
    assert not torch.equal(x1, x2)


# -- configuration ---------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"flip_p": 1.5}, "flip_p"),
        ({"jitter_p": -0.1}, "jitter_p"),
        ({"grayscale_p": 2}, "grayscale_p"),
        ({"scale": (0.8, 0.2)}, "scale"),
        ({"scale": (0.0, 1.0)}, "scale"),
        ({"scale": (0.5, 1.5)}, "scale"),
        ({"ratio": (2.0, 1.0)}, "ratio"),
        ({"kernel_size": 4}, "kernel_size"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"hue": 0.7}, "hue"),
        ({"brightness": -1}, "brightness"),
        ({"sigma": (2.0, 1.0)}, "sigma"),
        ({"size": 2}, "size"),
        ({"threshold": 2.0}, "threshold"),
    ],
)
def test_view_config_validation(settings, words):
    with pytest.raises(WorkbenchError, match=words):
        ViewConfig(**settings)
    with pytest.raises(WorkbenchError, match=words):
        ViewConfig().replace(**settings)


def test_view_config_replace_unknown_key_lists_settings():
    with pytest.raises(WorkbenchError, match="flip_p") as info:
        ViewConfig().replace(flip_prob=0.3)
    assert "flip_prob" in str(info.value)


def test_view_config_round_trips_through_dict():
    config = ViewConfig(scale=(0.3, 0.9), blur_p=0.5)
    as_lists = {k: list(v) if isinstance(v, tuple) else v for k, v in config.to_dict().items()}
    assert ViewConfig.from_dict(as_lists) == config


def test_simclr_views_kernel_is_odd_for_every_size():
    for size in (8, 16, 24, 32, 64, 96, 224):
        config = simclr_views(size)
        assert config.kernel_size % 2 == 1
        assert math.isclose(config.hue, 0.1)


# --- rotation (ViewConfig.degrees), applied with the crop in one resampling ---


def test_rotation_by_90_degrees_matches_torchvision_rotate():
    import math

    from sslworkbench.views.images import crop_and_resize

    images = torch.rand(3, 3, 16, 16)
    full = (torch.zeros(3), torch.zeros(3), torch.full((3,), 16.0), torch.full((3,), 16.0))
    rotated = crop_and_resize(images, full, 16, angle=torch.full((3,), math.pi / 2))
    expected = torch.stack([TF.rotate(image, 90) for image in images])
    torch.testing.assert_close(rotated, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(rotated, images.rot90(1, dims=(-2, -1)), atol=1e-5, rtol=0)


def test_degrees_zero_draws_no_rotation_and_bad_degrees_are_rejected():
    from sslworkbench.errors import WorkbenchError
    from sslworkbench.views.images import ViewConfig, make_views

    images = torch.rand(4, 3, 16, 16)
    plain = ViewConfig(size=16, scale=(1.0, 1.0), ratio=(1.0, 1.0), flip_p=0.0, jitter_p=0.0, grayscale_p=0.0)
    torch.testing.assert_close(make_views(images, plain), images)
    torch.manual_seed(0)
    turned = make_views(images, plain.replace(degrees=180))
    assert (turned - images).abs().mean() > 0.05  # rotated views differ from the original
    for bad in (-1, 181):
        with pytest.raises(WorkbenchError, match="degrees"):
            ViewConfig(degrees=bad)
