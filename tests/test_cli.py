"""The command line, run as a user runs it: a real subprocess, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

TINY = [
    "--n-train", "96", "--n-test", "64", "--batch-size", "32",
    "--set", 'backbone_options={"width": 8, "depth": 2}', "--set", "hidden_dim=32", "--set", "projection_dim=16",
]


def run_cli(*args, cwd=None):
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "sslworkbench.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def assert_one_line_error(result, *needles):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("sslworkbench: error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_pretrain_json_prints_metrics_with_baselines_last(tmp_path):
    result = run_cli("pretrain", "simclr", "--epochs", "2", "--json", "--out", str(tmp_path / "c.pt"), *TINY)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["method"] == "simclr" and report["epochs"] == 2 and report["steps"] == 6
    assert set(report["results"]) == {"simclr", "random init", "raw pixels"}
    for row in report["results"].values():
        assert 0 <= row["knn"] <= 1 and 0 <= row["linear"] <= 1
    assert (tmp_path / "c.pt").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]  # no temp files left


def test_resume_extends_a_run_to_more_epochs(tmp_path):
    # (that resuming reproduces an uninterrupted run exactly is tested on the trainer, test_training_trainer.py)
    first = run_cli("pretrain", "simclr", "--epochs", "1", "--json", "--no-baselines", "--out", str(tmp_path / "r.pt"), *TINY)
    assert first.returncode == 0, first.stderr
    checkpoint = torch.load(tmp_path / "r.pt", weights_only=True)
    assert checkpoint["progress"]["epoch"] == 1
    resumed = run_cli("pretrain", "simclr", "--epochs", "3", "--json", "--no-baselines", "--resume", str(tmp_path / "r.pt"), *TINY)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert report["epochs"] == 3 and report["steps"] == 9
    assert torch.load(tmp_path / "r.pt", weights_only=True)["progress"]["epoch"] == 3


@pytest.mark.parametrize(
    "args, needles",
    [
        (("pretrain", "simclrr"), ("Unknown method 'simclrr'", "Did you mean 'simclr'")),
        (("pretrain", "simclr", "--dataset", "shapez"), ("Unknown dataset 'shapez'", "shapes")),
        (("pretrain", "simclr", "--backbone", "resnet19"), ("Unknown backbone", "resnet18")),
        (("pretrain", "simclr", "--temperature", "0"), ("temperature must be > 0",)),
        (("pretrain", "simclr", "--lr", "-1"), ("lr must be a positive number",)),
        (("pretrain", "simclr", "--set", "colour=1"), ("no setting 'colour'",)),
        (("pretrain", "simclr", "--device", "tpu"), ("Unknown device",)),
        (("pretrain", "simclr", "--data-option", "colour=3", "--epochs", "1"),
         ("Unknown shapes option 'colour'", "Did you mean 'class_colour'?", "chromatic_aberration, class_colour")),
        (("pretrain", "simclr", "--data-option", "n=5"), ("use --n-train and --n-test instead of --data-option n=5",)),
        (("pretrain", "simclr", "--set", "backbone_options={width: 128}"),
         ("backbone_options must be a dict", "JSON object", """--set 'backbone_options={"width": 128}'""",
          "got the text '{width: 128}'")),
        (("pretrain", "simclr", "--epochs", "-1"), ("epochs must be ≥ 1", "(got -1).")),
        (("pretrain", "simclr", "--epochs", "1", "--device", "cpu", "--precision", "fp16"),
         ("precision='fp16' needs CUDA", "use precision='bf16' or 'fp32'")),
    ],
)
def test_user_mistakes_end_in_one_line_and_exit_2(args, needles):
    assert_one_line_error(run_cli(*args, "--n-train", "32", "--n-test", "32"), *needles)


def test_negative_epochs_are_not_called_zero():
    result = run_cli("pretrain", "simclr", "--epochs", "-1")
    assert "0 epochs" not in result.stderr and "got -1" in result.stderr


def test_a_setting_without_a_value_says_what_is_expected():
    result = run_cli("pretrain", "simclr", "--set", "temperature")
    assert result.returncode == 2 and "expected key=value (got 'temperature')" in result.stderr


def test_cuda_devices_are_named_with_their_index(monkeypatch):
    from sslworkbench.errors import WorkbenchError
    from sslworkbench.runtime import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert [str(pick_device(name)) for name in ("auto", "cuda", "cuda:1", "CUDA:0")] == ["cuda:0", "cuda:0", "cuda:1", "cuda:0"]
    with pytest.raises(WorkbenchError, match=r"'cuda:2' asks for GPU 2, and PyTorch sees 2 GPUs here \(cuda:0 … cuda:1\)"):
        pick_device("cuda:2")
    with pytest.raises(WorkbenchError, match="Unknown device 'cuda:x'"):
        pick_device("cuda:x")


def test_a_plain_pickle_is_one_line_without_a_torch_warning(tmp_path):
    import pickle

    plain = tmp_path / "plain.pt"
    plain.write_bytes(pickle.dumps({"a": 1}, protocol=4))
    assert_one_line_error(run_cli("probe", str(plain)), "not a PyTorch checkpoint")
    assert_one_line_error(run_cli("pretrain", "simclr", "--resume", str(plain), "--n-train", "32", "--n-test", "32"),
                          "not a PyTorch checkpoint")


def test_batch_of_one_is_refused_clearly():
    result = run_cli("pretrain", "simclr", "--batch-size", "1", "--n-train", "8", "--n-test", "8", "--epochs", "1")
    assert_one_line_error(result, "at least 2")


def test_bad_checkpoints_are_refused_clearly(tmp_path):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    assert_one_line_error(run_cli("probe", str(garbage)), "not a PyTorch checkpoint")
    assert_one_line_error(run_cli("probe", str(tmp_path / "missing.pt")), "No checkpoint")

    made = run_cli("pretrain", "simclr", "--epochs", "1", "--json", "--no-baselines", "--out", str(tmp_path / "s.pt"), *TINY)
    assert made.returncode == 0, made.stderr
    assert_one_line_error(
        run_cli("pretrain", "supervised", "--resume", str(tmp_path / "s.pt"), "--n-train", "96", "--n-test", "64"),
        "'simclr' checkpoint, not 'supervised'",
    )
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes((tmp_path / "s.pt").read_bytes()[:2000])
    assert_one_line_error(run_cli("probe", str(truncated)), "truncated")


def test_probe_evaluates_a_checkpoint(tmp_path):
    made = run_cli("pretrain", "simclr", "--epochs", "1", "--json", "--no-baselines", "--out", str(tmp_path / "p.pt"), *TINY)
    assert made.returncode == 0, made.stderr
    result = run_cli("probe", str(tmp_path / "p.pt"), "--n-train", "96", "--n-test", "64", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report["results"]) == {"simclr", "random init", "raw pixels"}


def test_list_names_everything():
    result = run_cli("list")
    assert result.returncode == 0
    for name in ("simclr", "supervised", "shapes", "digits", "cifar10", "small_cnn", "resnet18"):
        assert name in result.stdout


def test_list_shows_the_kind_of_each_dataset_and_the_methods_of_that_kind():
    lines = run_cli("list").stdout.splitlines()
    by_kind = {line.split()[0]: (line, lines[i + 1]) for i, line in enumerate(lines) if "datasets:" in line}
    assert set(by_kind) == {"images", "tokens", "audio", "clips", "image_text"}
    datasets, methods = by_kind["audio"]
    assert "spoken_digits" in datasets and "shapes" not in datasets and "cola" in methods.split("methods:")[1]
    datasets, methods = by_kind["image_text"]
    assert "captioned_shapes" in datasets and methods.split()[-1] == "clip"
    assert "simclr" in by_kind["images"][1] and "motifs" in by_kind["tokens"][0]


def test_cifar10_with_resnet18_uses_the_published_settings(tmp_path):
    from helpers import write_cifar

    write_cifar(tmp_path)
    common = ("--dataset", "cifar10", "--backbone", "resnet18", "--data-root", str(tmp_path), "--epochs", "1", "--n-train", "8", "--n-test", "8", "--no-baselines", "--device", "cpu")
    result = run_cli("pretrain", "moco", *common)
    assert result.returncode == 0, result.stderr
    announced = next(line for line in result.stdout.splitlines() if "published CIFAR-10 settings" in line)
    for setting in ("batch 512", "temperature=0.2", "momentum=0.99", "queue_size=4096", "symmetric=True"):
        assert setting in announced

    # anything on the command line wins; --no-preset keeps the method's own defaults
    result = run_cli("pretrain", "moco", *common, "--batch-size", "256", "--set", "queue_size=1024")
    assert result.returncode == 0, result.stderr
    announced = next(line for line in result.stdout.splitlines() if "published CIFAR-10 settings" in line)
    assert "batch 256" in announced and "queue_size=1024" in announced and "temperature=0.2" in announced
    result = run_cli("pretrain", "moco", *common, "--no-preset")
    assert result.returncode == 0, result.stderr
    assert "published" not in result.stdout


def test_cli_pretrains_a_pretext_task():
    env = {**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "sslworkbench.cli", "pretrain", "relative_patch", "--epochs", "1", "--json",
         "--n-train", "64", "--n-test", "32", "--batch-size", "32", "--no-baselines",
         "--set", 'backbone_options={"width": 8, "depth": 3}', "--set", "color=none"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["method"] == "relative_patch" and report["steps"] == 2


def test_cli_pretrains_bert_on_verse_pairs_and_refuses_single_verses():
    tiny_text = ["--epochs", "1", "--json", "--n-train", "64", "--n-test", "32", "--batch-size", "32",
                 "--set", 'backbone_options={"width": 16, "depth": 1, "heads": 2}', "--dataset", "bible"]
    result = run_cli("pretrain", "bert", *tiny_text, "--data-option", "pairs=next", "--data-option", "length=24")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["method"] == "bert" and set(report["results"]) == {"bert", "random init", "bag of tokens"}
    assert_one_line_error(run_cli("pretrain", "bert", *tiny_text), "reads pairs of segments", "pairs='next'")


KNN_RUN = ("--dataset", "digits", "--n-train", "64", "--n-test", "32", "--epochs", "2", "--batch-size", "32",
           "--knn-every", "1", "--no-baselines", "--k", "10")


def test_knn_every_monitors_each_epoch_and_reports_it_in_json():
    result = run_cli("pretrain", "simclr", *KNN_RUN, "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1   # --json: one object and nothing else
    report = json.loads(lines[0])
    assert set(report["knn_by_epoch"]) == {"1", "2"}
    assert all(0 <= accuracy <= 1 for accuracy in report["knn_by_epoch"].values())


def test_knn_every_prints_a_line_per_monitored_epoch_and_is_off_by_default():
    result = run_cli("pretrain", "simclr", *KNN_RUN[:-5], "--knn-every", "2", "--no-baselines", "--k", "10")
    assert result.returncode == 0, result.stderr
    monitored = [line for line in result.stdout.splitlines() if "kNN" in line and line.startswith("epoch ")]
    assert len(monitored) == 1 and monitored[0].startswith("epoch 2/2: loss "), result.stdout
    assert monitored[0].endswith("%")
    result = run_cli("pretrain", "simclr", *KNN_RUN[:-5], "--no-baselines", "--json")   # without --knn-every
    assert result.returncode == 0, result.stderr
    assert "knn_by_epoch" not in json.loads(result.stdout.strip().splitlines()[-1])


def test_knn_every_skips_data_without_labels(tmp_path):
    from PIL import Image

    photos = tmp_path / "photos"   # a flat folder: unlabelled
    photos.mkdir()
    for i in range(12):
        Image.new("RGB", (16, 16), (20 * i, 255 - 20 * i, 7 * i)).save(photos / f"{i:02}.png")
    result = run_cli("pretrain", "simclr", "--dataset", "image_folder", "--data-option", f"path={photos}",
                     "--data-root", str(tmp_path / "data"), "--image-size", "16", "--epochs", "1", "--batch-size", "4",
                     "--knn-every", "1", "--no-baselines", "--json", *TINY[6:])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["knn_by_epoch"] == {} and report["results"] == {}


def test_knn_every_must_not_be_negative():
    assert_one_line_error(run_cli("pretrain", "simclr", "--knn-every", "-1"), "--knn-every", "≥ 0")
