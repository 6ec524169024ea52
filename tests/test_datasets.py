"""Tests for every dataset loader and for load_dataset itself.

The real datasets (CIFAR-10, STL-10, MNIST, Fashion-MNIST) are tested on tiny
files written here in each dataset's *real* on-disk format, so the same reading
code runs as on the real downloads, with no network. Where torchvision can read
the tiny files too, its result is compared with ours.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import pickle
import socket
import struct
import tarfile
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch

from sslworkbench.data import DATASETS, load_dataset
from sslworkbench.data import shapes as shapes_module
from sslworkbench.data import torchvision_sets as tv_sets
from sslworkbench.errors import WorkbenchError

CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may reach the network: offline unless a test says otherwise."""
    monkeypatch.setenv("SSLWB_OFFLINE", "1")


# ---------------------------------------------------------------------------
# Writers of tiny files in the real formats
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# CIFAR-10
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text_keys", [False, True], ids=["bytes-keys", "str-keys"])
def test_cifar10_reads_the_real_format(tmp_path, text_keys):
    expected = write_cifar(tmp_path, text_keys=text_keys)
    for split, count in (("train", 10), ("test", 3)):
        data = load_dataset("cifar10", split, root=tmp_path)
        assert data.images.shape == (count, 3, 32, 32) and data.images.dtype == torch.uint8
        assert data.labels.dtype == torch.int64
        assert data.classes == CIFAR_CLASSES and data.name == "cifar10"
        assert torch.equal(data.images, torch.from_numpy(expected[split][0]))
        assert data.labels.tolist() == expected[split][1].tolist()


def test_cifar10_pixel_layout(tmp_path):
    """A row of ``data`` is R, G, B planes of 1024 values, each 32×32 row-major."""
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    batch = pickle.loads(path.read_bytes())
    batch["data"][0] = 0
    batch["data"][0, 2 * 1024 + 3 * 32 + 7] = 201  # blue, row 3, column 7
    path.write_bytes(pickle.dumps(batch, protocol=2))
    image = load_dataset("cifar10", "train", root=tmp_path).images[0]
    assert image[2, 3, 7] == 201
    assert image.sum() == 201


def test_cifar10_agrees_with_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as tv_cifar

    write_cifar(tmp_path)
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda *args, **kwargs: True)  # tiny files, other md5s
    reference = tv_cifar.CIFAR10(tmp_path, train=True)
    ours = load_dataset("cifar10", "train", root=tmp_path)
    assert np.array_equal(ours.images.permute(0, 2, 3, 1).numpy(), reference.data)  # torchvision keeps HWC
    assert ours.labels.tolist() == reference.targets
    assert ours.classes == reference.classes


def test_cifar10_subset_and_resize(tmp_path):
    write_cifar(tmp_path)
    full = load_dataset("cifar10", "train", root=tmp_path)
    part = load_dataset("cifar10", "train", root=tmp_path, n=4, seed=3)
    reference = full.subset(4, seed=3)
    assert torch.equal(part.images, reference.images) and torch.equal(part.labels, reference.labels)
    assert load_dataset("cifar10", "test", root=tmp_path, size=16).images.shape == (3, 3, 16, 16)


def test_cifar10_truncated_batch_is_a_clear_error(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(WorkbenchError, match="data_batch_3.*incomplete or corrupt") as error:
        load_dataset("cifar10", "train", root=tmp_path)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_cifar10_wrong_label_count_is_a_clear_error(tmp_path):
    write_cifar(tmp_path)
    path = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch = pickle.loads(path.read_bytes())
    batch["labels"] = batch["labels"][:-1]
    path.write_bytes(pickle.dumps(batch, protocol=2))
    with pytest.raises(WorkbenchError, match="2 labels for 3 images"):
        load_dataset("cifar10", "test", root=tmp_path)


def test_cifar10_archive_is_extracted_offline(tmp_path):
    source = tmp_path / "made"
    expected = write_cifar(source)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as archive:
        archive.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    data = load_dataset("cifar10", "test", root=tmp_path)
    assert torch.equal(data.images, torch.from_numpy(expected["test"][0]))
    assert (tmp_path / "cifar-10-batches-py" / "data_batch_5").is_file()


# ---------------------------------------------------------------------------
# STL-10
# ---------------------------------------------------------------------------


def test_stl10_reads_the_real_format(tmp_path):
    expected = write_stl10(tmp_path)
    for split, count in (("train", 4), ("test", 3)):
        data = load_dataset("stl10", split, root=tmp_path)
        assert data.images.shape == (count, 3, 96, 96) and data.images.dtype == torch.uint8
        assert torch.equal(data.images, torch.from_numpy(expected[split][0]))
        assert data.labels.tolist() == expected[split][1].tolist()  # 1-based on disk, 0-based here
        assert data.classes == tv_sets.STL10_CLASSES and data.name == "stl10"


def test_stl10_pixel_layout(tmp_path):
    """Each channel is stored column-major: byte (image, channel, column, row)."""
    write_stl10(tmp_path)
    path = tmp_path / "stl10_binary" / "test_X.bin"
    stored = np.zeros(3 * 3 * 96 * 96, dtype=np.uint8)
    image, channel, row, column = 1, 0, 5, 70
    stored[image * 3 * 96 * 96 + channel * 96 * 96 + column * 96 + row] = 222
    path.write_bytes(stored.tobytes())
    images = load_dataset("stl10", "test", root=tmp_path).images
    assert images[image, channel, row, column] == 222
    assert images.sum() == 222


def test_stl10_agrees_with_torchvision(tmp_path, monkeypatch):
    import torchvision.datasets.stl10 as tv_stl10

    write_stl10(tmp_path)
    monkeypatch.setattr(tv_stl10, "check_integrity", lambda *args, **kwargs: True)
    for split in ("train", "test"):
        reference = tv_stl10.STL10(tmp_path, split=split)
        ours = load_dataset("stl10", split, root=tmp_path)
        assert np.array_equal(ours.images.numpy(), reference.data)
        assert ours.labels.tolist() == reference.labels.tolist()
        assert ours.classes == reference.classes


def test_stl10_unlabeled_reads_only_a_subset(tmp_path):
    expected = write_stl10(tmp_path)
    everything = load_dataset("stl10", "train", root=tmp_path, unlabeled=True)
    assert everything.images.shape == (7, 3, 96, 96)
    assert torch.equal(everything.images, torch.from_numpy(expected["unlabeled"][0]))
    assert (everything.labels == -1).all()
    part = load_dataset("stl10", "train", root=tmp_path, unlabeled=True, n=3, seed=5)
    assert torch.equal(part.images, everything.subset(3, seed=5).images)  # as if all were read
    assert len(part) == 3 and (part.labels == -1).all()


def test_stl10_labelled_subset_and_resize(tmp_path):
    write_stl10(tmp_path)
    full = load_dataset("stl10", "train", root=tmp_path)
    part = load_dataset("stl10", "train", root=tmp_path, n=2, seed=1)
    assert torch.equal(part.labels, full.subset(2, seed=1).labels)
    assert load_dataset("stl10", "test", root=tmp_path, size=32).images.shape == (3, 3, 32, 32)


def test_stl10_unlabeled_goes_with_train_only(tmp_path):
    write_stl10(tmp_path)
    with pytest.raises(WorkbenchError, match="unlabeled=True"):
        load_dataset("stl10", "test", root=tmp_path, unlabeled=True)


def test_stl10_only_needs_the_files_of_its_split(tmp_path):
    write_stl10(tmp_path, counts={"test": 2})
    (tmp_path / "stl10_binary" / "class_names.txt").unlink()  # optional, as in torchvision
    data = load_dataset("stl10", "test", root=tmp_path)
    assert len(data) == 2 and data.classes == tv_sets.STL10_CLASSES
    with pytest.raises(WorkbenchError, match="missing: train_X.bin, train_y.bin"):
        load_dataset("stl10", "train", root=tmp_path)


def test_stl10_truncated_images_are_a_clear_error(tmp_path):
    write_stl10(tmp_path)
    path = tmp_path / "stl10_binary" / "train_X.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(WorkbenchError, match="train_X.bin is incomplete or corrupt"):
        load_dataset("stl10", "train", root=tmp_path)


def test_stl10_label_mismatch_is_a_clear_error(tmp_path):
    write_stl10(tmp_path)
    (tmp_path / "stl10_binary" / "test_y.bin").write_bytes(bytes([1, 2, 11]))  # 11 is no class
    with pytest.raises(WorkbenchError, match="test_y.bin.*labels outside"):
        load_dataset("stl10", "test", root=tmp_path)
    (tmp_path / "stl10_binary" / "test_y.bin").write_bytes(bytes([1, 2]))
    with pytest.raises(WorkbenchError, match="2 labels for 3 images"):
        load_dataset("stl10", "test", root=tmp_path)


# ---------------------------------------------------------------------------
# MNIST and Fashion-MNIST
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_mnist_formats(tmp_path, name, folder):
    import torchvision.datasets as tv

    expected = write_idx(tmp_path, folder)
    reference_class = tv.MNIST if name == "mnist" else tv.FashionMNIST
    for split, count in (("train", 5), ("test", 4)):
        data = load_dataset(name, split, root=tmp_path)
        assert data.images.shape == (count, 3, 32, 32) and data.images.dtype == torch.uint8
        assert data.labels.tolist() == expected[split][1].tolist()
        assert data.classes == reference_class.classes and data.name == name
        assert torch.equal(data.images[:, 0], data.images[:, 1]) and torch.equal(data.images[:, 0], data.images[:, 2])
        native = load_dataset(name, split, root=tmp_path, image_size=28).images
        assert torch.equal(native[:, 0], torch.from_numpy(expected[split][0]))
        reference = reference_class(tmp_path, train=split == "train")  # no md5 check for MNIST's raw files
        assert torch.equal(native[:, 0], reference.data)


def test_mnist_pixel_layout_and_orientation(tmp_path):
    write_idx(tmp_path)
    path = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    images = np.zeros((4, 28, 28), dtype=np.uint8)
    images[1, 2:5, 20:23] = 255  # a bright square near the top right
    path.write_bytes(idx_bytes(images))
    native = load_dataset("mnist", "test", root=tmp_path, image_size=28).images
    assert native[1, :, 2, 20].tolist() == [255, 255, 255] and native[1, :, 20, 2].sum() == 0
    resized = load_dataset("mnist", "test", root=tmp_path).images[1, 0]
    row, column = divmod(int(resized.argmax()), 32)
    assert row < 8 and column > 20  # still top right, not transposed


def test_mnist_gz_files_are_decompressed_offline(tmp_path):
    expected = write_idx(tmp_path, compress=True)
    data = load_dataset("mnist", "train", root=tmp_path, image_size=28)
    assert torch.equal(data.images[:, 0], torch.from_numpy(expected["train"][0]))


def test_mnist_corrupt_gz_leaves_nothing_behind(tmp_path):
    write_idx(tmp_path, compress=True)
    compressed = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz"
    compressed.write_bytes(compressed.read_bytes()[:40])
    with pytest.raises(WorkbenchError, match="t10k-images-idx3-ubyte.gz is incomplete or corrupt"):
        load_dataset("mnist", "test", root=tmp_path)
    assert not (tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()


def test_mnist_truncated_file_is_a_clear_error(tmp_path):
    write_idx(tmp_path)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(WorkbenchError, match="train-images-idx3-ubyte is incomplete or corrupt"):
        load_dataset("mnist", "train", root=tmp_path)
    path.write_bytes(idx_bytes(np.zeros(5, dtype=np.uint8)))  # a label file where images belong
    with pytest.raises(WorkbenchError, match="incomplete or corrupt"):
        load_dataset("mnist", "train", root=tmp_path)


def test_mnist_bad_image_size(tmp_path):
    write_idx(tmp_path)
    with pytest.raises(WorkbenchError, match="image_size"):
        load_dataset("mnist", "test", root=tmp_path, image_size=4)


# ---------------------------------------------------------------------------
# Missing files: offline error, download attempts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, folder",
    [
        ("cifar10", "cifar-10-batches-py"),
        ("stl10", "stl10_binary"),
        ("mnist", "MNIST/raw"),
        ("fashion_mnist", "FashionMNIST/raw"),
    ],
)
def test_offline_error_says_where_to_put_the_files(tmp_path, name, folder):
    with pytest.raises(WorkbenchError) as error:
        load_dataset(name, "train", root=tmp_path)
    message = str(error.value)
    assert repr(name) in message and "SSLWB_OFFLINE" in message
    assert "shapes" in message and "digits" in message
    assert str(tmp_path / folder) in message
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_offline_error_names_the_files(tmp_path):
    with pytest.raises(WorkbenchError) as error:
        load_dataset("cifar10", "test", root=tmp_path)
    message = str(error.value)
    for name in ("data_batch_1", "data_batch_5", "test_batch", "batches.meta", "cifar-10-python.tar.gz"):
        assert name in message
    with pytest.raises(WorkbenchError, match="train-images-idx3-ubyte.*t10k-labels-idx1-ubyte"):
        load_dataset("mnist", "test", root=tmp_path)


def test_failed_download_is_one_clear_error(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as tv_cifar

    monkeypatch.delenv("SSLWB_OFFLINE")
    timeouts = []

    def unreachable(*args, **kwargs):
        timeouts.append(socket.getdefaulttimeout())
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tv_cifar, "download_and_extract_archive", unreachable)
    before = socket.getdefaulttimeout()
    with pytest.raises(WorkbenchError, match="download failed.*name resolution") as error:
        load_dataset("cifar10", "train", root=tmp_path)
    assert timeouts == [tv_sets.DOWNLOAD_TIMEOUT_S]
    assert socket.getdefaulttimeout() == before
    assert "cifar-10-batches-py" in str(error.value) and "shapes" in str(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_download_false_and_offline_never_download(tmp_path, monkeypatch):
    import torchvision.datasets.mnist as tv_mnist

    calls = []
    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", lambda *args, **kwargs: calls.append(args))
    with pytest.raises(WorkbenchError, match="SSLWB_OFFLINE=1 is set"):
        load_dataset("mnist", "train", root=tmp_path)
    monkeypatch.delenv("SSLWB_OFFLINE")
    with pytest.raises(WorkbenchError, match="download=False"):
        load_dataset("mnist", "train", root=tmp_path, download=False)
    assert calls == []


def test_download_goes_through_torchvision(tmp_path, monkeypatch):
    """A (faked) torchvision download writes the raw files; the loader then reads them."""
    import torchvision.datasets.mnist as tv_mnist

    monkeypatch.delenv("SSLWB_OFFLINE")
    files = {}
    made = write_idx(tmp_path / "elsewhere")
    for split, prefix in (("train", "train"), ("test", "t10k")):
        files[f"{prefix}-images-idx3-ubyte.gz"] = idx_bytes(made[split][0])
        files[f"{prefix}-labels-idx1-ubyte.gz"] = idx_bytes(made[split][1])

    def fake_download(url, download_root, filename, md5):
        assert socket.getdefaulttimeout() == tv_sets.DOWNLOAD_TIMEOUT_S
        (Path(download_root) / filename.removesuffix(".gz")).write_bytes(files[filename])

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", fake_download)
    data = load_dataset("mnist", "test", root=tmp_path / "data", image_size=28)
    assert torch.equal(data.images[:, 0], torch.from_numpy(made["test"][0]))


def test_layout_matches_torchvision():
    """Our folder and file names are torchvision's (guards against a renamed file)."""
    import torchvision.datasets as tv

    assert tv_sets.CIFAR10.folder == tv.CIFAR10.base_folder and tv_sets.CIFAR10.archive == tv.CIFAR10.filename
    cifar_files = [name for name, _ in tv.CIFAR10.train_list + tv.CIFAR10.test_list] + [tv.CIFAR10.meta["filename"]]
    assert sorted(tv_sets.CIFAR10.all_files()) == sorted(cifar_files)
    assert tv_sets.STL10.folder == tv.STL10.base_folder and tv_sets.STL10.archive == tv.STL10.filename
    stl_files = {name for name, _ in tv.STL10.train_list + tv.STL10.test_list}
    assert set(tv_sets.STL10.all_files()) == stl_files
    for ours, theirs in ((tv_sets.MNIST, tv.MNIST), (tv_sets.FASHION_MNIST, tv.FashionMNIST)):
        assert ours.folder == f"{theirs.__name__}/raw"
        assert sorted(ours.all_files()) == sorted(name.removesuffix(".gz") for name, _ in theirs.resources)


# ---------------------------------------------------------------------------
# shapes
# ---------------------------------------------------------------------------


def test_shapes_format_and_determinism(tmp_path):
    first = load_dataset("shapes", "train", n=40, seed=0, cache=False, root=tmp_path)
    again = load_dataset("shapes", "train", n=40, seed=0, cache=False, root=tmp_path)
    other = load_dataset("shapes", "train", n=40, seed=1, cache=False, root=tmp_path)
    assert first.images.shape == (40, 3, 32, 32) and first.images.dtype == torch.uint8
    assert first.labels.dtype == torch.int64 and first.num_classes == 10
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)
    assert not torch.equal(first.images, other.images)
    assert set(first.extras) >= {"object_hue", "rotation"}


def test_shapes_prefix_and_balance(tmp_path):
    small = load_dataset("shapes", "test", n=50, cache=False, root=tmp_path)
    large = load_dataset("shapes", "test", n=600, cache=False, root=tmp_path)
    assert torch.equal(small.images, large.images[:50]) and torch.equal(small.labels, large.labels[:50])
    counts = torch.bincount(large.labels, minlength=10)
    assert counts.min() >= 40 and counts.max() <= 80


def test_shapes_train_and_test_differ(tmp_path):
    train = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path)
    test = load_dataset("shapes", "test", n=20, cache=False, root=tmp_path)
    assert not torch.equal(train.images, test.images)


def test_shapes_cache_is_written_and_reread(tmp_path, monkeypatch):
    made = load_dataset("shapes", "test", n=30, root=tmp_path)
    cached = list(tmp_path.glob("shapes-*.pt"))
    assert len(cached) == 1

    def no_generation(*args, **kwargs):
        raise AssertionError("should have read the cache")

    monkeypatch.setattr(shapes_module, "generate", no_generation)
    reread = load_dataset("shapes", "test", n=30, root=tmp_path)
    assert torch.equal(made.images, reread.images) and torch.equal(made.labels, reread.labels)
    assert torch.equal(made.extras["rotation"], reread.extras["rotation"])


def test_shapes_chromatic_aberration(tmp_path):
    plain = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path)
    shifted = load_dataset("shapes", "train", n=20, cache=False, root=tmp_path, chromatic_aberration=0.04)
    assert not torch.equal(plain.images, shifted.images)
    assert torch.equal(plain.images[:, 1], shifted.images[:, 1])  # green stays put
    assert torch.equal(plain.labels, shifted.labels)
    with pytest.raises(WorkbenchError, match="chromatic_aberration"):
        load_dataset("shapes", n=5, cache=False, root=tmp_path, chromatic_aberration=1.0)


def test_shapes_default_images_never_change():
    """Notebooks' measured results depend on these exact pixels: a generator change
    must bump shapes.VERSION (and re-measure), never silently alter them."""
    images = load_dataset("shapes", "train", n=1000, cache=False).images
    assert hashlib.sha256(images.numpy().tobytes()).hexdigest() == (
        "0a3bb2a42c41a0e0ccf04dc07f08f09b37f7b5e442fe58b37354d1c9b53d60c3"
    )


def test_shapes_upright_gives_the_images_an_up(tmp_path):
    plain = load_dataset("shapes", "train", n=60, cache=False)
    upright = load_dataset("shapes", "train", n=60, cache=False, upright=True)
    assert torch.equal(plain.labels, upright.labels)  # same objects, same draws: only the angles change
    assert torch.equal(plain.extras["object_hue"], upright.extras["object_hue"])
    assert upright.extras["rotation"].abs().max() <= math.radians(15) + 1e-6
    assert plain.extras["rotation"].abs().max() > math.radians(90)
    # the background runs top to bottom: rows vary more than columns
    background = upright.images.float().mean(dim=1)
    assert (background[:, 0, :] - background[:, -1, :]).abs().mean() > (background[:, :, 0] - background[:, :, -1]).abs().mean()
    # cached under its own name, beside the ordinary split
    load_dataset("shapes", "train", n=10, root=tmp_path, upright=True)
    assert [p.name for p in tmp_path.iterdir()] == ["shapes-v2-train-seed0-ca0-upright.pt"]


# ---------------------------------------------------------------------------
# digits
# ---------------------------------------------------------------------------


def test_digits(tmp_path):
    train = load_dataset("digits", "train", root=tmp_path)
    test = load_dataset("digits", "test", root=tmp_path)
    assert (len(train), len(test)) == (1257, 540)
    assert train.images.shape == (1257, 3, 32, 32) and train.images.dtype == torch.uint8
    assert train.classes == [str(d) for d in range(10)]
    assert set(train.labels.tolist()) == set(range(10)) == set(test.labels.tolist())
    assert load_dataset("digits", "test", n=25, root=tmp_path).images.shape == (25, 3, 32, 32)


# ---------------------------------------------------------------------------
# load_dataset
# ---------------------------------------------------------------------------


def test_registry_has_every_loader():
    assert {"shapes", "digits", "cifar10", "stl10", "mnist", "fashion_mnist"} <= set(DATASETS.names())


def test_unknown_name_suggests_a_close_one():
    with pytest.raises(WorkbenchError, match="Did you mean 'shapes'"):
        load_dataset("shapez")
    with pytest.raises(WorkbenchError, match="Did you mean 'cifar10'"):
        load_dataset("cifar-10")


@pytest.mark.parametrize(
    "arguments, words",
    [
        ({"split": "val"}, "Unknown split"),
        ({"n": 0}, "n must be"),
        ({"n": -3}, "n must be"),
        ({"n": 2.5}, "n must be"),
        ({"size": 4}, "size must be"),
        ({"size": "32"}, "size must be"),
    ],
)
def test_load_dataset_rejects_bad_arguments(tmp_path, arguments, words):
    with pytest.raises(WorkbenchError, match=words):
        load_dataset("shapes", root=tmp_path, **arguments)


def test_size_resizes(tmp_path):
    data = load_dataset("shapes", n=6, size=16, cache=False, root=tmp_path)
    assert data.images.shape == (6, 3, 16, 16) and data.images.dtype == torch.uint8
    assert load_dataset("digits", "test", n=3, size=64, root=tmp_path).images.shape == (3, 3, 64, 64)
