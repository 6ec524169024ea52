"""training/trainer.py: precision, channels-last and compile settings (issue #28).

The CPU default must stay exactly as it was: full precision, contiguous layout."""

import math
import shutil

import pytest
import torch

import sslworkbench as sw
from sslworkbench.errors import WorkbenchError
from sslworkbench.training.trainer import Callback, TrainConfig, Trainer, choose_channels_last, choose_precision

CPU, CUDA = torch.device("cpu"), torch.device("cuda")


def tiny_images(n=16, size=16):
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)
    return sw.ImageSet(images, torch.arange(n) % 2, ["a", "b"], name="tiny")


def tiny_simclr():
    torch.manual_seed(0)
    return sw.build_method("simclr", image_size=16, hidden_dim=32, projection_dim=16)


def train_tiny(**settings):
    method = tiny_simclr()
    history = sw.train(method, tiny_images(), epochs=1, batch_size=8, device="cpu", progress=False, **settings)
    return method, history


@pytest.mark.parametrize("bf16_supported, expected", [(True, (torch.bfloat16, False)), (False, (torch.float16, True))])
def test_auto_on_cuda_is_bf16_where_the_gpu_has_it_else_fp16_with_a_scaler(monkeypatch, bf16_supported, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16_supported)
    assert choose_precision(CUDA, "auto", amp=True) == expected


@pytest.mark.parametrize("device", [CUDA, CPU, torch.device("mps")])
def test_explicit_settings_on_every_device(monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: True)
    assert choose_precision(device, "bf16") == (torch.bfloat16, False)
    assert choose_precision(device, "fp32") == (None, False)
    for precision in ("auto", "bf16", "fp16", "fp32"):
        assert choose_precision(device, precision, amp=False) == (None, False)
    if device.type == "cuda":
        assert choose_precision(device, "fp16") == (torch.float16, True)
    else:
        assert choose_precision(device, "auto") == (None, False)   # the CPU path: full precision, as always


def test_fp16_on_cpu_is_refused_in_one_line():
    with pytest.raises(WorkbenchError, match="fp16.*needs CUDA.*bf16") as error:
        choose_precision(CPU, "fp16")
    assert "\n" not in str(error.value)
    with pytest.raises(WorkbenchError, match="needs CUDA"):
        Trainer(tiny_simclr(), tiny_images(), device="cpu", precision="fp16")


@pytest.mark.parametrize("setting", [{"precision": "half"}, {"channels_last": "yes"}, {"compile": 1.5}])
def test_bad_settings_are_refused(setting):
    with pytest.raises(WorkbenchError, match=f"Training setting {next(iter(setting))} must be"):
        TrainConfig(**setting)


def test_channels_last_default_is_on_for_images_on_cuda_only():
    assert choose_channels_last(CUDA, None, "images") is True
    assert choose_channels_last(CUDA, None, "tokens") is False
    assert choose_channels_last(CPU, None, "images") is False
    assert choose_channels_last(CPU, True, "images") is True
    assert choose_channels_last(CUDA, False, "images") is False


def test_bf16_on_cpu_trains_with_finite_losses_and_float32_weights():
    method, history = train_tiny(precision="bf16")
    assert len(history.losses) == 2 and all(math.isfinite(loss) for loss in history.losses)
    assert all(p.dtype == torch.float32 for p in method.parameters())


class ConvLayout(Callback):
    """Records, at every step, whether the backbone's conv weights are channels-last."""

    def __init__(self):
        self.layouts = []

    def on_step_end(self, trainer, logs):
        convs = [m for m in trainer.method.backbone.modules() if isinstance(m, torch.nn.Conv2d)]
        self.layouts.append(all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs) and bool(convs))


def test_channels_last_on_cpu_trains_with_channels_last_conv_weights():
    layout = ConvLayout()
    method = tiny_simclr()
    trainer = Trainer(method, tiny_images(), epochs=1, batch_size=8, device="cpu", progress=False,
                      channels_last=True, callbacks=[layout])
    history = trainer.fit()
    assert trainer.channels_last and layout.layouts == [True, True]
    assert all(math.isfinite(loss) for loss in history.losses)


def test_cpu_defaults_are_full_precision_and_give_the_fp32_numbers():
    trainer = Trainer(tiny_simclr(), tiny_images(), device="cpu")
    assert (trainer.precision_used, trainer.channels_last, trainer.scaler) == ("fp32", False, None)
    _, default = train_tiny()
    _, fp32 = train_tiny(precision="fp32")
    assert default.losses == fp32.losses


def test_compile_trains_one_step_on_cpu_keeping_state_dict_keys():
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("torch.compile on the CPU needs a C compiler, and none is installed")
    keys = list(tiny_simclr().state_dict())
    method, history = train_tiny(compile=True, max_steps=1)
    assert len(history.losses) == 1 and math.isfinite(history.losses[0])
    assert list(method.state_dict()) == keys
