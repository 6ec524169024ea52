"""Training on several processes (``sslworkbench/distributed.py``), tested on this CPU with Gloo.

Two processes must compute what one process holding the whole batch computes:
the gathered NT-Xent and CLIP losses and the gradients that reach the weights, and
a few steps of SimCLR with global BatchNorm. The command line runs under torchrun,
writes one checkpoint and resumes it. Each multi-process test starts its processes
with ``torch.multiprocessing`` (as torchrun would: RANK, WORLD_SIZE, … in their
environment) and reads back what each wrote.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

import sslworkbench as sw
from sslworkbench import distributed
from sslworkbench.losses import clip_loss, nt_xent
from sslworkbench.methods import METHODS
from sslworkbench.training.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]
WORLD = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_processes(worker, *args, world=WORLD) -> None:
    """Run ``worker(rank, *args)`` in ``world`` processes that see torchrun's variables."""
    mp.spawn(_as_torchrun, args=(worker, free_port(), world, *args), nprocs=world, join=True)


def _as_torchrun(rank, worker, port, world, *args):
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    distributed.setup("cpu")
    finished = False
    try:
        worker(rank, *args)
        finished = True
    finally:
        distributed.leave(finished)


# -- the gathered losses and their gradients ---------------------------------------------------

def the_batch():
    generator = torch.Generator().manual_seed(0)
    x1, x2 = torch.randn(8, 5, generator=generator), torch.randn(8, 5, generator=generator)
    captions = torch.randn(8, 6, generator=generator)
    return x1, x2, captions


def encoders():
    torch.manual_seed(1)
    return nn.Linear(5, 4), nn.Linear(6, 4), nn.Parameter(torch.tensor(3.0))


def losses_and_gradients(x1, x2, captions, gather, wrap=lambda module: module):
    """NT-Xent of two views and CLIP's loss of images and captions through small encoders; the
    gradients that reach the encoders' weights."""
    image_encoder, text_encoder, logit_scale = encoders()
    image_model, text_model = wrap(image_encoder), wrap(text_encoder)
    z1, z2 = image_model(x1), image_model(x2)
    simclr = nt_xent(gather(z1), gather(z2), 0.5)
    simclr.backward()
    u, v = image_model(x1), text_model(captions)
    image_encoder.zero_grad()
    clip = clip_loss(gather(u), gather(v), logit_scale)
    clip.backward()
    return {
        "nt_xent": simclr.detach(), "clip": clip.detach(),
        "clip image weights": image_encoder.weight.grad.clone(), "clip text weights": text_encoder.weight.grad.clone(),
        "clip logit scale": logit_scale.grad.clone(),
    }


def nt_xent_gradient(x1, x2, gather, wrap=lambda module: module):
    image_encoder, _, _ = encoders()
    model = wrap(image_encoder)
    nt_xent(gather(model(x1)), gather(model(x2)), 0.5).backward()
    return image_encoder.weight.grad.clone()


def _losses_worker(rank, out):
    x1, x2, captions = the_batch()
    rows = slice(rank * 4, (rank + 1) * 4)   # this process's share of the global batch
    ddp = lambda module: torch.nn.parallel.DistributedDataParallel(module)  # noqa: E731
    results = losses_and_gradients(x1[rows], x2[rows], captions[rows], distributed.gather, ddp)
    results["nt_xent weights"] = nt_xent_gradient(x1[rows], x2[rows], distributed.gather, ddp)
    results["local negatives: nt_xent weights"] = nt_xent_gradient(x1[rows], x2[rows], lambda z: z, ddp)
    torch.save(results, Path(out) / f"rank{rank}.pt")


def test_gathered_losses_and_gradients_equal_one_process_with_the_whole_batch(tmp_path):
    x1, x2, captions = the_batch()
    whole = losses_and_gradients(x1, x2, captions, lambda z: z)
    whole["nt_xent weights"] = nt_xent_gradient(x1, x2, lambda z: z)
    run_processes(_losses_worker, str(tmp_path))
    for rank in range(WORLD):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        for name, value in whole.items():
            assert torch.allclose(got[name], value, atol=1e-6), (rank, name, got[name], value)
        # without gathering, each process's negatives are its own share: another loss, other gradients
        assert not torch.allclose(got["local negatives: nt_xent weights"], whole["nt_xent weights"], atol=1e-4)


# -- SimCLR with global BatchNorm: 2 processes end where 1 process ends ------------------------

SAME_VIEWS = {"scale": (1.0, 1.0), "ratio": (1.0, 1.0), "flip_p": 0.0, "jitter_p": 0.0, "grayscale_p": 0.0}


def tiny_images(n=16, size=16):
    generator = torch.Generator().manual_seed(2)
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)
    return sw.ImageSet(images, torch.arange(n) % 4, [f"c{i}" for i in range(4)], name="tiny")


def train_simclr():
    """Three steps of SimCLR whose views are the images themselves, on 16 images, one global batch
    (the loss and BatchNorm do not depend on the order of the batch, and one and two processes draw
    their orders from different generators), with SGD (Adam's first steps divide by the gradients'
    size and magnify float noise)."""
    torch.manual_seed(0)
    method = sw.build_method("simclr", image_size=16, views=SAME_VIEWS, hidden_dim=32, projection_dim=16)
    trainer = Trainer(method, tiny_images(), epochs=3, batch_size=16, optimizer="sgd", lr=0.1,
                      device="cpu", progress=False, warmup_epochs=0.0)
    trainer.fit()
    return method, trainer


def _simclr_worker(rank, out):
    method, trainer = train_simclr()
    assert trainer.global_batch_norm and trainer.local_batch_size == 8
    assert not any(isinstance(m, distributed.GlobalBatchNorm) for m in method.modules())   # put back after fit
    torch.save({"weights": method.state_dict(), "losses": trainer.history.losses}, Path(out) / f"rank{rank}.pt")


def test_simclr_on_two_processes_ends_with_one_process_weights(tmp_path):
    one, trainer = train_simclr()
    assert trainer.world == 1 and not trainer.global_batch_norm
    run_processes(_simclr_worker, str(tmp_path))
    for rank in range(WORLD):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        assert got["losses"] == pytest.approx(trainer.history.losses, abs=1e-5)
        for name, value in one.state_dict().items():
            assert torch.allclose(got["weights"][name].float(), value.float(), atol=2e-5), (rank, name)


def _batch_norm_worker(rank, out):
    torch.manual_seed(3)
    x = torch.randn(8, 3, 4, 4) * 2 + 1
    layer = nn.BatchNorm2d(3)
    layer.weight.data.uniform_()
    global_layer = nn.Sequential(nn.BatchNorm2d(3))
    global_layer[0].load_state_dict(layer.state_dict())
    assert distributed.use_global_batch_norm(global_layer, torch.device("cpu")) == 1
    share = x[rank * 4 : (rank + 1) * 4].clone().requires_grad_()
    y = global_layer(share)
    (y * torch.arange(y.numel()).view_as(y)).sum().backward()
    torch.save({"y": y.detach(), "grad": share.grad, "running_var": global_layer[0].running_var}, Path(out) / f"rank{rank}.pt")


def test_global_batch_norm_normalises_with_the_whole_batch(tmp_path):
    torch.manual_seed(3)
    x = (torch.randn(8, 3, 4, 4) * 2 + 1).requires_grad_()
    layer = nn.BatchNorm2d(3)
    layer.weight.data.uniform_()
    y = layer(x)
    (y * torch.cat([torch.arange(y[:4].numel()).view_as(y[:4])] * 2)).sum().backward()
    run_processes(_batch_norm_worker, str(tmp_path))
    for rank in range(WORLD):
        got = torch.load(tmp_path / f"rank{rank}.pt")
        rows = slice(rank * 4, (rank + 1) * 4)
        assert torch.allclose(got["y"], y[rows].detach(), atol=1e-5)
        assert torch.allclose(got["grad"], x.grad[rows], atol=1e-4)
        assert torch.allclose(got["running_var"], layer.running_var, atol=1e-5)


def resumed_and_straight(folder: Path):
    """SimCLR on 32 images, batch 16, 2 epochs (4 steps): straight, and stopped after 3 steps then
    resumed from the checkpoint (a constant learning rate: stopping early does not change it)."""
    runs = {}
    for name, steps in (("straight", None), ("resumed", 3)):
        torch.manual_seed(0)
        method = sw.build_method("simclr", image_size=16, hidden_dim=32, projection_dim=16)
        settings = dict(epochs=2, batch_size=16, device="cpu", progress=False, schedule="constant", warmup_epochs=0.0)
        trainer = Trainer(method, tiny_images(32), max_steps=steps, checkpoint=folder / f"{name}.pt", **settings)
        trainer.fit()
        if steps:
            method = sw.build_method("simclr", image_size=16, hidden_dim=32, projection_dim=16)
            trainer = Trainer(method, tiny_images(32), checkpoint=folder / f"{name}.pt", **settings)
            trainer.fit(resume=folder / f"{name}.pt")
            assert "exactly the run that was interrupted" in trainer.resume_note, trainer.resume_note
        runs[name] = {"weights": method.state_dict(), "losses": trainer.history.losses}
    return runs


def _resume_worker(rank, out):
    runs = resumed_and_straight(Path(out))
    torch.save(runs, Path(out) / f"rank{rank}.runs")


def test_resuming_with_the_same_number_of_processes_is_exact(tmp_path):
    run_processes(_resume_worker, str(tmp_path))
    for rank in range(WORLD):
        runs = torch.load(tmp_path / f"rank{rank}.runs")
        assert runs["resumed"]["losses"] == runs["straight"]["losses"]
        for name, value in runs["straight"]["weights"].items():
            assert torch.equal(runs["resumed"]["weights"][name], value), name


def _one_process_worker(rank, out):
    _, trainer = train_simclr()
    torch.save(trainer.history.losses, Path(out) / "losses.pt")


def test_torchrun_with_one_process_is_the_one_process_trainer(tmp_path):
    run_processes(_one_process_worker, str(tmp_path), world=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # as the worker: another thread count sums in another order
    try:
        here = train_simclr()[1].history.losses
    finally:
        torch.set_num_threads(threads)
    assert torch.load(tmp_path / "losses.pt") == pytest.approx(here, rel=1e-4)   # float noise only: a few units in the 6th digit seen in the full suite


# -- one process: nothing changes ---------------------------------------------------------------

def test_one_process_needs_nothing_of_it():
    z = torch.randn(4, 3, requires_grad=True)
    assert distributed.gather(z) is z and distributed.world_size() == 1 and distributed.is_main_process()
    assert distributed.from_every_process("x") == ["x"]
    assert distributed.all_processes_agree(False, torch.device("cpu")) is False


def test_global_batch_norm_swaps_in_and_out_keeping_weights_and_state():
    torch.manual_seed(0)
    method = sw.build_method("simclr")
    before = {k: v.clone() for k, v in method.state_dict().items()}
    parameters = [id(p) for p in method.parameters()]
    replaced = distributed.use_global_batch_norm(method, torch.device("cpu"))
    assert replaced == sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in method.modules()) > 0
    assert [id(p) for p in method.parameters()] == parameters   # the optimiser keeps pointing at them
    assert method.state_dict().keys() == before.keys()          # checkpoints are alike
    x = torch.rand(6, 3, 32, 32)
    local = sw.build_method("simclr")
    local.load_state_dict(before)
    assert torch.allclose(method.backbone(x), local.backbone(x), atol=1e-5)   # one process: plain BatchNorm
    distributed.use_local_batch_norm(method)
    assert not any(isinstance(m, distributed.GlobalBatchNorm) for m in method.modules())
    assert {type(m) for m in method.modules()} == {type(m) for m in local.modules()}


def test_every_method_that_gathers_says_so():
    """``across_devices = "gathers"`` exactly where ``training_step`` (or a helper) calls ``self.gather``."""
    for name in METHODS.names():
        cls = METHODS[name]
        source = "".join(inspect.getsource(klass) for klass in cls.__mro__
                         if klass.__module__.startswith("sslworkbench.methods") and klass.__name__ != "Method")
        calls = "self.gather(" in source
        assert calls == (cls.across_devices == "gathers"), name
        if cls.across_devices == "one process":
            assert cls.one_process_reason, name


def test_what_several_processes_cannot_train_is_refused_in_one_line():
    from sslworkbench.training.trainer import check_distributed

    with pytest.raises(sw.WorkbenchError, match="cpc cannot train on several processes: its negatives"):
        check_distributed(sw.build_method("cpc"), 32, 2)
    with pytest.raises(sw.WorkbenchError, match="does not split evenly over 2 processes: use a multiple of 2"):
        check_distributed(sw.build_method("simclr"), 15, 2)


# -- the command line under torchrun -------------------------------------------------------------

def readme_command() -> list[str]:
    """The README's single-node command (section "More than one GPU"), as written there."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^torchrun --standalone --nproc_per_node 2 -m sslworkbench pretrain .*$", text, re.M)
    assert line, "README.md: the single-node torchrun command is missing"
    return line.group(0).split("#")[0].split()


def run_cli(args, tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1"}
    done = subprocess.run([torchrun, *args[1:]], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_the_readme_command_trains_checkpoints_and_resumes_under_torchrun(tmp_path):
    tiny = ["--dataset", "digits", "--n-train", "96", "--n-test", "48", "--batch-size", "32", "--epochs", "1",
            "--no-baselines", "--json", "--device", "cpu", "--k", "20"]
    command = readme_command() + tiny   # the later flag wins: a tiny run of the README's command
    first = run_cli(command + ["--out", "run.pt"], tmp_path)
    lines = first.stdout.strip().splitlines()
    assert len(lines) == 1, first.stdout   # process 0 alone prints: one JSON line
    report = json.loads(lines[0])
    assert report["processes"] == 2 and report["steps"] == 3 and report["results"]["simclr"]["knn"] > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt"]   # one checkpoint, written once
    stored = torch.load(tmp_path / "run.pt", weights_only=True)
    assert len(stored["rng"]["processes"]) == 2 and stored["train_config"]["batch_size"] == 32

    resumed = json.loads(run_cli(command + ["--resume", "run.pt", "--epochs", "2"], tmp_path).stdout.strip())
    assert resumed["steps"] == 6 and resumed["new_steps"] == 3
    assert "exactly the run that was interrupted" not in resumed["resume"]   # 2 epochs instead of 1: stretched

    # one process continues a two-process checkpoint: the same batches, new random views, said so
    one = subprocess.run([sys.executable, "-m", "sslworkbench", "pretrain", "simclr", *tiny, "--resume", "run.pt",
                          "--epochs", "3"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert one.returncode == 0, one.stderr[-3000:]
    assert "trained by 2 processes and continues on 1" in json.loads(one.stdout.strip().splitlines()[-1])["resume"]
