"""Notebook 16, the capstone: the nuisance it adds to ``shapes`` (background stripes at a random
angle, ``stripes=``) and its exercise's checker (``check_above_chance``)."""

import math

import pytest
import torch

from sslworkbench import linear_probe
from sslworkbench.course import exercises, solutions
from sslworkbench.data import load_dataset
from sslworkbench.data.shapes import object_masks
from sslworkbench.errors import WorkbenchError


def test_stripes_change_only_the_background_and_record_their_angle():
    plain = load_dataset("shapes", "test", n=60, cache=False)
    striped = load_dataset("shapes", "test", n=60, stripes=0.5, cache=False)
    # the stripes draw from a stream of their own: the same objects, poses, colours and noise
    assert torch.equal(plain.labels, striped.labels)
    assert all(torch.equal(plain.extras[key], striped.extras[key]) for key in plain.extras)
    angle = striped.extras["stripe_angle"]
    assert angle.shape == (60,) and bool(((angle >= 0) & (angle < math.pi)).all())
    assert len(angle.unique()) == 60   # a continuous angle, drawn independently for every image
    assert "stripe_angle" not in plain.extras
    # where the object covers the whole pixel nothing changed; the background did
    object_only = (object_masks(plain) == 1)[:, None].expand(-1, 3, -1, -1)
    assert torch.equal(plain.images[object_only], striped.images[object_only])
    background = (object_masks(plain) == 0)[:, None].expand(-1, 3, -1, -1)
    changed = (plain.images[background].int() - striped.images[background].int()).abs() > 20
    assert changed.float().mean() > 0.3


def test_the_stripes_run_at_their_recorded_angle():
    striped = load_dataset("shapes", "test", n=20, stripes=1.0, noise=0.0, cache=False)
    plain = load_dataset("shapes", "test", n=20, noise=0.0, cache=False)
    wave = (striped.images.float() - plain.images.float()).mean(dim=1)   # (N, H, W): the stripes alone (and clipping)
    background = object_masks(plain) == 0
    for image in range(20):
        theta = float(striped.extras["stripe_angle"][image])
        # one step along the stripes changes little, one step across them (a quarter period) a lot
        along, across = (math.cos(theta + math.pi / 2), math.sin(theta + math.pi / 2)), (math.cos(theta), math.sin(theta))

        def shifted_difference(direction, distance, image=image):
            dx, dy = round(direction[0] * distance), round(direction[1] * distance)
            a, b = wave[image], torch.roll(wave[image], shifts=(dy, dx), dims=(0, 1))
            keep = background[image] & torch.roll(background[image], shifts=(dy, dx), dims=(0, 1))
            keep[:4], keep[-4:], keep[:, :4], keep[:, -4:] = False, False, False, False   # no wrap-around
            return (a - b)[keep].abs().mean()

        assert shifted_difference(along, 3) < shifted_difference(across, 3), image


def test_stripes_are_cached_apart_and_checked(tmp_path):
    load_dataset("shapes", "test", n=10, stripes=0.5, root=tmp_path)
    load_dataset("shapes", "test", n=10, root=tmp_path)
    names = sorted(path.name for path in tmp_path.glob("shapes-*.pt"))
    assert len(names) == 2 and any("stripes0.5" in name for name in names)
    again = load_dataset("shapes", "test", n=10, stripes=0.5, root=tmp_path)
    assert "stripe_angle" in again.extras
    for bad in (-0.1, 1.5):
        with pytest.raises(WorkbenchError, match="stripes is the stripes' contrast"):
            load_dataset("shapes", "test", n=10, stripes=bad, cache=False)


def test_above_chance_checker(capsys):
    assert exercises.check_above_chance(solutions.above_chance)
    assert capsys.readouterr().out.startswith("✓ above_chance matches")

    def accuracy_only(train_features, test_features, factors):        # forgets chance
        return {name: linear_probe(train_features, a, test_features, b) for name, (a, b) in factors.items()}

    def uniform_chance(train_features, test_features, factors):       # 1 / classes: not chance when one label dominates
        return {name: linear_probe(train_features, a, test_features, b) - 1 / len(b.unique())
                for name, (a, b) in factors.items()}

    def one_factor(train_features, test_features, factors):           # only the first factor
        name, (a, b) = next(iter(factors.items()))
        return {name: solutions.above_chance(train_features, test_features, {name: (a, b)})[name]}

    for wrong, needle in ((accuracy_only, "that is the probe's accuracy"), (uniform_chance, "most common label"),
                          (one_factor, "one entry per factor")):
        assert not exercises.check_above_chance(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ above_chance: ") and needle in out, out
    assert not exercises.check_above_chance(lambda *args: None)
    assert "not written yet" in capsys.readouterr().out
