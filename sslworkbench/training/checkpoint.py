"""Checkpoints: state dicts plus a small JSON-able description, written atomically.

The one module that knows the checkpoint layout: the trainer asks it to build
one (``training_checkpoint``) and to check one before resuming
(``check_resumable``); everything else reads them with ``load_checkpoint`` /
``load_method``.

A checkpoint file is a dict::

    format, version          "sslworkbench-checkpoint", 1
    method, hparams          rebuild with build_method(method, **hparams)
    model                    the method's state_dict (backbone + heads)
    optimizer, scaler        to continue training exactly
    train_config, progress   TrainConfig as a dict; epoch / batch / step reached
    rng, order               random generator states and the epoch's batch order (under torchrun
                             also each process's generators and the batch order's own)
    history                  everything logged so far
    dataset                  name, kind and size of the training set

It holds only tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(..., weights_only=True)`` — no pickled code runs on load.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path

import torch

from .. import distributed
from ..errors import WorkbenchError

FORMAT = "sslworkbench-checkpoint"
VERSION = 1


def save_atomic(obj, path: str | Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then rename it into
    place: a crash or Ctrl-C never leaves a half-written checkpoint."""
    path = Path(path)
    if path.is_dir():
        raise WorkbenchError(f"Checkpoint path {str(path)!r} is a folder; give a file name such as ckpt.pt.")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(obj, file)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def training_checkpoint(trainer, every_process: bool = True) -> dict:
    """Everything needed to rebuild ``trainer.method`` and to continue training exactly.

    Under torchrun every process must call it (``every_process``): each one's random state is
    gathered, so that the same number of processes continues each one's draws."""
    method = trainer.method
    processes = None
    if trainer.world > 1 and every_process:
        own = {"cpu": torch.get_rng_state(),
               "cuda": torch.cuda.get_rng_state(trainer.device) if trainer.device.type == "cuda" else None}
        processes = distributed.from_every_process(own)
    return {
        "format": FORMAT,
        "version": VERSION,
        "method": method.name,
        "hparams": method.hparams,
        "model": {k: v.detach().cpu() for k, v in method.state_dict().items()},
        "optimizer": trainer.optimizer.state_dict(),
        "scaler": trainer.scaler.state_dict() if trainer.scaler else None,
        "train_config": asdict(trainer.config),
        "progress": {"epoch": trainer.epoch, "batch": trainer.batch_in_epoch, "step": trainer.step},
        "order": trainer.order.cpu() if trainer.order is not None else None,
        "rng": {
            "cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "order": trainer.order_generator.get_state() if trainer.order_generator is not None else None,
            "processes": processes,
        },
        "history": trainer.history.to_dict(),
        "dataset": {"name": trainer.data.name, "kind": trainer.data.kind, "size": len(trainer.data)},
    }


def check_resumable(checkpoint: dict, method, data) -> None:
    """A checkpoint can continue only the same method on the same data."""
    if checkpoint["method"] != method.name:
        raise WorkbenchError(f"This checkpoint is from method {checkpoint['method']!r}, not {method.name!r}.")
    stored = checkpoint.get("dataset", {})
    if stored and (stored.get("name"), stored.get("size")) != (data.name, len(data)):
        raise WorkbenchError(
            f"This checkpoint was trained on {stored.get('name')!r} ({stored.get('size')} samples); "
            f"resume it on the same data (got {data.name!r}, {len(data)} samples)."
        )


def load_weights(model: torch.nn.Module, checkpoint: dict) -> None:
    """Put the checkpoint's weights into ``model``; one clear error if they do not fit."""
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise WorkbenchError(f"The checkpoint's weights do not fit this model ({first}).") from None


def load_checkpoint(path: str | Path, method: str | None = None) -> dict:
    """Read a checkpoint, checking it is one of ours (and of ``method``, if given)."""
    path = Path(path)
    if not path.is_file():
        raise WorkbenchError(f"No checkpoint at {str(path)!r}.")
    try:
        # quietly: a file that is not a checkpoint (a plain pickle) makes torch warn about its
        # pickle protocol before it fails, and the error below already says what is wrong
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        raise WorkbenchError(f"{str(path)!r} {_why_unreadable(path, error)}") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT:
        raise WorkbenchError(f"{str(path)!r} is a torch file but not an sslworkbench checkpoint.")
    if checkpoint.get("version", 0) > VERSION:
        raise WorkbenchError(
            f"{str(path)!r} was written by a newer sslworkbench (checkpoint version {checkpoint['version']}); upgrade."
        )
    if method is not None and checkpoint.get("method") != method:
        raise WorkbenchError(
            f"{str(path)!r} is a {checkpoint.get('method')!r} checkpoint, not {method!r}. "
            f"Use `sslworkbench pretrain {checkpoint.get('method')} --resume {path}`, or a {method} checkpoint."
        )
    return checkpoint


def _why_unreadable(path: Path, error: Exception) -> str:
    """One sentence on why ``torch.load`` refused a file."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return (
            "is not a PyTorch checkpoint (not a torch.save file, or a truncated one). "
            "Re-create it with --out / checkpoint=."
        )
    if "weights only" in str(error).lower() or "weights_only" in str(error).lower():
        return (
            "holds pickled Python objects besides tensors, so it is refused: checkpoints load with "
            "weights_only=True so that loading one never runs code. Use a checkpoint written by sslworkbench."
        )
    return "is damaged (a truncated or corrupt torch file). Re-create it with --out / checkpoint=."


def load_method(path: str | Path, method: str | None = None):
    """Rebuild the trained method stored in a checkpoint (on the CPU)."""
    from ..methods import build_method

    checkpoint = load_checkpoint(path, method)
    model = build_method(checkpoint["method"], **checkpoint["hparams"])
    load_weights(model, checkpoint)
    return model
