"""Timings behind the library's docstrings: why a piece of code is written the way it is,
and how long the one-off steps take. Each entry is named where a docstring refers to it.

    python benchmarks/timings.py --list                  # the entries and where each is cited
    python benchmarks/timings.py linear_probe            # one entry
    python benchmarks/timings.py --threads 1             # every entry, on one torch thread
    python benchmarks/timings.py --smoke                 # every entry, tiny (what the tests run)

Figures depend on the machine and on what else runs on it: note the load (``uptime``).
The throughput of views and training steps is ``benchmarks/throughput.py``'s; the text
pipeline's, ``benchmarks/text_throughput.py``'s.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import torch
import torch.nn.functional as F


def seconds_of(function, repeats: int = 1) -> float:
    """The fastest of ``repeats`` calls of ``function()``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


# -- evaluation/probes.py -------------------------------------------------------------------------


def linear_probe(smoke: bool) -> None:
    """sw's linear probe against scikit-learn's LogisticRegression.

    The same objective and C, on the 256 features of a random-init small CNN and on the raw
    pixels of ``shapes``; each line gives both accuracies too (they should agree)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    import sslworkbench as sw
    from sslworkbench.evaluation.probes import embed, linear_probe, pixel_features
    from sslworkbench.models import build_backbone

    n_train, n_test = (200, 100) if smoke else (10_000, 2_000)
    train = sw.load_dataset("shapes", "train", n=n_train)
    test = sw.load_dataset("shapes", "test", n=n_test)
    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")
    feature_sets = {
        "small CNN features": (embed(backbone, train), embed(backbone, test)),
        "raw pixels": (pixel_features(train.images), pixel_features(test.images)),
    }
    for name, (train_x, test_x) in feature_sets.items():
        started = time.perf_counter()
        ours = linear_probe(train_x, train.labels, test_x, test.labels)
        ours_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:  # a ConvergenceWarning, if any, said in one word below
            warnings.simplefilter("always")
            scaler = StandardScaler().fit(train_x.numpy())
            model = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(train_x.numpy()), train.labels.numpy())
        theirs = model.score(scaler.transform(test_x.numpy()), test.labels.numpy())
        theirs_seconds = time.perf_counter() - started
        stopped = ", stopped at max_iter=1000" if any("converge" in str(w.message) for w in caught) else ""
        shape = f"{train_x.shape[0]:,} × {train_x.shape[1]:,}"
        print(f"  {name} ({shape}, {train.num_classes} classes): sw linear_probe {ours_seconds:6.1f} s ({ours:.1%}); "
              f"scikit-learn LogisticRegression {theirs_seconds:6.1f} s ({theirs:.1%}{stopped})")


def probe_weight_layout(smoke: bool) -> None:
    """The linear probe's weight layout: (classes, features) through F.linear, or x @ W.

    Forward and backward of the logits with the weight stored (classes, features) and used
    through F.linear, against (features, classes) used as x @ W (whose backward is x.T @ grad)."""
    n, features, classes = (1_000, 3_072, 10) if smoke else (10_000, 3_072, 10)
    x = torch.randn(n, features)
    target = torch.randint(0, classes, (n,))
    as_rows = torch.zeros(classes, features, requires_grad=True)   # the probe's layout
    as_columns = torch.zeros(features, classes, requires_grad=True)

    def step(logits_of) -> None:
        F.cross_entropy(logits_of(), target).backward()

    repeats = 2 if smoke else 10
    rows = seconds_of(lambda: step(lambda: F.linear(x, as_rows)), repeats)
    columns = seconds_of(lambda: step(lambda: x @ as_columns), repeats)
    print(f"  logits of {n:,} × {features:,} features, {classes} classes, forward + backward:")
    print(f"    weight (classes, features) through F.linear: {1000 * rows:7.1f} ms")
    print(f"    weight (features, classes) as x @ W:          {1000 * columns:7.1f} ms ({columns / rows:.1f}× the time)")


# -- course/widgets.py and course/viz.py ----------------------------------------------------------


def explorer(smoke: bool) -> None:
    """The augmentation explorer: its picture as JPEG or PNG, and its encoder panel.

    The largest grid (32 pairs of photos) encoded both ways, and the encoder panel: views,
    features and the histogram of their similarities for SIMILARITY_IMAGES shapes images."""
    from PIL import Image

    import sslworkbench as sw
    from sslworkbench.course import viz, widgets
    from sslworkbench.models import build_backbone
    from sslworkbench.views.images import simclr_views

    photos = widgets.load_photos()
    pairs = 4 if smoke else 32
    originals = photos.images[torch.arange(pairs) % len(photos)]
    view1, view2 = viz.draw_view_pairs(originals, simclr_views(widgets.PHOTO_VIEW_SIZE), seed=0)
    grid = widgets.pair_grid(originals, view1, view2)

    def png() -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(grid).save(buffer, format="png")
        return buffer.getvalue()

    repeats = 1 if smoke else 5
    jpeg_seconds = seconds_of(lambda: widgets.jpeg_bytes(grid), repeats)
    png_seconds = seconds_of(png, repeats)
    print(f"  a grid of {pairs} photo pairs ({grid.shape[1]} × {grid.shape[0]} pixels): JPEG {1000 * jpeg_seconds:.0f} ms, "
          f"PNG {1000 * png_seconds:.0f} ms ({png_seconds / jpeg_seconds:.1f}× the time)")

    count = 16 if smoke else widgets.SIMILARITY_IMAGES
    images = sw.load_dataset("shapes", "train", n=count).images
    torch.manual_seed(0)
    backbone = build_backbone("small_cnn")

    def encoder_panel() -> None:
        similarity = widgets.pair_similarities(backbone, images, simclr_views(32), seed=0)
        widgets.png_bytes(widgets.similarity_figure(similarity))

    print(f"  the encoder panel on {count} shapes images (small CNN; views, features, histogram as PNG): "
          f"{seconds_of(encoder_panel, repeats):.2f} s")


def umap_first_call(smoke: bool) -> None:
    """The first UMAP call of a session, against the second.

    ``viz.project(..., "umap")`` twice in a fresh Python process: the first call compiles
    UMAP's code. (Smoke mode projects with PCA instead: compiling UMAP is the slow part.)"""
    points = 300 if smoke else 2_000
    method = "pca" if smoke else "umap"
    script = textwrap.dedent(f"""
        import time
        import torch
        torch.set_num_threads({torch.get_num_threads()})
        from sslworkbench.course.viz import project
        features = torch.randn({points}, 64, generator=torch.Generator().manual_seed(0))
        for call in ("first", "second"):
            started = time.perf_counter()
            project(features, "{method}")
            print(f"  {{call}} {method} call in a fresh process ({points:,} points of 64 features): "
                  f"{{time.perf_counter() - started:.1f}} s", flush=True)
    """)
    subprocess.run([sys.executable, "-c", script], check=True)


# -- data/*.py: generated datasets, made once and then cached -------------------------------------


def generation(smoke: bool) -> None:
    """How long each generated dataset takes to make, once (then it is cached).

    Each generator's training split at its default size, without the cache; and the reload of
    the speech synthesiser that spoken_digits does before every chunk of clips."""
    from sslworkbench.data import motifs, moving_shapes, shapes, sounds, spoken_digits

    generators = {
        "shapes": (shapes.generate, shapes.SPLIT_SIZES["train"], "images"),
        "moving_shapes": (moving_shapes.generate, moving_shapes.SPLIT_SIZES["train"],
                          f"clips of {moving_shapes.FRAMES} frames"),
        "sounds": (sounds.generate, sounds.SPLIT_SIZES["train"], "clips of 1 s"),
        "spoken_digits": (spoken_digits.generate, spoken_digits.SPLIT_SIZES["train"], "clips of 1 s"),
        "motifs": (motifs.generate, motifs.SPLIT_SIZES["train"], "sequences"),
    }
    for name, (generate, count, what) in generators.items():
        count = min(count, 40) if smoke else count
        started = time.perf_counter()
        generate("train", count)
        seconds = time.perf_counter() - started
        print(f"  {name:14s} train split, {count:6,} {what:18s} {seconds:7.2f} s")
    reloads = 3 if smoke else 50
    started = time.perf_counter()
    for _ in range(reloads):
        with spoken_digits._Engine():  # what spoken_digits does before every chunk of CHUNK clips
            pass
    print(f"  spoken_digits: loading eSpeak NG afresh (once per {spoken_digits.CHUNK} clips): "
          f"{1000 * (time.perf_counter() - started) / reloads:.1f} ms")


#: name → (function, where a docstring refers to it)
ENTRIES = {
    "linear_probe": (linear_probe, "sslworkbench/evaluation/probes.py, linear_probe"),
    "probe_weight_layout": (probe_weight_layout, "sslworkbench/evaluation/probes.py, fit_linear_classifier"),
    "explorer": (explorer, "sslworkbench/course/widgets.py, jpeg_bytes and SIMILARITY_IMAGES"),
    "umap_first_call": (umap_first_call, "sslworkbench/course/viz.py, project"),
    "generation": (generation, "sslworkbench/data/: shapes, moving_shapes, sounds, spoken_digits, motifs"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="entries: " + ", ".join(ENTRIES))
    parser.add_argument("entries", nargs="*", help="which entries to run (default: all of them)")
    parser.add_argument("--list", action="store_true", help="list the entries and where each is cited, then stop")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the entries run")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own choice)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.entries if name not in ENTRIES]
    if unknown:
        parser.error(f"unknown entries {unknown}; known: {', '.join(ENTRIES)}")
    if args.list:
        for name, (function, cited_in) in ENTRIES.items():
            print(f"{name:20s} {function.__doc__.splitlines()[0]}\n{'':20s} cited in {cited_in}")
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}, numpy {np.__version__}, torch {torch.__version__}")
    for name in args.entries or ENTRIES:
        function, cited_in = ENTRIES[name]
        print(f"{name} ({cited_in}){' SMOKE' if args.smoke else ''}")
        function(args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
