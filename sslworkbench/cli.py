"""The command line: ``sslworkbench pretrain | probe | bench | list``.

    sslworkbench pretrain simclr --dataset shapes --epochs 5
    sslworkbench pretrain simclr --epochs 10 --out runs/simclr.pt      # checkpoint every epoch
    sslworkbench pretrain simclr --resume runs/simclr.pt --epochs 20   # continue it
    sslworkbench probe runs/simclr.pt --dataset shapes --json
    sslworkbench bench

Every mistake a user can make ends in one line on stderr (no traceback) and a
non-zero exit status; ``--json`` makes the last line printed one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _parse_setting(text: str):
    """``key=value`` with a JSON value when it parses (numbers, lists, true), else a string."""
    if "=" not in text:
        from .errors import WorkbenchError

        raise WorkbenchError(f"--set expects key=value (got {text!r}), e.g. --set temperature=0.1")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _percent(value: float) -> str:
    return f"{100 * value:5.1f}%"


def print_table(results: dict, out=sys.stdout) -> None:
    width = max(len(name) for name in results) + 2
    print(f"{'':{width}}{'kNN':>8}{'linear probe':>15}", file=out)
    for name, row in results.items():
        print(f"{name:{width}}{_percent(row['knn']):>8}{_percent(row['linear']):>15}", file=out)


def _load_splits(args):
    from .data import load_dataset

    options = {"root": args.data_root} if args.data_root else {}
    train = load_dataset(args.dataset, "train", n=args.n_train, size=args.image_size, seed=args.data_seed, **options)
    test = load_dataset(args.dataset, "test", n=args.n_test, size=args.image_size, seed=args.data_seed, **options)
    return train, test


def _report(args, method_name, backbone, train, test, extra: dict) -> int:
    from .evaluate import baselines, evaluate_backbone

    say = (lambda *a: None) if args.json else print
    say("evaluating (frozen backbone: weighted kNN and linear probe on the test split)...")
    results = {method_name: evaluate_backbone(backbone, train, test, k=args.k)}
    if not args.no_baselines:
        reference = baselines(
            train, test, backbone=args.backbone, seed=args.seed, k=args.k, backbone_options=args.backbone_options
        )
        results.update(reference)
    if args.json:
        print(json.dumps({**extra, "results": results}))
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
    import torch

    from .augment import DATASET_VIEWS
    from .checkpoint import load_checkpoint
    from .methods import build_method
    from .runtime import pick_device, seed_everything
    from .train import TrainConfig, Trainer

    say = (lambda *a: None) if args.json else print
    device = pick_device(args.device)
    hparams = dict(args.settings)
    config_overrides = {
        key: value
        for key, value in (
            ("epochs", args.epochs),
            ("batch_size", args.batch_size),
            ("lr", args.lr),
            ("weight_decay", args.weight_decay),
            ("optimizer", args.optimizer),
        )
        if value is not None
    }
    checkpoint = None
    if args.resume:
        checkpoint = load_checkpoint(args.resume, method=args.method)
        hparams = {**checkpoint["hparams"], **hparams}
        config = {**checkpoint["train_config"], **config_overrides}
        args.backbone = hparams.get("backbone", args.backbone)
        args.backbone_options = hparams.get("backbone_options")
    else:
        if args.temperature is not None:
            hparams["temperature"] = args.temperature
        published = _published_settings(args)
        if published:  # the literature's CIFAR-10 settings; anything given on the command line wins
            hparams = {**published["method"], **hparams}
            config_overrides.setdefault("batch_size", published["batch_size"])
            say(f"using the published CIFAR-10 settings for {args.method} (--no-preset to turn off): "
                f"batch {config_overrides['batch_size']}, " + ", ".join(f"{k}={v}" for k, v in hparams.items()))
        hparams.setdefault("backbone", args.backbone)
        if args.backbone_options:
            hparams.setdefault("backbone_options", args.backbone_options)
        config = {**TrainConfig().__dict__, "epochs": 5, **config_overrides}
    config.update(device=str(device), seed=args.seed, progress=None if not args.json else False)

    train_set, test_set = _load_splits(args)
    hparams.setdefault("image_size", train_set.image_size)
    if checkpoint is None and "views" not in hparams and args.dataset in DATASET_VIEWS:
        hparams["views"] = dict(DATASET_VIEWS[args.dataset])  # what suits this dataset (see augment.py)
    if args.method == "supervised":
        hparams.setdefault("num_classes", train_set.num_classes)
    seed_everything(args.seed)
    method = build_method(args.method, **hparams)
    trainer = Trainer(method, train_set, TrainConfig(**config), checkpoint=args.out or args.resume)
    if checkpoint is not None:
        trainer.load_state(checkpoint)
        say(f"resuming {args.method} from {args.resume} at epoch {trainer.epoch} (step {trainer.step})")
    say(
        f"pretraining {args.method} on {train_set.name} ({len(train_set)} images, {args.backbone}) "
        f"for {trainer.config.epochs} epochs on {device}"
    )
    started = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - started
    if history.interrupted:
        print("interrupted: " + (f"checkpoint kept at {trainer.checkpoint_path}" if trainer.checkpoint_path else "nothing saved (use --out)"), file=sys.stderr)
        return EXIT_INTERRUPTED
    say(f"trained {trainer.step} steps in {seconds:.0f} s; final loss {history.losses[-1]:.3f}" if history.steps else "nothing left to train")
    if trainer.checkpoint_path:
        say(f"checkpoint: {trainer.checkpoint_path}")
    extra = {
        "method": args.method,
        "dataset": train_set.name,
        "backbone": args.backbone,
        "epochs": trainer.epoch,
        "steps": trainer.step,
        "train_seconds": round(seconds, 1),
        "final_loss": history.losses[-1] if history.steps else None,
        "device": str(device),
    }
    torch.set_grad_enabled(False)
    return _report(args, args.method, method.backbone, train_set, test_set, extra)


def cmd_probe(args) -> int:
    from .checkpoint import load_method

    method = load_method(args.checkpoint)
    args.backbone = method.hparams.get("backbone", "small_cnn")
    args.backbone_options = method.hparams.get("backbone_options")
    if args.image_size is None and "image_size" in method.hparams:
        args.image_size = method.hparams["image_size"]
    train_set, test_set = _load_splits(args)
    return _report(args, method.name, method.backbone, train_set, test_set, {"checkpoint": args.checkpoint, "method": method.name, "dataset": train_set.name})


def cmd_bench(args) -> int:
    from .bench import run_benchmarks

    rows = run_benchmarks(device=args.device, batch_size=args.batch_size, repeats=args.repeats, backbones=args.backbones, quiet=args.json)
    if args.json:
        print(json.dumps(rows))
    return 0


def cmd_list(args) -> int:
    from .data import DATASETS
    from .methods import METHODS
    from .models import BACKBONES

    print("methods:  ", ", ".join(METHODS.names()))
    print("datasets: ", ", ".join(DATASETS.names()))
    print("backbones:", ", ".join(BACKBONES.names()))
    return 0


def _add_data_arguments(parser):
    parser.add_argument("--dataset", default="shapes", help="dataset name (default: shapes; see `sslworkbench list`)")
    parser.add_argument("--n-train", type=int, default=None, help="use only this many training images")
    parser.add_argument("--n-test", type=int, default=None, help="use only this many test images")
    parser.add_argument("--image-size", type=int, default=None, help="resize images to this size")
    parser.add_argument("--data-root", default=None, help="folder for datasets and caches (default: data/)")
    parser.add_argument("--data-seed", type=int, default=0, help="seed of the synthetic data (default: 0)")
    parser.add_argument("--k", type=int, default=200, help="neighbours for the kNN evaluation (default: 200)")
    parser.add_argument("--no-baselines", action="store_true", help="skip the random-init and raw-pixel baselines")
    parser.add_argument("--json", action="store_true", help="print one JSON object of the metrics as the last line")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sslworkbench", description="Self-supervised learning workbench.")
    commands = parser.add_subparsers(dest="command", required=True)

    pretrain = commands.add_parser("pretrain", help="pretrain a method, then evaluate it against the baselines")
    pretrain.add_argument("method", help="method name, e.g. simclr (see `sslworkbench list`)")
    pretrain.add_argument("--backbone", default="small_cnn", help="small_cnn (CPU default) or resnet18")
    pretrain.add_argument("--epochs", type=int, default=None, help="epochs in total (default: 5)")
    pretrain.add_argument("--batch-size", type=int, default=None, help="images per batch (default: 128)")
    pretrain.add_argument("--lr", type=float, default=None, help="peak learning rate (default: 2e-3 with AdamW, or the method's recommended_lr)")
    pretrain.add_argument("--weight-decay", type=float, default=None)
    pretrain.add_argument("--optimizer", default=None, help="adamw (default) or sgd")
    pretrain.add_argument("--temperature", type=float, default=None, help="softmax temperature of contrastive losses")
    pretrain.add_argument("--set", dest="settings", action="append", default=[], type=_parse_setting, metavar="KEY=VALUE", help="any other method setting, e.g. --set projection_dim=64")
    pretrain.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, mps")
    pretrain.add_argument("--seed", type=int, default=0)
    pretrain.add_argument("--out", default=None, help="save a checkpoint here (every epoch, atomically)")
    pretrain.add_argument("--resume", default=None, help="continue training from this checkpoint")
    pretrain.add_argument("--no-preset", action="store_true", help="with --dataset cifar10 --backbone resnet18: use the method's own (CPU/shapes) defaults instead of the published CIFAR-10 settings")
    _add_data_arguments(pretrain)
    pretrain.set_defaults(run=cmd_pretrain, backbone_options=None)

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
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(run=cmd_bench)

    listing = commands.add_parser("list", help="the known methods, datasets and backbones")
    listing.set_defaults(run=cmd_list)
    return parser


def main(argv=None) -> int:
    from .errors import WorkbenchError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except WorkbenchError as error:
        print(f"sslworkbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sslworkbench: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
