"""Training on several devices: what PyTorch's ``torchrun`` starts, and what SSL needs on top.

    torchrun --nproc_per_node 2 -m sslworkbench pretrain simclr --epochs 10      # one machine, 2 processes
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv-backend c10d \\
             --rdzv-endpoint host0:29400 -m sslworkbench pretrain simclr ...     # the same on two machines

``torchrun`` starts one process per device and tells each, in its environment, who it is
(``RANK`` of ``WORLD_SIZE``; ``LOCAL_RANK``, its device on this machine). The trainer then wraps
the method in PyTorch's ``DistributedDataParallel``, which averages the gradients of all processes
after every backward pass. Each process takes its share of every global batch.

Averaging gradients is all a method needs when its loss is a mean over samples that each need
only themselves (rotation, MAE, BYOL, …). It is not enough when a sample's loss reads the *other*
samples of the batch: SimCLR's negatives are the whole batch, so with local negatives only, two
processes of 128 images each would train with 254 negatives instead of 510 — an easier task and a
different method. Such a method gathers what its loss compares from every process, with
:func:`gather`, whose backward pass sends each process the gradients of its own rows.

BatchNorm has the same problem in another place: each process would normalise by its own share's
statistics. SimCLR's paper calls the fix *global BN*: the statistics of the whole batch
(:class:`GlobalBatchNorm` on CPU processes, PyTorch's ``SyncBatchNorm`` on GPUs).

Outside ``torchrun`` every function here is the identity of one process, so the library and the
notebooks run unchanged.
"""

from __future__ import annotations

import gc
import os

import torch
import torch.distributed as dist
from torch import nn

from .errors import WorkbenchError
from .runtime import pick_device

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def started_by_torchrun() -> bool:
    """True in a process that ``torchrun`` started (it sets these variables)."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


def is_distributed() -> bool:
    """True when a process group of more than one process is set up."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    """This process's number, 0 … world_size − 1 (0 without torchrun)."""
    return dist.get_rank() if is_distributed() else 0


def is_main_process() -> bool:
    """Only process 0 prints, logs and writes checkpoints."""
    return rank() == 0


def setup(device: str | torch.device = "auto") -> torch.device:
    """The device of this process, and the process group when ``torchrun`` started it.

    Under ``torchrun`` each process takes the GPU of its ``LOCAL_RANK`` (``"auto"`` or ``"cuda"``)
    and joins the group with NCCL; CPU processes (no GPU, or ``device="cpu"``) join with Gloo.
    Without ``torchrun`` this is :func:`~sslworkbench.runtime.pick_device`. Calling it again is harmless."""
    if not started_by_torchrun():
        return pick_device(device)
    requested = str(device).lower()
    local_rank = int(os.environ["LOCAL_RANK"])
    if requested.startswith("cuda:") and requested != f"cuda:{local_rank}":
        raise WorkbenchError(
            f"under torchrun each process takes the GPU of its LOCAL_RANK: use device 'cuda' or 'auto', "
            f"not {requested!r} (to choose GPUs, set CUDA_VISIBLE_DEVICES)."
        )
    if requested in ("auto", "cuda", f"cuda:{local_rank}") and torch.cuda.is_available():
        if local_rank >= torch.cuda.device_count():
            raise WorkbenchError(
                f"torchrun started process {local_rank} on this machine and PyTorch sees "
                f"{torch.cuda.device_count()} GPU(s): give --nproc_per_node at most the number of GPUs."
            )
        torch.cuda.set_device(local_rank)
        chosen = torch.device("cuda", local_rank)
    elif requested in ("auto", "cpu"):
        chosen = torch.device("cpu")  # Apple's MPS has no process-group backend: CPU processes
    else:
        chosen = pick_device(requested)   # 'cuda' without a GPU, or an unknown name: its own message
    if not dist.is_initialized():
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return chosen


def leave(finished: bool = True) -> None:
    """End this process's part in the group (the CLI calls it when a command ends).

    ``finished``: every process got here the same way, so they first wait for each other and no
    process closes its connections while another still reads from them. After an error the
    others may never come, so a process that failed leaves at once."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    if finished:
        dist.barrier()
    # DistributedDataParallel's reducer keeps the group alive from inside reference cycles: free it
    # now, while Python is whole. Left to the interpreter's shutdown, Gloo's threads can abort the
    # process ("terminate called without an active exception") after the work is done.
    gc.collect()
    dist.destroy_process_group()


# -- what SSL needs on top of averaged gradients ----------------------------------------------

class _GatherWithGradients(torch.autograd.Function):
    """All-gather whose backward pass returns to each process the gradient of its own rows.

    Every process computes the loss of the whole gathered batch, so the rows of process r get a
    gradient from every process's loss: the backward pass sums them (an all-reduce) and keeps
    rows r. (``torch.distributed.nn.functional.all_gather`` does the same and is deprecated; its
    replacement lives in a private module. These dozen lines are the whole idea.)"""

    @staticmethod
    def forward(ctx, tensor):
        parts = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, tensor.contiguous())
        ctx.rows = tensor.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous()
        dist.all_reduce(grad)
        start = dist.get_rank() * ctx.rows
        return grad[start : start + ctx.rows]


def gather(tensor: torch.Tensor) -> torch.Tensor:
    """Every process's ``tensor`` (same shape on each), stacked along the first dimension in rank
    order — the global batch — keeping the gradients of this process's rows. One process: ``tensor``."""
    if not is_distributed():
        return tensor
    if tensor.requires_grad:
        return _GatherWithGradients.apply(tensor)
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts)


def own_rows(tensor: torch.Tensor) -> torch.Tensor:
    """This process's rows of a gathered ``tensor`` (the inverse of :func:`gather`)."""
    rows = tensor.shape[0] // world_size()
    return tensor[rank() * rows : (rank() + 1) * rows]


def mean_over_processes(tensor: torch.Tensor) -> torch.Tensor:
    """The mean of ``tensor`` over the processes (no gradient): a logged loss, DINO's centre."""
    if not is_distributed():
        return tensor
    total = tensor.detach().clone()
    dist.all_reduce(total)
    return total / world_size()


def barrier() -> None:
    """Wait until every process gets here (after process 0 writes a file the others will read)."""
    if is_distributed():
        dist.barrier()


def from_every_process(value) -> list:
    """``value`` of every process, in rank order (any picklable object: random states)."""
    if not is_distributed():
        return [value]
    values = [None] * world_size()
    dist.all_gather_object(values, value)
    return values


def all_processes_agree(flag: bool, device: torch.device) -> bool:
    """True only if ``flag`` is True on every process (a finite loss): all stop, or none does."""
    if not is_distributed():
        return flag
    value = torch.tensor(1.0 if flag else 0.0, device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MIN)
    return bool(value.item())


class _SumOverProcesses(torch.autograd.Function):
    """All-reduce (sum) whose backward pass is the same all-reduce: each process's input reaches
    every process's output, so its gradient is the sum of theirs."""

    @staticmethod
    def forward(ctx, tensor):
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm over the whole global batch: the per-channel count, sum and sum of squares of
    every process, added with an all-reduce (which the backward pass mirrors), give the mean and
    variance of all samples. SimCLR's "global BN".

    PyTorch's ``SyncBatchNorm`` does this on GPUs and refuses CPU tensors; this module is what the
    trainer uses for processes on CPUs (Gloo). One process, or evaluation mode: plain BatchNorm.
    It holds the same parameters and buffers as ``BatchNorm1d/2d``, so checkpoints are the same."""

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise WorkbenchError(f"GlobalBatchNorm needs (N, C, ...) inputs, got shape {tuple(input.shape)}.")

    def forward(self, x):
        if not (self.training and is_distributed()):
            return super().forward(x)
        dims = [0] + list(range(2, x.dim()))                     # all but the channels
        count = torch.full((1,), x.numel() / x.shape[1], device=x.device)
        local = torch.cat([x.sum(dims), (x * x).sum(dims)]).float()   # (2C,): sums and sums of squares
        total = _SumOverProcesses.apply(torch.cat([local, count]))     # … of every process, one all-reduce
        sums, n = total[:-1], total[-1]
        mean, mean_of_squares = (sums / n).chunk(2)
        variance = mean_of_squares - mean * mean                   # biased, as BatchNorm normalises
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                momentum = self.momentum if self.momentum is not None else 1 / float(self.num_batches_tracked)
                unbiased = variance * n / (n - 1).clamp(min=1)   # the running variance is unbiased, as in BatchNorm
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), momentum)
                self.running_var.lerp_(unbiased.to(self.running_var.dtype), momentum)
        shape = [1, -1] + [1] * (x.dim() - 2)
        out = (x - mean.view(shape).to(x.dtype)) * torch.rsqrt(variance.view(shape) + self.eps).to(x.dtype)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def _replace_batch_norms(module: nn.Module, make) -> nn.Module:
    """``module`` with every BatchNorm replaced by ``make(old)``, which keeps the same parameters and
    buffers (the optimiser keeps pointing at them)."""
    for name, child in module.named_children():
        replacement = make(child)
        if replacement is not None:
            replacement.weight, replacement.bias = child.weight, child.bias
            replacement.running_mean, replacement.running_var = child.running_mean, child.running_var
            replacement.num_batches_tracked = child.num_batches_tracked
            replacement.train(child.training)
            setattr(module, name, replacement)
        else:
            _replace_batch_norms(child, make)
    return module


def _like(child: nn.Module, cls) -> nn.Module:
    return cls(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)


def use_global_batch_norm(module: nn.Module, device: torch.device) -> int:
    """Make every BatchNorm of ``module`` normalise over the global batch: PyTorch's
    ``SyncBatchNorm`` on CUDA, :class:`GlobalBatchNorm` on CPUs. Returns how many were replaced."""
    replaced = 0
    cls = nn.SyncBatchNorm if device.type == "cuda" else GlobalBatchNorm

    def make(child):
        nonlocal replaced
        plain = isinstance(child, nn.modules.batchnorm._BatchNorm) and not isinstance(child, (GlobalBatchNorm, nn.SyncBatchNorm))
        if not plain:
            return None
        replaced += 1
        replacement = _like(child, cls)
        replacement.local_class = type(child)   # what use_local_batch_norm puts back
        return replacement

    _replace_batch_norms(module, make)
    return replaced


def use_local_batch_norm(module: nn.Module) -> None:
    """Undo :func:`use_global_batch_norm` (after training): plain ``BatchNorm1d/2d/3d`` again."""

    def make(child):
        if not isinstance(child, (GlobalBatchNorm, nn.SyncBatchNorm)):
            return None
        return _like(child, getattr(child, "local_class", nn.BatchNorm2d))

    _replace_batch_norms(module, make)


class TrainingStep(nn.Module):
    """A method seen as a module whose ``forward`` is its ``training_step``: what
    ``DistributedDataParallel`` wraps (it hooks ``forward`` to average the gradients)."""

    def __init__(self, method: nn.Module):
        super().__init__()
        self.method = method

    def forward(self, batch):
        return self.method.training_step(batch)


def wrap_for_training(method: nn.Module, device: torch.device) -> nn.Module:
    """``method`` wrapped in ``DistributedDataParallel`` (its weights are now process 0's on every
    process). ``find_unused_parameters``: some methods leave a part out of some steps (SwAV's
    prototypes are frozen at first; a target network learns by EMA)."""
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(TrainingStep(method), device_ids=device_ids, find_unused_parameters=True)


__all__ = [
    "GlobalBatchNorm", "TrainingStep", "all_processes_agree", "barrier", "from_every_process", "gather", "is_distributed", "is_main_process",
    "leave", "mean_over_processes", "own_rows", "rank", "setup",
    "started_by_torchrun", "use_global_batch_norm", "use_local_batch_norm", "world_size", "wrap_for_training",
]
