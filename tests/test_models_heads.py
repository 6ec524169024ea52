"""models/heads.py: the projection head, the predictor and the linear classifier."""

import torch
from torch import nn

from sslworkbench.models.heads import classifier, predictor_head, projection_head


def test_projection_head_is_linear_bn_relu_linear_to_out_dim():
    head = projection_head(16, hidden_dim=32, out_dim=8)
    assert [type(layer) for layer in head] == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
    assert head[0].in_features == 16 and head[0].out_features == 32 and head[0].bias is None
    assert head(torch.randn(4, 16)).shape == (4, 8)


def test_predictor_maps_back_into_projection_space_by_default():
    assert predictor_head(8, hidden_dim=32)(torch.randn(4, 8)).shape == (4, 8)
    assert predictor_head(8, hidden_dim=32, out_dim=5)(torch.randn(4, 8)).shape == (4, 5)


def test_classifier_is_one_linear_layer_to_the_classes():
    head = classifier(16, 10)
    assert isinstance(head, nn.Linear) and head(torch.randn(3, 16)).shape == (3, 10)
