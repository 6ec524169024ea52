"""evaluation/finetune.py: a pretrained backbone and a new head trained on labels."""

import pytest
import torch
from helpers import toy_text

import sslworkbench as sw
from sslworkbench import WorkbenchError, build_method
from sslworkbench.evaluation.finetune import finetune, stratified_split


def test_stratified_split_holds_out_a_share_of_every_class():
    labels = torch.tensor([0] * 10 + [1] * 5 + [2])
    kept, held = stratified_split(labels, 0.2, seed=0)
    assert sorted(torch.cat([kept, held]).tolist()) == list(range(16))
    assert labels[held].tolist() == [0, 0, 1]  # 2 of 10, 1 of 5, none of a class with one sample


def test_finetuning_learns_labels_keeps_the_best_epoch_and_leaves_the_original_alone():
    torch.manual_seed(0)
    data = toy_text()
    method = build_method("mlm", vocab_size=len(data.vocab), backbone_options={"width": 32, "depth": 1, "heads": 2, "context": 40})
    before = {k: v.clone() for k, v in method.state_dict().items()}
    result = finetune(method, data, data, epochs=15, lr=1e-2, backbone_lr=3e-3, batch_size=16, device="cpu", patience=20)
    assert result.test_accuracy > 0.9 and len(result.history) == 15
    assert result.val_accuracy == max(row["val_accuracy"] for row in result.history)
    assert all(torch.equal(before[k], v) for k, v in method.state_dict().items())


def test_freezing_all_trains_only_the_head_and_freezing_blocks_is_by_count():
    data = sw.load_dataset("shapes", "train", n=64)
    backbone = sw.build_backbone("small_cnn", width=8, depth=2)
    frozen = finetune(backbone, data, epochs=1, freeze="all", device="cpu", val_fraction=0)
    assert all(torch.equal(a, b) for a, b in zip(backbone.state_dict().values(), frozen.model.backbone.state_dict().values()))
    first_block = finetune(backbone, data, epochs=1, freeze=1, device="cpu", val_fraction=0).model.backbone
    assert torch.equal(first_block.blocks[0][0].weight, backbone.blocks[0][0].weight)
    assert not torch.equal(first_block.blocks[1][0].weight, backbone.blocks[1][0].weight)
    with pytest.raises(WorkbenchError, match="number of blocks"):
        finetune(backbone, data, epochs=1, freeze=7, device="cpu")


def test_the_auxiliary_language_model_loss_needs_the_language_model():
    data = toy_text()
    gpt = build_method("gpt", vocab_size=len(data.vocab), backbone_options={"width": 16, "depth": 1, "heads": 2, "context": 40})
    result = finetune(gpt, data, epochs=2, aux_weight=0.5, device="cpu")
    assert all("lm_loss" in row for row in result.history)
    with pytest.raises(WorkbenchError, match="language model itself"):
        finetune(gpt.backbone, data, epochs=1, aux_weight=0.5, device="cpu")
    with pytest.raises(WorkbenchError, match="epochs"):
        finetune(gpt, data, epochs=0)


def test_lp_ft_starts_from_the_linear_probe_and_keeps_it_when_fine_tuning_does_not_help():
    data, test = sw.load_dataset("shapes", "train", n=200), sw.load_dataset("shapes", "test", n=100)
    torch.manual_seed(0)
    backbone = sw.build_backbone("small_cnn", width=8, depth=2)
    # one epoch at learning rate ~0: the probe (epoch 0) is kept, and the classifier is exactly the probe
    kept = finetune(backbone, data, test, epochs=1, lr=1e-9, backbone_lr=0.0, head_init="probe", device="cpu")
    assert kept.best_epoch == 0 and kept.val_accuracy is not None
    fit = data.select(stratified_split(data.labels, 0.2, 0)[0])   # the labels it trains on (a fifth is held out)
    expected = sw.linear_probe(sw.embed(backbone, fit), fit.labels, sw.embed(backbone, test), test.labels)
    assert kept.test_accuracy == pytest.approx(expected, abs=1e-9)
    with pytest.raises(WorkbenchError, match="head_init must be one of 'new', 'probe'"):
        finetune(backbone, data, epochs=1, head_init="linear")
