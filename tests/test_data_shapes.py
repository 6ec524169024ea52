"""data/shapes.py: the procedural shapes: format, determinism, the cache, the
options (chromatic aberration, upright, several renderings of an object), and
pixels that never change silently."""

import hashlib
import math

import pytest
import torch

from sslworkbench.data import load_dataset
from sslworkbench.data import shapes as shapes_module
from sslworkbench.data.shapes import SHIFTS
from sslworkbench.errors import WorkbenchError


def test_shapes_format_and_determinism(tmp_path):
    first = load_dataset("shapes", "train", n=40, seed=0, cache=False, root=tmp_path)
    again = load_dataset("shapes", "train", n=40, seed=0, cache=False, root=tmp_path)
    other = load_dataset("shapes", "train", n=40, seed=1, cache=False, root=tmp_path)
    assert first.images.shape == (40, 3, 32, 32) and first.images.dtype == torch.uint8
    assert first.labels.dtype == torch.int64 and first.num_classes == 10
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.images, other.images)
    assert set(first.extras) >= {"object_hue", "rotation"}


def test_shapes_prefix_and_balance(tmp_path):
    small = load_dataset("shapes", "test", n=50, cache=False, root=tmp_path)
    large = load_dataset("shapes", "test", n=600, cache=False, root=tmp_path)
    assert torch.equal(small.images, large.images[:50]) and torch.equal(small.labels, large.labels[:50])
    counts = torch.bincount(large.labels, minlength=10)
    assert counts.min() >= 40 and counts.max() <= 80


def test_shapes_train_and_test_differ(tmp_path):
    train = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path)
    test = load_dataset("shapes", "test", n=20, cache=False, root=tmp_path)
    assert not torch.equal(train.images, test.images)


def test_shapes_cache_is_written_and_reread(tmp_path, monkeypatch):
    made = load_dataset("shapes", "test", n=30, root=tmp_path)
    cached = list(tmp_path.glob("shapes-*.pt"))
    assert len(cached) == 1

    def no_generation(*args, **kwargs):
        raise AssertionError("should have read the cache")

    monkeypatch.setattr(shapes_module, "generate", no_generation)
    reread = load_dataset("shapes", "test", n=30, root=tmp_path)
    assert torch.equal(made.images, reread.images) and torch.equal(made.labels, reread.labels)
    assert torch.equal(made.extras["rotation"], reread.extras["rotation"])


def test_shapes_chromatic_aberration(tmp_path):
    plain = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path)
    shifted = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path, chromatic_aberration=0.04)
    assert not torch.equal(plain.images, shifted.images)
    assert torch.equal(plain.images[:, 1], shifted.images[:, 1])  # green stays put
    assert torch.equal(plain.labels, shifted.labels)
    with pytest.raises(WorkbenchError, match="chromatic_aberration"):
        load_dataset("shapes", n=5, cache=False, root=tmp_path, chromatic_aberration=1.0)


def test_shapes_default_images_never_change():
    """Notebooks' measured results depend on these exact pixels: a generator change
    must bump shapes.VERSION (and re-measure), never silently alter them."""
    images = load_dataset("shapes", "train", n=1000, cache=False).images
    assert hashlib.sha256(images.numpy().tobytes()).hexdigest() == (
        "0a3bb2a42c41a0e0ccf04dc07f08f09b37f7b5e442fe58b37354d1c9b53d60c3"
    )


def test_shapes_upright_gives_the_images_an_up(tmp_path):
    plain = load_dataset("shapes", "train", n=60, cache=False)
    upright = load_dataset("shapes", "train", n=60, cache=False, upright=True)
    assert torch.equal(plain.labels, upright.labels)  # same objects, same draws: only the angles change
    assert torch.equal(plain.extras["object_hue"], upright.extras["object_hue"])
    assert upright.extras["rotation"].abs().max() <= math.radians(15) + 1e-6
    assert plain.extras["rotation"].abs().max() > math.radians(90)
    # the background runs top to bottom: rows vary more than columns
    background = upright.images.float().mean(dim=1)
    assert (background[:, 0, :] - background[:, -1, :]).abs().mean() > (background[:, :, 0] - background[:, :, -1]).abs().mean()
    # cached under its own name, beside the ordinary split
    load_dataset("shapes", "train", n=10, root=tmp_path, upright=True)
    assert [p.name for p in tmp_path.iterdir()] == ["shapes-v2-train-seed0-ca0-upright.pt"]


def test_shapes_instance_mode_renders_one_object_several_times():
    data = load_dataset("shapes", "train", n=40, renderings=4, cache=False)
    instance = data.extras["instance"]
    assert instance.tolist() == [i // 4 for i in range(40)]
    for key in ("object_hue", "scale"):
        per_object = data.extras[key].view(10, 4)
        assert torch.equal(per_object, per_object[:, :1].expand(-1, 4)), key  # identity: fixed
    assert torch.equal(data.labels.view(10, 4), data.labels.view(10, 4)[:, :1].expand(-1, 4))
    assert (data.extras["rotation"].view(10, 4).std(dim=1) > 0).all()  # pose: changes
    assert not torch.equal(data.images[0], data.images[1])
    plain = load_dataset("shapes", "train", n=40, cache=False)
    assert "instance" not in plain.extras
    with pytest.raises(WorkbenchError, match="renderings"):
        load_dataset("shapes", "train", n=40, renderings=3, cache=False)


def test_each_shift_changes_what_it_names_and_keeps_the_classes(tmp_path):
    plain = load_dataset("shapes", "test", n=100, cache=False)
    shifted = {name: load_dataset("shapes", "test", n=100, cache=False, shift=name) for name in SHIFTS}
    for name, data in shifted.items():
        assert torch.equal(data.labels, plain.labels) and not torch.equal(data.images, plain.images), name
    grey = shifted["grey objects"]
    assert torch.equal(grey.extras["object_hue"], plain.extras["object_hue"])  # the same draws, the colour removed
    small = shifted["small objects"].extras["scale"]
    assert small.max() <= 0.4 + 1e-6 and plain.extras["scale"].min() >= 0.42 - 1e-6

    def sharpness(images):  # mean squared difference of neighbouring pixels
        x = images.float()
        return float((x[..., 1:] - x[..., :-1]).pow(2).mean())

    blurred = load_dataset("shapes", "test", n=100, cache=False, blur=1.0)
    assert sharpness(blurred.images) < sharpness(plain.images) / 2
    # a cached shift is its own file, read back the same
    cached = load_dataset("shapes", "test", n=100, root=tmp_path, shift="grey objects")
    assert torch.equal(cached.images, grey.images) and any("sat0" in p.name for p in tmp_path.iterdir())


@pytest.mark.parametrize("options, message", [
    ({"shift": "fog"}, "Unknown shift"),
    ({"object_scale": (0.5, 0.3)}, "object_scale"),
    ({"object_saturation": 2.0}, "object_saturation"),
    ({"blur": -1.0}, "blur"),
])
def test_bad_shift_options_are_refused(options, message):
    with pytest.raises(WorkbenchError, match=message):
        load_dataset("shapes", "test", n=10, cache=False, **options)


def test_a_colour_cue_ties_hue_to_class_and_leaves_every_other_draw_alone():
    plain = load_dataset("shapes", "train", n=500, cache=False)
    cued = load_dataset("shapes", "train", n=500, cache=False, class_colour=0.9)
    tied = cued.extras["colour_tied"].bool()
    assert 0.85 < tied.float().mean() < 0.95 and "colour_tied" not in plain.extras
    class_hue = cued.labels[tied].float() / 10
    distance = (cued.extras["object_hue"][tied] - class_hue).abs()
    assert torch.minimum(distance, 1 - distance).max() <= 0.02 + 1e-6
    assert torch.equal(cued.extras["object_hue"][~tied], plain.extras["object_hue"][~tied])
    for key in ("rotation", "scale", "x", "y", "background_hue"):
        assert torch.equal(cued.extras[key], plain.extras[key]), key
    conflicting = load_dataset("shapes", "test", n=200, cache=False, class_colour=1.0, colour_offset=3)
    hue = conflicting.extras["object_hue"]
    target = ((conflicting.labels + 3) % 10).float() / 10
    assert torch.minimum((hue - target).abs(), 1 - (hue - target).abs()).max() <= 0.02 + 1e-6
    with pytest.raises(WorkbenchError, match="class_colour"):
        load_dataset("shapes", n=5, cache=False, class_colour=1.5)
    with pytest.raises(WorkbenchError, match="colour_offset"):
        load_dataset("shapes", n=5, cache=False, class_colour=1.0, colour_offset=10)


def test_object_masks_are_the_coverage_the_images_were_drawn_with(monkeypatch):
    from sslworkbench.data import shapes

    drawn = []
    original = shapes._coverage
    monkeypatch.setattr(shapes, "_coverage", lambda *pose: drawn.append(original(*pose)) or drawn[-1])
    data = shapes.generate("test", n=30)
    masks = shapes.object_masks(data)
    assert masks.shape == (30, 32, 32) and 0 <= masks.min() and masks.max() <= 1
    truth = torch.from_numpy(drawn[0][:30])  # what the generator painted (one chunk of 500)
    # the same pose, stored in float32: at most an edge pixel's coverage differs a little
    assert (masks - truth).abs().mean() < 1e-3 and (masks - truth).abs().max() < 0.3
    assert 0.05 < masks.mean() < 0.4
    with pytest.raises(WorkbenchError, match="resized"):
        shapes.object_masks(data.resized(16))
    with pytest.raises(WorkbenchError, match="needs a shapes split"):
        shapes.object_masks(load_dataset("digits", "test", n=5))
