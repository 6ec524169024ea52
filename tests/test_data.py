"""data/__init__.py: load_dataset and the DATASETS registry."""

import pytest
import torch

import sslworkbench as sw
from sslworkbench.data import DATASETS, load_dataset
from sslworkbench.errors import WorkbenchError


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


def test_size_is_refused_for_data_that_is_not_images():
    with pytest.raises(sw.WorkbenchError, match="holds tokens, not images"):
        sw.load_dataset("motifs", "train", n=8, size=16)
