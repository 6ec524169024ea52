"""models/__init__.py: backbones by name (the BACKBONES registry, build_backbone), and the
backbone protocol every registered backbone follows."""

import inspect

import pytest

from sslworkbench import WorkbenchError, build_backbone
from sslworkbench.models import BACKBONES


def test_unknown_backbone():
    with pytest.raises(WorkbenchError, match="Unknown backbone 'resnet19'. Did you mean 'resnet18'"):
        build_backbone("resnet19")
    with pytest.raises(WorkbenchError, match="small_cnn"):
        build_backbone("small_cnn", widht=8)
    with pytest.raises(WorkbenchError, match="width"):
        build_backbone("small_cnn", width=0)


#: what each kind of backbone adds to feature_dim and input_kind (models/__init__.py)
BUILT_FOR = {"images": ("image_size", "fixed_image_size"), "clips": ("image_size", "fixed_image_size"),
             "audio": ("sample_rate",), "tokens": ("vocab_size", "vocab_id")}


@pytest.mark.parametrize("name", BACKBONES.names())
def test_every_backbone_follows_the_protocol(name):
    backbone = build_backbone(name)
    assert backbone.input_kind in BUILT_FOR, f"{name}.input_kind"
    assert isinstance(backbone.feature_dim, int) and backbone.feature_dim >= 1
    accepted = inspect.signature(type(backbone).__init__).parameters
    for attribute in BUILT_FOR[backbone.input_kind]:
        assert hasattr(backbone, attribute), f"{name} lacks {attribute}"
        if attribute != "fixed_image_size":   # a setting it is built for: a constructor argument it keeps
            assert attribute in accepted, f"{name}'s constructor does not take {attribute}"


def test_a_backbone_keeps_what_it_was_built_for():
    assert build_backbone("small_cnn", image_size=48).image_size == 48
    assert build_backbone("vit", image_size=16, patch_size=4, width=16, depth=1, heads=2).fixed_image_size
    assert not build_backbone("small_cnn").fixed_image_size
    assert build_backbone("audio_cnn", sample_rate=16_000).sample_rate == 16_000
    assert build_backbone("token_cnn", vocab_size=30, vocab_id="x").vocab_id == "x"
