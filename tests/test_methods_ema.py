"""methods/ema.py: the exponential moving average, its cosine momentum schedule,
and the one check of a momentum setting that every EMA method uses."""

import pytest
import torch
from helpers import tiny_joint as tiny

from sslworkbench import WorkbenchError
from sslworkbench.methods.ema import cosine_momentum, ema_update


@pytest.mark.parametrize("name", ["moco", "byol", "dino", "memory_bank"])
@pytest.mark.parametrize("momentum", [1.0, -0.1, 1.5])
def test_momentum_outside_0_1_is_rejected(name, momentum):
    with pytest.raises(WorkbenchError, match=r"\[0, 1\)"):
        tiny(name, momentum=momentum)


def test_ema_update_and_cosine_schedule():
    online, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    expected = 0.9 * target.weight.detach().clone() + 0.1 * online.weight.detach()
    ema_update(target, online, 0.9)
    assert torch.allclose(target.weight, expected)
    assert cosine_momentum(0.996, 0, 100) == pytest.approx(0.996)
    assert cosine_momentum(0.996, 50, 100) == pytest.approx(0.998)
    assert cosine_momentum(0.996, 100, 100) == pytest.approx(1.0)
