"""nt_xent against closed forms and an independent, loop-based re-computation."""

import math

import pytest
import torch

from sslworkbench import WorkbenchError
from sslworkbench.losses import nt_xent


def reference_nt_xent(z1, z2, temperature):
    """NT-Xent written out the slow way: python loops over anchors and candidates."""
    z = torch.cat([z1, z2]).double()
    z = z / z.norm(dim=1, keepdim=True)
    two_n = z.shape[0]
    n = two_n // 2
    total = 0.0
    for i in range(two_n):
        positive = i + n if i < n else i - n
        s_pos = float(z[i] @ z[positive]) / temperature
        denominator = 0.0
        for k in range(two_n):
            if k != i:
                denominator += math.exp(float(z[i] @ z[k]) / temperature)
        total += -math.log(math.exp(s_pos) / denominator)
    return total / two_n


def orthonormal_rows(count, dim, generator):
    q, _ = torch.linalg.qr(torch.randn(dim, count, generator=generator, dtype=torch.float64))
    return q.T  # (count, dim), orthonormal rows


# -- closed forms ------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 8, 17])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 2.0])
def test_identical_views_orthogonal_pairs_closed_form(n, temperature):
    generator = torch.Generator().manual_seed(n)
    rows = orthonormal_rows(n, n + 5, generator)
    # arbitrary positive lengths: only directions matter
    z1 = rows * torch.rand(n, 1, generator=generator, dtype=torch.float64).add(0.5)
    z2 = rows * torch.rand(n, 1, generator=generator, dtype=torch.float64).add(0.5)
    expected = math.log(1 + (2 * n - 2) * math.exp(-1 / temperature))
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("n", [2, 5, 16])
@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_collapsed_embeddings_give_log_2n_minus_1(n, temperature):
    direction = torch.randn(1, 7, generator=torch.Generator().manual_seed(0))
    z1 = direction.repeat(n, 1) * 3.0
    z2 = direction.repeat(n, 1) * 0.25
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(math.log(2 * n - 1), rel=1e-5)


# -- independent re-computation ----------------------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("temperature", [0.07, 0.2, 0.5, 1.3])
def test_matches_loop_reference_on_random_inputs(seed, temperature):
    generator = torch.Generator().manual_seed(seed)
    n, d = 3 + seed * 2, 4 + seed
    z1 = torch.randn(n, d, generator=generator, dtype=torch.float64)
    z2 = z1 + 0.7 * torch.randn(n, d, generator=generator, dtype=torch.float64)
    expected = reference_nt_xent(z1, z2, temperature)
    assert nt_xent(z1, z2, temperature).item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_float64_inputs_are_computed_in_float64():
    """A double-precision input should not be silently rounded to float32
    (so that e.g. torch.autograd.gradcheck can be used on the loss)."""
    generator = torch.Generator().manual_seed(0)
    z1 = torch.randn(5, 6, generator=generator, dtype=torch.float64)
    z2 = torch.randn(5, 6, generator=generator, dtype=torch.float64)
    loss = nt_xent(z1, z2, 0.3)
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(reference_nt_xent(z1, z2, 0.3), rel=1e-12)


# -- invariances and gradients -------------------------------------------------


def test_symmetric_in_swapping_views():
    generator = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(2, 6, 9, generator=generator)
    assert torch.allclose(nt_xent(z1, z2, 0.3), nt_xent(z2, z1, 0.3), atol=1e-6)


def test_invariant_to_per_row_scaling():
    generator = torch.Generator().manual_seed(2)
    z1, z2 = torch.randn(2, 6, 9, generator=generator)
    s1 = torch.rand(6, 1, generator=generator) * 10 + 0.1
    s2 = torch.rand(6, 1, generator=generator) * 10 + 0.1
    assert torch.allclose(nt_xent(z1, z2, 0.3), nt_xent(z1 * s1, z2 * s2, 0.3), atol=1e-5)
    assert torch.allclose(nt_xent(z1, z2, 0.3), nt_xent(z1 * 1e3, z2 * 1e-3, 0.3), atol=1e-5)


def test_gradients_are_finite_even_for_zero_and_collapsed_rows():
    generator = torch.Generator().manual_seed(3)
    z1 = torch.randn(4, 5, generator=generator)
    z2 = torch.randn(4, 5, generator=generator)
    z1[0] = 0.0  # a dead embedding
    z2[1] = z2[2]  # two identical embeddings
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    loss = nt_xent(z1, z2, 0.1)
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(z1.grad).all() and torch.isfinite(z2.grad).all()
    assert z2.grad.abs().sum() > 0


def test_does_not_modify_inputs():
    z1, z2 = torch.randn(2, 4, 3, generator=torch.Generator().manual_seed(4))
    c1, c2 = z1.clone(), z2.clone()
    nt_xent(z1, z2, 0.5)
    assert torch.equal(z1, c1) and torch.equal(z2, c2)


# -- user mistakes -------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.0, -0.1])
def test_non_positive_temperature_is_rejected(temperature):
    z = torch.randn(4, 3)
    with pytest.raises(WorkbenchError, match="temperature"):
        nt_xent(z, z, temperature)


def test_nan_temperature_is_rejected():
    z = torch.randn(4, 3)
    with pytest.raises(WorkbenchError, match="temperature"):
        nt_xent(z, z, float("nan"))


@pytest.mark.parametrize(
    "shape1, shape2", [((4, 3), (5, 3)), ((4, 3), (4, 2)), ((4,), (4,)), ((2, 4, 3), (2, 4, 3))]
)
def test_shape_mismatch_is_rejected(shape1, shape2):
    with pytest.raises(WorkbenchError, match=r"\(N, D\)"):
        nt_xent(torch.randn(shape1), torch.randn(shape2))


def test_batch_of_one_is_rejected():
    z = torch.randn(1, 8)
    with pytest.raises(WorkbenchError, match="at least 2"):
        nt_xent(z, z.clone())


def test_workbench_error_is_a_value_error():
    with pytest.raises(ValueError):
        nt_xent(torch.randn(1, 3), torch.randn(1, 3))
