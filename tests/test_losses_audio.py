"""The audio losses (losses.py): COLA's bilinear contrast and CPC's InfoNCE,
each against a slow loop written from its equation, its closed forms, and one
clear error for each wrong shape."""

import math

import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.losses import bilinear_contrastive, cpc_logits, cpc_loss


def bilinear_reference(anchors, positives, weight):
    """s_ij = a_iᵀ W p_j; the mean over anchors of -log softmax_j(s_ij)[i], one number at a time."""
    n = len(anchors)
    total = 0.0
    for i in range(n):
        scores = [float(anchors[i] @ weight @ positives[j]) for j in range(n)]
        top = max(scores)
        total += -(scores[i] - top - math.log(sum(math.exp(s - top) for s in scores)))
    return total / n


def cpc_reference(predictions, latents):
    """CPC's loss with loops over steps k, clips n and times t; candidates: every latent z_{m,s}."""
    n, t, steps, _ = predictions.shape
    candidates = [(m, s) for m in range(n) for s in range(t)]
    per_step = []
    for k in range(1, steps + 1):
        terms = []
        for i in range(n):
            for time in range(t - k):
                guess = predictions[i, time, k - 1]
                scores = [float(latents[m, s] @ guess) for m, s in candidates]
                top = max(scores)
                positive = float(latents[i, time + k] @ guess)
                terms.append(-(positive - top - math.log(sum(math.exp(s - top) for s in scores))))
        per_step.append(sum(terms) / len(terms))
    return sum(per_step) / steps


def test_bilinear_contrastive_is_its_equation():
    torch.manual_seed(0)
    anchors, positives, weight = torch.randn(6, 4), torch.randn(6, 4), torch.randn(4, 4)
    assert bilinear_contrastive(anchors, positives, weight).item() == pytest.approx(
        bilinear_reference(anchors, positives, weight), rel=1e-5)


def test_bilinear_contrastive_closed_forms():
    torch.manual_seed(0)
    anchors = torch.randn(8, 5)
    assert bilinear_contrastive(anchors, torch.randn(8, 5), torch.zeros(5, 5)).item() == pytest.approx(math.log(8))
    one_hot = torch.eye(5)
    # W = c·I and positives equal to their orthogonal anchors: s_ii = c, s_ij = 0 → log(1 + (N − 1) e^{−c})
    assert bilinear_contrastive(one_hot, one_hot, 3 * torch.eye(5)).item() == pytest.approx(math.log(1 + 4 * math.exp(-3)))


def test_bilinear_contrastive_learns_the_weight():
    torch.manual_seed(0)
    anchors, positives = torch.randn(4, 3), torch.randn(4, 3)
    weight = torch.zeros(3, 3, requires_grad=True)
    bilinear_contrastive(anchors, positives, weight).backward()
    assert weight.grad.abs().sum() > 0


def test_bilinear_contrastive_wrong_shapes_are_clear_errors():
    with pytest.raises(WorkbenchError, match=r"same shape \(N, D\)"):
        bilinear_contrastive(torch.randn(4, 3), torch.randn(4, 5), torch.eye(3))
    with pytest.raises(WorkbenchError, match=r"weight of shape \(D, D\) = \(3, 3\)"):
        bilinear_contrastive(torch.randn(4, 3), torch.randn(4, 3), torch.eye(4))
    with pytest.raises(WorkbenchError, match="at least 2"):
        bilinear_contrastive(torch.randn(1, 3), torch.randn(1, 3), torch.eye(3))


def test_cpc_loss_is_its_equation():
    torch.manual_seed(0)
    predictions, latents = torch.randn(3, 5, 2, 4), torch.randn(3, 5, 4)
    assert cpc_loss(predictions, latents).item() == pytest.approx(cpc_reference(predictions, latents), rel=1e-5)


def test_cpc_loss_closed_forms():
    # predictions that say nothing score every latent alike: log(N·T), whatever the latents
    assert cpc_loss(torch.zeros(2, 6, 3, 4), torch.randn(2, 6, 4)).item() == pytest.approx(math.log(12))
    # every latent a different one-hot vector and every prediction c times the true future:
    # the positive scores c, the other N·T − 1 latents 0
    n, t, c = 2, 4, 5.0
    latents = torch.eye(n * t).view(n, t, n * t)
    predictions = torch.zeros(n, t, 1, n * t)
    predictions[:, :-1, 0] = c * latents[:, 1:]
    assert cpc_loss(predictions, latents).item() == pytest.approx(math.log(1 + (n * t - 1) * math.exp(-c)), rel=1e-5)


def test_cpc_logits_score_the_true_future_first_then_the_candidates():
    torch.manual_seed(0)
    predictions, latents = torch.randn(2, 5, 2, 3), torch.randn(2, 5, 3)
    logits, targets = cpc_logits(predictions, latents, step=2)
    assert logits.shape == (2 * 3, 1 + 2 * 5) and targets.tolist() == [0] * 6  # t = 0..2 of each clip, 10 candidates
    # row (n=1, t=0): its true future is latent 1·5 + 0 + 2 = 7, masked among the candidates
    row = logits[3]
    assert row[0].item() == pytest.approx(float(latents[1, 2] @ predictions[1, 0, 1]))
    assert row[1 + 7] == float("-inf") and torch.isfinite(row[1:8]).all()
    assert row[1 + 4].item() == pytest.approx(float(latents[0, 4] @ predictions[1, 0, 1]))


def test_cpc_loss_with_a_sample_of_negatives_is_its_equation_over_that_sample():
    torch.manual_seed(0)
    predictions, latents = torch.randn(3, 5, 2, 4), torch.randn(3, 5, 4)
    negatives = torch.tensor([0, 4, 7, 11, 14])
    n, t, steps, _ = predictions.shape
    flat = latents.reshape(n * t, 4)
    per_step = []
    for k in range(1, steps + 1):
        terms = []
        for i in range(n):
            for time in range(t - k):
                guess, truth = predictions[i, time, k - 1], i * t + time + k
                scores = [float(flat[truth] @ guess)] + [float(flat[j] @ guess) for j in negatives.tolist() if j != truth]
                terms.append(-(scores[0] - math.log(sum(math.exp(s) for s in scores))))
        per_step.append(sum(terms) / len(terms))
    assert cpc_loss(predictions, latents, negatives).item() == pytest.approx(sum(per_step) / steps, rel=1e-5)
    every = torch.arange(n * t)
    assert cpc_loss(predictions, latents, every).item() == pytest.approx(cpc_loss(predictions, latents).item(), rel=1e-6)


def test_cpc_loss_wrong_shapes_are_clear_errors():
    with pytest.raises(WorkbenchError, match=r"predictions \(N, T, K, D\) and latents \(N, T, D\)"):
        cpc_loss(torch.randn(2, 5, 2, 4), torch.randn(2, 6, 4))
    with pytest.raises(WorkbenchError, match="needs more than K latent frames"):
        cpc_loss(torch.randn(2, 3, 3, 4), torch.randn(2, 3, 4))
    with pytest.raises(WorkbenchError, match="indices into the N·T = 10 latents"):
        cpc_loss(torch.randn(2, 5, 2, 4), torch.randn(2, 5, 4), torch.tensor([3, 10]))
