"""data/torchvision_sets.py: the real datasets (CIFAR-10, STL-10, MNIST, Fashion-MNIST).

They are tested on tiny files written in each dataset's *real* on-disk format
(``helpers.py``), so the same reading code runs as on the real downloads, with
no network. Where torchvision can read the tiny files too, its result is
compared with ours. CIFAR-10 files put in place by hand: crafted pickles are
refused without running code, genuine ones load, and the offline error lists
what is missing.
"""

from __future__ import annotations

import os
import pickle
import re
import shlex
import socket
import tarfile
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from helpers import CIFAR_CLASSES, idx_bytes, write_cifar, write_idx, write_stl10

from sslworkbench.data import load_dataset
from sslworkbench.data import torchvision_sets as tv_sets
from sslworkbench.errors import WorkbenchError

TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
ALL_FILES = TRAIN_FILES + ["test_batch", "batches.meta"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """No test may reach the network: offline unless a test says otherwise."""
    monkeypatch.setenv("SSLWB_OFFLINE", "1")


def cifar_files(per_batch=2):
    """The pickled dicts of a tiny CIFAR-10 in the real format: {file name: dict}."""
    files = {}
    for seed, name in enumerate(TRAIN_FILES + ["test_batch"]):
        images = np.random.default_rng(seed).integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        files[name] = {"batch_label": name, "labels": [seed % 10] * per_batch, "data": images}
    files["batches.meta"] = {"label_names": CIFAR_CLASSES, "num_vis": 3072, "num_cases_per_batch": per_batch}
    return files


def write_files(root, files, protocol=2, transform=lambda data: data):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(transform(pickle.dumps(content, protocol=protocol)))
    return folder


class WritesMarker:
    """Unpickling this calls ``function(argument)``: what a crafted file would do."""

    def __init__(self, function, argument):
        self.function, self.argument = function, argument

    def __reduce__(self):
        return self.function, (self.argument,)


def crafted(marker, how):
    if how == "os.system":
        return WritesMarker(os.system, f"touch {shlex.quote(str(marker))}")
    return WritesMarker(exec, f"open({str(marker)!r}, 'w').write('ran')")


# ---------------------------------------------------------------------------
# A crafted pickle runs no code
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["os.system", "exec"])
@pytest.mark.parametrize("where", ["whole_file", "inside_data", "meta"])
def test_crafted_pickle_is_refused_and_runs_no_code(tmp_path, how, where):
    marker = tmp_path / "marker"
    files = cifar_files()
    if where == "whole_file":
        files["data_batch_2"] = crafted(marker, how)
    elif where == "inside_data":
        files["data_batch_2"]["data"] = crafted(marker, how)
    else:
        files["batches.meta"]["label_names"] = crafted(marker, how)
    folder = write_files(tmp_path, files)
    assert not marker.exists()  # pickling it ran nothing either

    with pytest.raises(WorkbenchError) as error:
        load_dataset("cifar10", "train", root=tmp_path, download=False)

    assert not marker.exists()
    message = str(error.value)
    bad = folder / ("batches.meta" if where == "meta" else "data_batch_2")
    assert str(bad) in message
    assert "other than arrays" in message and "no code" in message
    assert "cifar-10-python.tar.gz" in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_crafted_pickle_in_the_archive_is_refused(tmp_path):
    """The same file arriving through cifar-10-python.tar.gz is read the same way."""
    import tarfile

    marker = tmp_path / "marker"
    files = cifar_files()
    files["test_batch"] = crafted(marker, "os.system")
    source = tmp_path / "source"
    write_files(source, files)
    with tarfile.open(tmp_path / "cifar-10-python.tar.gz", "w:gz") as archive:
        archive.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    with pytest.raises(WorkbenchError, match="test_batch.*no code"):
        load_dataset("cifar10", "test", root=tmp_path, download=False)
    assert not marker.exists()


# ---------------------------------------------------------------------------
# Genuine files still load
# ---------------------------------------------------------------------------


def as_numpy1(data: bytes) -> bytes:
    """The original files were written with numpy 1, which names numpy.core."""
    return data.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")


@pytest.mark.parametrize(
    "protocol, transform", [(2, lambda data: data), (4, lambda data: data), (2, as_numpy1)], ids=["p2", "p4", "numpy1"]
)
@pytest.mark.parametrize("bytes_keys", [False, True])
def test_genuine_files_still_load(tmp_path, protocol, transform, bytes_keys):
    files = cifar_files()
    if bytes_keys:  # as Python 2 str keys read with encoding="bytes"
        files = {
            name: {key.encode(): value for key, value in content.items()} for name, content in files.items()
        }
        files["batches.meta"][b"label_names"] = [name.encode() for name in CIFAR_CLASSES]
    write_files(tmp_path, files, protocol, transform)
    train = load_dataset("cifar10", "train", root=tmp_path, download=False)
    test = load_dataset("cifar10", "test", root=tmp_path, download=False)
    assert train.images.shape == (10, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    assert train.classes == CIFAR_CLASSES
    data = files["test_batch"][b"data" if bytes_keys else "data"]
    assert np.array_equal(test.images.numpy(), data.reshape(-1, 3, 32, 32))


def test_numpy_scalars_are_allowed(tmp_path):
    files = cifar_files()
    files["batches.meta"]["num_vis"] = np.int64(3072)
    write_files(tmp_path, files)
    assert load_dataset("cifar10", "test", root=tmp_path, download=False).classes == CIFAR_CLASSES


# ---------------------------------------------------------------------------
# The offline error lists exactly the missing files
# ---------------------------------------------------------------------------


def listed_missing(message):
    found = re.search(r"missing: (.*?)\. Put them", message)
    assert found, message
    return found.group(1).split(", ")


def offline_error(tmp_path, split):
    with pytest.raises(WorkbenchError) as error:
        load_dataset("cifar10", split, root=tmp_path, download=False)
    return str(error.value)


def test_offline_error_lists_only_test_batch_when_only_it_is_missing(tmp_path):
    folder = write_files(tmp_path, cifar_files())
    (folder / "test_batch").unlink()
    message = offline_error(tmp_path, "test")
    assert listed_missing(message) == ["test_batch"]
    for present in TRAIN_FILES + ["batches.meta"]:
        assert present not in message


def test_offline_error_lists_every_missing_file_for_either_split(tmp_path):
    """test_batch used to be left out of "missing" when loading the train split."""
    for split in ("train", "test"):
        message = offline_error(tmp_path, split)
        assert sorted(listed_missing(message)) == sorted(ALL_FILES)
        assert all(message.count(name) == 1 for name in ALL_FILES)


def test_offline_error_lists_what_is_missing_among_several(tmp_path):
    folder = write_files(tmp_path, cifar_files())
    for name in ("data_batch_3", "batches.meta"):
        (folder / name).unlink()
    assert listed_missing(offline_error(tmp_path, "train")) == ["data_batch_3", "batches.meta"]


def test_offline_error_is_short_and_says_what_to_do(tmp_path):
    message = offline_error(tmp_path, "train")
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert f"cifar-10-python.tar.gz in {tmp_path}/" in message
    assert "shapes" in message and "digits" in message and "SSLWB_OFFLINE=1" in message
    assert len(message.replace(str(tmp_path), "data")) < 350, message


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
