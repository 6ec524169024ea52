"""methods/simclr.py: SimCLR's loss is NT-Xent of the two views' projections;
its temperature must be positive."""

import pytest
import torch
from helpers import SIMCLR_TINY as TINY
from helpers import step_with_fixed_views

from sslworkbench import WorkbenchError, build_method


@pytest.mark.parametrize("temperature", [0, -0.5])
def test_simclr_rejects_non_positive_temperature(temperature):
    with pytest.raises(WorkbenchError, match="temperature"):
        build_method("simclr", temperature=temperature, **{k: v for k, v in TINY.items()})


def test_the_loss_is_nt_xent_of_the_two_views_projections():
    from sslworkbench.losses import nt_xent

    torch.manual_seed(0)
    method = build_method("simclr", temperature=0.3, **TINY)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    out, z1, z2 = step_with_fixed_views(method, images)
    assert torch.allclose(out["loss"], nt_xent(z1, z2, 0.3), atol=1e-5)
    assert torch.allclose(out["embeddings"], z1, atol=1e-5) and out["embeddings"].shape == (8, 16)
