"""The benchmark scripts run and print their figures (what they measure is not asserted: it is
the machine's speed). A script nobody runs breaks silently; this runs the text one at tiny sizes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_text_throughput_prints_a_rate_for_every_stage_and_method():
    finished = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "text_throughput.py"), "--steps", "1", "--batch-size", "4"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TQDM_DISABLE": "1"},
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    out = finished.stdout
    for stage in ("corpus: 31,046 verse pairs", "tokenizer: BPE 8,000", "encoding:", "load_dataset('bible', 'train')"):
        assert stage in out, out
    for method in ("mlm", "gpt", "bert", "tlm", "word2vec"):
        assert any(line.split()[:1] == [method] and line.rstrip().endswith(")") and "tokens/s" in line
                   for line in out.splitlines()), out
