"""Print how fast the text pipeline is: corpus load, tokenizer training, encoding,
and a training step of each text method, in tokens per second.

    python benchmarks/text_throughput.py                 # CPU, the notebooks' sizes
    python benchmarks/text_throughput.py --device cuda --batch-size 256

Figures depend on the machine and on what else runs on it: note the load (`uptime`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

import sslworkbench as sw
from sslworkbench.data import bible_corpus
from sslworkbench.data.tokenizer import train_tokenizer


def timed(function, repeat: int = 1):
    """(result, seconds per call) of the fastest of ``repeat`` calls."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return result, best


def step_rate(method, inputs, steps: int, device) -> float:
    """Real (non-[PAD]) tokens per second of forward + backward + AdamW step."""
    method = method.to(device)
    optimizer = torch.optim.AdamW(method.parameters(), lr=1e-4)
    batch = (inputs.to(device), torch.zeros(len(inputs), dtype=torch.long, device=device))
    for step in range(steps + 1):
        if step == 1:  # the first step warms up (allocations, kernels)
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
        loss = method.training_step(batch)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * int((inputs != 0).sum()) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    device = sw.pick_device(args.device)

    bible_corpus._read.cache_clear()  # time the read and the hash check, not the cache
    verses, seconds = timed(bible_corpus.read_verses)
    words = sum(len(v.en.split()) + len(v.es.split()) for v in verses)
    print(f"corpus: {len(verses):,} verse pairs, {words:,} words, read and checked in {seconds:.2f} s")
    texts = [t for v in verses for t in (v.en, v.es)]
    tokenizer, seconds = timed(lambda: train_tokenizer(texts, vocab_size=8000))
    print(f"tokenizer: BPE 8,000 learned from {len(texts):,} texts in {seconds:.1f} s ({words / seconds:,.0f} words/s)")
    ids, seconds = timed(lambda: [tokenizer.encode(t) for t in texts])
    count = sum(len(i) for i in ids)
    print(f"encoding: {count:,} tokens in {seconds:.1f} s ({count / seconds:,.0f} tokens/s)")
    with tempfile.TemporaryDirectory() as root:
        data, seconds = timed(lambda: sw.load_dataset("bible", "train", root=Path(root)))
    print(f"load_dataset('bible', 'train') with a fresh cache: {seconds:.1f} s ({data})")

    singles = sw.load_dataset("bible", "train", n=args.batch_size).inputs
    pairs = sw.load_dataset("bible", "train", pairs="next", length=32, n=args.batch_size).inputs
    words_data = sw.load_dataset("bible", "train", tokens="words", vocab_size=10_000, length=64, n=args.batch_size)
    transformer = {"backbone_options": {"width": 128, "depth": 2, "heads": 4}}
    print(f"training steps on {device}, batch {args.batch_size} (real tokens per second):")
    for name, settings, inputs in (
        ("mlm", transformer, singles),
        ("gpt", transformer, singles),
        ("bert", transformer, pairs),
        ("tlm", transformer, sw.load_dataset("bible", "train", pairs="translation", length=32, n=args.batch_size).inputs),
        ("word2vec", {"vocab_size": 10_000, "backbone_options": {"dim": 100}}, words_data.inputs),
    ):
        torch.manual_seed(0)
        rate = step_rate(sw.build_method(name, **settings), inputs, args.steps, device)
        print(f"  {name:9} {rate:10,.0f} tokens/s   ({inputs.shape[1]} tokens per row)")


if __name__ == "__main__":
    main()
