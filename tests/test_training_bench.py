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
    assert capsys.readouterr().out == ""  # quiet
