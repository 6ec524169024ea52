"""``motifs``: a tiny procedural text set, the ``shapes`` of token sequences.

Each sample is a sequence of 32 made-up words ("ka", "lo", "tu", …). Its class
is the *order* in which four marker words appear together: class 0 plants
"bo di ga ke", class 1 "di bo ke ga", and so on — ten orderings of the same
four words. Each sequence carries its motif once, at a random place, among background
words drawn from a Zipf-like distribution (a few words are common, most are
rare, as in real text) and six marker words scattered on their own.

What it teaches: every class has exactly the same words, so a bag of words
(the raw-input baseline) cannot tell the classes apart — only a model that
reads the order of neighbouring tokens can. That is the case for a sequence
backbone over counting words.

Deterministic: a split is drawn from ``numpy.random.default_rng((seed, split))``;
drawing it is quick (``python benchmarks/timings.py generation`` times it), so it
is not cached.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from .dataset import MASK_TOKEN, SequenceSet

LENGTH = 32
SPLIT_SIZES = {"train": 4000, "test": 1000}
MARKERS = ("bo", "di", "ga", "ke")
COPIES = 1  # motif occurrences per sequence
DISTRACTORS = 6  # marker words scattered on their own, so that a marker pair alone says little
PAD, MASK = "[PAD]", MASK_TOKEN


def vocabulary() -> list[str]:
    """[PAD], [MASK], then 60 consonant–vowel words, the four markers among them."""
    words = [c + v for c in "bdgklmnprstz" for v in "aeiou"]
    return [PAD, MASK, *words]


def class_orders() -> list[tuple[str, ...]]:
    """The ten orderings of the markers that define the classes (a fixed choice of 10 of 24)."""
    every = list(itertools.permutations(MARKERS))
    chosen = np.random.default_rng(1234).permutation(len(every))[:10]
    return [every[i] for i in sorted(chosen)]


def generate(split: str, n: int, seed: int = 0) -> SequenceSet:
    vocab = vocabulary()
    index = {word: i for i, word in enumerate(vocab)}
    orders = class_orders()
    background = np.array([i for i, w in enumerate(vocab) if w not in (PAD, MASK, *MARKERS)])
    zipf = 1.0 / np.arange(1, len(background) + 1)
    zipf /= zipf.sum()
    rng = np.random.default_rng([seed, list(SPLIT_SIZES).index(split)])
    labels = rng.integers(0, len(orders), size=n)
    tokens = background[rng.choice(len(background), size=(n, LENGTH), p=zipf)]
    markers = np.array([index[w] for w in MARKERS])
    for row in range(n):
        tokens[row, rng.choice(LENGTH, size=DISTRACTORS, replace=False)] = rng.choice(markers, size=DISTRACTORS)
    motif_length = len(MARKERS)
    slots = LENGTH // motif_length  # motifs go into distinct slots, at a random offset inside the slot grid
    for row in range(n):
        motif = [index[w] for w in orders[labels[row]]]
        shift = rng.integers(0, motif_length)
        for slot in rng.choice(slots - 1, size=COPIES, replace=False):
            start = slot * motif_length + shift
            tokens[row, start : start + motif_length] = motif
    classes = [" ".join(order) for order in orders]
    return SequenceSet(torch.from_numpy(tokens).long(), torch.from_numpy(labels).long(), classes, "motifs",
                       vocab=vocab, pad_id=index[PAD])


def load_motifs(split: str = "train", n: int | None = None, root=None, seed: int = 0) -> SequenceSet:
    """The ``motifs`` split (``root`` is unused: nothing is cached)."""
    return generate(split, SPLIT_SIZES[split] if n is None else n, seed)
