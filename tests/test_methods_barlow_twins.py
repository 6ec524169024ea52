"""methods/barlow_twins.py: the loss is Barlow Twins' of the two views'
projections, through the paper's 3-layer projector."""

import pytest
import torch
from helpers import step_with_fixed_views, tiny_joint
from torch import nn

from sslworkbench import WorkbenchError
from sslworkbench.losses import barlow_twins


def test_the_loss_is_barlow_twins_of_the_two_views_projections(data):
    method = tiny_joint("barlow_twins", lambd=0.01)
    linear = [layer for layer in method.projector if isinstance(layer, nn.Linear)]
    assert len(linear) == 3 and linear[-1].out_features == 32
    images = data.images[:16]
    out, z1, z2 = step_with_fixed_views(method, images)
    assert torch.allclose(out["loss"], barlow_twins(z1, z2, 0.01), rtol=1e-5)


def test_a_negative_lambda_is_refused():
    with pytest.raises(WorkbenchError, match="lambd"):
        tiny_joint("barlow_twins", lambd=-1.0)
