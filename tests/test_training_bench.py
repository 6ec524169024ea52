"""training/bench.py: the throughput figures (`sslworkbench bench`), at a tiny size."""

import math

from sslworkbench.training.bench import run_benchmarks


def test_run_benchmarks_returns_one_row_per_figure(capsys):
    rows = run_benchmarks("cpu", batch_size=4, repeats=1, backbones=("small_cnn",), quiet=True)
    assert [row["what"] for row in rows] == [
        "views (batched, ours)", "views (torchvision, per image)", "simclr step (small_cnn)",
    ]
    assert all(row["device"] == "cpu" and math.isfinite(row["images_per_second"]) and row["images_per_second"] > 0
               for row in rows)
    step = rows[-1]
    assert step["backbone"] == "small_cnn" and step["batch_size"] == 4 and step["step_seconds"] > 0
    assert step["views_share"] > 0
    # the trainer's CPU choice (full precision, NCHW) and the FLOP/s of recipe.flops_per_step's count
    assert step["precision"] == "fp32" and step["channels_last"] is False
    assert step["flops_per_step"] > 0 and step["flops_per_second"] == step["flops_per_step"] / step["step_seconds"]
    assert capsys.readouterr().out == ""  # quiet


def test_run_benchmarks_takes_the_precision_and_layout_asked_for():
    rows = run_benchmarks("cpu", batch_size=4, repeats=1, backbones=("small_cnn",), quiet=True,
                          precision="bf16", channels_last=True)
    assert (rows[-1]["precision"], rows[-1]["channels_last"]) == ("bf16", True)
    assert math.isfinite(rows[-1]["images_per_second"])
