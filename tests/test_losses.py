"""losses.py: every loss against closed forms and an independent, loop-based
re-computation (of the authors' reference code where there is one),
stop-gradients, and one clear error per bad input."""

import math

import pytest
import torch
import torch.nn.functional as F

from sslworkbench import WorkbenchError
from sslworkbench.losses import (
    barlow_twins,
    clip_loss,
    dino_loss,
    info_nce,
    negative_cosine,
    nt_xent,
    supervised_contrastive,
    vicreg,
)

# -- NT-Xent (SimCLR) -------------------------------------------------------------


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


# -- the joint-embedding losses -------------------------------------------------


def random(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# -- InfoNCE with a queue (MoCo) ---------------------------------------------


@pytest.mark.parametrize("temperature", [0.07, 0.2, 1.0])
def test_info_nce_closed_form_orthogonal_queue(temperature):
    # query == key, every queue entry orthogonal to it: log(1 + K exp(-1/τ))
    eye = torch.eye(8, dtype=torch.float64)
    query = eye[:2]
    queue = eye[2:]  # K = 6, orthogonal to both queries
    expected = math.log(1 + 6 * math.exp(-1 / temperature))
    assert info_nce(query, query.clone(), queue, temperature).item() == pytest.approx(expected, rel=1e-9)


def test_info_nce_matches_loop_reference():
    q, k, queue, tau = random(5, 7, seed=1), random(5, 7, seed=2), F.normalize(random(11, 7, seed=3), dim=1), 0.2
    total = 0.0
    for i in range(5):
        qi, ki = q[i] / q[i].norm(), k[i] / k[i].norm()
        logits = [float(qi @ ki) / tau] + [float(qi @ n) / tau for n in queue]
        total += -logits[0] + math.log(sum(math.exp(x) for x in logits))
    assert info_nce(q, k, queue, tau).item() == pytest.approx(total / 5, rel=1e-9)


def test_info_nce_gives_no_gradient_to_key_or_queue():
    q = random(4, 3).requires_grad_()
    k = random(4, 3, seed=1).requires_grad_()
    queue = random(6, 3, seed=2).requires_grad_()
    info_nce(q, k, queue).backward()
    assert q.grad is not None and k.grad is None and queue.grad is None


def test_info_nce_bad_inputs():
    q = random(4, 8)
    with pytest.raises(WorkbenchError, match="queue"):
        info_nce(q, q, random(10, 16), 0.2)  # queue dimension ≠ projector's
    with pytest.raises(WorkbenchError, match="same shape"):
        info_nce(q, random(4, 16), random(10, 8), 0.2)
    with pytest.raises(WorkbenchError, match="at least 2"):
        info_nce(q[:1], q[:1], random(10, 8), 0.2)
    with pytest.raises(WorkbenchError, match="temperature"):
        info_nce(q, q, random(10, 8), 0.0)


# -- SupCon / MICLe ------------------------------------------------------------


@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_supcon_with_distinct_labels_is_nt_xent(temperature):
    z1, z2 = random(6, 5, seed=4), random(6, 5, seed=5)
    supcon = supervised_contrastive(torch.stack([z1, z2], dim=1), torch.arange(6), temperature)
    assert supcon.item() == pytest.approx(nt_xent(z1, z2, temperature).item(), rel=1e-9)


def test_supcon_matches_loop_reference():
    features, labels, tau, base = random(6, 3, 4, seed=6), torch.tensor([0, 1, 0, 2, 1, 0]), 0.3, 0.07
    z = [F.normalize(features[i, v], dim=0) for v in range(3) for i in range(6)]
    y = [int(labels[i]) for v in range(3) for i in range(6)]
    total = 0.0
    for a in range(len(z)):
        denominator = sum(math.exp(float(z[a] @ z[b]) / tau) for b in range(len(z)) if b != a)
        positives = [b for b in range(len(z)) if b != a and y[b] == y[a]]
        total += -sum(float(z[a] @ z[p]) / tau - math.log(denominator) for p in positives) / len(positives)
    expected = tau / base * total / len(z)
    assert supervised_contrastive(features, labels, tau, base).item() == pytest.approx(expected, rel=1e-9)


def test_supcon_bad_inputs():
    with pytest.raises(WorkbenchError, match=r"\(N, V, D\)"):
        supervised_contrastive(random(4, 8), torch.arange(4))
    with pytest.raises(WorkbenchError, match="labels"):
        supervised_contrastive(random(4, 2, 8), torch.arange(3))
    with pytest.raises(WorkbenchError, match="no positive"):
        supervised_contrastive(random(4, 1, 8), torch.arange(4))


# -- negative cosine (BYOL, SimSiam) ------------------------------------------


def test_negative_cosine_closed_forms_and_stop_gradient():
    p = random(5, 4).requires_grad_()
    z = (3 * p.detach()).requires_grad_()
    assert negative_cosine(p, z).item() == pytest.approx(-1.0)
    assert negative_cosine(p, -z).item() == pytest.approx(1.0)
    negative_cosine(p, z).backward()
    assert z.grad is None and p.grad is not None  # the stop-gradient
    expected = -sum(float(F.cosine_similarity(a, b, dim=0)) for a, b in zip(random(3, 4, seed=1), random(3, 4, seed=2))) / 3
    assert negative_cosine(random(3, 4, seed=1), random(3, 4, seed=2)).item() == pytest.approx(expected, rel=1e-9)


# -- Barlow Twins ------------------------------------------------------------


def test_barlow_twins_matches_authors_code_and_loop():
    z1, z2, lambd = random(16, 6, seed=7), random(16, 6, seed=8), 5e-3
    # the authors' main.py: c = bn(z1).T @ bn(z2) / N with an affine-free BatchNorm1d
    bn = torch.nn.BatchNorm1d(6, affine=False).double()
    c = bn(z1).T @ bn(z2) / 16
    off = c.flatten()[:-1].view(5, 7)[:, 1:].flatten()
    authors = (torch.diagonal(c) - 1).pow(2).sum() + lambd * off.pow(2).sum()
    # a loop: standardise with the biased std (+ BatchNorm's eps), correlate
    s1 = [(z1[:, j] - z1[:, j].mean()) / torch.sqrt(z1[:, j].var(unbiased=False) + 1e-5) for j in range(6)]
    s2 = [(z2[:, j] - z2[:, j].mean()) / torch.sqrt(z2[:, j].var(unbiased=False) + 1e-5) for j in range(6)]
    loop = 0.0
    for i in range(6):
        for j in range(6):
            cij = float((s1[i] * s2[j]).sum()) / 16
            loop += (1 - cij) ** 2 if i == j else lambd * cij**2
    loss = barlow_twins(z1, z2, lambd).item()
    assert loss == pytest.approx(authors.item(), rel=1e-9) and loss == pytest.approx(loop, rel=1e-9)


def test_barlow_twins_closed_form_decorrelated_identical_views():
    # columns of a scaled orthogonal matrix, centred: identical views give C = I (up to eps) ⇒ loss ≈ 0
    q, _ = torch.linalg.qr(random(32, 32))
    z = q[:, :4] * 10 - (q[:, :4] * 10).mean(dim=0)
    z = z - z.mean(dim=0)
    z = torch.cat([z, -z])  # mean exactly 0, columns still orthogonal
    assert barlow_twins(z, z).item() == pytest.approx(0.0, abs=1e-4)
    # uncorrelated? no: z vs -z gives C = −I: on-diagonal (1 − (−1))² = 4 per dimension
    assert barlow_twins(z, -z).item() == pytest.approx(16.0, rel=1e-4)


# -- VICReg --------------------------------------------------------------------


def test_vicreg_matches_authors_code_and_loop():
    z1, z2 = random(10, 5, seed=9), random(10, 5, seed=10)
    n, d = 10, 5
    mse = sum(float((z1[i, j] - z2[i, j]) ** 2) for i in range(n) for j in range(d)) / (n * d)
    var, cov = 0.0, 0.0
    for z in (z1, z2):
        centred = z - z.mean(dim=0)
        for j in range(d):
            var += max(0.0, 1 - math.sqrt(float(centred[:, j].pow(2).sum()) / (n - 1) + 1e-4)) / d / 2
        for i in range(d):
            for j in range(d):
                if i != j:
                    cov += (float((centred[:, i] * centred[:, j]).sum()) / (n - 1)) ** 2 / d
    expected = 25 * mse + 25 * var + 1 * cov
    assert vicreg(z1, z2).item() == pytest.approx(expected, rel=1e-9)


def test_vicreg_closed_form_collapsed():
    # every embedding the same point: no invariance or covariance term, std = sqrt(1e-4) = 0.01
    z = torch.ones(8, 6, dtype=torch.float64)
    assert vicreg(z, z).item() == pytest.approx(25 * (1 - 0.01), rel=1e-9)
    assert vicreg(z, z, sim_weight=0, var_weight=1, cov_weight=0).item() == pytest.approx(0.99, rel=1e-9)


@pytest.mark.parametrize("loss", [barlow_twins, vicreg, negative_cosine])
def test_pair_losses_reject_bad_inputs(loss):
    with pytest.raises(WorkbenchError, match="same shape"):
        loss(random(8, 16), random(8, 32))  # projector dimension ≠ the other branch's
    with pytest.raises(WorkbenchError, match="at least 2"):
        loss(random(1, 16), random(1, 16))


# -- DINO ------------------------------------------------------------------------


def test_dino_loss_closed_form_uniform():
    # uniform teacher and student over K prototypes: the cross-entropy is log K
    k = 32
    student = [torch.zeros(4, k) for _ in range(4)]
    teacher = [torch.zeros(4, k) for _ in range(2)]
    assert dino_loss(student, teacher, torch.zeros(k)).item() == pytest.approx(math.log(k), rel=1e-6)


def test_dino_loss_matches_loop_reference_and_stops_teacher_gradient():
    k, n, tau_s, tau_t = 7, 3, 0.1, 0.05
    student = [random(n, k, seed=s).requires_grad_() for s in range(3)]  # 2 global + 1 local
    values_s = [s.detach() for s in student]
    teacher = [random(n, k, seed=10 + t).requires_grad_() for t in range(2)]
    values_t = [t.detach() for t in teacher]
    center = random(k, seed=20)
    total, terms = 0.0, 0
    for t in range(2):
        for s in range(3):
            if s == t:
                continue
            for i in range(n):
                logits_t = [(float(values_t[t][i, j]) - float(center[j])) / tau_t for j in range(k)]
                zt = sum(math.exp(x) for x in logits_t)
                logits_s = [float(values_s[s][i, j]) / tau_s for j in range(k)]
                log_zs = math.log(sum(math.exp(x) for x in logits_s))
                total += -sum(math.exp(logits_t[j]) / zt * (logits_s[j] - log_zs) for j in range(k)) / n
            terms += 1
    loss = dino_loss(student, teacher, center, tau_s, tau_t)
    assert loss.item() == pytest.approx(total / terms, rel=1e-9)
    loss.backward()
    assert all(t.grad is None for t in teacher) and all(s.grad is not None for s in student)


def test_dino_loss_bad_inputs():
    with pytest.raises(WorkbenchError, match="centre"):
        dino_loss([torch.zeros(2, 8)] * 2, [torch.zeros(2, 8)], torch.zeros(16))
    with pytest.raises(WorkbenchError, match=r"\(N, K\)"):
        dino_loss([torch.zeros(2, 8), torch.zeros(2, 16)], [torch.zeros(2, 8)], torch.zeros(8))
    with pytest.raises(WorkbenchError, match="temperatures"):
        dino_loss([torch.zeros(2, 8)] * 2, [torch.zeros(2, 8)], torch.zeros(8), teacher_temperature=0)


# ---------------------------------------------------------------------------
# Text objectives
# ---------------------------------------------------------------------------


def test_skipgram_negative_sampling_closed_forms():
    from sslworkbench.losses import skipgram_negative_sampling

    p, k, d = 6, 4, 3
    zeros = torch.zeros(p, d)
    assert math.isclose(float(skipgram_negative_sampling(zeros, zeros, torch.zeros(p, k, d))), (k + 1) * math.log(2), rel_tol=1e-6)
    v = torch.randn(p, d)
    # a reference loop over pairs, the equation as written
    u, noise = torch.randn(p, d), torch.randn(p, k, d)
    expected = sum(-F.logsigmoid(u[i] @ v[i]) - sum(F.logsigmoid(-noise[i, j] @ v[i]) for j in range(k)) for i in range(p)) / p
    assert torch.allclose(skipgram_negative_sampling(v, u, noise), expected, atol=1e-6)
    with pytest.raises(WorkbenchError, match="noise"):
        skipgram_negative_sampling(v, u, torch.randn(p, d))


def test_token_prediction_loss_is_log_v_for_uniform_scores_and_cross_entropy_otherwise():
    from sslworkbench.losses import token_prediction_loss

    assert math.isclose(float(token_prediction_loss(torch.zeros(5, 40), torch.arange(5))), math.log(40), rel_tol=1e-6)
    scores, targets = torch.randn(7, 11), torch.randint(0, 11, (7,))
    expected = -torch.stack([scores[i].log_softmax(0)[targets[i]] for i in range(7)]).mean()
    assert torch.allclose(token_prediction_loss(scores, targets), expected, atol=1e-6)
    with pytest.raises(WorkbenchError, match="no position"):
        token_prediction_loss(torch.zeros(0, 11), torch.zeros(0, dtype=torch.long))
    with pytest.raises(WorkbenchError, match=r"scores \(M, V\)"):
        token_prediction_loss(torch.zeros(2, 3, 11), torch.zeros(2, 3, dtype=torch.long))


def test_next_sentence_loss_is_log_2_when_undecided():
    from sslworkbench.losses import next_sentence_loss

    assert math.isclose(float(next_sentence_loss(torch.zeros(8), torch.rand(8) < 0.5)), math.log(2), rel_tol=1e-6)
    assert float(next_sentence_loss(torch.tensor([9.0, -9.0]), torch.tensor([True, False]))) < 1e-3
    with pytest.raises(WorkbenchError, match="one shape"):
        next_sentence_loss(torch.zeros(3), torch.zeros(4))


# -- CLIP's symmetric InfoNCE -------------------------------------------------------


def test_clip_loss_against_a_loop_over_rows_and_columns():
    torch.manual_seed(0)
    images, texts, scale = torch.randn(6, 5), torch.randn(6, 5), 7.0
    u, v = F.normalize(images, dim=1), F.normalize(texts, dim=1)
    logits = scale * u @ v.T
    rows = [-(logits[i, i] - torch.logsumexp(logits[i], 0)) for i in range(6)]
    columns = [-(logits[j, j] - torch.logsumexp(logits[:, j], 0)) for j in range(6)]
    expected = (sum(rows) / 6 + sum(columns) / 6) / 2
    assert clip_loss(images, texts, scale).item() == pytest.approx(expected.item(), rel=1e-5)
    # symmetric in the two modalities, and equal to NT-Xent's cross-modal half when all else is far
    assert clip_loss(texts, images, scale).item() == pytest.approx(expected.item(), rel=1e-5)


def test_clip_loss_closed_forms_and_gradient_to_the_temperature():
    n = 8
    # unrelated (all similarities equal): log N; matched one-hot pairs at scale s: log(1 + (N-1)e^{-s})
    assert clip_loss(torch.ones(n, 4), torch.ones(n, 4), 10.0).item() == pytest.approx(math.log(n), rel=1e-6)
    eye = torch.eye(n)
    assert clip_loss(eye, eye, 3.0).item() == pytest.approx(math.log(1 + (n - 1) * math.exp(-3.0)), rel=1e-5)
    scale = torch.tensor(2.0, requires_grad=True)
    clip_loss(eye, eye, scale).backward()
    assert scale.grad < 0  # matched pairs: a larger scale (colder softmax) lowers the loss


@pytest.mark.parametrize("images, texts, scale, needle", [
    (torch.randn(4, 3), torch.randn(5, 3), 1.0, "same shape"),
    (torch.randn(1, 3), torch.randn(1, 3), 1.0, "at least 2"),
    (torch.randn(4, 3), torch.randn(4, 3), 0.0, "logit_scale"),
    (torch.randn(4, 3), torch.randn(4, 3), torch.ones(2), "logit_scale"),
])
def test_clip_loss_refuses_bad_input(images, texts, scale, needle):
    with pytest.raises(WorkbenchError, match=needle):
        clip_loss(images, texts, scale)


def test_cbow_negative_sampling_against_a_hand_computation():
    from sslworkbench.losses import cbow_negative_sampling

    # one centre word, two context words and one noise word, small enough to do by hand:
    # h = ((1, 0) + (0, 2)) / 2 = (0.5, 1); u_o·h = 1·0.5 + 1·1 = 1.5; u_k·h = 2·0.5 − 1·1 = 0
    context, mask = torch.tensor([[[1.0, 0.0], [0.0, 2.0]]]), torch.tensor([[True, True]])
    center, noise = torch.tensor([[1.0, 1.0]]), torch.tensor([[[2.0, -1.0]]])
    expected = math.log1p(math.exp(-1.5)) + math.log(2)  # −log σ(1.5) − log σ(−0)
    assert float(cbow_negative_sampling(context, mask, center, noise)) == pytest.approx(expected, rel=1e-6)
    p, c, k, d = 5, 6, 4, 3
    assert math.isclose(float(cbow_negative_sampling(torch.zeros(p, c, d), torch.ones(p, c, dtype=torch.bool),
                                                     torch.zeros(p, d), torch.zeros(p, k, d))), (k + 1) * math.log(2), rel_tol=1e-6)
    # a reference loop over centre words, the equation as written
    torch.manual_seed(0)
    v, u, noise = torch.randn(p, c, d), torch.randn(p, d), torch.randn(p, k, d)
    mask = torch.rand(p, c) < 0.5
    mask[:, 0] = True
    expected = 0.0
    for i in range(p):
        h = sum(v[i, j] for j in range(c) if mask[i, j]) / int(mask[i].sum())
        expected += (-F.logsigmoid(u[i] @ h) - sum(F.logsigmoid(-noise[i, j] @ h) for j in range(k))) / p
    assert torch.allclose(cbow_negative_sampling(v, mask, u, noise), expected, atol=1e-6)


def test_cbow_negative_sampling_never_reads_padding_and_is_skipgram_for_one_context_word():
    from sslworkbench.losses import cbow_negative_sampling, skipgram_negative_sampling

    torch.manual_seed(0)
    p, c, k, d = 4, 6, 3, 5
    v, u, noise = torch.randn(p, c, d, requires_grad=True), torch.randn(p, d), torch.randn(p, k, d)
    mask = torch.tensor([[True, True, False, False, False, False]] * p)
    loss = cbow_negative_sampling(v, mask, u, noise)
    loss.backward()
    assert not v.grad[~mask].any() and v.grad[mask].abs().sum() > 0  # padding gets no gradient ...
    garbage = v.detach().clone()
    garbage[~mask] = float("inf")
    assert torch.equal(cbow_negative_sampling(garbage, mask, u, noise), loss.detach())  # ... and is never read
    one = torch.zeros(p, c, dtype=torch.bool)
    one[:, 3] = True
    assert torch.allclose(cbow_negative_sampling(v.detach(), one, u, noise), skipgram_negative_sampling(v.detach()[:, 3], u, noise))
    with pytest.raises(WorkbenchError, match=r"context \(P, C, D\), mask \(P, C\) of booleans"):
        cbow_negative_sampling(v.detach(), mask.float(), u, noise)
    with pytest.raises(WorkbenchError, match=r"noise \(P, K, D\)"):
        cbow_negative_sampling(v.detach(), mask, u, torch.randn(p, d))
    with pytest.raises(WorkbenchError, match="centre word 0 has no context word"):
        cbow_negative_sampling(v.detach(), torch.zeros(p, c, dtype=torch.bool), u, noise)
