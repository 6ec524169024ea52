"""methods/simsiam.py: SimSiam, with and without its predictor."""

import torch
from helpers import tiny_joint as tiny


def test_simsiam_without_predictor_compares_the_projections_directly(data):
    method = tiny("simsiam", predictor=False)
    assert not list(method.predictor.parameters())  # h is the identity: p = z
    torch.manual_seed(0)
    x1, x2 = method.views.pairs(data.images[:16])
    method.views.pairs = lambda images: (x1, x2)
    out = method.training_step((data.images[:16], data.labels[:16]))
    with torch.no_grad():  # the same batch in train mode: the same BatchNorm statistics
        z1, z2 = method.projector(method.backbone(x1)), method.projector(method.backbone(x2))
    expected = -torch.nn.functional.cosine_similarity(z1, z2).mean()
    assert torch.allclose(out["loss"], expected, atol=1e-5)
