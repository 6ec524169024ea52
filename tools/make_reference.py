#!/usr/bin/env python3
"""Make, or check, a reference checkpoint (``sslworkbench/training/reference.py``).

    python tools/make_reference.py simclr-shapes "sslworkbench pretrain simclr --dataset shapes --epochs 50 --device cpu"
    python tools/make_reference.py --check simclr-shapes      # re-run its recorded command, compare the scores

Making one: the command (always a ``sslworkbench pretrain ...`` command of the CLI) is run
as given, with ``--out`` and ``--json`` added. Of the checkpoint it writes, only what is
needed to rebuild the trained method is kept (method name, settings, weights, the dataset's
name and size: no optimiser state, no history), its floating-point weights stored as
float16 (half the bytes: the checkpoints must stay a few MB in all), saved to
``sslworkbench/data/files/reference/<name>.pt``; its sha256, size and the command's measured
scores (kNN and linear probe, and the baselines) go into ``references.json`` beside it, with
``shipped_scores``: the same probes measured on the float16 weights as shipped.

Notebook 08's pair (MLM alone and MLM + TLM: the same text, seed and transformer; only
``tlm_share`` differs) is made by one command, about an hour on a 2-core CPU:

    python tools/make_reference.py --pair xlm                  # makes xlm-mlm-bible and xlm-tlm-bible

Checking one: the recorded command is run again into a temporary folder and its kNN and
linear-probe accuracies are compared with the recorded ones; the check passes when each is
within ``--tolerance`` points (default 1). Prints both and exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sslworkbench import __version__  # noqa: E402
from sslworkbench.training import reference  # noqa: E402
from sslworkbench.training.checkpoint import load_checkpoint, save_atomic  # noqa: E402

KEPT = ("format", "version", "method", "hparams", "model", "dataset")

# Notebook 08's reference pair: XLM's two models, trained 15 epochs on the same English–Spanish verse pairs.
# The transformer is narrower and one block deeper than the notebook's live one (width 96, 3 blocks), so that the
# pair fits in 5 MB as float16 weights (8,000 tokens × width make most of the weights).
_XLM = ("sslworkbench pretrain tlm --dataset bible --data-option pairs=translation --data-option length=32 "
        "--epochs 15 --batch-size 64 --set warmup_epochs=1 "
        "--set 'backbone_options={\"width\": 96, \"depth\": 3, \"heads\": 4}' --device cpu --seed 0")
PAIRS = {"xlm": {"xlm-mlm-bible": _XLM + " --set tlm_share=0", "xlm-tlm-bible": _XLM + " --set tlm_share=0.5"}}


def run_command(command: str, out: Path) -> dict:
    """Run ``command`` (a ``sslworkbench pretrain`` command line) writing ``out``; its JSON report."""
    words = shlex.split(command)
    if words[:2] != ["sslworkbench", "pretrain"]:
        raise SystemExit(f"the command must be a `sslworkbench pretrain ...` command line (got {command!r})")
    cli = Path(sys.executable).parent / "sslworkbench"
    argv = [str(cli) if cli.exists() else "sslworkbench", *words[1:], "--out", str(out), "--json"]
    print("running:", " ".join(shlex.quote(w) for w in argv), flush=True)
    finished = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
    if finished.returncode != 0:
        raise SystemExit(f"the command failed ({finished.returncode}):\n{finished.stderr[-2000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def data_options_of(command: str) -> dict:
    """The ``--data-option KEY=VALUE`` settings of a command line, as ``load_dataset`` takes them."""
    from sslworkbench.cli import _parse_setting

    words = shlex.split(command)
    return dict(_parse_setting(value) for flag, value in zip(words, words[1:]) if flag == "--data-option")


def scores_of(report: dict) -> tuple[dict, dict]:
    results = dict(report["results"])
    own = results.pop(report["method"])
    return {"knn": own["knn"], "linear": own["linear"]}, results


def _manifest() -> dict:
    return json.loads(reference.MANIFEST.read_text()) if reference.MANIFEST.is_file() else {}


def _write_manifest(entries: dict) -> None:
    reference.MANIFEST.write_text(json.dumps(dict(sorted(entries.items())), indent=2) + "\n")


def _float16(weights: dict) -> dict:
    """Floating-point tensors as float16 (half the bytes; ``load`` copies them into the
    float32 model); integer buffers (BatchNorm's counters) as they are."""
    return {key: value.half() if value.is_floating_point() else value for key, value in weights.items()}


def _save(name: str, checkpoint: dict, entries: dict) -> None:
    """Write ``name``.pt with float16 weights and its file's sha256 and size into its entry."""
    path = save_atomic({**checkpoint, "model": _float16(checkpoint["model"])}, reference.FOLDER / f"{name}.pt")
    entries[name].update(sha256=reference.sha256_of(path), bytes=path.stat().st_size, weights="float16")
    _write_manifest(entries)


def make(name: str, command: str) -> None:
    reference.FOLDER.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        report = run_command(command, Path(folder) / "full.pt")
        full = load_checkpoint(Path(folder) / "full.pt")
    scores, baselines = scores_of(report)  # of the float32 weights the command trained
    entries = _manifest()
    entries[name] = {
        "command": command,
        "method": report["method"],
        "dataset": report["dataset"],
        "backbone": report["backbone"],
        "epochs": report["epochs"],
        "scores": scores,
        "baselines": baselines,
        "train_seconds": report["train_seconds"],
        "device": report["device"],
        "made_with": {"sslworkbench": __version__, "torch": torch.__version__.split("+")[0]},
    }
    _save(name, {key: full[key] for key in KEPT}, entries)
    print(f"{name}: kNN {scores['knn']:.1%}, linear {scores['linear']:.1%} ({report['train_seconds']:.0f} s of training)")
    measure_shipped(name)


def shrink(name: str) -> None:
    """Store an existing (float32) reference's weights as float16, then measure them."""
    _save(name, load_checkpoint(reference.FOLDER / f"{name}.pt"), _manifest())
    measure_shipped(name)


def measure_shipped(name: str) -> None:
    """The kNN and linear probe of the weights as shipped, next to the float32 run's."""
    from sslworkbench import evaluate_backbone, load_dataset

    entry = _manifest()[name]
    method = reference.load(name)  # checks the new sha256
    options = data_options_of(entry["command"])
    shipped = evaluate_backbone(method.backbone, load_dataset(entry["dataset"], "train", **options),
                                load_dataset(entry["dataset"], "test", **options))
    entries = _manifest()  # read again: another reference may have been made meanwhile
    entries[name]["shipped_scores"] = {key: round(float(value), 4) for key, value in shipped.items()}
    _write_manifest(entries)
    print(f"{name}: {entry['bytes']:,} bytes (float16 weights), sha256 {entry['sha256']}; as shipped: "
          + ", ".join(f"{key} {shipped[key]:.2%} (float32 run {entry['scores'][key]:.2%})" for key in ("knn", "linear")))


def check(name: str, tolerance: float) -> bool:
    entry = reference.info(name)
    reference.check_file(reference.FOLDER / f"{name}.pt", entry["sha256"])
    with tempfile.TemporaryDirectory() as folder:
        report = run_command(entry["command"], Path(folder) / "again.pt")
    again, _ = scores_of(report)
    ok = True
    for key in ("knn", "linear"):
        gap = 100 * (again[key] - entry["scores"][key])
        ok &= abs(gap) <= tolerance
        print(f"{name} {key:>6s}: recorded {entry['scores'][key]:.2%}, again {again[key]:.2%} ({gap:+.2f} points)")
    print(f"{name}: {'reproduced' if ok else 'NOT reproduced'} within {tolerance:g} point(s) "
          f"({report['train_seconds']:.0f} s of training on {report['device']})")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", nargs="?", help="the reference's name, e.g. simclr-shapes")
    parser.add_argument("--pair", choices=sorted(PAIRS), help="make a recorded pair of references (xlm: notebook 08's)")
    parser.add_argument("command", nargs="?", help="the sslworkbench pretrain command line that makes it (quoted)")
    parser.add_argument("--check", action="store_true", help="re-run the recorded command and compare the scores")
    parser.add_argument("--shrink", action="store_true",
                        help="store an existing reference's weights as float16 and measure them (making one does this)")
    parser.add_argument("--tolerance", type=float, default=1.0, help="points of accuracy allowed by --check (default 1)")
    args = parser.parse_args()
    if args.pair:
        for name, command in PAIRS[args.pair].items():
            make(name, command)
        return 0
    if not args.name:
        parser.error("give the reference's name (or --pair)")
    if args.check:
        return 0 if check(args.name, args.tolerance) else 1
    if args.shrink:
        shrink(args.name)
        return 0
    if not args.command:
        parser.error("give the command that makes the reference (or --check)")
    make(args.name, args.command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
