"""Using what pretraining learned: few labels, and nearest-neighbour retrieval.

Label efficiency — how accuracy grows with the number of labels, for several
ways of using a backbone (the curve MICLe and SimCLR v2 report):

    >>> few = label_subset(train, per_class=5, seed=0)          # 5 labelled samples of every class
    >>> ten = label_subset(train, fraction=0.1, seed=0)         # 10% of every class
    >>> table = label_efficiency(
    ...     {"frozen probe": probe_arm(run.method.backbone),
    ...      "fine-tuned": finetune_arm(run.method.backbone, epochs=30),
    ...      "from scratch": scratch_arm("small_cnn", epochs=30)},
    ...     train, test, budgets=(1, 5, 10, 50, "10%", "100%"), seeds=(0, 1, 2))
    >>> summarise(table)        # one row per (arm, budget): mean and spread over the seeds

An *arm* is any function ``arm(labelled, test, seed) -> test accuracy``; the three
above are the usual ones. A *budget* is a number of labels per class (an int) or
a share of every class ("10%" or 0.1). Each seed draws a different labelled subset
and trains with that seed, so the spread over seeds covers both. To test the
fine-tuned classifiers again (e.g. on shifted data), give the arm a dict to keep
them in: ``finetune_arm(backbone, keep=tuned)``, then ``accuracy(tuned[labels, seed].model, shifted)``.

Retrieval — the nearest neighbours of a query in a gallery, by cosine similarity:

    >>> neighbours = nearest_neighbours(query_features, gallery_features, k=5)
    >>> precision_at_k(query_labels, gallery_labels, neighbours)   # share of the k with the query's label
    >>> recall_at_k(query_labels, gallery_labels, neighbours)      # share of queries with at least one
"""

from __future__ import annotations

import statistics

import torch

from ..data.dataset import Dataset
from ..errors import WorkbenchError
from ..models import build_backbone
from ..runtime import seed_everything
from .finetune import accuracy, finetune
from .probes import cosine_top_k, embed, linear_probe

__all__ = [
    "accuracy", "budget_name", "finetune_arm", "label_efficiency", "label_subset", "nearest_neighbours", "parse_budget",
    "precision_at_k", "probe_arm", "recall_at_k", "scratch_arm", "summarise",
]

# -- label budgets -----------------------------------------------------------------------------------------------


def parse_budget(budget) -> tuple[str, float]:
    """("per_class", k) for an int k ≥ 1; ("fraction", f) for "10%" or a float in (0, 1]."""
    if isinstance(budget, bool):
        raise WorkbenchError(f"A label budget is labels per class (an int ≥ 1) or a share ('10%', 0.1); got {budget!r}.")
    if isinstance(budget, int):
        if budget < 1:
            raise WorkbenchError(f"Labels per class must be ≥ 1 (got {budget}).")
        return "per_class", budget
    if isinstance(budget, str) and budget.endswith("%"):
        try:
            budget = float(budget[:-1]) / 100
        except ValueError:
            raise WorkbenchError(f"A share of the labels is written like '10%' (got {budget!r}).") from None
    if isinstance(budget, float) and 0 < budget <= 1:
        return "fraction", budget
    raise WorkbenchError(
        f"A label budget is labels per class (an int ≥ 1) or a share of every class in (0, 1] ('10%', 0.1); got {budget!r}."
    )


def budget_name(budget) -> str:
    """'5 per class' or '10%': how tables and plots name a budget."""
    kind, value = parse_budget(budget)
    return f"{int(value)} per class" if kind == "per_class" else f"{value:.0%}"


def label_subset(data: Dataset, per_class: int | None = None, fraction: float | None = None, seed: int = 0) -> Dataset:
    """A stratified, seeded labelled subset: ``per_class`` samples of every class,
    or ``fraction`` of every class (at least one each). The same seed gives the
    same subset; the order of ``data`` is kept."""
    if (per_class is None) == (fraction is None):
        raise WorkbenchError("label_subset: give exactly one of per_class= (labels per class) and fraction=.")
    if per_class is not None and (isinstance(per_class, bool) or not isinstance(per_class, int)):
        raise WorkbenchError(f"per_class must be a whole number of labels ≥ 1 (got {per_class!r}).")
    if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, (int, float))):
        raise WorkbenchError(f"fraction must be a number in (0, 1] (got {fraction!r}).")
    kind, value = parse_budget(per_class if per_class is not None else float(fraction))
    labels = data.labels
    present = labels.unique()
    if len(present) < data.num_classes:
        missing = sorted(set(range(data.num_classes)) - set(present.tolist()))
        raise WorkbenchError(
            f"label_subset: {len(missing)} of the {data.num_classes} classes have no sample in this set "
            f"({', '.join(data.classes[i] for i in missing[:5])}…): use a larger set."
        )
    counts = torch.bincount(labels, minlength=data.num_classes)
    if kind == "per_class" and value > int(counts.min()):
        smallest = int(counts.argmin())
        raise WorkbenchError(
            f"Asked for {int(value)} labels per class, but class {data.classes[smallest]!r} has only "
            f"{int(counts.min())} samples in this set: ask for at most {int(counts.min())} per class, or a share ('10%')."
        )
    if kind == "fraction" and round(value * len(data)) < data.num_classes:
        raise WorkbenchError(
            f"{value:.2%} of {len(data):,} samples is {round(value * len(data))} labels, fewer than the "
            f"{data.num_classes} classes: every class needs at least one. Ask for a larger share or per_class=1."
        )
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in range(data.num_classes):
        members = (labels == label).nonzero().ravel()
        take = int(value) if kind == "per_class" else max(1, round(value * len(members)))
        chosen.append(members[torch.randperm(len(members), generator=generator)[:take]])
    return data.select(torch.cat(chosen).sort().values)


# -- arms: ways of using a backbone with few labels --------------------------------------------------------------


def probe_arm(backbone: torch.nn.Module, C: float = 1.0, device=None):
    """The backbone frozen, a linear classifier (logistic regression) on its
    features. Features are computed once per dataset and reused."""
    cache: dict[int, tuple[Dataset, torch.Tensor]] = {}

    def features_of(data: Dataset) -> torch.Tensor:
        key = id(data)
        if key not in cache or cache[key][0] is not data:
            cache[key] = (data, embed(backbone, data, device=device))
        return cache[key][1]

    def arm(labelled: Dataset, test: Dataset, seed: int) -> float:
        return linear_probe(embed(backbone, labelled, device=device), labelled.labels, features_of(test), test.labels, C=C)

    return arm


def finetune_arm(model: torch.nn.Module, keep: dict | None = None, **finetune_options):
    """``sw.finetune`` of (a copy of) ``model`` on the labelled subset: every
    layer trains unless ``freeze=`` says otherwise. ``keep``: a dict that
    receives each run's :class:`~sslworkbench.evaluation.finetune.FineTuned` (the classifier,
    its history, its best epoch) under (number of labels, seed), to test the
    classifier again later (e.g. on shifted data)."""

    def arm(labelled: Dataset, test: Dataset, seed: int) -> float:
        result = finetune(model, labelled, test, seed=seed, **finetune_options)
        if keep is not None:
            keep[len(labelled), seed] = result
        return result.test_accuracy

    return arm


def scratch_arm(backbone: str = "small_cnn", backbone_options: dict | None = None, keep: dict | None = None,
                **finetune_options):
    """The same architecture, randomly initialised (seeded) and trained on the
    labelled subset only: the baseline pretraining has to beat. Its backbone
    learns at the head's rate (there is nothing to preserve). ``keep`` as for
    :func:`finetune_arm`."""

    def arm(labelled: Dataset, test: Dataset, seed: int) -> float:
        seed_everything(seed)
        fresh = build_backbone(backbone, **(backbone_options or {}))
        options = {"backbone_lr": finetune_options.get("lr", 1e-3), **finetune_options}
        return finetune_arm(fresh, keep, **options)(labelled, test, seed)

    return arm


def label_efficiency(arms: dict, train: Dataset, test: Dataset, budgets=(1, 5, 10, 50, "10%", "100%"),
                     seeds=(0, 1, 2), log=None) -> list[dict]:
    """Every arm at every budget and seed: a tidy table, one row per run, with
    arm, budget (its name), labels (how many were used), seed and accuracy."""
    if not arms:
        raise WorkbenchError("label_efficiency needs at least one arm, e.g. {'frozen probe': probe_arm(backbone)}.")
    if not seeds:
        raise WorkbenchError("label_efficiency needs at least one seed.")
    plans = [(budget, parse_budget(budget)) for budget in budgets]
    rows = []
    for budget, (kind, value) in plans:
        for seed in seeds:
            labelled = label_subset(train, **{kind: value}, seed=seed)
            for name, arm in arms.items():
                score = float(arm(labelled, test, seed))
                rows.append({"arm": name, "budget": budget_name(budget), "labels": len(labelled), "seed": seed,
                             "accuracy": score})
                if log:
                    log(f"{name:>16s} · {budget_name(budget):>12s} · seed {seed}: {score:.1%}")
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """One row per (arm, budget), in the order first met: labels, mean accuracy,
    spread (the standard deviation over seeds; 0 with one seed) and n (seeds)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["arm"], row["budget"]), []).append(row)
    summary = []
    for (arm, budget), members in groups.items():
        accuracies = [m["accuracy"] for m in members]
        summary.append({
            "arm": arm, "budget": budget, "labels": members[0]["labels"], "mean": statistics.fmean(accuracies),
            "spread": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0, "n": len(accuracies),
        })
    return summary


# -- retrieval ---------------------------------------------------------------------------------------------------


def nearest_neighbours(query: torch.Tensor, gallery: torch.Tensor, k: int = 5, exclude_self: bool = False,
                       chunk: int = 1024) -> torch.Tensor:
    """(Q, k) gallery indices of each query's k most cosine-similar gallery rows,
    the most similar first. ``exclude_self``: query i is gallery row i (a set
    searched against itself), which is never returned for itself."""
    if query.dim() != 2 or gallery.dim() != 2 or query.shape[1] != gallery.shape[1]:
        raise WorkbenchError(f"Query and gallery features must be (N, D) with the same D; got {tuple(query.shape)} "
                             f"and {tuple(gallery.shape)}.")
    limit = gallery.shape[0] - (1 if exclude_self else 0)
    if not (isinstance(k, int) and 1 <= k <= limit):
        raise WorkbenchError(f"k must be an integer in 1..{limit} (the gallery's size{' less the query' if exclude_self else ''}); got {k!r}.")
    if exclude_self and query.shape[0] != gallery.shape[0]:
        raise WorkbenchError("exclude_self=True searches a set against itself: query and gallery must be the same rows.")
    return cosine_top_k(query, gallery, k, chunk=chunk, exclude_self=exclude_self)[1]


def _hits(query_labels, gallery_labels, neighbours) -> torch.Tensor:
    query_labels, gallery_labels = torch.as_tensor(query_labels), torch.as_tensor(gallery_labels)
    if neighbours.shape[0] != len(query_labels):
        raise WorkbenchError(f"One row of neighbours per query: {neighbours.shape[0]} rows for {len(query_labels)} queries.")
    return gallery_labels[neighbours] == query_labels[:, None]


def precision_at_k(query_labels, gallery_labels, neighbours: torch.Tensor) -> float:
    """Precision@k: the share of the k retrieved items that have the query's
    label, averaged over the queries (k = neighbours.shape[1])."""
    return float(_hits(query_labels, gallery_labels, neighbours).float().mean())


def recall_at_k(query_labels, gallery_labels, neighbours: torch.Tensor) -> float:
    """Recall@k as image-retrieval papers use it: the share of queries with at
    least one item of their label among the k retrieved. (Not the information-
    retrieval recall, retrieved relevant / all relevant, which with thousands of
    items per class is tiny at any small k.)"""
    return float(_hits(query_labels, gallery_labels, neighbours).any(1).float().mean())
