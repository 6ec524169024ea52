"""methods/supcon.py: MICLe (SupCon with instance groups): its batches hold
several renderings of each object, and with one rendering it is SimCLR."""

import pytest
import torch
from helpers import JOINT_FAST as FAST
from helpers import TINY_IMAGE_BACKBONE as TINY_BACKBONE
from helpers import tiny_joint as tiny

from sslworkbench import build_method, load_dataset, train


class Record:
    """A MICLe that records the instance ids the trainer gives it."""

    def __init__(self, method):
        self.seen = []
        original = method.training_step

        def step(batch):
            self.seen.append(batch[2].clone())
            return original(batch)

        method.training_step = step


def test_micle_batches_hold_several_renderings_of_each_object():
    data = load_dataset("shapes", "train", n=128, renderings=4)
    method = tiny("micle")
    record = Record(method)
    train(method, data, epochs=1, **FAST)
    for ids in record.seen:
        counts = torch.bincount(ids)
        assert set(counts[counts > 0].tolist()) == {4}  # every object with all its 4 renderings


def test_micle_without_renderings_is_simclr(data):
    batch = (data.images[:16], data.labels[:16], torch.arange(16))
    micle = tiny("micle")
    torch.manual_seed(1)
    loss_micle = micle.training_step(batch)["loss"]
    simclr = build_method("simclr", **TINY_BACKBONE, hidden_dim=32, projection_dim=16)
    simclr.load_state_dict(micle.state_dict())
    torch.manual_seed(1)
    loss_simclr = simclr.training_step(batch)["loss"]
    assert loss_micle.item() == pytest.approx(loss_simclr.item(), rel=1e-5)


def test_micle_with_image_positives_is_simclr_in_micles_batches(data):
    """positives="image": objects share the batch, but only the two views of one image are positive."""
    objects = torch.arange(16) // 4   # 4 objects × 4 renderings
    batch = (data.images[:16], data.labels[:16], objects)
    control = tiny("micle", positives="image")
    simclr = build_method("simclr", **TINY_BACKBONE, hidden_dim=32, projection_dim=16)
    simclr.load_state_dict(control.state_dict())
    torch.manual_seed(1)
    loss_control = control.training_step(batch)["loss"]
    torch.manual_seed(1)
    loss_simclr = simclr.training_step(batch)["loss"]
    assert loss_control.item() == pytest.approx(loss_simclr.item(), rel=1e-5)
    torch.manual_seed(1)
    loss_micle = tiny("micle").training_step(batch)["loss"]   # other renderings positive: another loss
    assert loss_micle.item() != pytest.approx(loss_simclr.item(), rel=1e-3)


def test_micle_positives_typo_is_one_clear_error():
    with pytest.raises(Exception, match="positives must be 'group'"):
        tiny("micle", positives="objects")
