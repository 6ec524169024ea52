"""models/decoders.py: the backbone's feature map, decoders back to images, the
channel-wise fully connected layer and the discriminator."""

import pytest
import torch

from sslworkbench.errors import WorkbenchError
from sslworkbench.models import SmallCNN, TokenCNN
from sslworkbench.models.decoders import (
    ChannelWiseFC,
    ConvDecoder,
    Discriminator,
    VectorDecoder,
    feature_map,
    feature_map_size,
)


def test_the_feature_map_pooled_over_space_is_the_backbones_output():
    torch.manual_seed(0)
    backbone = SmallCNN(width=8, depth=3).eval()
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        spatial = feature_map(backbone, images)
        assert spatial.shape == (2, 32, 8, 8)
        assert torch.allclose(spatial.mean(dim=(2, 3)), backbone(images), atol=1e-6)
    backbone.train()
    assert feature_map_size(backbone, 32) == (32, 8) and backbone.training  # measured in eval mode, mode restored
    with pytest.raises(WorkbenchError, match="spatial feature map"):
        feature_map(TokenCNN(vocab_size=10), torch.zeros(2, 5, dtype=torch.long))


def test_decoders_reach_the_image_size_and_refuse_other_ratios():
    assert ConvDecoder(32, 4, 32, 3, width=16)(torch.randn(2, 32, 4, 4)).shape == (2, 3, 32, 32)
    assert ConvDecoder(8, 16, 8, 2)(torch.randn(2, 8, 16, 16)).shape == (2, 2, 8, 8)  # a larger map is pooled down
    assert VectorDecoder(10, 32, width=16)(torch.randn(2, 10)).shape == (2, 3, 32, 32)
    with pytest.raises(WorkbenchError, match="power-of-two"):
        ConvDecoder(8, 4, 24, 3)


def test_channel_wise_fc_keeps_the_shape_and_mixes_channels_only_in_the_1x1():
    layer = ChannelWiseFC(channels=4, side=3).eval()
    x = torch.randn(2, 4, 3, 3)
    assert layer(x).shape == (2, 4, 3, 3)
    layer.mix = torch.nn.Identity()  # the per-channel layers alone
    changed = x.clone()
    changed[:, 1, 0, 0] += 5.0  # one position of channel 1 changes...
    before, after = layer(x), layer(changed)
    assert torch.equal(before[:, [0, 2, 3]], after[:, [0, 2, 3]])  # ...the other channels do not see it
    assert not torch.equal(before[:, 1], after[:, 1])
    assert (before[:, 1] != after[:, 1]).sum() > 1  # and it reaches other positions: fully connected in space


def test_discriminator_gives_one_logit_per_image():
    assert Discriminator(image_size=32, width=8)(torch.rand(5, 3, 32, 32)).shape == (5,)
    assert Discriminator(image_size=16, width=8)(torch.rand(2, 3, 16, 16)).shape == (2,)
