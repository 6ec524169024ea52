"""Real image datasets through torchvision: ``cifar10``, ``stl10``, ``mnist``, ``fashion_mnist``.

    >>> load_dataset("cifar10", "train", n=5000)        # a seeded random 5,000 of the 50,000
    >>> load_dataset("stl10", "test")                   # 8,000 labelled 96×96 images
    >>> load_dataset("stl10", "train", unlabeled=True, n=20_000)   # reads 20k of the 100k
    >>> load_dataset("mnist", "test")                   # 28×28 grayscale → 3×32×32

Where the files live
    Under ``root`` (``data/``), in exactly the folders and formats torchvision
    uses, so a folder torchvision downloaded before works as is:

    cifar10        data/cifar-10-batches-py/    data_batch_1 … data_batch_5, test_batch, batches.meta
    stl10          data/stl10_binary/           train_X.bin, train_y.bin, test_X.bin, test_y.bin,
                                                unlabeled_X.bin, class_names.txt
    mnist          data/MNIST/raw/              train-images-idx3-ubyte, train-labels-idx1-ubyte,
    fashion_mnist  data/FashionMNIST/raw/       t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte

    The original archives work too, with no network: ``data/cifar-10-python.tar.gz``
    and ``data/stl10_binary.tar.gz`` are extracted, and MNIST's ``*-ubyte.gz``
    files in the ``raw/`` folder are decompressed, on first use.

When files are missing
    torchvision downloads them — unless ``SSLWB_OFFLINE=1`` is set, ``download=False``
    is passed, or there is no network. Then one :class:`WorkbenchError` says where
    to put the files by hand (and that ``shapes`` and ``digits`` work offline).

How they are read
    With numpy, straight from the files, never one PIL image at a time. We do not
    construct the torchvision dataset classes for reading: they compute the md5 of
    every file at every load (a full read of STL-10's 2.7 GB unlabeled file, each
    time) and read a whole file even when only a subset is wanted. Instead we check
    each file's size and structure, and a truncated or corrupt file ends in a
    WorkbenchError that names it. torchvision is used for what it is good at:
    downloading, extracting, and parsing MNIST's IDX format.

Options
    stl10          ``unlabeled=True``: the 100,000 unlabeled images (split "train"
                   only), labels -1. With ``n`` only those ``n`` images are read.
    mnist, fashion_mnist
                   ``image_size=32``: the side of the returned images (28 keeps the
                   originals; 32 matches the other datasets).
    all            ``download=True``: set False to never touch the network.
"""

from __future__ import annotations

import os
import pickle
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import WorkbenchError
from .dataset import ImageSet, resize_uint8
from .paths import default_root

#: Set this environment variable to 1 to never try a download.
OFFLINE_VARIABLE = "SSLWB_OFFLINE"
#: Datasets that need no files and no network.
OFFLINE_DATASETS = ("shapes", "digits")
#: A closed network should fail in seconds, not hang.
DOWNLOAD_TIMEOUT_S = 20


# ---------------------------------------------------------------------------
# Where each dataset lives: torchvision's folder and file names
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The on-disk layout of one dataset under ``root``, as torchvision stores it.

    folder    the folder that holds the files, relative to root
    files     for each split, the files it needs (in ``folder``)
    archive   an archive in root that contains ``folder`` (extracted if present)
    """

    name: str
    folder: str
    files: dict[str, tuple[str, ...]]
    archive: str | None = None

    def all_files(self) -> list[str]:
        names = [name for split_files in self.files.values() for name in split_files]
        return list(dict.fromkeys(names))  # unique, in order


CIFAR10 = Source(
    "cifar10",
    folder="cifar-10-batches-py",
    files={
        "train": tuple(f"data_batch_{i}" for i in range(1, 6)) + ("batches.meta",),
        "test": ("test_batch", "batches.meta"),
    },
    archive="cifar-10-python.tar.gz",
)

STL10 = Source(
    "stl10",
    folder="stl10_binary",
    files={
        "train": ("train_X.bin", "train_y.bin"),
        "test": ("test_X.bin", "test_y.bin"),
        "unlabeled": ("unlabeled_X.bin",),
    },
    archive="stl10_binary.tar.gz",
)

_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST = Source("mnist", folder="MNIST/raw", files=_IDX_FILES)
FASHION_MNIST = Source("fashion_mnist", folder="FashionMNIST/raw", files=_IDX_FILES)

#: STL-10's classes, used when class_names.txt is absent (torchvision treats it as optional).
STL10_CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
STL10_IMAGE_BYTES = 3 * 96 * 96
CIFAR_IMAGE_BYTES = 3 * 32 * 32


def _download_with_torchvision(source: Source, root: Path) -> None:
    """Let torchvision download (and extract) ``source`` into ``root``.

    Building the dataset class with ``download=True`` is torchvision's one public
    way to download; we pick the smallest split, since the class also reads it.
    """
    from torchvision import datasets

    if source is CIFAR10:
        datasets.CIFAR10(root, train=False, download=True)
    elif source is STL10:
        datasets.STL10(root, split="train", download=True)
    elif source is MNIST:
        datasets.MNIST(root, train=False, download=True)
    elif source is FASHION_MNIST:
        datasets.FashionMNIST(root, train=False, download=True)
    else:  # pragma: no cover - a new Source needs a line above
        raise NotImplementedError(source.name)


# ---------------------------------------------------------------------------
# Making sure the files are there: local archives, download, or a clear error
# ---------------------------------------------------------------------------


def ensure_files(source: Source, split: str, root: Path, download: bool = True) -> Path:
    """Return the folder holding ``split``'s files, fetching them if need be.

    In order: files already in place; archives put in place by hand (extracted
    here, no network); a torchvision download. If all fail, one WorkbenchError
    says where to put the files.
    """
    folder = root / source.folder
    needed = source.files[split]
    if not _missing(folder, needed):
        return folder
    _unpack_local_copies(source, root)
    if not _missing(folder, needed):
        return folder
    reason = _why_not_download(download)
    if reason is None:
        reason = _try_download(source, root)
    if _missing(folder, needed):
        raise _missing_files_error(source, root, reason or "the download did not create them")
    return folder


def _missing(folder: Path, names) -> list[str]:
    return [name for name in names if not (folder / name).is_file()]


def _why_not_download(download: bool) -> str | None:
    """Why we must not try a download, or None when we may."""
    if os.environ.get(OFFLINE_VARIABLE, "").strip() not in ("", "0"):
        return f"{OFFLINE_VARIABLE}={os.environ[OFFLINE_VARIABLE]} is set"
    if not download:
        return "download=False was passed"
    return None


@contextmanager
def _socket_timeout(seconds: float):
    """Make every new socket give up after ``seconds``; restore the old default after."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _try_download(source: Source, root: Path) -> str | None:
    """Download with torchvision; return why it failed, or None on success."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            _download_with_torchvision(source, root)
    except Exception as error:  # no network, a proxy, a full disk, a bad checksum …
        return f"the download failed: {_short(error)}"
    return None


def _unpack_local_copies(source: Source, root: Path) -> None:
    """Extract archives the user put in place by hand: the dataset's archive in
    ``root``, and ``NAME.gz`` next to a missing file ``NAME`` (MNIST's raw files)."""
    from torchvision.datasets.utils import extract_archive

    archive = root / source.archive if source.archive else None
    if archive is not None and archive.is_file():
        with _reading(source, archive):
            extract_archive(str(archive), str(root))
    folder = root / source.folder
    for name in _missing(folder, source.all_files()):
        compressed = folder / f"{name}.gz"
        if compressed.is_file():
            try:
                with _reading(source, compressed):
                    extract_archive(str(compressed), str(folder))
            except WorkbenchError:
                (folder / name).unlink(missing_ok=True)  # do not leave half a file behind
                raise


def _missing_files_error(source: Source, root: Path, reason: str) -> WorkbenchError:
    """Say where the files go, listing every file of the dataset that is missing
    (not just the split's: the user fills the folder once, for both splits)."""
    folder = root / source.folder
    missing = ", ".join(_missing(folder, source.all_files()))
    if source.archive:
        alternative = f", or put {source.archive} in {root}/"
    else:
        alternative = " (their .gz files work too)"
    return WorkbenchError(
        f"Dataset {source.name!r} cannot be downloaded ({reason}); missing: {missing}. Put them in "
        f"{folder}/{alternative}. Datasets that work offline: {', '.join(OFFLINE_DATASETS)}."
    )


# ---------------------------------------------------------------------------
# Reading files, with one clear error for a truncated or corrupt one
# ---------------------------------------------------------------------------


def _short(error: Exception, limit: int = 200) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _corrupt(source: Source, path: Path, problem: str) -> WorkbenchError:
    return WorkbenchError(
        f"{source.name}: the file {path} is incomplete or corrupt ({problem}). "
        f"Delete it and load the dataset again to download it, or copy it again from the original archive."
    )


@contextmanager
def _reading(source: Source, path: Path):
    """Turn any failure while parsing ``path`` into one clear WorkbenchError."""
    try:
        yield
    except WorkbenchError:
        raise
    except Exception as error:
        raise _corrupt(source, path, _short(error)) from None


def chosen_rows(total: int, n: int | None, seed: int) -> np.ndarray | None:
    """The rows a seeded subset of ``n`` keeps, or None for all of them.

    The same rows as :meth:`ImageSet.subset` picks, so reading only these rows
    gives exactly what reading everything and then subsetting would.
    """
    if n is None or n >= total:
        return None
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(total, generator=generator)[:n].sort().values.numpy()


def _check_labels(source: Source, path: Path, labels: np.ndarray, count: int, num_classes: int) -> None:
    if len(labels) != count:
        raise _corrupt(source, path, f"{len(labels)} labels for {count} images")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise _corrupt(source, path, f"labels outside 0..{num_classes - 1}")


def _text_keys(entry: dict) -> dict:
    """CIFAR pickles have bytes keys (b"data") or str keys ("data"), depending on
    how they were pickled and loaded; use str keys."""
    return {key.decode() if isinstance(key, bytes) else key: value for key, value in entry.items()}


#: The only globals a CIFAR-10 pickle may name: numpy's array rebuilding, and
#: ``_codecs.encode``, which Python 3 uses for bytes in protocol-2 pickles.
_PICKLE_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),  # numpy 1 (the original files)
    ("numpy._core.multiarray", "_reconstruct"),  # numpy 2
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _UnsafePickle(Exception):
    """A pickle named a global outside _PICKLE_GLOBALS."""


class _ArrayUnpickler(pickle.Unpickler):
    """Loads dicts, lists, str, bytes, numbers and numpy arrays, nothing else.

    A pickle can name any function to call while it is loaded, so a crafted
    "data_batch_1" put in the folder by hand would run code under plain
    ``pickle.load``. Refusing every other global makes loading a file safe.
    """

    def find_class(self, module: str, name: str):
        if (module, name) not in _PICKLE_GLOBALS:
            raise _UnsafePickle(f"{module}.{name}")
        return super().find_class(module, name)


def _load_pickle(source: Source, path: Path) -> dict:
    with _reading(source, path), open(path, "rb") as file:
        try:
            # latin1 is how Python 3 reads the numpy arrays of the original Python 2 pickles
            entry = _ArrayUnpickler(file, encoding="latin1").load()
        except _UnsafePickle as refused:
            raise WorkbenchError(
                f"{source.name}: the file {path} contains something other than arrays, bytes, lists "
                f"and dicts ({refused}), so it was not loaded and no code in it ran. Delete it and "
                f"extract it again from the original {source.archive}."
            ) from None
    if not isinstance(entry, dict):
        raise _corrupt(source, path, f"expected a dict, found {type(entry).__name__}")
    return _text_keys(entry)


def read_cifar_batch(path: Path, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch file: uint8 images (N, 3, 32, 32) and int64 labels (N,).

    Each row of ``data`` holds 1024 red, then 1024 green, then 1024 blue values,
    each a 32×32 image in row-major order: exactly (3, 32, 32).
    """
    batch = _load_pickle(CIFAR10, path)
    with _reading(CIFAR10, path):
        data = np.asarray(batch["data"])
        labels = np.asarray(batch["labels"], dtype=np.int64)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != CIFAR_IMAGE_BYTES:
            raise _corrupt(CIFAR10, path, f"data is {data.dtype} of shape {data.shape}, not uint8 (N, 3072)")
        images = data.reshape(-1, 3, 32, 32)
    _check_labels(CIFAR10, path, labels, len(images), num_classes)
    return images, labels


def read_cifar_classes(path: Path) -> list[str]:
    """CIFAR-10's class names, from batches.meta."""
    meta = _load_pickle(CIFAR10, path)
    with _reading(CIFAR10, path):
        return [name.decode() if isinstance(name, bytes) else str(name) for name in meta["label_names"]]


def read_stl10_images(path: Path, rows: np.ndarray | None = None) -> np.ndarray:
    """Images of an STL-10 ``*_X.bin`` file as uint8 (N, 3, 96, 96): all, or just ``rows``.

    The file holds each image's three channels one after the other, each 96×96
    channel in column-major order (hence the transpose, as torchvision does). It
    is memory-mapped, so reading a few rows of the 2.7 GB unlabeled file is quick.
    """
    size = path.stat().st_size
    if size == 0 or size % STL10_IMAGE_BYTES:
        raise _corrupt(STL10, path, f"{size} bytes is not a whole number of 3×96×96 images")
    with _reading(STL10, path):
        stored = np.memmap(path, dtype=np.uint8, mode="r", shape=(size // STL10_IMAGE_BYTES, 3, 96, 96))
        chosen = stored[rows] if rows is not None else stored
        return np.ascontiguousarray(chosen.transpose(0, 1, 3, 2))


def count_stl10_images(path: Path) -> int:
    return path.stat().st_size // STL10_IMAGE_BYTES


def read_stl10_classes(folder: Path) -> list[str]:
    """STL-10's class names, from class_names.txt when present."""
    path = folder / "class_names.txt"
    if not path.is_file():
        return list(STL10_CLASSES)
    with _reading(STL10, path):
        names = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(names) != len(STL10_CLASSES):
        raise _corrupt(STL10, path, f"{len(names)} class names instead of {len(STL10_CLASSES)}")
    return names


def read_idx_split(source: Source, folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """An MNIST-format split: uint8 images (N, 28, 28) and int64 labels (N,).

    The IDX files start with a big-endian magic number (0x0803 for images,
    0x0801 for labels) and the sizes; torchvision parses them.
    """
    from torchvision.datasets.mnist import read_image_file, read_label_file

    image_file, label_file = (folder / name for name in source.files[split])
    with _reading(source, image_file):
        images = read_image_file(str(image_file))
    with _reading(source, label_file):
        labels = read_label_file(str(label_file))
    _check_labels(source, label_file, labels.numpy(), len(images), 10)
    return images, labels


# ---------------------------------------------------------------------------
# The loaders
# ---------------------------------------------------------------------------


def _root(root) -> Path:
    return Path(root) if root is not None else default_root()


def load_cifar10(
    split: str = "train", n: int | None = None, root: Path | None = None, seed: int = 0, download: bool = True
) -> ImageSet:
    """CIFAR-10: 50,000 / 10,000 colour 32×32 images of 10 classes."""
    folder = ensure_files(CIFAR10, split, _root(root), download)
    classes = read_cifar_classes(folder / "batches.meta")
    batch_files = [name for name in CIFAR10.files[split] if name != "batches.meta"]
    batches = [read_cifar_batch(folder / name, len(classes)) for name in batch_files]
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    rows = chosen_rows(len(images), n, seed)
    if rows is not None:
        images, labels = images[rows], labels[rows]
    return ImageSet(torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels), classes, "cifar10")


def load_stl10(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    unlabeled: bool = False,
    download: bool = True,
) -> ImageSet:
    """STL-10: 96×96 colour images of 10 classes; 5,000 train / 8,000 test labelled.

    ``unlabeled=True`` gives the 100,000 unlabeled images instead (labels -1),
    made for self-supervised pre-training; pass ``n`` to read only a subset.
    """
    if unlabeled and split != "train":
        raise WorkbenchError(
            f"STL-10's unlabeled images form one pool; use split 'train' with unlabeled=True (got {split!r})."
        )
    part = "unlabeled" if unlabeled else split
    folder = ensure_files(STL10, part, _root(root), download)
    image_file = folder / f"{part}_X.bin"
    rows = chosen_rows(count_stl10_images(image_file), n, seed)
    images = read_stl10_images(image_file, rows)
    if unlabeled:
        labels = np.full(len(images), -1, dtype=np.int64)
    else:
        label_file = folder / f"{part}_y.bin"
        labels = np.fromfile(label_file, dtype=np.uint8).astype(np.int64) - 1  # stored 1..10
        _check_labels(STL10, label_file, labels, count_stl10_images(image_file), len(STL10_CLASSES))
        if rows is not None:
            labels = labels[rows]
    return ImageSet(torch.from_numpy(images), torch.from_numpy(labels), read_stl10_classes(folder), "stl10")


def _load_idx_dataset(source: Source, classes, split, n, root, seed, image_size, download) -> ImageSet:
    """MNIST-format grayscale 28×28 digits → uint8 (N, 3, image_size, image_size)."""
    if not isinstance(image_size, int) or image_size < 8:
        raise WorkbenchError(f"image_size must be an integer ≥ 8 (got {image_size!r}).")
    folder = ensure_files(source, split, _root(root), download)
    images, labels = read_idx_split(source, folder, split)
    rows = chosen_rows(len(images), n, seed)
    if rows is not None:
        images, labels = images[rows], labels[rows]
    images = images[:, None]  # (N, 1, 28, 28)
    if image_size != images.shape[-1]:
        images = resize_uint8(images, image_size)
    return ImageSet(images.repeat(1, 3, 1, 1), labels, list(classes), source.name)


def load_mnist(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    image_size: int = 32,
    download: bool = True,
) -> ImageSet:
    """MNIST: 60,000 / 10,000 handwritten digits, grayscale repeated to 3 channels."""
    from torchvision.datasets import MNIST as TorchvisionMNIST

    return _load_idx_dataset(MNIST, TorchvisionMNIST.classes, split, n, root, seed, image_size, download)


def load_fashion_mnist(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    image_size: int = 32,
    download: bool = True,
) -> ImageSet:
    """Fashion-MNIST: 60,000 / 10,000 grayscale clothing images, repeated to 3 channels."""
    from torchvision.datasets import FashionMNIST as TorchvisionFashionMNIST

    return _load_idx_dataset(
        FASHION_MNIST, TorchvisionFashionMNIST.classes, split, n, root, seed, image_size, download
    )
