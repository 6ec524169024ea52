"""evaluation/downstream.py: label subsets, the label-efficiency runner, retrieval measures."""

import pytest
import torch

import sslworkbench as sw
from sslworkbench import WorkbenchError
from sslworkbench.evaluation.downstream import (
    budget_name,
    finetune_arm,
    label_efficiency,
    label_subset,
    nearest_neighbours,
    precision_at_k,
    probe_arm,
    recall_at_k,
    scratch_arm,
    summarise,
)

DATA_SIZE = 300


def test_label_subsets_are_stratified_seeded_and_keep_the_order(data):
    five = label_subset(data, per_class=5, seed=0)
    assert torch.bincount(five.labels, minlength=10).tolist() == [5] * 10
    again, other = label_subset(data, per_class=5, seed=0), label_subset(data, per_class=5, seed=1)
    assert torch.equal(five.images, again.images) and not torch.equal(five.images, other.images)
    tenth = label_subset(data, fraction=0.1, seed=0)
    counts, totals = torch.bincount(tenth.labels, minlength=10), torch.bincount(data.labels, minlength=10)
    assert (counts - 0.1 * totals).abs().max() <= 0.5 and len(tenth) == int(counts.sum())
    # the order of the set is kept: the subset's rows appear in the set in the same order
    positions = [next(i for i in range(len(data)) if torch.equal(data.images[i], image)) for image in tenth.images[:5]]
    assert positions == sorted(positions)
    assert len(label_subset(data, fraction=1.0)) == len(data)


@pytest.mark.parametrize("options, message", [
    ({"per_class": 1000}, "has only"),                   # more labels per class than the set holds
    ({"fraction": 0.01}, "fewer than the 10 classes"),   # fewer labels than classes
    ({"per_class": 0}, "≥ 1"),
    ({"per_class": 2.5}, "whole number"),
    ({"fraction": 1.5}, r"\(0, 1\]"),
    ({}, "exactly one"),
    ({"per_class": 5, "fraction": 0.1}, "exactly one"),
])
def test_impossible_budgets_get_one_clear_error(data, options, message):
    with pytest.raises(WorkbenchError, match=message):
        label_subset(data, **options)


def test_budgets_are_named_for_tables():
    assert [budget_name(b) for b in (1, 50, "10%", 1.0)] == ["1 per class", "50 per class", "10%", "100%"]
    with pytest.raises(WorkbenchError, match="share"):
        budget_name("ten")


def test_label_efficiency_runs_every_arm_budget_and_seed_and_summarises():
    data = sw.load_dataset("shapes", "train", n=400)
    test = sw.load_dataset("shapes", "test", n=200)
    torch.manual_seed(0)
    backbone = sw.build_backbone("small_cnn", width=8, depth=2)
    calls = []

    def counting(labelled, test_set, seed):
        calls.append((len(labelled), seed))
        return 0.5 + seed / 10

    tuned, fresh = {}, {}
    arms = {"probe": probe_arm(backbone), "fine-tuned": finetune_arm(backbone, keep=tuned, epochs=2, device="cpu"),
            "scratch": scratch_arm("small_cnn", {"width": 8, "depth": 2}, keep=fresh, epochs=2, device="cpu"),
            "count": counting}
    rows = label_efficiency(arms, data, test, budgets=(2, "20%"), seeds=(0, 1))
    assert len(rows) == 4 * 2 * 2 and {r["budget"] for r in rows} == {"2 per class", "20%"}
    assert all(0 <= r["accuracy"] <= 1 for r in rows)
    fifth = len(label_subset(data, fraction=0.2))          # about 80: 20% of each class, rounded
    assert calls == [(20, 0), (20, 1), (fifth, 0), (fifth, 1)] and 75 <= fifth <= 85
    # the fine-tuned classifiers are kept under (labels, seed), and score what the table says
    assert sorted(tuned) == sorted(fresh) == sorted(calls)
    row = next(r for r in rows if r["arm"] == "scratch" and r["labels"] == 20 and r["seed"] == 1)
    assert sw.downstream.accuracy(fresh[20, 1].model, test) == pytest.approx(row["accuracy"])
    assert not any(p.requires_grad is False for p in tuned[20, 0].model.backbone.parameters())
    summary = {(s["arm"], s["budget"]): s for s in summarise(rows)}
    count = summary[("count", "2 per class")]
    assert count["mean"] == pytest.approx(0.55) and count["spread"] == pytest.approx(0.0707, abs=1e-3) and count["n"] == 2
    # the same seeds give the same table: every arm is seeded
    again = label_efficiency({k: v for k, v in arms.items() if k != "count"}, data, test, budgets=(2,), seeds=(0,))
    assert [r["accuracy"] for r in again] == [r["accuracy"] for r in rows if r["budget"] == "2 per class"
                                              and r["seed"] == 0 and r["arm"] != "count"]


def test_retrieval_finds_the_nearest_rows_and_counts_hits():
    gallery = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    gallery_labels = torch.tensor([0, 0, 1, 1])
    query = torch.tensor([[1.0, 0.05], [0.05, 1.0], [0.7, 0.7]])
    neighbours = nearest_neighbours(query, gallery, k=2)
    assert neighbours[:2].tolist() == [[0, 1], [2, 3]]
    assert precision_at_k(torch.tensor([0, 1, 1]), gallery_labels, neighbours[:2].repeat(2, 1)[:3]) == pytest.approx(2 / 3)
    assert precision_at_k(torch.tensor([0, 1]), gallery_labels, neighbours[:2]) == 1.0
    assert recall_at_k(torch.tensor([1, 0]), gallery_labels, neighbours[:2]) == 0.0
    # a set searched against itself never finds each row itself
    own = nearest_neighbours(gallery, gallery, k=1, exclude_self=True)
    assert own.ravel().tolist() == [1, 0, 3, 2]
    assert precision_at_k(gallery_labels, gallery_labels, own) == 1.0


@pytest.mark.parametrize("k, exclude_self, message", [(0, False, "1..4"), (4, True, "1..3"), (2.0, False, "integer")])
def test_bad_retrieval_settings_are_refused(k, exclude_self, message):
    with pytest.raises(WorkbenchError, match=message):
        nearest_neighbours(torch.rand(4, 3), torch.rand(4, 3), k=k, exclude_self=exclude_self)
    with pytest.raises(WorkbenchError, match="same D"):
        nearest_neighbours(torch.rand(4, 3), torch.rand(4, 2))


def test_the_retrieval_gallery_frames_hits_and_misses(data):
    features = data.images.flatten(1).float()
    neighbours = nearest_neighbours(features[:4], features, k=3, exclude_self=False)
    fig = sw.viz.retrieval_gallery(data.images[:4], data, neighbours, query_labels=data.labels[:4])
    axes = fig.axes
    assert len(axes) == 4 * 4 and axes[0].get_title() == "query" and axes[3].get_title() == "#3"
    # each query's nearest image by pixels is itself: framed green
    assert axes[1].spines["left"].get_edgecolor()[:3] == pytest.approx((0.173, 0.627, 0.173), abs=0.01)
    with pytest.raises(WorkbenchError, match="one row per query"):
        sw.viz.retrieval_gallery(data.images[:4], data, neighbours[:2])


def test_a_backbone_pretrained_at_another_image_size_is_refused_with_one_clear_error():
    method = sw.build_method("simclr", backbone_options={"width": 8, "depth": 2}, image_size=32)
    assert method.backbone.image_size == 32
    bigger = sw.load_dataset("shapes", "train", n=40).resized(48)
    for use in (lambda: sw.finetune(method, bigger, epochs=1, device="cpu"),
                lambda: probe_arm(method.backbone)(bigger, bigger, 0),
                lambda: sw.embed(method.backbone, bigger)):
        with pytest.raises(WorkbenchError, match=r"pretrained on 32×32 images .* 48×48 ones: use data.resized\(32\)"):
            use()
    sw.finetune(method, bigger.resized(32), epochs=1, device="cpu")   # the same data at the size it was trained at
