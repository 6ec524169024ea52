"""How much memory does generating ``shapes`` inside a notebook cost later, during training?

    python benchmarks/dataset_memory.py                  # every case, the default split
    python benchmarks/dataset_memory.py --upright --texture 0.35 --chromatic-aberration 0.2
    python benchmarks/dataset_memory.py --renderings 4 --cases cached generated

Each case runs in a fresh Python process (as a notebook kernel would): import
torch and sslworkbench, get the 10,000 training images one way or another, then
train SimCLR for a few steps on the CPU, batch 128 — the moment a notebook's
memory peaks. It prints, in MB, the process's resident memory (RSS) after
import, after the data is there, and its peak (``ru_maxrss``) over the whole run.

Why: after ``make test`` (smoke mode, a few hundred images cached) a full run of a
notebook found a too-small cache and generated the split in its kernel, and the
kernel then peaked 200–320 MB higher than on a machine whose cache was full.
Freed memory is not always given back to the operating system: glibc's malloc
keeps freed blocks of its heap for reuse, and a heap fragmented by short-lived
temporaries between long-lived arrays stays large. The training that follows
allocates on top of it.

Cases:
    cached      the split is read from a full cache (the reference)
    generated   ``load_shapes`` on an empty folder: generated in this process
    generated+trim  the same, then glibc's ``malloc_trim(0)`` (Linux only)
    legacy      the old generator (each chunk converted with torch, then torch.cat)
    legacy+trim the same, then glibc's ``malloc_trim(0)`` (Linux only)
    subprocess  ``load_shapes`` run in a child process that fills the cache; this one reads it
"""

from __future__ import annotations

import argparse
import ctypes
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = ["cached", "generated", "generated+trim", "legacy", "legacy+trim", "subprocess"]


def rss_mb() -> float:
    """Current resident memory of this process (Linux: /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def legacy_generate(split, n, options):
    """The generator as it was: chunks converted to uint8 with torch ops, kept in a list, then torch.cat."""
    import numpy as np
    import torch

    from sslworkbench.data import shapes

    texture = options["texture"]
    noise = options["noise"]
    images, labels = [], []
    for chunk in range(math.ceil(n / shapes.CHUNK)):
        rng = np.random.default_rng([options["seed"], shapes.SPLIT_STREAM[split], chunk, shapes.VERSION])
        count = min(shapes.CHUNK, n - chunk * shapes.CHUNK)
        chunk_images, chunk_labels, _ = shapes._render_chunk(
            rng, shapes.CHUNK, texture, noise, options["renderings"], options["upright"]
        )
        pixels = torch.from_numpy(chunk_images[:count]).permute(0, 3, 1, 2).contiguous()
        if options["chromatic_aberration"]:
            pixels = shapes.chromatic_aberration(pixels, options["chromatic_aberration"])
        images.append(pixels.mul(255).round().to(torch.uint8))
        labels.append(chunk_labels[:count])
    return shapes.ImageSet(torch.cat(images), torch.from_numpy(np.concatenate(labels)).long(), list(shapes.CLASSES), "shapes")


def notebook_03_sets(n: int, options: dict) -> list:
    """The sets notebooks 03 and 03b load at their start (N_TRAIN = n, N_TEST = 2,000): 03 the first
    three, 03b the first two and the last four; before 03 was split, one kernel loaded all seven."""
    upright = {**options, "upright": True}
    textured = {**upright, "texture": 0.35}
    return [
        ("train", n, upright),
        ("test", 2_000, upright),
        ("train", n // 4, options),
        ("train", n, textured),
        ("test", 2_000, textured),
        ("train", n, {**textured, "chromatic_aberration": 0.2}),
        ("test", 2_000, {**textured, "chromatic_aberration": 0.2}),
    ]


def run_case(case: str, root: str, n: int, steps: int, batch_size: int, options: dict, sets: str = "one") -> dict:
    """One case, in this (fresh) process: load the sets, train on the first. Returns the figures."""
    import torch

    torch.set_num_threads(1)
    import sslworkbench as sw
    from sslworkbench.data.shapes import load_shapes

    result = {"import_rss": rss_mb()}
    start = time.perf_counter()
    todo = [("train", n, options)] if sets == "one" else notebook_03_sets(n, options)
    if case == "subprocess":  # fill the cache in a child process, then read it here
        code = (
            "import sys, json; from pathlib import Path; from sslworkbench.data.shapes import load_shapes; "
            "[load_shapes(s, n=n, root=Path(sys.argv[1]), **o) for s, n, o in json.loads(sys.argv[2])]"
        )
        subprocess.run([sys.executable, "-c", code, root, json.dumps(todo)], check=True)
    loaded = []
    for split, count, set_options in todo:
        if case.startswith("legacy"):
            loaded.append(legacy_generate(split, count, set_options))
        else:
            loaded.append(load_shapes(split, n=count, root=Path(root), **set_options))
    data = loaded[0]
    if case.endswith("+trim") and sys.platform == "linux":
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand the free pages of malloc's heap back to the system
    result["data_seconds"] = time.perf_counter() - start
    result["data_rss"] = rss_mb()
    result["data_peak"] = peak_mb()
    if case == "fill":  # only fills the cache of the "cached" case
        return result
    method = sw.build_method("simclr")
    sw.train(method, data, epochs=1, max_steps=steps, batch_size=batch_size, device="cpu", progress=False)
    result["final_rss"] = rss_mb()
    result["peak"] = peak_mb()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--n", type=int, default=10_000, help="training images (default 10,000)")
    parser.add_argument("--steps", type=int, default=20, help="training steps after loading (default 20)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--upright", action="store_true")
    parser.add_argument("--texture", type=float, default=0.0)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--chromatic-aberration", type=float, default=0.0)
    parser.add_argument("--renderings", type=int, default=1)
    parser.add_argument("--sets", choices=["one", "nb03"], default="one",
                        help="one: the train split; nb03: the seven sets notebooks 03 and 03b load (train on the first)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case (the figures vary by a few MB)")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    options = dict(
        seed=0,
        upright=args.upright,
        texture=args.texture,
        noise=args.noise,
        chromatic_aberration=args.chromatic_aberration,
        renderings=args.renderings,
    )
    if args.child:
        print(json.dumps(run_case(*args.child, args.n, args.steps, args.batch_size, options, args.sets)))
        return 0

    def child(case, root):
        command = [sys.executable, __file__, "--child", case, root, *map(str, [
            "--n", args.n, "--steps", args.steps, "--batch-size", args.batch_size, "--texture", args.texture,
            "--noise", args.noise, "--chromatic-aberration", args.chromatic_aberration, "--renderings", args.renderings, "--sets", args.sets,
        ])] + (["--upright"] if args.upright else [])
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"case {case} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    print(f"shapes {'train' if args.sets == 'one' else 'notebook 03 sets'}, n={args.n}, {options}; SimCLR {args.steps} steps at batch {args.batch_size}, 1 thread")
    print(f"{'case':12s} {'import':>7s} {'after data':>10s} {'data peak':>9s} {'end':>7s} {'PEAK':>7s} {'data s':>7s}  (MB)")
    with tempfile.TemporaryDirectory() as full_cache:
        for case in args.cases:
            for _ in range(args.repeat):
                if case == "cached":
                    root = full_cache
                    if not any(Path(full_cache).iterdir()):
                        child("fill", full_cache)  # in a process of its own
                    r = child(case, root)
                else:
                    with tempfile.TemporaryDirectory() as empty:
                        r = child(case, empty)
                print(
                    f"{case:12s} {r['import_rss']:7.0f} {r['data_rss']:10.0f} {r['data_peak']:9.0f} "
                    f"{r['final_rss']:7.0f} {r['peak']:7.0f} {r['data_seconds']:7.1f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
