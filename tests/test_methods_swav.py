"""methods/swav.py and its losses: Sinkhorn–Knopp reaches the fixed point of the
equipartition problem (and its first iterations are the plain alternate scaling),
the loss is the swapped prediction, and SwAV's step is that loss of its own
projections, with unit-norm prototypes that are frozen at first."""

import math

import pytest
import torch
import torch.nn.functional as F
from helpers import TINY_IMAGE_BACKBONE, step_with_fixed_views

from sslworkbench import WorkbenchError, build_method
from sslworkbench.losses import sinkhorn_knopp, swav_loss

TINY = {**TINY_IMAGE_BACKBONE, "hidden_dim": 32, "projection_dim": 16, "num_prototypes": 24}


def cosine_scores(n, k, dim=8, seed=0):
    """Scores as SwAV has them: unit embeddings against unit prototypes, in [-1, 1] (float64)."""
    generator = torch.Generator().manual_seed(seed)
    z = F.normalize(torch.randn(n, dim, generator=generator, dtype=torch.float64), dim=1)
    prototypes = F.normalize(torch.randn(k, dim, generator=generator, dtype=torch.float64), dim=1)
    return z @ prototypes.T


# -- Sinkhorn–Knopp ------------------------------------------------------------------------------


@pytest.mark.parametrize("n, k", [(12, 5), (16, 40)])
def test_sinkhorn_knopp_reaches_the_fixed_point_of_the_equipartition_problem(n, k):
    scores, epsilon = cosine_scores(n, k), 0.05
    codes = sinkhorn_knopp(scores, epsilon, iterations=500)
    assert codes.shape == (n, k) and codes.dtype == torch.float64 and (codes > 0).all()
    # the marginals: every image's code is a distribution; every prototype gets N/K of the batch
    torch.testing.assert_close(codes.sum(dim=1), torch.ones(n, dtype=torch.float64), atol=1e-12, rtol=0)
    torch.testing.assert_close(codes.sum(dim=0), torch.full((k,), n / k, dtype=torch.float64), atol=1e-10, rtol=0)
    # a fixed point: one more iteration changes nothing
    torch.testing.assert_close(sinkhorn_knopp(scores, epsilon, iterations=501), codes, atol=1e-12, rtol=0)
    # its form: codes = diag(a) exp(s/ε) diag(b), i.e. log codes − s/ε = u_i + v_k; the least-squares
    # fit of u_i + v_k is the row means plus the column means less the grand mean
    gap = codes.log() - scores / epsilon
    fitted = gap.mean(dim=1, keepdim=True) + gap.mean(dim=0, keepdim=True) - gap.mean()
    torch.testing.assert_close(gap, fitted, atol=1e-9, rtol=0)
    # three iterations are not there yet: the prototypes' share is still uneven
    assert (sinkhorn_knopp(scores, epsilon, iterations=3).sum(dim=0) - n / k).abs().max() > 1e-3


def loop_sinkhorn(scores, epsilon, iterations):
    """Sinkhorn–Knopp written out: Q = exp(s/ε)ᵀ (K × N) over its sum, then each prototype's row
    scaled to sum 1/K and each image's column to sum 1/N, one at a time; the codes are (N Q)ᵀ."""
    n, k = len(scores), len(scores[0])
    q = [[math.exp(scores[i][j] / epsilon) for i in range(n)] for j in range(k)]
    total = sum(sum(row) for row in q)
    q = [[value / total for value in row] for row in q]
    for _ in range(iterations):
        for j in range(k):
            row_sum = sum(q[j])
            q[j] = [value / row_sum / k for value in q[j]]
        for i in range(n):
            column_sum = sum(q[j][i] for j in range(k))
            for j in range(k):
                q[j][i] = q[j][i] / column_sum / n
    return torch.tensor([[n * q[j][i] for j in range(k)] for i in range(n)], dtype=torch.float64)


def test_sinkhorn_knopp_is_the_alternate_scaling_written_out():
    scores = cosine_scores(6, 4, seed=1)
    expected = loop_sinkhorn(scores.tolist(), 0.05, 3)
    torch.testing.assert_close(sinkhorn_knopp(scores, 0.05, 3), expected, atol=1e-12, rtol=1e-10)
    expected = loop_sinkhorn(scores.tolist(), 0.3, 1)
    torch.testing.assert_close(sinkhorn_knopp(scores, 0.3, 1), expected, atol=1e-12, rtol=1e-10)


def test_sinkhorn_knopp_computes_in_float32_under_mixed_precision_and_gives_no_gradient():
    scores = cosine_scores(8, 5).float().requires_grad_()
    codes = sinkhorn_knopp(scores.half())
    assert codes.dtype == torch.float32 and not codes.requires_grad
    torch.testing.assert_close(codes, sinkhorn_knopp(scores.detach()), atol=2e-2, rtol=0)
    large = torch.tensor([[5.0, 4.0, -3.0], [6.0, 3.0, 5.0]])  # exp(6 / 0.05) overflows float32
    assert not torch.isfinite(torch.exp(large / 0.05)).all()
    torch.testing.assert_close(sinkhorn_knopp(large), loop_sinkhorn(large.tolist(), 0.05, 3).float())


@pytest.mark.parametrize(
    "scores, settings, needle",
    [
        (torch.zeros(4, 3), {"epsilon": 0}, "epsilon must be > 0"),
        (torch.zeros(4, 3), {"epsilon": float("nan")}, "epsilon must be > 0"),
        (torch.zeros(4, 3), {"iterations": 0}, "iterations must be a whole number ≥ 1"),
        (torch.zeros(4, 3), {"iterations": 2.5}, "iterations must be a whole number ≥ 1"),
        (torch.zeros(4, 3), {"iterations": True}, "iterations must be a whole number ≥ 1"),
        (torch.zeros(12), {}, r"scores of shape \(N, K\)"),
        (torch.zeros(2, 3, 4), {}, r"scores of shape \(N, K\)"),
    ],
)
def test_sinkhorn_knopp_refuses_bad_input_clearly(scores, settings, needle):
    with pytest.raises(WorkbenchError, match=needle):
        sinkhorn_knopp(scores, **settings)


# -- the swapped prediction -------------------------------------------------------------------------


def test_swav_loss_by_hand():
    tau = 0.1
    # image 0: view 1 scores the 2 prototypes (τ log 3, 0) → p1 = (3/4, 1/4); view 2 scores them equally → p2 = (1/2, 1/2)
    # image 1: view 1 scores them equally → p1 = (1/2, 1/2); view 2 scores (0, τ log 4) → p2 = (1/5, 4/5)
    scores1 = torch.tensor([[tau * math.log(3), 0.0], [0.0, 0.0]])
    scores2 = torch.tensor([[0.0, 0.0], [0.0, tau * math.log(4)]])
    codes1 = torch.tensor([[0.0, 1.0], [0.5, 0.5]])
    codes2 = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # −½ · mean over the 2 images of [q1 · log p2 + q2 · log p1]
    image0 = math.log(1 / 2) + math.log(3 / 4)
    image1 = (0.5 * math.log(1 / 5) + 0.5 * math.log(4 / 5)) + math.log(1 / 2)
    expected = -0.5 * (image0 + image1) / 2
    assert swav_loss(scores1, scores2, codes1, codes2, tau).item() == pytest.approx(expected, rel=1e-6)


def test_swav_loss_swaps_the_codes():
    torch.manual_seed(0)
    n, k = 5, 7
    scores1, scores2 = torch.randn(n, k), torch.randn(n, k)
    codes1, codes2 = torch.rand(n, k).softmax(1), torch.rand(n, k).softmax(1)
    other_codes = torch.rand(n, k).softmax(1)

    def gradients(q1, q2):
        s1, s2 = scores1.clone().requires_grad_(), scores2.clone().requires_grad_()
        swav_loss(s1, s2, q1, q2, 0.1).backward()
        return s1.grad, s2.grad

    grad1, grad2 = gradients(codes1, codes2)
    changed1, changed2 = gradients(other_codes, codes2)  # q1 is the target of view 2's prediction only
    assert torch.equal(changed1, grad1) and not torch.allclose(changed2, grad2)
    changed1, changed2 = gradients(codes1, other_codes)  # and q2 of view 1's
    assert not torch.allclose(changed1, grad1) and torch.equal(changed2, grad2)
    # view 2 predicting every prototype equally: its term is log K whatever code 1 asks of it
    uniform = torch.zeros(n, k)
    expected = (math.log(k) - (codes2 * F.log_softmax(scores1 / 0.1, dim=1)).sum(1).mean().item()) / 2
    for q1 in (codes1, other_codes):
        assert swav_loss(scores1, uniform, q1, codes2, 0.1).item() == pytest.approx(expected, rel=1e-6)
    # the codes are targets: no gradient flows into them
    q1 = codes1.clone().requires_grad_()
    swav_loss(scores1.requires_grad_(), scores2, q1, codes2).backward()
    assert q1.grad is None


@pytest.mark.parametrize(
    "shapes, temperature, needle",
    [
        (((4, 3), (4, 3), (4, 3), (4, 3)), 0, "temperature must be > 0"),
        (((4, 3), (4, 3), (4, 3), (4, 3)), -1, "temperature must be > 0"),
        (((4, 3), (4, 3), (4, 5), (4, 3)), 0.1, r"of one shape \(N, K\)"),
        (((12,), (12,), (12,), (12,)), 0.1, r"of one shape \(N, K\)"),
    ],
)
def test_swav_loss_refuses_bad_input_clearly(shapes, temperature, needle):
    with pytest.raises(WorkbenchError, match=needle):
        swav_loss(*(torch.zeros(shape) for shape in shapes), temperature)


# -- the method ----------------------------------------------------------------------------------------


def test_the_loss_is_the_swapped_prediction_of_the_two_views_projections():
    torch.manual_seed(0)
    method = build_method("swav", temperature=0.2, epsilon=0.1, sinkhorn_iterations=4, **TINY)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    out, z1, z2 = step_with_fixed_views(method, images)
    prototypes = method.prototypes.detach()
    scores1, scores2 = F.normalize(z1, dim=1) @ prototypes.T, F.normalize(z2, dim=1) @ prototypes.T
    codes1, codes2 = sinkhorn_knopp(scores1, 0.1, 4), sinkhorn_knopp(scores2, 0.1, 4)
    assert torch.allclose(out["loss"], swav_loss(scores1, scores2, codes1, codes2, 0.2), atol=1e-5)
    assert out["embeddings"].shape == (8, 16) and not out["embeddings"].requires_grad
    torch.testing.assert_close(out["embeddings"], F.normalize(z1, dim=1), atol=1e-5, rtol=0)
    assert 0 < out["prototypes_used"] <= 8 / 24  # each of 8 images picks one of 24 prototypes


def test_the_prototypes_are_back_on_the_unit_sphere_at_every_step():
    torch.manual_seed(0)
    method = build_method("swav", freeze_prototypes_fraction=0.0, **TINY)
    assert method.prototypes.shape == (24, 16)
    optimizer = torch.optim.SGD(method.parameters(), lr=0.5)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        method.prototypes.mul_(torch.linspace(0.5, 3.0, 24).unsqueeze(1))  # off the sphere
    for _ in range(2):
        out = method.training_step((images, None))
        norms = method.prototypes.detach().norm(dim=1)
        torch.testing.assert_close(norms, torch.ones(24), atol=1e-6, rtol=0)
        optimizer.zero_grad()
        out["loss"].backward()
        optimizer.step()  # moves them off again: the next step puts them back
        assert not torch.allclose(method.prototypes.detach().norm(dim=1), torch.ones(24), atol=1e-6)


def test_the_prototypes_get_no_gradient_while_frozen_and_do_afterwards():
    torch.manual_seed(0)
    method = build_method("swav", freeze_prototypes_fraction=0.25, **TINY)  # of 8 steps: steps 0 and 1
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8)
    frozen = []
    for step in range(8):
        method.zero_grad(set_to_none=True)
        out = method.training_step((images, None))
        out["loss"].backward()
        assert out["prototypes_frozen"] == float(method.prototypes.grad is None)
        assert method.projector[0].weight.grad is not None  # the rest of the network learns throughout
        frozen.append(method.prototypes.grad is None)
        method.on_step_end(step, 8)
    assert frozen == [True, True] + [False] * 6
    assert method.prototypes.grad.abs().sum() > 0
    never = build_method("swav", freeze_prototypes_fraction=0.0, **TINY)
    never.training_step((images, None))["loss"].backward()
    assert never.prototypes.grad is not None


@pytest.mark.parametrize(
    "settings, needle",
    [
        ({"epsilon": 0}, "epsilon is the entropy weight of Sinkhorn–Knopp .* must be > 0 .*SwAV uses 0.05"),
        ({"temperature": -1}, r"temperature must be > 0 \(got -1\); SwAV uses 0.1"),
        ({"sinkhorn_iterations": 0}, "sinkhorn_iterations must be a whole number ≥ 1"),
        ({"num_prototypes": 1}, "num_prototypes is the number of prototypes .* must be a whole number ≥ 2"),
        ({"freeze_prototypes_fraction": 1.5}, r"freeze_prototypes_fraction .* must be in \[0, 1\]"),
    ],
)
def test_bad_settings_are_one_clear_error(settings, needle):
    with pytest.raises(WorkbenchError, match=needle):
        build_method("swav", **settings)
