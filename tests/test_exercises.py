"""The exercise checkers: a tick for a correct answer, a cross and the case for a wrong one."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from sslworkbench import exercises
from sslworkbench.evaluate import cluster_purity
from sslworkbench.losses import info_nce, nt_xent


def info_nce_by_hand(query, key, queue, temperature):
    """A straightforward re-implementation: the positive first, then the K negatives."""
    q, k = F.normalize(query, dim=1), F.normalize(key, dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], dim=1) / temperature
    return -torch.log_softmax(logits, dim=1)[:, 0].mean()


def nt_xent_by_hand(z1, z2, temperature):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        others = torch.cat([z[:i], z[i + 1 :]])
        total += -(z[i] @ z[j] / temperature - torch.logsumexp(others @ z[i] / temperature, 0))
    return total / (2 * n)


def purity_by_hand(labels, clusters):
    correct = 0
    for c in clusters.unique():
        correct += int(torch.bincount(labels[clusters == c]).max())
    return correct / len(labels)


def raises(*args):
    raise RuntimeError("not written yet")


def test_reference_and_re_implementations_pass(capsys):
    assert exercises.check_info_nce(info_nce)
    assert exercises.check_info_nce(info_nce_by_hand)
    assert exercises.check_nt_xent(nt_xent)
    assert exercises.check_nt_xent(nt_xent_by_hand)
    assert exercises.check_purity(cluster_purity)
    assert exercises.check_purity(purity_by_hand)
    out = capsys.readouterr().out
    assert out.count("✓") == 6 and "✗" not in out


def test_wrong_info_nce_fails_with_the_case(capsys):
    def no_temperature(q, k, queue, t):
        return info_nce_by_hand(q, k, queue, 1.0)

    def positive_last(q, k, queue, t):
        q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
        logits = torch.cat([q @ queue.T, (q * k).sum(1, keepdim=True)], dim=1) / t
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))

    def not_normalised(q, k, queue, t):
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.T], dim=1) / t
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long))

    for wrong in (no_temperature, positive_last, not_normalised):
        assert exercises.check_info_nce(wrong) is False
        out = capsys.readouterr().out
        assert out.startswith("✗ info_nce:") and "expected" in out and "N=" in out and "τ=" in out, out
    assert exercises.check_info_nce(raises) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ info_nce: raised RuntimeError: not written yet for N="), out
    assert exercises.check_info_nce(lambda q, k, queue, t: None) is False  # a stub that returns nothing


def test_wrong_nt_xent_and_purity_fail(capsys):
    assert exercises.check_nt_xent(lambda z1, z2, t: nt_xent(z1, z2, 1.0)) is False
    assert exercises.check_nt_xent(raises) is False
    assert exercises.check_purity(lambda labels, clusters: 1.0) is False
    assert exercises.check_purity(raises) is False
    out = capsys.readouterr().out
    assert out.count("✗") == 4 and "✓" not in out


def test_an_empty_stub_is_not_written_yet_not_an_error(capsys):
    def stub(*args):
        ...  # your code here

    for check in (exercises.check_nt_xent, exercises.check_purity, exercises.check_info_nce):
        assert check(stub) is False
        line = capsys.readouterr().out
        assert "not written yet" in line and "Error" not in line
