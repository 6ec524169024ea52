"""Scores behind the library's default settings: each entry is one design choice, whose arms
are trained with the public recipe (``sw.pretrain``) and compared by kNN and linear-probe accuracy.

    python benchmarks/design_choices.py --list                       # the entries and where each is cited
    python benchmarks/design_choices.py shapes_texture               # one entry, at the settings it was decided at
    python benchmarks/design_choices.py shapes_crop_scale --threads 1 --seeds 0 1 2
    python benchmarks/design_choices.py --smoke                      # every entry, tiny (what the tests run)

A docstring that justifies a default by a score names the entry that measures it, not the
score: the score belongs to the machine and the library version that produced it. Every arm
of an entry trains with the same seed, data and budget; only what the entry varies differs.
Runs are seeded, but another CPU, BLAS library or thread count takes another floating-point
path, so compare the arms of one table, not tables from different machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass

import torch

import sslworkbench as sw

#: what --smoke changes: a few hundred samples, one epoch (the entry runs; its scores mean nothing)
SMOKE_SETTINGS = {"n_train": 300, "n_test": 200, "epochs": 1, "batch_size": 64}


@dataclass
class Choice:
    """One design choice: a question, where a docstring cites it, and the arms that answer it."""

    question: str
    cited_in: str
    settings: dict  # sw.pretrain's arguments that every arm shares
    arms: dict  # {arm's label: the sw.pretrain arguments it changes}


CHOICES = {
    "shapes_texture": Choice(
        question="shapes: why is the background texture off by default? (SimCLR latches onto the texture: "
                 "feature suppression)",
        cited_in="sslworkbench/data/shapes.py, the module docstring",
        settings={"method": "simclr", "data": "shapes", "backbone": "small_cnn", "epochs": 5},
        arms={
            "no texture (the default)": {"data_options": {}},
            "texture=0.1": {"data_options": {"texture": 0.1}},
            "texture=0.35, noise=0.06": {"data_options": {"texture": 0.35, "noise": 0.06}},
        },
    ),
    "shapes_crop_scale": Choice(
        question="shapes: why do crops keep at least 40% of the image? (VIEW_DEFAULTS: scale (0.4, 1))",
        cited_in="sslworkbench/data/__init__.py, the comment above VIEW_DEFAULTS",
        settings={"method": "simclr", "data": "shapes", "backbone": "small_cnn", "epochs": 5,
                  "data_options": {"texture": 0.35, "noise": 0.06}},
        arms={
            "scale (0.2, 1)": {"views": {"scale": (0.2, 1.0)}},
            "scale (0.4, 1) (the default)": {"views": {"scale": (0.4, 1.0)}},
        },
    ),
}


def describe(settings: dict) -> str:
    """The shared settings in one line: "simclr on shapes, small_cnn, 5 epochs, texture=0.35, …"."""
    shown = {key: value for key, value in settings.items() if key not in ("method", "data", "data_options")}
    parts = [f"{settings['method']} on {settings['data']}"]
    parts += [f"{key}={value}" for key, value in {**shown, **settings.get("data_options", {})}.items()]
    return ", ".join(parts)


def run_arm(settings: dict, seed: int, device: str) -> dict:
    """One arm at one seed through the recipe: {"knn", "linear", "seconds"} (accuracies in [0, 1])."""
    settings = dict(settings)
    method = settings.pop("method")
    run = sw.pretrain(method, settings.pop("data"), seed=seed, device=device, progress=False, **settings)
    return {**run.scores, "seconds": run.train_seconds}


def run_choice(name: str, seeds: list[int], device: str, smoke: bool) -> None:
    """Train every arm of entry ``name`` at every seed and print one row per arm."""
    choice = CHOICES[name]
    shared = {**choice.settings, **(SMOKE_SETTINGS if smoke else {})}
    print(f"{name}: {choice.question}")
    print(f"  cited in {choice.cited_in}")
    threads = torch.get_num_threads()
    print(f"  every arm: {describe(shared)}; seeds {seeds}; {device}, {threads} torch thread{'s' if threads != 1 else ''}"
          + (" (SMOKE: the scores mean nothing)" if smoke else ""))
    print(f"  {'arm':30s} {'kNN':>11s} {'linear':>11s} {'train s':>8s}" + ("   (mean ± sd over the seeds)" if len(seeds) > 1 else ""))
    for label, changes in choice.arms.items():
        data_options = {**shared.get("data_options", {}), **changes.get("data_options", {})}
        settings = {**shared, **changes, "data_options": data_options}
        results = [run_arm(settings, seed, device) for seed in seeds]
        cells = []
        for key in ("knn", "linear"):
            values = [100 * result[key] for result in results]
            spread = f"±{statistics.stdev(values):.1f}" if len(values) > 1 else ""
            cells.append(f"{statistics.mean(values):6.1f}%{spread}")
        seconds = statistics.mean(result["seconds"] for result in results)
        print(f"  {label:30s} {cells[0]:>11s} {cells[1]:>11s} {seconds:8.0f}", flush=True)
    print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="entries: " + ", ".join(CHOICES))
    parser.add_argument("entries", nargs="*", help="which entries to run (default: all of them)")
    parser.add_argument("--list", action="store_true", help="list the entries and where each is cited, then stop")
    parser.add_argument("--smoke", action="store_true", help=f"tiny runs ({SMOKE_SETTINGS}): checks the entries run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default: 0)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    args = parser.parse_args(argv)
    unknown = [name for name in args.entries if name not in CHOICES]
    if unknown:
        parser.error(f"unknown entries {unknown}; known: {', '.join(CHOICES)}")
    if args.list:
        for name, choice in CHOICES.items():
            print(f"{name:20s} {choice.question}\n{'':20s} cited in {choice.cited_in}; arms: {', '.join(choice.arms)}")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    for name in args.entries or CHOICES:
        run_choice(name, args.seeds, args.device, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
