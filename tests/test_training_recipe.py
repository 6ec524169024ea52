"""The experiment recipe (training/recipe.py): the same seed and settings give the
same numbers from the library, from a notebook's step-by-step code and from the
CLI; and a non-image dataset and method go through training, resume,
evaluation and the CLI exactly like images."""

import json

import pytest
import torch
from helpers import StopAt

import sslworkbench as sw
from sslworkbench.cli import main
from sslworkbench.training.recipe import method_settings

TINY = {"backbone_options": {"width": 8, "depth": 2}, "hidden_dim": 32, "projection_dim": 16}
SIZES = {"n_train": 96, "n_test": 64}


def cli_json(capsys, *args) -> dict:
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_cli_and_the_library_print_the_same_numbers(capsys):
    run = sw.pretrain("simclr", "shapes", epochs=1, batch_size=32, device="cpu", progress=False, baselines=True,
                      **SIZES, **TINY)
    printed = cli_json(
        capsys, "pretrain", "simclr", "--epochs", "1", "--batch-size", "32", "--device", "cpu",
        "--n-train", "96", "--n-test", "64", "--set", 'backbone_options={"width": 8, "depth": 2}',
        "--set", "hidden_dim=32", "--set", "projection_dim=16",
    )
    for name, row in run.results().items():
        assert printed["results"][name] == {key: round(value, 4) for key, value in row.items()}, name
    assert printed["final_loss"] == round(run.history.losses[-1], 4)


def test_the_recipe_equals_the_steps_a_notebook_used_to_write_out():
    train_set = sw.load_dataset("shapes", "train", n=96)
    test_set = sw.load_dataset("shapes", "test", n=64)
    run = sw.pretrain("byol", train_set, test_set, epochs=1, batch_size=32, device="cpu", progress=False, seed=3,
                      **TINY)
    sw.seed_everything(3)
    by_hand = sw.build_method("byol", views={"scale": (0.4, 1.0)}, **TINY)  # shapes' view defaults
    history = sw.train(by_hand, train_set, epochs=1, batch_size=32, device="cpu", progress=False, seed=3)
    assert history.losses == run.history.losses
    assert sw.evaluate_backbone(by_hand.backbone, train_set, test_set) == run.scores


def test_build_method_given_the_data_builds_what_the_recipe_builds():
    """The step-by-step path: sw.build_method(name, data=train_set) takes the data's settings, as sw.pretrain does,
    and a setting given by hand is laid over them (one thing changes, not two)."""
    train_set = sw.load_dataset("shapes", "train", n=96)
    test_set = sw.load_dataset("shapes", "test", n=64)
    run = sw.pretrain("simclr", train_set, test_set, epochs=1, batch_size=32, device="cpu", progress=False, seed=3,
                      **TINY)
    sw.seed_everything(3)
    by_hand = sw.build_method("simclr", data=train_set, **TINY)
    assert by_hand.views.config == run.method.views.config and by_hand.views.config.scale == (0.4, 1.0)
    history = sw.train(by_hand, train_set, epochs=1, batch_size=32, device="cpu", progress=False, seed=3)
    assert history.losses == run.history.losses
    no_colour = sw.build_method("simclr", data=train_set, views={"jitter_p": 0.0}, **TINY).views.config
    assert no_colour == run.method.views.config.replace(jitter_p=0.0)      # shapes' crops kept, colour jitter off
    assert sw.build_method("simclr", **TINY).views.config.scale == (0.08, 1.0)   # without data: SimCLR's own crops
    assert sw.build_method("supervised", data=train_set).hparams["num_classes"] == 10
    with pytest.raises(sw.WorkbenchError, match="build_method's data is the dataset the method will train on"):
        sw.build_method("simclr", data="shapes")
    with pytest.raises(sw.WorkbenchError, match="Did you mean 'simclr'"):
        sw.build_method("simclrr", data=train_set)


def test_dataset_defaults_live_in_one_place_and_the_caller_wins():
    shapes = sw.load_dataset("shapes", "train", n=8)
    assert method_settings("simclr", shapes, {})["views"] == {"scale": (0.4, 1.0)}
    assert method_settings("simclr", shapes, {"views": {"scale": (1.0, 1.0)}})["views"] == {"scale": (1.0, 1.0)}
    assert "views" not in method_settings("rotation", shapes, {})  # pretext tasks keep their own views
    assert method_settings("supervised", shapes, {})["num_classes"] == 10
    digits = sw.load_dataset("digits", "train", n=8)
    assert "views" not in method_settings("simclr", digits, {})
    motifs = sw.load_dataset("motifs", "train", n=8)
    assert method_settings("span_contrast", motifs, {})["vocab_size"] == len(motifs.vocab)


def test_zero_epochs_is_refused():
    with pytest.raises(sw.WorkbenchError, match="epochs must be ≥ 1"):
        sw.pretrain("simclr", "shapes", epochs=0, **SIZES)


def test_sequences_train_resume_and_evaluate_like_images(tmp_path):
    settings = {"hidden_dim": 32, "projection_dim": 16, "batch_size": 32, "device": "cpu", "progress": False}
    whole = sw.pretrain("span_contrast", "motifs", epochs=2, n_train=256, n_test=128, **settings)
    first = sw.pretrain("span_contrast", "motifs", epochs=1, n_train=256, n_test=128,
                        checkpoint=tmp_path / "ck.pt", **settings)
    assert first.scores is not None
    resumed = sw.pretrain("span_contrast", "motifs", epochs=2, n_train=256, n_test=128, resume=tmp_path / "ck.pt",
                          **settings)
    assert "stretched" in resumed.resume_note
    assert resumed.history.losses[8:] != whole.history.losses[8:]  # the schedule differs after the resume
    # stopped mid-epoch (a Stop button), then resumed at the same length: exactly the uninterrupted run
    interrupted = sw.pretrain("span_contrast", "motifs", epochs=2, n_train=256, n_test=128,
                              checkpoint=tmp_path / "ck2.pt", callbacks=[StopAt(5)], **settings)
    assert len(interrupted.history.steps) == 5
    exact = sw.pretrain("span_contrast", "motifs", epochs=2, n_train=256, n_test=128, resume=tmp_path / "ck2.pt",
                        **settings)
    assert "exactly" in exact.resume_note
    assert exact.history.losses == pytest.approx(whole.history.losses, abs=1e-6)
    assert exact.scores == whole.scores
    features = sw.embed(exact.method.backbone, exact.test_set)
    assert features.shape == (128, exact.method.backbone.feature_dim)


def test_sequences_through_the_cli(capsys, tmp_path):
    checkpoint = tmp_path / "span.pt"
    printed = cli_json(capsys, "pretrain", "span_contrast", "--dataset", "motifs", "--epochs", "1",
                       "--n-train", "128", "--n-test", "64", "--device", "cpu", "--out", str(checkpoint))
    assert set(printed["results"]) == {"span_contrast", "random init", "bag of tokens"}
    assert printed["backbone"] == "token_cnn"
    probed = cli_json(capsys, "probe", str(checkpoint), "--dataset", "motifs", "--n-train", "128", "--n-test", "64")
    assert probed["results"]["span_contrast"] == printed["results"]["span_contrast"]


def test_bag_of_tokens_cannot_read_word_order():
    train_set, test_set = sw.load_dataset("motifs", "train", n=1000), sw.load_dataset("motifs", "test", n=500)
    raw = sw.evaluate.evaluate_features(train_set.raw_features(), train_set.labels, test_set.raw_features(),
                                        test_set.labels)
    assert raw["linear"] < 0.2  # every class has the same words: chance is 10%
    assert torch.equal(train_set.inputs, sw.load_dataset("motifs", "train", n=1000).inputs)  # deterministic


def test_flops_per_step_is_a_count_that_grows_with_the_batch():
    data = sw.load_dataset("shapes", n=64)
    small, again = (sw.flops_per_step("simclr", data, batch_size=16, device="cpu") for _ in range(2))
    assert small == again > 0
    assert sw.flops_per_step("simclr", data, batch_size=32, device="cpu") > 1.9 * small
