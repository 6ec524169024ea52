"""CIFAR-10 files put in place by hand: crafted pickles are refused without
running code, genuine ones load, and the offline error lists what is missing."""

from __future__ import annotations

import os
import pickle
import re
import shlex

import numpy as np
import pytest

from sslworkbench.data import load_dataset
from sslworkbench.errors import WorkbenchError

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
ALL_FILES = TRAIN_FILES + ["test_batch", "batches.meta"]


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    monkeypatch.setenv("SSLWB_OFFLINE", "1")


def cifar_files(per_batch=2):
    """The pickled dicts of a tiny CIFAR-10 in the real format: {file name: dict}."""
    files = {}
    for seed, name in enumerate(TRAIN_FILES + ["test_batch"]):
        images = np.random.default_rng(seed).integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        files[name] = {"batch_label": name, "labels": [seed % 10] * per_batch, "data": images}
    files["batches.meta"] = {"label_names": CLASSES, "num_vis": 3072, "num_cases_per_batch": per_batch}
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
        files["batches.meta"][b"label_names"] = [name.encode() for name in CLASSES]
    write_files(tmp_path, files, protocol, transform)
    train = load_dataset("cifar10", "train", root=tmp_path, download=False)
    test = load_dataset("cifar10", "test", root=tmp_path, download=False)
    assert train.images.shape == (10, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    assert train.classes == CLASSES
    data = files["test_batch"][b"data" if bytes_keys else "data"]
    assert np.array_equal(test.images.numpy(), data.reshape(-1, 3, 32, 32))


def test_numpy_scalars_are_allowed(tmp_path):
    files = cifar_files()
    files["batches.meta"]["num_vis"] = np.int64(3072)
    write_files(tmp_path, files)
    assert load_dataset("cifar10", "test", root=tmp_path, download=False).classes == CLASSES


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
