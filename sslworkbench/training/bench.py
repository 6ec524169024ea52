"""Throughput figures: images/second of the view pipeline and of training steps.

    sslworkbench bench                   # or: python benchmarks/throughput.py
    sslworkbench bench --device cuda --batch-size 512
    sslworkbench bench --precision fp32 --channels-last off   # the GPU without its fast paths

Prints, on the current device:
  * views/s of our batched pipeline, and of torchvision's transforms applied
    one image at a time (what per-sample randomness costs without batching);
  * SimCLR training-step throughput (two views per image) per backbone: images/s,
    ms per step, the share of each step spent making views, and the achieved
    FLOP/s (the step's matrix products and convolutions, counted by
    ``recipe.flops_per_step``, over its seconds), with the precision and memory
    layout the trainer would choose (``trainer.choose_precision``,
    ``choose_channels_last``) unless ``precision`` / ``channels_last`` are given.
"""

from __future__ import annotations

import time

import torch

from ..data import ImageSet
from ..methods import build_method
from ..runtime import pick_device
from ..views.images import make_views, simclr_views
from .recipe import flops_per_step
from .trainer import autocast, choose_channels_last, choose_precision, precision_name, to_channels_last


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def seconds_per_call(function, device, repeats: int) -> float:
    """Median seconds of ``function()`` over ``repeats`` runs, after one warm-up."""
    function()
    _synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        _synchronize(device)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _fake_images(n: int, size: int, device) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator).to(device)


def views_per_second(batch_size: int = 256, size: int = 32, device="auto", repeats: int = 5) -> float:
    device = pick_device(device)
    images = _fake_images(batch_size, size, device)
    config = simclr_views(size)
    return batch_size / seconds_per_call(lambda: make_views(images, config), device, repeats)


def torchvision_loop_views_per_second(batch_size: int = 256, size: int = 32, repeats: int = 3) -> float:
    """The same pipeline with torchvision.transforms.v2, one image at a time (CPU)."""
    from torchvision.transforms import v2

    config = simclr_views(size)
    pipeline = v2.Compose(
        [
            v2.RandomResizedCrop(size, scale=config.scale, ratio=config.ratio, antialias=False),
            v2.RandomHorizontalFlip(config.flip_p),
            v2.RandomApply([v2.ColorJitter(config.brightness, config.contrast, config.saturation, config.hue)], p=config.jitter_p),
            v2.RandomGrayscale(config.grayscale_p),
        ]
    )
    images = _fake_images(batch_size, size, "cpu").float().div(255)
    return batch_size / seconds_per_call(lambda: torch.stack([pipeline(image) for image in images]), torch.device("cpu"), repeats)


def step_flops(method: str, backbone: str, images: torch.Tensor, labels: torch.Tensor) -> int:
    """Floating-point operations of one training step on these images: ``recipe.flops_per_step``
    (one step of the recipe, counted by PyTorch), on the bench's device."""
    data = ImageSet(images.cpu(), labels.cpu(), [str(c) for c in range(10)], name="bench")
    return flops_per_step(method, data, backbone=backbone, batch_size=len(images), device=str(images.device),
                          progress=False)


def training_step_rate(backbone: str = "small_cnn", batch_size: int = 256, size: int = 32, device="auto", repeats: int = 5,
                       method: str = "simclr", precision: str = "auto", channels_last: bool | None = None) -> dict:
    """Training steps of ``method`` on random images: images/s (counting each
    source image once), seconds per step, the fraction of the step spent making
    the views, and the achieved FLOP/s; in the trainer's precision and layout."""
    device = pick_device(device)
    autocast_dtype, needs_scaler = choose_precision(device, precision)
    channels_last = choose_channels_last(device, channels_last, "images")
    torch.manual_seed(0)
    model = build_method(method, backbone=backbone, image_size=size).to(device)   # the backbone is built for size too
    images = _fake_images(batch_size, size, device)
    labels = torch.arange(batch_size, device=device) % 10  # for the supervised baseline; the others ignore them
    flops = step_flops(method, backbone, images, labels)
    if channels_last:
        model.to(memory_format=torch.channels_last)
        images = to_channels_last(images)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cuda") if needs_scaler else None

    def step():
        optimizer.zero_grad(set_to_none=True)
        with autocast(device, autocast_dtype):
            loss = model.training_step((images, labels))["loss"]
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

    step_seconds = seconds_per_call(step, device, repeats)
    make_views_of = model.views.pairs if model.uses_dataset_views else model.views  # two views, or one
    views_seconds = seconds_per_call(lambda: make_views_of(images), device, repeats)
    return {
        "method": method,
        "backbone": backbone,
        "device": str(device),
        "batch_size": batch_size,
        "precision": precision_name(autocast_dtype),
        "channels_last": channels_last,
        "images_per_second": batch_size / step_seconds,
        "step_seconds": step_seconds,
        "views_share": views_seconds / step_seconds,
        "flops_per_step": flops,
        "flops_per_second": flops / step_seconds,
    }


def _flop_rate(value: float) -> str:
    """4.2e12 → "4.20 TFLOP/s": the unit a reader compares with the card's datasheet."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6)):
        if value >= scale:
            return f"{value / scale:.2f} {unit}FLOP/s"
    return f"{value:.0f} FLOP/s"


def run_benchmarks(device="auto", batch_size: int = 256, repeats: int = 5, backbones=("small_cnn", "resnet18"), quiet: bool = False,
                   precision: str = "auto", channels_last: bool | None = None) -> list[dict]:
    say = (lambda *a: None) if quiet else print
    device = pick_device(device)
    choose_precision(device, precision)   # refuses fp16 off CUDA before any figure is measured
    threads = torch.get_num_threads()
    say(f"device: {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else f" ({threads} threads)"))
    rows = []
    rate = views_per_second(batch_size, device=device, repeats=repeats)
    rows.append({"what": "views (batched, ours)", "device": str(device), "images_per_second": rate})
    say(f"views, batched (ours):            {rate:10.0f} images/s")
    if device.type == "cpu":
        loop = torchvision_loop_views_per_second(batch_size, repeats=max(1, repeats // 2))
        rows.append({"what": "views (torchvision, per image)", "device": "cpu", "images_per_second": loop})
        say(f"views, torchvision one at a time: {loop:10.0f} images/s")
    for backbone in backbones:
        # ResNet-18 is slow on a CPU (its line below says how slow): a smaller batch keeps this short
        batch = batch_size if (device.type != "cpu" or backbone == "small_cnn") else min(batch_size, 32)
        result = training_step_rate(backbone, batch, device=device, repeats=repeats if backbone == "small_cnn" or device.type != "cpu" else 1,
                                    precision=precision, channels_last=channels_last)
        rows.append({"what": f"simclr step ({backbone})", **result})
        layout = "channels-last" if result["channels_last"] else "NCHW"
        say(
            f"simclr step, {backbone:10s} batch {batch:4d}, {result['precision']} {layout}: "
            f"{result['images_per_second']:8.0f} images/s ({result['step_seconds'] * 1000:.0f} ms/step, "
            f"{_flop_rate(result['flops_per_second'])}; views take {100 * result['views_share']:.1f}% of it)"
        )
    return rows
