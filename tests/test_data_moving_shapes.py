import math

import pytest
import torch

from sslworkbench.data import load_dataset
from sslworkbench.data.moving_shapes import FACTORS, SPEED_RANGE, factor_labels, factors_of, generate
from sslworkbench.errors import WorkbenchError


@pytest.fixture(scope="module")
def clips():
    return generate("train", 64, frames=12)


def test_clips_are_uint8_with_labels_and_the_drawn_factors(clips):
    assert clips.kind == "clips" and clips.inputs.shape == (64, 12, 3, 32, 32) and clips.inputs.dtype == torch.uint8
    assert set(clips.labels.tolist()) == set(range(10))
    assert clips.extras["x"].shape == (64, 12)
    for factor, names in FACTORS.items():
        labels = factor_labels(clips, factor)
        assert labels.dtype == torch.int64 and 0 <= labels.min() and labels.max() < len(names)
    assert clips.method_settings() == {"frames": 12, "image_size": 32}


def test_the_labels_say_what_was_drawn(clips):
    angle, speed_px = clips.extras["angle"], clips.extras["speed_px"]
    # direction: the nearest of right, down, left, up (y points down)
    nearest = torch.round(angle / (math.pi / 2)).long() % 4
    assert torch.equal(clips.extras["direction"], nearest)
    third = (SPEED_RANGE[1] - SPEED_RANGE[0]) / 3
    assert torch.equal(clips.extras["speed"], ((speed_px - SPEED_RANGE[0]) / third).floor().clamp(max=2).long())
    assert torch.equal(clips.extras["spin"], (clips.extras["spin_deg"] < 0).long())
    # the first step moves the object by its speed (unless it bounced at once)
    step = torch.stack([clips.extras["x"][:, 1] - clips.extras["x"][:, 0],
                        clips.extras["y"][:, 1] - clips.extras["y"][:, 0]], 1).norm(dim=1) * 16
    straight = clips.extras["bounces"] == 0
    assert torch.allclose(step[straight], speed_px[straight], atol=1e-3)


def test_friction_slows_every_object_and_without_it_speed_is_kept():
    def speeds(data):
        xy = torch.stack([data.extras["x"], data.extras["y"]], -1).double() * 16
        return (xy[:, 1:] - xy[:, :-1]).norm(dim=-1)

    slowed, steady = speeds(generate("train", 32, frames=8)), speeds(generate("train", 32, frames=8, friction=0.0))
    assert (slowed[:, -1] < slowed[:, 0]).float().mean() > 0.9  # bounces fold a step, hence not all
    unbounced = steady.max(dim=1).values - steady.min(dim=1).values < 1e-3
    assert unbounced.float().mean() > 0.5
    assert torch.allclose(steady[unbounced, 0], generate("train", 32, frames=8, friction=0.0).extras["speed_px"][unbounced].double(), atol=1e-3)


def test_objects_stay_in_the_frame(clips):
    assert clips.extras["x"].abs().max() < 1 and clips.extras["y"].abs().max() < 1


def test_generation_is_deterministic_and_prefix_stable():
    a, b = generate("test", 40), generate("test", 70)
    assert torch.equal(a.inputs, b.inputs[:40]) and torch.equal(a.labels, b.labels[:40])
    assert not torch.equal(generate("train", 8).inputs, generate("test", 8).inputs)


def test_the_cache_round_trips(tmp_path):
    made = load_dataset("moving_shapes", "train", n=20, frames=6, root=tmp_path)
    assert len(list(tmp_path.glob("moving_shapes-*.pt"))) == 1
    again = load_dataset("moving_shapes", "train", n=12, frames=6, root=tmp_path)
    assert torch.equal(again.inputs, made.inputs[:12]) and torch.equal(again.extras["x"], made.extras["x"][:12])


def test_factors_of_pairs_train_and_test_labels(clips):
    test = generate("test", 10, frames=12)
    table = factors_of(clips, test, ["shape", "speed"])
    assert list(table) == ["shape", "speed"] and torch.equal(table["shape"][1], test.labels)
    with pytest.raises(WorkbenchError, match="Unknown factor 'colour'"):
        factor_labels(clips, "colour")
    with pytest.raises(WorkbenchError, match="needs a moving_shapes split"):
        factor_labels(load_dataset("shapes", "train", n=4), "speed")


def test_raw_features_are_small_pixels_of_every_frame(clips):
    raw = clips.raw_features()
    assert raw.shape == (64, 12 * 3 * 8 * 8)
    assert torch.allclose(raw[0, :3 * 64].view(3, 8, 8), clips.inputs[0, 0].float().div(255).view(3, 8, 4, 8, 4).mean((2, 4)))


@pytest.mark.parametrize("options, needle", [
    ({"frames": 2}, "frames must be an integer in 4..64"),
    ({"friction": 0.7}, "friction must be in"),
    ({"noise": -1}, "noise must be"),
    ({"object_scale": (0.5, 0.2)}, "object_scale must be"),
])
def test_bad_options_fail_clearly(options, needle):
    with pytest.raises(WorkbenchError, match=needle):
        load_dataset("moving_shapes", "train", n=4, **options)
