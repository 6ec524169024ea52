"""Notebook 09b's exercise: worst-group accuracy, its checker and its worked solution."""

from __future__ import annotations

import torch

from sslworkbench.course import exercises, solutions


def test_worst_group_accuracy_checker_accepts_right_answers(capsys):
    def by_hand(predictions, labels, groups):   # one group at a time, counted in Python
        accuracies = {}
        for group in set(groups.tolist()):
            members = [i for i, g in enumerate(groups.tolist()) if g == group]
            accuracies[group] = sum(int(predictions[i] == labels[i]) for i in members) / len(members)
        return min(accuracies.values())

    for right in (solutions.worst_group_accuracy, by_hand):
        assert exercises.check_worst_group_accuracy(right)
        assert capsys.readouterr().out.startswith("✓ worst_group_accuracy matches")


def test_worst_group_accuracy_checker_rejects_wrong_answers(capsys):
    def overall(predictions, labels, groups):          # the average over every example
        return (predictions == labels).float().mean()

    def mean_of_groups(predictions, labels, groups):   # the groups' accuracies averaged, not the lowest
        return torch.stack([(predictions == labels)[groups == g].float().mean() for g in groups.unique()]).mean()

    def best_group(predictions, labels, groups):       # the highest instead of the lowest
        return max((predictions == labels)[groups == g].float().mean() for g in groups.unique())

    def numbered_groups(predictions, labels, groups):  # assumes groups 0 … max: empty groups give NaN
        return min((predictions == labels)[groups == g].float().mean() for g in range(int(groups.max()) + 1))

    for wrong in (overall, mean_of_groups, best_group, numbered_groups):
        assert not exercises.check_worst_group_accuracy(wrong)
        out = capsys.readouterr().out
        assert out.startswith("✗ worst_group_accuracy:") and ("expected" in out or "raised" in out), out


def test_worst_group_accuracy_stub_is_not_written_yet(capsys):
    def stub(predictions, labels, groups):
        ...  # your code here

    assert exercises.check_worst_group_accuracy(stub) is False
    assert "not written yet" in capsys.readouterr().out


def test_worst_group_accuracy_on_a_small_example():
    predictions = torch.tensor([0, 1, 1, 2, 2, 0])
    labels = torch.tensor([0, 1, 0, 2, 1, 1])
    groups = torch.tensor([5, 5, 8, 8, 8, 8])   # group 5: 2 of 2 right; group 8: 1 of 4
    assert solutions.worst_group_accuracy(predictions, labels, groups) == 0.25
