"""The command line: ``sslworkbench pretrain | probe | bench | list``.

    sslworkbench pretrain simclr --dataset shapes --epochs 5
    sslworkbench pretrain simclr --epochs 10 --out runs/simclr.pt      # checkpoint every epoch
    sslworkbench pretrain simclr --resume runs/simclr.pt --epochs 20   # continue it (a stretched schedule: it says so)
    sslworkbench pretrain span_contrast --dataset motifs --epochs 3    # token sequences, same recipe
    sslworkbench pretrain clip --dataset captioned_shapes --epochs 20  # images with captions (probes the image encoder)
    sslworkbench probe runs/simclr.pt --dataset shapes --json
    sslworkbench bench
    torchrun --nproc_per_node 2 -m sslworkbench pretrain simclr --epochs 10   # 2 processes (README: More than one GPU)

``pretrain`` is the experiment recipe of ``sslworkbench/training/recipe.py`` (the one
the notebooks use), so the same settings print the same numbers here and there.

Every mistake a user can make ends in one line on stderr (no traceback) and a
non-zero exit status; ``--json`` makes the last line printed one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _parse_setting(text: str):
    """``key=value`` with a JSON value when it parses (numbers, lists, true), else a string."""
    if "=" not in text:  # argparse shows an ArgumentTypeError's message (any other error it replaces)
        raise argparse.ArgumentTypeError(f"expected key=value (got {text!r}), e.g. --set temperature=0.1")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def print_table(results: dict, out=sys.stdout) -> None:
    if not results:   # e.g. a data set without labels: trained, nothing to score
        print("no scores: the data has no labels to evaluate with", file=out)
        return
    width = max(len(name) for name in results) + 2
    print(f"{'':{width}}{'kNN':>8}{'linear probe':>15}", file=out)
    for name, row in results.items():
        print(f"{name:{width}}{_percent(row['knn']):>8}{_percent(row['linear']):>15}", file=out)


#: load_dataset options that have a flag of their own
DATA_FLAGS = {"n": "--n-train and --n-test", "seed": "--data-seed", "root": "--data-root", "size": "--image-size"}


def _data_options(args) -> dict:
    """``load_dataset`` options from the command line, besides n and the seed."""
    from .errors import WorkbenchError

    for key, value in args.data_options:
        if key in DATA_FLAGS:
            raise WorkbenchError(f"use {DATA_FLAGS[key]} instead of --data-option {key}={value}.")
    options = {"size": args.image_size, **dict(args.data_options)}
    if args.data_root:
        options["root"] = args.data_root
    return options


def _load_splits(args):
    from .data import load_dataset

    return tuple(
        load_dataset(args.dataset, split, n=n, seed=args.data_seed, **_data_options(args))
        for split, n in (("train", args.n_train), ("test", args.n_test))
    )


def _rounded(results: dict) -> dict:
    """Accuracies with 4 decimals: float32 noise (0.6265000104904175) says nothing."""
    return {name: {key: round(value, 4) for key, value in row.items()} for name, row in results.items()}


def _report(args, results: dict, extra: dict) -> int:
    if args.json:
        print(json.dumps({**extra, "results": _rounded(results)}))
    else:
        print_table(results)
    return 0


def _published_settings(args) -> dict | None:
    """CIFAR-10 with a ResNet-18: the settings the papers publish (``methods/presets.py``)."""
    from .methods.presets import CIFAR10, cifar10_settings

    if args.no_preset or args.dataset != "cifar10" or args.backbone != "resnet18" or args.method not in CIFAR10:
        return None
    return cifar10_settings(args.method)


def cmd_pretrain(args) -> int:
    from . import distributed
    from .methods import METHODS
    from .training.recipe import pretrain

    METHODS[args.method]  # an unknown name fails here, before any data is loaded
    if args.knn_every < 0 or args.knn_samples < 0:
        from .errors import WorkbenchError

        raise WorkbenchError(f"--knn-every and --knn-samples must be ≥ 0 (got {args.knn_every} and {args.knn_samples}).")
    device = distributed.setup(args.device)   # under torchrun: this process's device, and its group
    main_process = distributed.is_main_process()   # the others train and say nothing
    say = print if main_process and not args.json else (lambda *a: None)
    settings = dict(args.settings)
    training = {
        key: value
        for key, value in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("lr", args.lr),
            ("weight_decay", args.weight_decay),
            ("optimizer", args.optimizer),
            ("global_batch_norm", {"global": True, "local": False}.get(args.batch_norm)),
            ("precision", args.precision),
            ("compile", True if args.compile else None),
        )
        if value is not None
    }
    if not args.resume:
        if args.temperature is not None:
            settings["temperature"] = args.temperature
        published = _published_settings(args)
        if published:  # the literature's CIFAR-10 settings; anything given on the command line wins
            settings = {**published["method"], **settings}
            training.setdefault("batch_size", published["batch_size"])
            say(f"using the published CIFAR-10 settings for {args.method} (--no-preset to turn off): "
                f"batch {training['batch_size']}, " + ", ".join(f"{k}={v}" for k, v in settings.items()))
        if args.backbone:
            settings.setdefault("backbone", args.backbone)
    data, test, callbacks = args.dataset, None, []
    if args.knn_every:   # the monitor needs both splits: load them here, the recipe takes them as they are
        from tqdm import tqdm

        from .training.trainer import KNNMonitor

        data, test = _load_splits(args)
        log = tqdm.write if main_process and not args.json else None   # a line between the progress bar's updates
        callbacks.append(KNNMonitor(data, test, every=args.knn_every, k=args.k, n=args.knn_samples or None, log=log))
        if not (data.labelled and test.labelled):
            say(f"no kNN monitoring: {args.dataset!r} has no labels")
    run = pretrain(
        args.method, data, test, n_train=args.n_train, n_test=args.n_test, data_seed=args.data_seed,
        data_options=_data_options(args), seed=args.seed, device=str(device), baselines=not args.no_baselines,
        k=args.k, callbacks=callbacks, checkpoint=args.out, resume=args.resume, log=say,
        progress=False if args.json else None, **training, **settings,
    )
    if not main_process:
        return 0
    if run.history.interrupted:
        where = args.out or args.resume
        print("interrupted: " + (f"checkpoint kept at {where}" if where else "nothing saved (use --out)"), file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.out or args.resume:
        say(f"checkpoint: {args.out or args.resume}")
    history = run.history
    extra = {
        "method": args.method,
        "dataset": run.train_set.name,
        "backbone": run.method.backbone_name,
        "epochs": len(history.epochs),
        "steps": len(history.steps),
        "new_steps": run.new_steps,
        "train_seconds": round(run.train_seconds, 1),
        "final_loss": round(history.losses[-1], 4) if history.steps else None,
        "device": str(device),
        "processes": distributed.world_size(),
        "resume": run.resume_note,
    }
    if args.knn_every:   # {epoch: accuracy} of the monitored epochs (JSON keys are text: "5")
        extra["knn_by_epoch"] = {row["epoch"]: round(row["knn"], 4) for row in history.epochs if "knn" in row}
    return _report(args, run.results(), extra)


def cmd_probe(args) -> int:
    from .evaluation.probes import baselines, evaluate_backbone
    from .training.checkpoint import load_method

    method = load_method(args.checkpoint)
    if args.image_size is None and "image_size" in method.hparams:
        args.image_size = method.hparams["image_size"]
    train_set, test_set = _load_splits(args)
    if not args.json:
        print("evaluating (frozen backbone: weighted kNN and linear probe on the test split)...")
    results = {method.name: evaluate_backbone(method.backbone, train_set, test_set, k=args.k)}
    if not args.no_baselines:
        results.update(baselines(train_set, test_set, backbone=method.backbone_name, seed=args.seed, k=args.k,
                                 backbone_options=method.backbone_options))
    return _report(args, results, {"checkpoint": args.checkpoint, "method": method.name, "dataset": train_set.name})


def cmd_bench(args) -> int:
    from .training.bench import run_benchmarks

    channels_last = {"auto": None, "on": True, "off": False}[args.channels_last]
    rows = run_benchmarks(device=args.device, batch_size=args.batch_size, repeats=args.repeats, backbones=args.backbones,
                          quiet=args.json, precision=args.precision, channels_last=channels_last)
    if args.json:
        print(json.dumps(rows))
    return 0


def cmd_list(args) -> int:
    """Methods and datasets by kind of data (a method trains on the datasets of its kind), then backbones."""
    from .data import DATASETS, KINDS, dataset_kind
    from .methods import METHODS
    from .models import BACKBONES

    print("by kind of data (a method trains on the datasets of its kind):")
    for kind in KINDS:
        datasets = [name for name in DATASETS.names() if dataset_kind(name) == kind]
        methods = [name for name in METHODS.names() if METHODS[name].input_kind == kind]
        if datasets or methods:
            print(f"  {kind:<11} datasets: {', '.join(datasets) or '-'}")
            print(f"  {'':<11} methods:  {', '.join(methods) or '-'}")
    print("backbones:", ", ".join(BACKBONES.names()))
    return 0


def _add_data_arguments(parser):
    parser.add_argument("--dataset", default="shapes", help="dataset name (default: shapes; see `sslworkbench list`)")
    parser.add_argument("--n-train", type=int, default=None, help="use only this many training images")
    parser.add_argument("--n-test", type=int, default=None, help="use only this many test images")
    parser.add_argument("--image-size", type=int, default=None, help="resize images to this size")
    parser.add_argument("--data-root", default=None, help="folder for datasets and caches (default: data/)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the synthetic data (default: 0)")
    parser.add_argument("--data-option", dest="data_options", action="append", default=[], type=_parse_setting,
                        metavar="KEY=VALUE", help="a dataset option, e.g. --data-option pairs=next (bible)")
    parser.add_argument("--k", type=int, default=200, help="neighbours for the kNN evaluation (default: 200)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the random-init and raw-pixel baselines")
    parser.add_argument("--json", action="store_true", help="print one JSON object of the metrics as the last line")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sslworkbench", description="Self-supervised learning workbench.")
    commands = parser.add_subparsers(dest="command", required=True)

    pretrain = commands.add_parser("pretrain", help="pretrain a method, then evaluate it against the baselines")
    pretrain.add_argument("method", help="method name, e.g. simclr (see `sslworkbench list`)")
    pretrain.add_argument("--backbone", default=None, help="small_cnn (the image methods' CPU default), resnet18, vit (a tiny vision transformer; MAE's default), token_cnn (the text methods' default)")
    pretrain.add_argument("--epochs", type=int, default=None, help="epochs in total (default: 10, TrainConfig's)")
    pretrain.add_argument("--batch-size", type=int, default=None, help="images per batch (default: 128); under torchrun the global batch, split over the processes")
    pretrain.add_argument("--lr", type=float, default=None, help="peak learning rate (default: 2e-3 with AdamW, or the method's recommended_lr)")
    pretrain.add_argument("--weight-decay", type=float, default=None)
    pretrain.add_argument("--optimizer", default=None, help="adamw (default) or sgd")
    pretrain.add_argument("--temperature", type=float, default=None, help="softmax temperature of contrastive losses")
    pretrain.add_argument("--set", dest="settings", action="append", default=[], type=_parse_setting, metavar="KEY=VALUE", help="any other method setting, e.g. --set projection_dim=64")
    pretrain.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda (the first GPU), cuda:1 (the second), mps")
    pretrain.add_argument("--seed", type=int, default=0)
    pretrain.add_argument("--out", default=None, help="save a checkpoint here (every epoch, atomically)")
    pretrain.add_argument("--resume", default=None, help="continue training from this checkpoint")
    pretrain.add_argument("--precision", choices=("auto", "bf16", "fp16", "fp32"), default=None, help="auto (default): bf16 on GPUs that have it, fp16 with a gradient scaler on others, full precision on the CPU")
    pretrain.add_argument("--compile", action="store_true", help="torch.compile the backbone (optional; the first steps pay for compiling)")
    pretrain.add_argument("--batch-norm", choices=("global", "local"), default=None, help="under torchrun: BatchNorm statistics of the global batch or of each process's share (default: as the method's paper did; SimCLR: global)")
    pretrain.add_argument("--no-preset", action="store_true", help="with --dataset cifar10 --backbone resnet18: use the method's own (CPU/shapes) defaults instead of the published CIFAR-10 settings")
    pretrain.add_argument("--knn-every", type=int, default=0, metavar="N", help="every N epochs (and after the last): kNN accuracy of the backbone, fitted on the train split, scored on the test split, printed and added to --json as knn_by_epoch (default: 0, off). Each costs embedding both splits: seconds on a GPU, minutes for CIFAR-10 on a CPU")
    pretrain.add_argument("--knn-samples", type=int, default=10_000, metavar="N", help="with --knn-every: use a fixed random subset of at most N samples of each split (default: 10000, all of CIFAR-10's test split, a fifth of its train split; 0: all). The final evaluation always uses the whole splits")
    _add_data_arguments(pretrain)
    pretrain.set_defaults(run=cmd_pretrain)

    probe = commands.add_parser("probe", help="evaluate a checkpoint's backbone (kNN + linear probe)")
    probe.add_argument("checkpoint")
    probe.add_argument("--seed", type=int, default=0, help="seed of the random-init baseline")
    _add_data_arguments(probe)
    probe.set_defaults(run=cmd_probe)

    bench = commands.add_parser("bench", help="throughput of the view pipeline and of training steps")
    bench.add_argument("--device", default="auto")
    bench.add_argument("--batch-size", type=int, default=256)
    bench.add_argument("--repeats", type=int, default=5)
    bench.add_argument("--backbones", nargs="+", default=["small_cnn", "resnet18"])
    bench.add_argument("--precision", choices=("auto", "bf16", "fp16", "fp32"), default="auto",
                       help="autocast of the training steps (default: auto, the trainer's choice: bf16 on GPUs that have it, "
                            "else fp16; full precision on the CPU)")
    bench.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                       help="channels-last images and convolution weights (default: auto, on for CUDA only)")
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(run=cmd_bench)

    listing = commands.add_parser("list", help="the known methods, datasets and backbones")
    listing.set_defaults(run=cmd_list)
    return parser


def main(argv=None) -> int:
    from .errors import WorkbenchError

    parser = build_parser()
    finished = False
    try:
        args = parser.parse_args(argv)
        status = args.run(args)
        finished = True
        return status
    except WorkbenchError as error:
        print(f"sslworkbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sslworkbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        from .distributed import leave

        leave(finished)   # under torchrun: this process leaves its group (with the others if all finished)


if __name__ == "__main__":
    sys.exit(main())
