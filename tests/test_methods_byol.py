"""methods/byol.py: BYOL's target network is not trained but follows the online one."""

import pytest
import torch
from helpers import JOINT_FAST as FAST
from helpers import tiny_joint as tiny

from sslworkbench import train


def test_target_networks_are_not_trained_but_follow_the_online_network(data):
    method = tiny("byol")
    assert all(not p.requires_grad for p in method.target.parameters())
    start = [p.clone() for p in method.target.parameters()]
    history = train(method, data, epochs=1, **FAST)
    moved = [not torch.equal(a, b) for a, b in zip(start, method.target.parameters())]
    assert any(moved)
    assert history.metric("momentum")[0] == pytest.approx(0.996)  # cosine-increased from the base
    assert float(method.current_momentum) == pytest.approx(1.0)
