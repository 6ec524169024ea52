"""methods/supcon.py: instance_supcon (SupCon with instance groups): its batches hold
several renderings of each object, and with one rendering it is SimCLR."""

import pytest
import torch
from helpers import JOINT_FAST as FAST
from helpers import TINY_IMAGE_BACKBONE as TINY_BACKBONE
from helpers import tiny_joint as tiny

from sslworkbench import build_method, load_dataset, train


class Record:
    """An instance_supcon that records the instance ids the trainer gives it."""

    def __init__(self, method):
        self.seen = []
        original = method.training_step

        def step(batch):
            self.seen.append(batch[2].clone())
            return original(batch)

        method.training_step = step


def test_instance_supcon_batches_hold_several_renderings_of_each_object():
    data = load_dataset("shapes", "train", n=128, renderings=4)
    method = tiny("instance_supcon")
    record = Record(method)
    train(method, data, epochs=1, **FAST)
    for ids in record.seen:
        counts = torch.bincount(ids)
        assert set(counts[counts > 0].tolist()) == {4}  # every object with all its 4 renderings


def test_instance_supcon_without_renderings_is_simclr(data):
    batch = (data.images[:16], data.labels[:16], torch.arange(16))
    grouped = tiny("instance_supcon")
    torch.manual_seed(1)
    loss_grouped = grouped.training_step(batch)["loss"]
    simclr = build_method("simclr", **TINY_BACKBONE, hidden_dim=32, projection_dim=16)
    simclr.load_state_dict(grouped.state_dict())
    torch.manual_seed(1)
    loss_simclr = simclr.training_step(batch)["loss"]
    assert loss_grouped.item() == pytest.approx(loss_simclr.item(), rel=1e-5)


def test_instance_supcon_with_image_positives_is_simclr_in_grouped_batches(data):
    """positives="image": objects share the batch, but only the two views of one image are positive."""
    objects = torch.arange(16) // 4   # 4 objects × 4 renderings
    batch = (data.images[:16], data.labels[:16], objects)
    control = tiny("instance_supcon", positives="image")
    simclr = build_method("simclr", **TINY_BACKBONE, hidden_dim=32, projection_dim=16)
    simclr.load_state_dict(control.state_dict())
    torch.manual_seed(1)
    loss_control = control.training_step(batch)["loss"]
    torch.manual_seed(1)
    loss_simclr = simclr.training_step(batch)["loss"]
    assert loss_control.item() == pytest.approx(loss_simclr.item(), rel=1e-5)
    torch.manual_seed(1)
    loss_grouped = tiny("instance_supcon").training_step(batch)["loss"]   # other renderings positive: another loss
    assert loss_grouped.item() != pytest.approx(loss_simclr.item(), rel=1e-3)


def test_instance_supcon_positives_typo_is_one_clear_error():
    with pytest.raises(Exception, match="positives must be 'group'"):
        tiny("instance_supcon", positives="objects")
