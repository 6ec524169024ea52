"""methods/presets.py: the published CIFAR-10 settings build every method."""

import pytest
from helpers import JOINT_METHODS
from helpers import TINY_IMAGE_BACKBONE as TINY_BACKBONE

from sslworkbench import WorkbenchError, build_method


def test_cifar10_settings_build_every_method():
    from sslworkbench.methods.presets import CIFAR10, cifar10_settings

    assert set(CIFAR10) >= set(JOINT_METHODS)
    for name in JOINT_METHODS:
        settings = cifar10_settings(name)
        assert 256 <= settings["batch_size"] <= 512
        build_method(name, **TINY_BACKBONE, **settings["method"])
    with pytest.raises(WorkbenchError, match="Known"):
        cifar10_settings("nope")
