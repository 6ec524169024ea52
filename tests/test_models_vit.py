"""models/vit.py: the tiny vision transformer, built from the text model's blocks."""

import pytest
import torch

from sslworkbench import WorkbenchError, build_backbone, build_method, load_dataset
from sslworkbench.models.transformer import Block
from sslworkbench.models.vit import patchify, sincos_positions, unpatchify
from sslworkbench.training.recipe import method_settings


def tiny(**options):
    torch.manual_seed(0)
    return build_backbone("vit", **{"width": 16, "depth": 2, "heads": 2, **options})


def test_features_tokens_and_states_have_the_documented_shapes():
    net = tiny()
    images = torch.rand(3, 3, 32, 32)
    assert net(images).shape == (3, 16) and net.feature_dim == 16
    assert net.num_patches == 64 and net.patch_tokens(images).shape == (3, 64, 16)
    assert net.encode(net.patch_tokens(images)[:, :5]).shape == (3, 6, 16)  # [CLS] + any subset of patches
    assert tiny(pool="mean")(images).shape == (3, 16)


def test_the_default_is_tiny_and_uses_the_text_models_blocks():
    net = build_backbone("vit")
    assert all(isinstance(block, Block) for block in net.blocks) and len(net.blocks) == 4
    assert 0.2e6 < sum(p.numel() for p in net.parameters()) < 0.5e6


def test_patches_are_cut_in_the_order_of_the_tokens():
    net = tiny().eval()
    images = torch.full((1, 3, 32, 32), 0.5)  # mid-grey: zero after normalisation
    images[0, :, 8:12, 4:8] = 1.0  # patch at row 2, column 1: token 2 * 8 + 1 = 17
    changed = (net.patch_tokens(images) - net.patch_tokens(torch.full_like(images, 0.5))).abs().sum(-1)[0]
    assert changed.argmax() == 17 and (changed > 0).sum() == 1
    assert patchify(images, 4)[0].abs().sub(0.5).abs().sum(-1).argmax() == 17
    assert torch.equal(unpatchify(patchify(images, 4), 4), images)


def test_positions_are_distinct_and_fixed():
    table = sincos_positions(8, 16)
    assert table.shape == (64, 16) and torch.cdist(table, table).add(torch.eye(64)).min() > 0.1
    assert "position_embedding" not in dict(tiny().named_parameters())


def test_attention_maps_are_the_weights_the_fused_kernel_uses():
    net = tiny().eval()
    images = torch.rand(2, 3, 32, 32)
    maps = net.attention_maps(images)
    assert maps.shape == (2, 2, 8, 8) and (maps.sum((2, 3)) < 1).all() and (maps >= 0).all()
    attention = net.blocks[0].attention
    x = torch.randn(2, 7, 16)
    weights = attention.weights(x)  # (N, heads, L, L)
    v = attention.qkv(x).view(2, 7, 3, 2, 8).permute(2, 0, 3, 1, 4)[2]
    by_hand = attention.out((weights @ v).transpose(1, 2).reshape(2, 7, 16))
    assert torch.allclose(by_hand, attention(x, None, False), atol=1e-5)


def test_bad_sizes_fail_with_one_clear_error_each():
    with pytest.raises(WorkbenchError, match="patch_size 5 does not divide the 32-pixel image.*patch_size 4"):
        build_backbone("vit", patch_size=5)
    with pytest.raises(WorkbenchError, match="built for .N, 3, 32, 32. images and got .2, 3, 16, 16.*resized"):
        tiny()(torch.rand(2, 3, 16, 16))
    with pytest.raises(WorkbenchError, match="backbone_options has image_size=32 and simclr is built for image_size=16"):
        build_method("simclr", backbone="vit", image_size=16, backbone_options={"image_size": 32})
    with pytest.raises(WorkbenchError, match="multiple of heads"):
        build_backbone("vit", width=18, heads=4)


def test_the_recipe_builds_the_vit_for_the_datas_image_size():
    data = load_dataset("shapes", "train", n=8).resized(16)
    settings = method_settings("simclr", data, {"backbone": "vit"})
    assert settings["image_size"] == 16 and "backbone_options" not in settings   # the method hands it on
    method = build_method("simclr", **settings)
    assert method.backbone.grid == 4 and method.backbone(torch.rand(2, 3, 16, 16)).shape == (2, 96)
    assert method.backbone_options == {"image_size": 16}   # as built: the baselines build the same ViT


@pytest.mark.parametrize("name", ["simclr", "dino", "byol", "supervised"])
def test_image_methods_train_a_vit(name):
    torch.manual_seed(0)
    method = build_method(name, backbone="vit", backbone_options={"width": 16, "depth": 1, "heads": 2})
    images = load_dataset("shapes", "train", n=8).images
    loss = method.training_step((images, torch.arange(8) % 10))["loss"]
    loss.backward()
    assert torch.isfinite(loss) and method.backbone.cls_token.grad is not None


def test_fine_tuning_can_freeze_the_first_blocks_of_a_vit():
    from sslworkbench.evaluation.finetune import _frozen_parameters

    net = tiny()
    frozen = {id(p) for p in _frozen_parameters(net, 1)}
    assert id(net.patch_embedding.weight) in frozen and id(net.cls_token) in frozen
    assert all(id(p) in frozen for p in net.blocks[0].parameters())
    assert not any(id(p) in frozen for p in net.blocks[1].parameters())


def test_dino_local_crops_must_fit_the_vits_grid():
    options = {"backbone": "vit", "backbone_options": {"width": 16, "depth": 1, "heads": 2}, "local_crops": 2}
    with pytest.raises(WorkbenchError, match="local crops of 16×16 cannot be encoded: use local_size=32"):
        build_method("dino", **options)
    assert build_method("dino", local_size=32, **options).local_crops == 2
