"""methods/vicreg.py: the loss is VICReg's of the two views' projections, with
the method's three weights."""

import pytest
import torch
from helpers import step_with_fixed_views, tiny_joint

from sslworkbench import WorkbenchError
from sslworkbench.losses import vicreg


def test_the_loss_is_vicreg_of_the_two_views_projections_with_its_weights(data):
    method = tiny_joint("vicreg", sim_weight=10.0, var_weight=5.0, cov_weight=2.0)
    images = data.images[:16]
    out, za, zb = step_with_fixed_views(method, images)
    assert torch.allclose(out["loss"], vicreg(za, zb, 10.0, 5.0, 2.0), rtol=1e-5)
    assert not torch.allclose(out["loss"], vicreg(za, zb, 25.0, 25.0, 1.0), rtol=1e-3)  # the weights are used


@pytest.mark.parametrize("weight", ["sim_weight", "var_weight", "cov_weight"])
def test_a_negative_weight_is_refused(weight):
    with pytest.raises(WorkbenchError, match=weight):
        tiny_joint("vicreg", **{weight: -1.0})
