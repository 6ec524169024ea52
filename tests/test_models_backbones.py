"""models/backbones.py: the small CNN and the CIFAR ResNet-18: output shapes and feature_dim."""

import pytest
import torch

from sslworkbench import build_backbone
from sslworkbench.models import ResNet18CIFAR, SmallCNN


@pytest.mark.parametrize("options, dim", [({"width": 8, "depth": 2}, 16), ({"width": 4, "depth": 3}, 16), ({}, 256)])
def test_small_cnn_feature_dim_is_its_output_width(options, dim):
    net = build_backbone("small_cnn", **options)
    assert isinstance(net, SmallCNN) and net.feature_dim == dim
    assert net(torch.rand(2, 3, 32, 32)).shape == (2, dim)


def test_resnet18_feature_dim_is_its_output_width():
    net = build_backbone("resnet18")
    assert isinstance(net, ResNet18CIFAR) and net.feature_dim == 512
    with torch.no_grad():
        assert net.eval()(torch.rand(2, 3, 32, 32)).shape == (2, 512)
