"""Helpers shared by several test files (``from helpers import ...``; pytest puts
``tests/`` on the import path): small settings and builders of methods, and
writers of tiny files in the real datasets' on-disk formats.

Fixtures shared by test files are in ``conftest.py`` (``data``).
"""

from __future__ import annotations

import gzip
import pickle
import struct

import numpy as np
import torch

from sslworkbench import Callback, build_method
from sslworkbench.data import torchvision_sets as tv_sets
from sslworkbench.methods import METHODS

# ---------------------------------------------------------------------------
# Methods at a small size
# ---------------------------------------------------------------------------

#: settings that make every method small (and not at its default widths, so the
#: round trip shows that a checkpoint rebuilds a method built with other settings)
SMALL = {
    "moco": {"queue_size": 64, "hidden_dim": 32, "projection_dim": 16},
    "memory_bank": {"bank_size": 256, "negatives": 64, "hidden_dim": 32, "projection_dim": 16},
    "byol": {"hidden_dim": 32, "projection_dim": 16, "predictor_hidden_dim": 32},
    "simsiam": {"projection_dim": 32, "predictor_hidden_dim": 16},
    "barlow_twins": {"projection_dim": 32},
    "vicreg": {"projection_dim": 32},
    "dino": {"out_dim": 64, "hidden_dim": 32, "bottleneck_dim": 16},
    "swav": {"hidden_dim": 32, "projection_dim": 16, "num_prototypes": 24},
    "supcon": {"hidden_dim": 32, "projection_dim": 16},
    "instance_supcon": {"hidden_dim": 32, "projection_dim": 16},
    "micle": {"hidden_dim": 32, "projection_dim": 16},
    "simclr": {"hidden_dim": 32, "projection_dim": 16},
    "span_contrast": {"hidden_dim": 32, "projection_dim": 16, "backbone_options": {"width": 16, "embedding_dim": 8}},
    "mlm": {"backbone_options": {"width": 16, "depth": 1, "heads": 2}},
    "bert": {"backbone_options": {"width": 16, "depth": 1, "heads": 2}},
    "tlm": {"backbone_options": {"width": 16, "depth": 1, "heads": 2}},
    "gpt": {"backbone_options": {"width": 16, "depth": 1, "heads": 2}},
    "word2vec": {"backbone_options": {"dim": 8}, "window": 3},
    "mae": {"backbone_options": {"width": 16, "depth": 1, "heads": 2}, "decoder_width": 16, "decoder_heads": 2},
    "clip": {"embed_dim": 16, "text_options": {"width": 16, "depth": 1, "heads": 2}},
}
TINY_IMAGE_BACKBONE = {"backbone_options": {"width": 8, "depth": 2}}


# -- the joint-embedding methods (those trained on two augmented views) --------

#: every registered joint-embedding method, so a new one is tested too
JOINT_METHODS = [name for name in METHODS.names() if METHODS[name].uses_dataset_views]
JOINT_FAST = {"batch_size": 32, "progress": False, "device": "cpu", "seed": 0}


def tiny_joint(name, **settings):
    """A joint-embedding method with a tiny backbone and small heads, so that a test step is cheap."""
    torch.manual_seed(0)
    return build_method(name, **TINY_IMAGE_BACKBONE, **{**SMALL.get(name, {}), **settings})


# -- the classic pretext tasks ----------------------------------------------------

PRETEXT_TINY = {"backbone_options": {"width": 8, "depth": 3}}
PRETEXT = {
    "rotation": {},
    "jigsaw": {"permutations": 24, "hidden_dim": 64},
    "relative_patch": {"hidden_dim": 64},
    "colorization": {},
    "context_encoder": {},
    "autoencoder": {},
    "denoising_autoencoder": {},
    "vae": {"latent_dim": 16},
}


def tiny_pretext(name, seed=0, **settings):
    torch.manual_seed(seed)
    return build_method(name, **PRETEXT_TINY, **{**PRETEXT[name], **settings})


# -- SimCLR for the trainer and checkpoint tests ------------------------------------

SIMCLR_TINY = {"backbone_options": {"width": 8, "depth": 2}, "hidden_dim": 32, "projection_dim": 16}
TRAIN_FAST = {"batch_size": 16, "progress": False, "device": "cpu"}
EPOCHS, SEED = 3, 5  # with DATA_SIZE = 48: 48 images / 16 = 3 steps per epoch, 9 steps in all


def tiny_simclr(init_seed=0, **settings):
    torch.manual_seed(init_seed)
    return build_method("simclr", **SIMCLR_TINY, **settings)


def state_of(method):
    return {k: v.detach().clone() for k, v in method.state_dict().items()}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


# ---------------------------------------------------------------------------
# Writers of tiny files in the real formats
# ---------------------------------------------------------------------------

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def random_images(count, size, seed):
    return np.random.default_rng(seed).integers(0, 256, (count, 3, size, size), dtype=np.uint8)


def write_cifar(root, per_batch=2, test_count=3, text_keys=True):
    """CIFAR-10 python batches: pickled dicts {"data": uint8 (N, 3072), "labels": [...]},
    plus batches.meta {"label_names": [...]}. Returns {split: (images, labels)}.

    The real files were pickled by Python 2, whose str keys load as str with
    ``encoding="latin1"`` (torchvision's way) and as bytes with ``encoding="bytes"``;
    ``text_keys=False`` writes bytes keys (b"data", b"labels", b"label_names")."""
    key = (lambda k: k) if text_keys else (lambda k: k.encode())
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    expected = {"train": ([], []), "test": ([], [])}
    names = [("train", f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test", "test_batch", test_count)]
    for seed, (split, name, count) in enumerate(names):
        images = random_images(count, 32, seed)
        labels = [(seed + i) % 10 for i in range(count)]
        batch = {key("batch_label"): key(name), key("labels"): labels, key("data"): images.reshape(count, 3072)}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        expected[split][0].append(images)
        expected[split][1].extend(labels)
    meta = {key("label_names"): [key(c) for c in CIFAR_CLASSES], key("num_vis"): 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return {split: (np.concatenate(images), np.array(labels)) for split, (images, labels) in expected.items()}


def write_stl10(root, counts=None):
    """STL-10 binary: *_X.bin uint8, each image's channels stored one after the
    other in column-major order; *_y.bin uint8 labels 1..10; class_names.txt."""
    counts = counts or {"train": 4, "test": 3, "unlabeled": 7}
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for seed, (part, count) in enumerate(counts.items()):
        images = random_images(count, 96, seed)  # (N, 3, row, col)
        (folder / f"{part}_X.bin").write_bytes(images.transpose(0, 1, 3, 2).tobytes())  # column-major
        labels = np.arange(count) % 10
        if part != "unlabeled":
            (folder / f"{part}_y.bin").write_bytes((labels + 1).astype(np.uint8).tobytes())
        expected[part] = (images, labels)
    (folder / "class_names.txt").write_text("\n".join(tv_sets.STL10_CLASSES) + "\n")
    return expected


def idx_bytes(array):
    """An IDX (ubyte) file: big-endian magic 0x0000080D (D = number of dimensions), the sizes, the data."""
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx(root, folder_name="MNIST", counts=(5, 4), compress=False):
    """MNIST-format raw files in root/<folder_name>/raw/. Returns {split: (images, labels)}."""
    folder = root / folder_name / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for seed, (split, prefix, count) in enumerate([("train", "train", counts[0]), ("test", "t10k", counts[1])]):
        images = np.random.default_rng(seed).integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = (np.arange(count) * 3 + seed) % 10
        for name, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            if compress:
                (folder / f"{name}.gz").write_bytes(gzip.compress(idx_bytes(array)))
            else:
                (folder / name).write_bytes(idx_bytes(array))
        expected[split] = (images, labels)
    return expected


def step_with_fixed_views(method, images):
    """A two-view method's training step on views drawn once, and the two
    projections recomputed from those same views (same batch in train mode: the
    same BatchNorm statistics), to compare its loss with the loss function's."""
    x1, x2 = method.views.pairs(images)
    method.views.pairs = lambda images: (x1, x2)
    out = method.training_step((images, None))
    with torch.no_grad():
        z1, z2 = method.projector(method.backbone(x1)), method.projector(method.backbone(x2))
    return out, z1, z2


class StopAt(Callback):
    """Asks the trainer to stop after optimiser step ``step`` (as a Stop button would)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, trainer, logs):
        if trainer.step == self.step:
            trainer.request_stop()


# ---------------------------------------------------------------------------
# Text at a small size: a toy corpus, its tokenizer, single rows and pairs
# ---------------------------------------------------------------------------

TOY_SENTENCES = [
    f"the {who} of the {place} went to {land} and saw the {thing}"
    for who in ("king", "son", "man", "lamb", "priest")
    for place in ("land", "city", "house", "temple")
    for land in ("egypt", "israel", "judah")
    for thing in ("gold", "silver", "bread", "wine")
]
#: a transformer small enough for a step in milliseconds (not the default widths)
TINY_TRANSFORMER = {"backbone_options": {"width": 16, "depth": 1, "heads": 2, "context": 40}}


def toy_text(pairs: bool = False, length: int = 16, kind: str = "bpe"):
    """A SequenceSet of the toy sentences (labels: which land), tokenized with
    BPE (every word one token) or words; ``pairs``: each sentence packed with the next one."""
    from sslworkbench.data.dataset import SequenceSet
    from sslworkbench.data.tokenizer import join_pair, train_tokenizer

    tok = train_tokenizer(TOY_SENTENCES, vocab_size=120, kind=kind)
    rows = tok.encode_batch(TOY_SENTENCES, length)
    labels = torch.tensor([["egypt", "israel", "judah"].index(s.split()[7]) for s in TOY_SENTENCES])
    if pairs:
        rows = join_pair(rows, rows.roll(-1, 0), 0, 2 * length - 1)
    return SequenceSet(rows, labels, ["egypt", "israel", "judah"], name="toy", vocab=tok.vocab, pad_id=0,
                       tokenizer=tok, segments=2 if pairs else 1)
