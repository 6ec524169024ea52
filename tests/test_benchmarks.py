"""The benchmark scripts run and print their figures (what they measure is not asserted: it is
the machine's speed, or a score at a budget too small to mean anything). A script nobody runs
breaks silently; this runs each at tiny sizes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *arguments: str, env: dict | None = None) -> str:
    """Run ``benchmarks/<name>`` with these arguments (and ``env`` on top of this process's
    environment); its standard output (it must succeed)."""
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *arguments],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TQDM_DISABLE": "1", **(env or {})},
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return finished.stdout


def test_text_throughput_prints_a_rate_for_every_stage_and_method():
    out = run_script("text_throughput.py", "--steps", "1", "--batch-size", "4")
    for stage in ("corpus: 31,046 verse pairs", "tokenizer: BPE 8,000", "encoding:", "load_dataset('bible', 'train')"):
        assert stage in out, out
    for method in ("mlm", "gpt", "bert", "tlm", "word2vec"):
        assert any(line.split()[:1] == [method] and line.rstrip().endswith(")") and "tokens/s" in line
                   for line in out.splitlines()), out


def test_vit_throughput_compares_mae_with_whole_image_methods():
    out = run_script("vit_throughput.py", "--batch-size", "4", "--repeats", "1")
    for method in ("mae", "simclr", "dino", "supervised"):
        assert any(line.startswith(method) and "on vit" in line and "images/s" in line for line in out.splitlines()), out
    assert "MAE step / SimCLR step on the same ViT:" in out


def test_design_choices_lists_its_entries_and_runs_each_in_smoke_mode(tmp_path):
    listed = run_script("design_choices.py", "--list")
    for entry in ("shapes_texture", "shapes_crop_scale"):
        assert entry in listed, listed
    # the smoke runs draw their own small datasets: cache them under tmp_path, not in data/
    out = run_script("design_choices.py", "--smoke", "--threads", "1", env={"SSLWB_DATA": str(tmp_path)})
    for arm in ("no texture (the default)", "texture=0.1", "texture=0.35, noise=0.06", "scale (0.2, 1)",
                "scale (0.4, 1) (the default)"):
        assert any(line.strip().startswith(arm) and line.count("%") == 2 for line in out.splitlines()), out


def test_timings_run_each_entry_in_smoke_mode(tmp_path):
    out = run_script("timings.py", "--smoke", "--threads", "1", env={"SSLWB_DATA": str(tmp_path)})
    for line in ("sw linear_probe", "weight (classes, features) through F.linear", "JPEG", "the encoder panel",
                 "first pca call", "moving_shapes  train split", "spoken_digits: loading eSpeak NG afresh"):
        assert line in out, out


def test_tokenizer_determinism_compares_runs_of_sentencepiece():
    out = run_script("tokenizer_determinism.py", "--texts", "400", "--vocab-size", "200", "--trainers", "sentencepiece")
    assert "sentencepiece  same tokens: yes; same tokens with the same ids: yes" in out, out
