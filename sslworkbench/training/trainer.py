"""One training loop for every method.

    >>> from sslworkbench.training.trainer import train
    >>> history = train(method, train_set, epochs=10, batch_size=256)
    >>> history.losses[-1], history.epochs[-1]

What it does, so that no notebook has to:
  * picks the device (``"auto"``: CUDA, then Apple MPS, then CPU) and, on CUDA,
    mixed precision (bfloat16 where the GPU has it, else float16 with a gradient
    scaler: :func:`choose_precision`) and channels-last images; the CPU trains
    in full precision unless asked (``precision="bf16"``); ``compile=True``
    compiles the backbone (optional, off by default);
  * under ``torchrun``, trains as one of several processes (``distributed.py``): each
    takes its share of every global batch, gradients are averaged, methods that read
    the whole batch gather it, only process 0 prints and writes checkpoints;
  * shuffles the in-memory images into batches; the method makes its own views;
  * warm-up then cosine learning-rate schedule; AdamW (or SGD);
  * records a :class:`History` (loss, lr and the method's metrics per step;
    means, time and callback results per epoch);
  * checkpoints atomically and resumes *exactly*: the same seed gives the same
    numbers as an uninterrupted run on the CPU, even from mid-epoch;
  * stops on a NaN/inf loss with a clear message, keeping the last good weights;
  * on Ctrl-C / kernel interrupt, keeps the model and history trained so far.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch

from .. import distributed
from ..data.dataset import Dataset, move
from ..errors import TrainingStopped, WorkbenchError
from ..evaluation.probes import alignment, effective_rank, embed, embedding_std, knn_accuracy, uniformity
from ..methods.base import Method
from ..runtime import eval_mode, release_due, release_freed_memory
from .checkpoint import check_resumable, load_checkpoint, load_weights, save_atomic, training_checkpoint

OPTIMIZERS = ("adamw", "sgd")
DEFAULT_LR = 2e-3  # AdamW's peak learning rate for every method that does not recommend its own
SCHEDULES = ("cosine", "constant")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128  # the CPU default: more optimiser steps for the same compute than 256
    lr: float | None = None  # None: the method's recommended_lr if it has one, else DEFAULT_LR
    weight_decay: float = 1e-4
    optimizer: str = "adamw"
    momentum: float = 0.9  # SGD only
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # mixed precision where it helps; False: full precision everywhere
    precision: str = "auto"  # "auto" | "bf16" | "fp16" | "fp32": see choose_precision
    channels_last: bool | None = None  # None: on for images on CUDA; True/False: on/off on any device
    compile: bool = False  # torch.compile the backbone (optional; the first steps pay for compiling)
    progress: bool | None = None  # None: on, unless CI / TQDM_DISABLE is set
    max_steps: int | None = None  # stop after this many optimiser steps in total
    # under torchrun: BatchNorm statistics of the whole global batch (None: as the method's paper did,
    # ``Method.global_batch_norm``); one process: nothing changes
    global_batch_norm: bool | None = None

    def __post_init__(self):
        def fail(message):
            raise WorkbenchError(f"Training setting {message}")

        if not isinstance(self.epochs, int) or self.epochs < 0:
            fail(f"epochs must be a non-negative integer (got {self.epochs!r}).")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            fail(f"batch_size must be a positive integer (got {self.batch_size!r}).")
        if self.lr is not None and not (isinstance(self.lr, (int, float)) and 0 < self.lr < 10 and math.isfinite(self.lr)):
            fail(f"lr must be a positive number below 10 (got {self.lr!r}); try 1e-3 for AdamW.")
        if self.weight_decay < 0:
            fail(f"weight_decay must be ≥ 0 (got {self.weight_decay}).")
        if self.optimizer not in OPTIMIZERS:
            fail(f"optimizer must be one of {OPTIMIZERS} (got {self.optimizer!r}).")
        if self.schedule not in SCHEDULES:
            fail(f"schedule must be one of {SCHEDULES} (got {self.schedule!r}).")
        if self.warmup_epochs < 0:
            fail(f"warmup_epochs must be ≥ 0 (got {self.warmup_epochs}).")
        if self.max_steps is not None and self.max_steps < 1:
            fail(f"max_steps must be ≥ 1 or None (got {self.max_steps}).")
        if self.global_batch_norm not in (None, True, False):
            fail(f"global_batch_norm must be True, False or None (got {self.global_batch_norm!r}).")
        if self.precision not in PRECISIONS:
            fail(f"precision must be one of {PRECISIONS} (got {self.precision!r}).")
        if self.channels_last not in (None, True, False):
            fail(f"channels_last must be True, False or None (got {self.channels_last!r}).")
        if self.compile not in (True, False):
            fail(f"compile must be True or False (got {self.compile!r}).")


def choose_precision(device: torch.device, precision: str = "auto", amp: bool = True) -> tuple[torch.dtype | None, bool]:
    """The autocast dtype of training steps (None: full precision) and whether
    the loss needs a gradient scaler, for ``TrainConfig.precision`` and ``amp``.

    ======================  ===========================  ==========================================
    setting                 CUDA                         CPU / MPS
    ======================  ===========================  ==========================================
    "auto"                  bfloat16 (Ampere and later)  full precision: the numbers of a plain
                            else float16 + scaler (T4)   float32 run, as always
    "bf16"                  bfloat16                     bfloat16 (slower than float32 on many CPUs)
    "fp16"                  float16 + scaler             refused: float16 autocast needs CUDA
    "fp32" or amp=False     full precision               full precision
    ======================  ===========================  ==========================================

    Why: bfloat16 keeps float32's exponent range, so gradients neither underflow
    nor need scaling; float16 has 3 more bits of mantissa but a narrow range, so
    small gradients vanish unless the loss is scaled up first (``GradScaler``).
    Tensor cores run both about as fast, so the GPUs that have bfloat16 use it.
    """
    if precision not in PRECISIONS:
        raise WorkbenchError(f"precision must be one of {PRECISIONS} (got {precision!r}).")
    if not amp or precision == "fp32":
        return None, False
    if precision == "bf16":
        return torch.bfloat16, False
    if precision == "fp16":
        if device.type != "cuda":
            raise WorkbenchError(
                f"precision='fp16' needs CUDA (float16 autocast with a gradient scaler); on {device.type}, use "
                "precision='bf16' or 'fp32'."
            )
        return torch.float16, True
    if device.type == "cuda":   # "auto"
        return (torch.bfloat16, False) if torch.cuda.is_bf16_supported() else (torch.float16, True)
    return None, False


def autocast(device: torch.device, dtype: torch.dtype | None):
    """Mixed precision in ``dtype`` on ``device``, or none when ``dtype`` is None (full precision;
    float16 is then only the placeholder ``torch.autocast`` wants on every device)."""
    return torch.autocast(device.type, dtype=dtype or torch.float16, enabled=dtype is not None)


def precision_name(dtype: torch.dtype | None) -> str:
    """``"bf16"``, ``"fp16"`` or ``"fp32"``: what a run used, for the history and the bench."""
    return {torch.bfloat16: "bf16", torch.float16: "fp16"}.get(dtype, "fp32")


def choose_channels_last(device: torch.device, setting: bool | None, input_kind: str) -> bool:
    """Whether images and convolution weights use the channels-last memory layout
    (N, H, W, C in memory). None: on CUDA for images, where cuDNN's tensor-core
    convolutions want it; elsewhere off, so that the CPU path stays as it was."""
    if setting is not None:
        return setting
    return device.type == "cuda" and input_kind == "images"


def to_channels_last(batch):
    """The batch with its 4-D image tensors (N, C, H, W) in channels-last layout."""
    def convert(value):
        if isinstance(value, torch.Tensor) and value.dim() == 4:
            return value.contiguous(memory_format=torch.channels_last)
        return value

    if isinstance(batch, (tuple, list)):
        return type(batch)(convert(value) for value in batch)
    return convert(batch)


@dataclass
class History:
    """What training recorded. ``steps``: one dict per optimiser step;
    ``epochs``: one per completed epoch (mean metrics, seconds, callback results)."""

    steps: list[dict] = field(default_factory=list)
    epochs: list[dict] = field(default_factory=list)
    interrupted: bool = False
    stopped_reason: str | None = None
    unfinished_epoch_seconds: float = 0.0  # training time of an epoch stopped part-way (max_steps, a stop request)

    @property
    def losses(self) -> list[float]:
        return [s["loss"] for s in self.steps]

    def metric(self, name: str, per: str = "steps") -> list[float]:
        rows = self.steps if per == "steps" else self.epochs
        return [row[name] for row in rows if name in row]

    @property
    def seconds(self) -> float:
        return sum(e.get("seconds", 0.0) for e in self.epochs) + self.unfinished_epoch_seconds

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> History:
        return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})


def learning_rate(step: int, total_steps: int, warmup_steps: int, base_lr: float, schedule: str) -> float:
    """Linear warm-up to ``base_lr``, then cosine decay to 0 (or constant)."""
    if warmup_steps and step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    if schedule == "constant" or total_steps <= warmup_steps:
        return base_lr
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return base_lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


class Callback:
    """Override any of these; ``trainer.request_stop()`` ends training cleanly."""

    def on_train_start(self, trainer: Trainer) -> None: ...

    def on_step_end(self, trainer: Trainer, logs: dict) -> None: ...

    def on_epoch_end(self, trainer: Trainer, logs: dict) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


def _progress_enabled(setting: bool | None) -> bool:
    if setting is not None:
        return setting
    quiet = os.environ.get("TQDM_DISABLE", "") not in ("", "0") or os.environ.get("CI")
    return not quiet


class Trainer:
    """Trains any :class:`~sslworkbench.methods.Method` on any
    :class:`~sslworkbench.data.Dataset`. What it reads about the method is its
    declared contract (``methods/base.py``), and nothing else."""

    def __init__(
        self,
        method: Method,
        data: Dataset,
        config: TrainConfig | None = None,
        callbacks=(),
        checkpoint: str | Path | None = None,
        **settings,
    ):
        if not isinstance(method, Method):
            raise WorkbenchError(
                f"train() needs a method (a subclass of sslworkbench.methods.Method, e.g. from build_method(...)); "
                f"got {type(method).__name__}."
            )
        if not isinstance(data, Dataset):
            raise WorkbenchError(f"train() needs a dataset (from load_dataset), got {type(data).__name__}.")
        config = config or TrainConfig()
        if settings:
            known = {f.name for f in fields(TrainConfig)}
            unknown = sorted(set(settings) - known)
            if unknown:
                raise WorkbenchError(f"Unknown training setting {unknown[0]!r}. Settings: {', '.join(sorted(known))}.")
            config = TrainConfig(**{**asdict(config), **settings})
        if config.lr is None:  # e.g. the memory bank wants a slower network than the rest (see its docstring)
            config = replace(config, lr=method.recommended_lr or DEFAULT_LR)
        check_fit(method, data, min(config.batch_size, len(data)))
        self.method = method
        self.data = data
        self.config = config
        self.callbacks = list(callbacks)
        self.checkpoint_path = Path(checkpoint) if checkpoint else None
        self.device = distributed.setup(config.device)   # without torchrun: pick_device
        self.world, self.rank = distributed.world_size(), distributed.rank()
        self.history = History()
        self.batch_size = min(config.batch_size, len(data))   # the global batch, over every process
        if self.world > 1:
            check_distributed(method, self.batch_size, self.world)
        self.local_batch_size = self.batch_size // self.world
        # several processes draw the batch order from one generator, seeded alike everywhere, and the
        # views from the global one, seeded per process (the same draws on every process would repeat
        # one crop on each process's share); one process draws both from the global generator, as always
        self.order_generator = torch.Generator().manual_seed(config.seed) if self.world > 1 else None
        self.global_batch_norm = self.world > 1 and (
            method.global_batch_norm if config.global_batch_norm is None else config.global_batch_norm
        )
        self._step_module = None   # DistributedDataParallel around the method, during fit
        self.steps_per_epoch = len(data) // self.batch_size
        self.total_steps = self.steps_per_epoch * config.epochs
        if config.max_steps is not None:
            self.total_steps = min(self.total_steps, config.max_steps)
        self.warmup_steps = min(round(config.warmup_epochs * self.steps_per_epoch), self.total_steps // 2)
        # where we are: epoch index, batch index within it, optimiser steps done
        self.epoch, self.batch_in_epoch, self.step = 0, 0, 0
        self.order: torch.Tensor | None = None  # this epoch's shuffled image order
        self._stop_requested = False
        self._rng_restored = False
        self._last_good_state = None
        self.resume_note: str | None = None  # set by load_state: exact continuation, or a stretched schedule

        self.method.to(self.device)
        self.autocast_dtype, needs_scaler = choose_precision(self.device, config.precision, config.amp)
        self.precision_used = precision_name(self.autocast_dtype)   # "bf16" | "fp16" | "fp32"
        self.scaler = torch.amp.GradScaler("cuda") if needs_scaler else None
        self.channels_last = choose_channels_last(self.device, config.channels_last, method.input_kind)
        if self.channels_last:   # 4-D weights (convolutions) change layout; state_dict keys and values stay
            self.method.to(memory_format=torch.channels_last)
        if config.compile:   # in place: the backbone's state_dict keys stay those of the uncompiled one
            self.method.backbone.compile()
        parameters = [p for p in self.method.parameters() if p.requires_grad]
        if config.optimizer == "adamw":
            self.optimizer = torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)
        else:
            self.optimizer = torch.optim.SGD(
                parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
            )

    # -- control ----------------------------------------------------------

    def request_stop(self) -> None:
        """Ask training to stop after the current step (a Stop button calls this)."""
        self._stop_requested = True

    # -- checkpoints ------------------------------------------------------

    def state(self) -> dict:
        return training_checkpoint(self)

    def save(self, path: str | Path | None = None, every_process: bool = True) -> Path:
        """Write a checkpoint (process 0 only, under torchrun). ``every_process``: every process
        takes part, to store each one's random state; False where the others may not (Ctrl-C)."""
        path = Path(path) if path else self.checkpoint_path
        if path is None:
            raise WorkbenchError("No checkpoint path: pass checkpoint= to train() or a path to save().")
        state = training_checkpoint(self, every_process=every_process)
        if distributed.is_main_process():
            save_atomic(state, path)
        if every_process:
            distributed.barrier()   # the file is there before any process reads it
        return path

    def load_state(self, checkpoint: dict) -> None:
        """Continue from a checkpoint made by :meth:`state` (same method, same data)."""
        check_resumable(checkpoint, self.method, self.data)
        load_weights(self.method, checkpoint)
        self.method.to(self.device)
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        if self.scaler and checkpoint.get("scaler"):
            self.scaler.load_state_dict(checkpoint["scaler"])
        progress = checkpoint["progress"]
        self.epoch, self.batch_in_epoch, self.step = progress["epoch"], progress["batch"], progress["step"]
        self.order = checkpoint.get("order")
        rng = checkpoint["rng"]
        written_by = len(rng.get("processes") or [None])   # how many processes trained it
        if self.world == 1 and written_by == 1:
            torch.set_rng_state(rng["cpu"])
            if rng["cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(rng["cuda"])
        elif written_by == self.world:   # each process continues its own random draws
            mine = rng["processes"][self.rank]
            torch.set_rng_state(mine["cpu"])
            if mine["cuda"] is not None and self.device.type == "cuda":
                torch.cuda.set_rng_state(mine["cuda"], self.device)
        else:   # another number of processes: the same batches, new random views
            torch.manual_seed(self.config.seed + self.rank + 1 + self.step)
        if self.order_generator is not None:
            if rng.get("order") is not None:
                self.order_generator.set_state(rng["order"])
            else:
                self.order_generator.manual_seed(self.config.seed + 1 + self.epoch)
        self._rng_restored = True
        self.history = History.from_dict(checkpoint["history"])
        self.history.interrupted = False
        self.history.stopped_reason = None
        planned = checkpoint["train_config"]["epochs"]
        if planned == self.config.epochs:
            self.resume_note = (f"resuming at epoch {self.epoch}, step {self.step} of {self.config.epochs} epochs: "
                                "exactly the run that was interrupted")
        else:
            self.resume_note = (
                f"resuming at epoch {self.epoch}, step {self.step} with {self.config.epochs} epochs instead of "
                f"{planned}: the learning-rate schedule is stretched to the new length, so the result differs "
                f"from one uninterrupted {self.config.epochs}-epoch run"
            )
        if written_by != self.world:
            self.resume_note += (
                f"; it was trained by {written_by} process{'es' if written_by > 1 else ''} and continues on "
                f"{self.world}: the same batches, with new random views"
            )

    # -- the loop ---------------------------------------------------------

    def _batches(self):
        """Yield (inputs, labels[, instance ids]) for the rest of the current epoch."""
        # a method with ``instances`` set (memory bank, MICLe) also gets each sample's
        # instance id: its index, or the ``instance`` extra of data with several
        # samples per object, whose samples then share batches
        instances = None
        if self.method.instances is not None:
            instances = self.data.extras.get("instance", torch.arange(len(self.data))).long()
        if self.order is None or self.batch_in_epoch == 0:
            self.order = torch.randperm(len(self.data), generator=self.order_generator)
            if instances is not None and "instance" in self.data.extras:  # an object's samples stay together
                rank_of_instance = torch.randperm(int(instances.max()) + 1, generator=self.order_generator)
                self.order = self.order[torch.sort(rank_of_instance[instances[self.order]], stable=True).indices]
        for b in range(self.batch_in_epoch, self.steps_per_epoch):
            index = self.order[b * self.batch_size : (b + 1) * self.batch_size]
            if self.world > 1:   # this process's share of the global batch, in rank order
                index = index[self.rank * self.local_batch_size : (self.rank + 1) * self.local_batch_size]
            inputs = move(self.data.take(index), self.device)
            labels = self.data.labels[index].to(self.device, non_blocking=True)
            if instances is None:
                yield inputs, labels
            else:
                yield inputs, labels, instances[index].to(self.device, non_blocking=True)

    def _one_step(self, batch) -> dict:
        lr = learning_rate(self.step, self.total_steps, self.warmup_steps, self.config.lr, self.config.schedule)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.zero_grad(set_to_none=True)
        if self.channels_last:
            batch = to_channels_last(batch)
        with autocast(self.device, self.autocast_dtype):
            # several processes: through DistributedDataParallel, which averages the gradients
            outputs = self._step_module(batch) if self._step_module is not None else self.method.training_step(batch)
        if not isinstance(outputs, dict) or "loss" not in outputs:
            raise WorkbenchError(f"{self.method.name}.training_step must return a dict with a \"loss\" (see methods/base.py).")
        loss = outputs["loss"]
        if not distributed.all_processes_agree(bool(torch.isfinite(loss)), self.device):   # all stop, or none
            self._stop_for_divergence(f"the loss became {loss.item()}", lr)
        if self.scaler:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            grads = [p.grad for p in self.method.parameters() if p.grad is not None]
            grad_norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])) if grads else torch.tensor(0.0)
            if not torch.isfinite(grad_norm):
                self._stop_for_divergence("the gradients became inf/NaN", lr)
            self.optimizer.step()
        self.method.on_step_end(self.step, self.total_steps)
        # the loss of the global batch: the mean of the processes' losses
        logs = {"step": self.step, "epoch": self.epoch, "loss": distributed.mean_over_processes(loss.detach()).item(), "lr": lr}
        for key, value in outputs.items():
            if key == "loss":
                continue
            if key == "embeddings":
                logs["embedding_std"] = embedding_std(value)
                logs["effective_rank"] = effective_rank(value)
            elif isinstance(value, torch.Tensor) and value.numel() == 1:
                logs[key] = value.item()
            elif isinstance(value, (int, float)):
                logs[key] = float(value)
        return logs

    def _snapshot(self) -> dict:
        return {k: v.detach().clone() for k, v in self.method.state_dict().items()}

    def _stop_for_divergence(self, what: str, lr: float):
        self.optimizer.zero_grad(set_to_none=True)
        # parameters *and* buffers (BatchNorm's running statistics) must be finite
        state_ok = all(torch.isfinite(v).all() for v in self.method.state_dict().values() if v.is_floating_point())
        if not state_ok and self._last_good_state is not None:
            self.method.load_state_dict(self._last_good_state)
            kept = "the weights from the end of the last good epoch (or from the start)"
        else:
            kept = "the weights from the last good step"
        reason = (
            f"Training stopped at epoch {self.epoch + 1}, step {self.step}: {what} (lr={lr:.3g}). "
            f"The model keeps {kept}, and the history so far is kept. "
            "Try a lower learning rate (e.g. half of it), or check the inputs for NaNs."
        )
        self.history.stopped_reason = reason
        raise TrainingStopped(reason, self.history)

    def fit(self, resume: str | Path | None = None) -> History:
        """Train; returns the :class:`History` (also kept as ``self.history``)."""
        if resume is not None:
            self.load_state(load_checkpoint(resume, self.method.name))
        elif not self._rng_restored:
            torch.manual_seed(self.config.seed + self.rank)   # process 0's views are one process's

        if self.steps_per_epoch == 0:
            raise WorkbenchError("The training set is empty.")
        from tqdm.auto import tqdm

        self.method.train()
        if self.world > 1:
            if self.global_batch_norm:
                distributed.use_global_batch_norm(self.method, self.device)
            self._step_module = distributed.wrap_for_training(self.method, self.device)
        self._last_good_state = self._snapshot()
        for callback in self.callbacks:
            callback.on_train_start(self)
        bar = tqdm(
            total=self.total_steps,
            initial=min(self.step, self.total_steps),
            disable=not _progress_enabled(self.config.progress) or not distributed.is_main_process(),
            desc=self.method.name,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        try:
            while self.epoch < self.config.epochs and self.step < self.total_steps and not self._stop_requested:
                started = time.perf_counter()
                epoch_rows = []
                for batch in self._batches():
                    logs = self._one_step(batch)
                    self.step += 1
                    if release_due(self.step, self.device):
                        release_freed_memory()  # the C heap keeps freed tensors otherwise (runtime.py)
                    self.batch_in_epoch += 1
                    self.history.steps.append(logs)
                    epoch_rows.append(logs)
                    bar.update(1)
                    bar.set_postfix(loss=f"{logs['loss']:.3f}", refresh=False)
                    for callback in self.callbacks:
                        callback.on_step_end(self, logs)
                    if self._stop_requested or self.step >= self.total_steps:
                        break
                if self.batch_in_epoch < self.steps_per_epoch:
                    self.history.unfinished_epoch_seconds += time.perf_counter() - started
                    break  # stopped mid-epoch: the position is kept for resume
                summary = {"epoch": self.epoch + 1, "seconds": time.perf_counter() - started}
                # the whole epoch's steps, also those before a mid-epoch resume
                epoch_rows = [row for row in self.history.steps if row["epoch"] == self.epoch]
                keys = [k for k in epoch_rows[0] if k not in ("step", "epoch")] if epoch_rows else []
                for key in keys:
                    values = [row[key] for row in epoch_rows if key in row]
                    summary[key] = sum(values) / len(values)
                self.epoch += 1
                self.batch_in_epoch = 0
                self.order = None
                self.history.epochs.append(summary)
                for callback in self.callbacks:
                    callback.on_epoch_end(self, summary)
                self._last_good_state = self._snapshot()
                if self.checkpoint_path:
                    self.save()
        except KeyboardInterrupt:
            self.history.interrupted = True
            message = (
                f"Training interrupted at epoch {self.epoch + 1}, step {self.step}: "
                "the model and history trained so far are kept."
            )
            if self.checkpoint_path:
                self.save(every_process=False)   # the other processes may be elsewhere: no collective
                message += f" Saved to {self.checkpoint_path}; resume with resume={str(self.checkpoint_path)!r}."
            if distributed.is_main_process():
                print(message, file=sys.stderr)
        finally:
            bar.close()
            if self._step_module is not None:   # the method as it was built: plain BatchNorm, no wrapper
                self._step_module = None
                if self.global_batch_norm:
                    distributed.use_local_batch_norm(self.method)
            self.method.eval()
            if self.device.type == "cpu":
                release_freed_memory()
            for callback in self.callbacks:
                callback.on_train_end(self)
        if self._stop_requested and not self.history.stopped_reason:
            self.history.stopped_reason = f"stopped on request at epoch {self.epoch + 1}, step {self.step}"
            if self.checkpoint_path:
                self.save()
        elif self.checkpoint_path and self.batch_in_epoch and not self.history.interrupted:
            self.save()  # max_steps ended training mid-epoch: keep the end of training too
        return self.history


def check_distributed(method: Method, batch_size: int, world: int) -> None:
    """Refuse, before any training under torchrun, what several processes cannot train."""
    if method.across_devices == "one process":
        raise WorkbenchError(f"{method.name} cannot train on several processes: {method.one_process_reason}.")
    if batch_size % world:
        raise WorkbenchError(
            f"batch_size {batch_size} is the global batch and does not split evenly over {world} processes: "
            f"use a multiple of {world}, e.g. {world * max(1, batch_size // world)}."
        )


def check_fit(method: Method, data: Dataset, batch_size: int) -> None:
    """Refuse, before any training, a method whose declared needs the data cannot meet."""
    if method.input_kind != data.kind:
        raise WorkbenchError(
            f"Method {method.name!r} trains on {method.input_kind} but dataset {data.name!r} holds {data.kind}: "
            f"choose a dataset of {method.input_kind} (sslworkbench list) or a method for {data.kind}."
        )
    if method.instances == "groups" and "instance" not in data.extras:
        raise WorkbenchError(
            f"Method {method.name!r} needs several samples of each object (instance groups), and dataset "
            f"{data.name!r} has one sample per object: load data with groups (e.g. shapes with renderings=4) "
            "or use simclr."
        )
    if method.input_segments > getattr(data, "segments", 1):
        raise WorkbenchError(
            f"Method {method.name!r} reads pairs of segments ([CLS] A [SEP] B [SEP]) and dataset {data.name!r} holds "
            "single sequences: load pairs (e.g. load_dataset('bible', pairs='next') or pairs='translation')."
        )
    data.check_model(method.backbone)
    if method.input_kind == "image_text":  # image–text methods read the captions with their text_encoder
        data.check_text_model(method.text_encoder)
    method.check_batch_size(batch_size)


def train(
    method,
    data: Dataset,
    *,
    callbacks=(),
    checkpoint: str | Path | None = None,
    resume: str | Path | None = None,
    **settings,
) -> History:
    """Train ``method`` on ``data``; settings are :class:`TrainConfig`'s fields.

    checkpoint  save here after every epoch (atomically), on Ctrl-C and at the end
    resume      continue exactly from this checkpoint (``epochs`` may be raised)
    """
    trainer = Trainer(method, data, callbacks=callbacks, checkpoint=checkpoint, **settings)
    return trainer.fit(resume=resume)


class KNNMonitor(Callback):
    """Logs kNN accuracy every ``every`` epochs (and after the last) into the epoch's history row.

    Each measurement embeds both splits with the backbone: on CIFAR-10 that is 60,000
    images per monitored epoch, minutes on a CPU. ``n`` keeps a seeded random subset of
    at most ``n`` samples of each split (the same subset every epoch), so the curve is
    cheaper and slightly lower than the kNN accuracy of the whole splits. ``log``, a
    function taking one line of text, hears of each measurement.
    """

    def __init__(self, train: Dataset, test: Dataset, every: int = 1, k: int = 200, n: int | None = None, log=None):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise WorkbenchError(f"KNNMonitor's every must be a whole number ≥ 1 (got {every!r}).")
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise WorkbenchError(f"KNNMonitor's n must be a whole number ≥ 1, or None for all samples (got {n!r}).")
        if n is not None:
            train, test = train.subset(n), test.subset(n)
        self.train, self.test, self.every, self.k, self.log = train, test, every, k, log

    def on_epoch_end(self, trainer, logs):
        if not distributed.is_main_process() or not (self.train.labelled and self.test.labelled):
            return   # process 0 measures and logs; a set without labels has nothing to score
        if logs["epoch"] % self.every == 0 or logs["epoch"] == trainer.config.epochs:
            backbone = trainer.method.backbone
            logs["knn"] = knn_accuracy(  # embed puts the backbone back in training mode afterwards
                embed(backbone, self.train), self.train.labels, embed(backbone, self.test), self.test.labels, k=self.k
            )
            if self.log:
                loss = f"loss {logs['loss']:.3f}, " if "loss" in logs else ""
                self.log(f"epoch {logs['epoch']}/{trainer.config.epochs}: {loss}kNN {100 * logs['knn']:.1f}%")


class AlignmentUniformityMonitor(Callback):
    """Logs Wang & Isola's :func:`~sslworkbench.evaluation.probes.alignment` and
    :func:`~sslworkbench.evaluation.probes.uniformity` of a fixed batch over training.

    ``images``: a fixed batch (e.g. 256 test images). At the start of training it draws two
    views of each with the method's own ``views.pairs``, once, from a generator seeded with
    ``seed`` (the training's random stream is left as it was, so training is unchanged),
    and keeps them. Before the first step, every ``every`` steps and after the last, it embeds
    both views through ``backbone`` then ``projector`` in eval mode without gradients
    (BatchNorm's running statistics are read, not updated) and records, in ``records``,
    ``{"step": steps done, "alignment": ..., "uniformity": ...}`` (uniformity: the mean of the
    two views' own); the step's history row gets the two numbers too. Needs a method with ``views`` and a ``projector``
    (SimCLR, BYOL, SimSiam, …). Each measurement is a forward pass of 2 × len(images)
    images, counted in the epoch's seconds.
    """

    def __init__(self, images: torch.Tensor, every: int = 5, seed: int = 0, alpha: float = 2.0, t: float = 2.0):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise WorkbenchError(f"AlignmentUniformityMonitor's every must be a whole number ≥ 1 (got {every!r}).")
        if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[0] < 2:
            what = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
            raise WorkbenchError(f"AlignmentUniformityMonitor needs a batch of at least 2 images (N, C, H, W); got {what}.")
        self.images, self.every, self.seed, self.alpha, self.t = images, every, seed, alpha, t
        self.records: list[dict] = []
        self._views = None

    def on_train_start(self, trainer):
        method = trainer.method
        if getattr(method, "views", None) is None or getattr(method, "projector", None) is None:
            raise WorkbenchError(
                f"AlignmentUniformityMonitor embeds through the method's views, backbone and projector; "
                f"{method.name} lacks {'views' if getattr(method, 'views', None) is None else 'a projector'}."
            )
        with torch.random.fork_rng(devices=[]):   # the CPU generator, restored afterwards
            torch.default_generator.manual_seed(self.seed)
            self._views = method.views.pairs(self.images.cpu())
        self.records = []
        self._measure(trainer, None)

    def on_step_end(self, trainer, logs):
        if trainer.step % self.every == 0 or trainer.step >= trainer.total_steps:
            self._measure(trainer, logs)

    @torch.no_grad()
    def _measure(self, trainer, logs):
        if not distributed.is_main_process():
            return
        method = trainer.method
        with eval_mode(method):
            z1, z2 = (method.projector(method.backbone(view.to(trainer.device))) for view in self._views)
        # uniformity of each view's embeddings, averaged (as the authors' loss): pairs of different images only
        record = {"step": trainer.step, "alignment": alignment(z1, z2, self.alpha),
                  "uniformity": (uniformity(z1, self.t) + uniformity(z2, self.t)) / 2}
        self.records.append(record)
        if logs is not None:
            logs["alignment"], logs["uniformity"] = record["alignment"], record["uniformity"]
