"""runtime.py: the device, seeding, the smoke-mode switch and a temporary eval mode."""

import random

import numpy as np
import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.runtime import eval_mode, is_smoke_env, pick_device, seed_everything


def test_pick_device_names_and_devices():
    assert pick_device("cpu") == torch.device("cpu") and pick_device("CPU") == torch.device("cpu")
    given = torch.device("cpu")
    assert pick_device(given) is given
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert pick_device("auto") == torch.device("cpu")


def test_an_unknown_device_is_one_clear_error():
    with pytest.raises(WorkbenchError, match="Unknown device 'tpu'. Use one of: auto, cpu, cuda, mps"):
        pick_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_one_clear_error():
    with pytest.raises(WorkbenchError, match="no CUDA GPU"):
        pick_device("cuda:0")


def test_seed_everything_makes_every_generator_repeat():
    def draws():
        return random.random(), np.random.rand(), torch.rand(3)

    seed_everything(7)
    first = draws()
    seed_everything(7)
    again = draws()
    seed_everything(8)
    other = draws()
    assert first[:2] == again[:2] and torch.equal(first[2], again[2])
    assert first[0] != other[0] and first[1] != other[1] and not torch.equal(first[2], other[2])


@pytest.mark.parametrize("value, smoke", [("", False), ("0", False), ("false", False), ("1", True), ("yes", True)])
def test_is_smoke_env(monkeypatch, value, smoke):
    monkeypatch.setenv("SSLWB_SMOKE", value)
    assert is_smoke_env() is smoke


def test_eval_mode_restores_the_mode_it_found_also_after_an_error():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    net.train()
    with eval_mode(net) as inside:
        assert inside is net and not net.training and not net[1].training
    assert net.training and net[1].training
    with pytest.raises(RuntimeError), eval_mode(net):
        raise RuntimeError("a failing cell")
    assert net.training
    net.eval()
    with eval_mode(net):
        pass
    assert not net.training  # a module in eval mode stays in eval mode


def test_cpu_training_hands_freed_memory_back_every_few_steps(monkeypatch):
    import sys

    import sslworkbench as sw
    from sslworkbench import runtime

    train_module = sys.modules["sslworkbench.training.trainer"]  # the module (sw.train is its function)

    calls = []
    monkeypatch.setattr(train_module, "release_freed_memory", lambda: calls.append(1))
    data = sw.load_dataset("shapes", n=64)
    method = sw.build_method("rotation", backbone_options={"width": 8, "depth": 2})
    sw.train(method, data, epochs=3, batch_size=8, progress=False, device="cpu")  # 24 steps
    assert len(calls) == 24 // runtime.RELEASE_EVERY + 1  # every 10 steps, and once at the end
    runtime.release_freed_memory()  # and the real one runs here (a no-op without glibc)
