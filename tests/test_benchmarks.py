"""The benchmark scripts run and print their figures (what they measure is not asserted: it is
the machine's speed). A script nobody runs breaks silently; this runs the text one at tiny sizes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *arguments: str) -> str:
    """Run ``benchmarks/<name>`` with these arguments; its standard output (it must succeed)."""
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *arguments],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TQDM_DISABLE": "1"},
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
