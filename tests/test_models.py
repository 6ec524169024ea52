"""models/__init__.py: backbones by name (the BACKBONES registry, build_backbone)."""

import pytest

from sslworkbench import WorkbenchError, build_backbone


def test_unknown_backbone():
    with pytest.raises(WorkbenchError, match="Unknown backbone 'resnet19'. Did you mean 'resnet18'"):
        build_backbone("resnet19")
    with pytest.raises(WorkbenchError, match="small_cnn"):
        build_backbone("small_cnn", widht=8)
    with pytest.raises(WorkbenchError, match="width"):
        build_backbone("small_cnn", width=0)
