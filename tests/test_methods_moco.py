"""methods/moco.py: MoCo's queue of keys is a ring buffer sized in whole batches."""

import pytest
import torch
from helpers import tiny_joint as tiny

from sslworkbench import WorkbenchError


def test_moco_queue_size_must_be_a_multiple_of_the_batch(data):
    method = tiny("moco", queue_size=50)
    with pytest.raises(WorkbenchError, match="multiple of the batch size"):
        method.training_step((data.images[:32], data.labels[:32]))


def test_moco_queue_is_a_ring_buffer_of_keys(data):
    method = tiny("moco", queue_size=64)
    method.train()
    method.training_step((data.images[:32], data.labels[:32]))
    assert int(method.queue_pointer) == 32
    first_keys = method.queue[:32].clone()
    assert torch.allclose(first_keys.norm(dim=1), torch.ones(32))
    method.training_step((data.images[32:64], data.labels[32:64]))
    method.training_step((data.images[64:96], data.labels[64:96]))
    assert int(method.queue_pointer) == 32  # wrapped around: the oldest keys were replaced
    assert not torch.equal(method.queue[:32], first_keys)
