"""The widgets, driven as a learner drives them: set each control's ``.value``, press each
button, and check the state and pictures the app produces (not the front end's Output)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

import sslworkbench as sw
from sslworkbench.course import widgets
from sslworkbench.course.widgets import AUGMENTATIONS, AugmentationExplorer, TrainingDashboard
from sslworkbench.views.images import PRESETS, ViewConfig, byol_views, moco_v2_views, simclr_views


def pixels(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), dtype=np.int16)


@pytest.fixture(scope="module")
def explorer():
    return AugmentationExplorer("shapes", preset="SimCLR", n_pairs=16)


# -- presets ------------------------------------------------------------------


def test_presets_are_the_papers_pipelines():
    byol, moco = byol_views(32), moco_v2_views(32)
    assert byol.scale == (0.08, 1.0) and (byol.brightness, byol.contrast, byol.saturation, byol.hue) == (0.4, 0.4, 0.2, 0.1)
    assert byol.solarize_p == pytest.approx(0.1) and byol.blur_p == 0.0  # blur dropped on 32-pixel images
    assert byol_views(224).blur_p == pytest.approx(0.55) and byol_views(224).kernel_size == 23
    assert moco.scale == (0.2, 1.0) and (moco.brightness, moco.saturation, moco.jitter_p, moco.grayscale_p) == (0.4, 0.4, 0.8, 0.2)
    assert moco_v2_views(224).blur_p == 0.5
    assert set(PRESETS) == {"SimCLR", "BYOL", "MoCo v2"}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_choosing_a_preset_sets_every_control_to_it(explorer, preset):
    explorer.preset.value = preset
    assert explorer.config == PRESETS[preset](32)
    assert explorer.preset.value == preset


def test_moving_a_control_makes_the_preset_custom(explorer):
    explorer.preset.value = "SimCLR"
    explorer.sliders["hue"].value = 0.3
    assert explorer.preset.value == "custom"
    assert explorer.config.hue == pytest.approx(0.3)


# -- every control across its range -------------------------------------------


def test_the_shown_pairs_come_from_the_training_code_path(explorer):
    explorer.apply_preset("SimCLR")
    originals, _ = explorer.selected()
    view1, view2 = sw.viz.draw_view_pairs(originals, explorer.config, seed=explorer.seed.value)
    torch.testing.assert_close(explorer.view1, view1)
    torch.testing.assert_close(explorer.view2, view2)
    assert explorer.view1.shape == (16, 3, 32, 32)


def _sweep_values(slider):
    if isinstance(slider.value, tuple):
        return [(slider.min, slider.min), (slider.min, slider.max), (slider.max, slider.max)]
    return [slider.min, (slider.min + slider.max) / 2 if not isinstance(slider.value, int) else slider.min + 2 * ((slider.max - slider.min) // 4), slider.max]


def test_every_slider_across_its_range_sets_the_config_and_redraws(explorer):
    explorer.apply_preset("SimCLR")
    for switch in explorer.switches.values():
        switch.value = True
    for key, slider in explorer.sliders.items():
        for value in _sweep_values(slider):
            before = explorer.image.value
            slider.value = value
            assert getattr(explorer.config, key) == pytest.approx(slider.value), key
            assert explorer.image.value, key
            assert explorer.view1.shape[0] == explorer.n_pairs.value
        assert before is not explorer.image.value  # a new picture was drawn
    explorer.apply_preset("SimCLR")


@pytest.mark.parametrize("augmentation", list(AUGMENTATIONS))
def test_each_switch_turns_its_augmentation_off_and_on(explorer, augmentation):
    explorer.apply_preset("SimCLR")
    for name, switch in explorer.switches.items():
        switch.value = name == augmentation
    if augmentation == "jitter":
        explorer.sliders["jitter_p"].value = 1.0
    on = explorer.config
    explorer.switches[augmentation].value = False
    off = explorer.config
    for key, value in AUGMENTATIONS[augmentation]["off"].items():
        assert getattr(off, key) == value
    assert on != off
    explorer.apply_preset("SimCLR")


def test_with_everything_off_both_views_are_the_image(explorer):
    for switch in explorer.switches.values():
        switch.value = False
    originals, _ = explorer.selected()
    torch.testing.assert_close(explorer.view1, originals.float() / 255, atol=1e-5, rtol=0)
    torch.testing.assert_close(explorer.view2, explorer.view1)
    assert "nothing" in explorer.status.value
    explorer.apply_preset("SimCLR")


def test_a_colour_only_pipeline_changes_colours_not_geometry(explorer):
    explorer.apply_preset("SimCLR")
    for name in ("crop", "flip"):
        explorer.switches[name].value = False
    explorer.sliders["jitter_p"].value = 1.0
    originals, _ = explorer.selected()
    gray = lambda x: x.float().mean(dim=1)  # noqa: E731
    edges = lambda x: (gray(x)[:, 1:] - gray(x)[:, :-1]).abs() > 0.02  # noqa: E731
    # colour changed, but where the edges are did not (views are aligned with the image)
    assert (explorer.view1 - originals.float() / 255).abs().mean() > 0.02
    agreement = (edges(explorer.view1) == edges(originals / 255)).float().mean()
    assert agreement > 0.9
    explorer.apply_preset("SimCLR")


def test_pairs_images_and_first_choose_what_is_shown(explorer):
    explorer.n_pairs.value = 6
    explorer.n_images.value = 2
    explorer.first.value = 10
    originals, ids = explorer.selected()
    assert ids.tolist() == [10, 11, 10, 11, 10, 11]
    assert explorer.view1.shape[0] == 6
    torch.testing.assert_close(originals, explorer.images.images[ids])
    shown = pixels(explorer.image.value)
    explorer.n_pairs.value = 16
    assert pixels(explorer.image.value).shape[0] > shown.shape[0]  # more rows of pairs
    explorer.n_images.value, explorer.first.value = 4, 0


def test_seed_and_resample(explorer):
    explorer.apply_preset("SimCLR")
    explorer.seed.value = 5
    first = explorer.view1.clone()
    explorer.seed.value = 6
    assert not torch.equal(first, explorer.view1)
    explorer.seed.value = 5
    torch.testing.assert_close(first, explorer.view1)  # a seed always draws the same views
    picture = explorer.image.value
    explorer.resample.click()
    assert explorer.seed.value == 6
    assert not torch.equal(first, explorer.view1)
    assert explorer.image.value != picture


@pytest.mark.parametrize("dataset", ["digits", "photos", "shapes"])
def test_dataset_choice(explorer, dataset):
    explorer.preset.value = "MoCo v2"
    explorer.dataset.value = dataset
    size = 128 if dataset == "photos" else 32
    assert explorer.view1.shape[-1] == size
    assert explorer.config == moco_v2_views(size)  # the preset follows the view size
    assert explorer.images.name == dataset
    assert pixels(explorer.image.value).std() > 10


def test_photos_are_the_two_sklearn_images():
    photos = widgets.load_photos()
    assert photos.images.shape == (2, 3, 256, 256) and photos.classes == ["china", "flower"]


def test_an_own_imageset_and_bad_presets():
    data = sw.load_dataset("shapes", split="test", n=8)
    explorer = AugmentationExplorer(data, preset=ViewConfig(scale=(0.5, 1.0)), n_pairs=4, n_images=8)
    assert explorer.config.scale == (0.5, 1.0) and explorer.view1.shape[0] == 4
    with pytest.raises(sw.WorkbenchError, match="Presets"):
        explorer.apply_preset("SwAV")
    with pytest.raises(sw.WorkbenchError, match="backbone"):
        explorer.set_encoder(42)


# -- what the encoder thinks --------------------------------------------------


def test_pair_similarities_recompute_the_cosines():
    torch.manual_seed(0)
    backbone = sw.build_backbone("small_cnn")
    images = sw.load_dataset("shapes", split="test", n=12).images
    config = simclr_views(32)
    result = widgets.pair_similarities(backbone, images, config, seed=3)
    view1, view2 = sw.viz.draw_view_pairs(images, config, seed=3)
    f1, f2 = sw.embed(backbone, view1), sw.embed(backbone, view2)
    expected = torch.nn.functional.cosine_similarity(f1, f2)
    torch.testing.assert_close(result["positive"], expected, atol=1e-5, rtol=0)
    assert result["negative"].shape == (12 * 11,)
    off_diagonal = torch.nn.functional.cosine_similarity(f1[0:1], f2[1:2])
    assert torch.isclose(result["negative"][0], off_diagonal[0], atol=1e-5)


def test_identity_views_give_positive_similarity_one(explorer):
    explorer.set_encoder(sw.build_backbone("small_cnn"))
    for switch in explorer.switches.values():
        switch.value = False
    torch.testing.assert_close(explorer.pair_similarity, torch.ones(16), atol=1e-4, rtol=0)
    torch.testing.assert_close(explorer.similarity["positive"], torch.ones(len(explorer.similarity["positive"])), atol=1e-4, rtol=0)
    panel = explorer.similarity_image.value
    explorer.apply_preset("SimCLR")  # views differ again: positives fall below 1
    assert explorer.pair_similarity.min() < 0.999
    assert explorer.similarity_image.value != panel
    assert explorer.similarity_box.layout.display == "flex"
    explorer.encoder = None


def test_encoder_from_a_method_and_a_checkpoint(tmp_path):
    data = sw.load_dataset("shapes", split="test", n=64)
    method = sw.build_method("simclr")
    trainer = sw.Trainer(method, data, epochs=1, batch_size=32, device="cpu", progress=False, checkpoint=tmp_path / "run.pt")
    trainer.fit()
    from_method = AugmentationExplorer(data, encoder=method, n_pairs=4)
    from_file = AugmentationExplorer(data, encoder=str(tmp_path / "run.pt"), n_pairs=4)
    torch.testing.assert_close(from_method.pair_similarity, from_file.pair_similarity)


# -- the training dashboard ---------------------------------------------------


@pytest.fixture(scope="module")
def tiny():
    return sw.load_dataset("shapes", split="train", n=128), sw.load_dataset("shapes", split="test", n=64)


def test_dashboard_reports_progress_curves_and_knn(tiny):
    train_set, test_set = tiny
    dashboard = TrainingDashboard(knn=(train_set, test_set), knn_every=1, update_every_s=0.0, live=True)
    dashboard._shown = True  # a test has no front end to display it in
    history = sw.train(sw.build_method("simclr"), train_set, epochs=2, batch_size=32, device="cpu", seed=0,
                       callbacks=[dashboard])
    assert dashboard.progress.value == dashboard.progress.max == 8
    assert dashboard.redraws >= 8 and bytes(dashboard.chart.value).startswith(b"\x89PNG")
    assert [row["knn"] for row in history.epochs] and all(0 <= row["knn"] <= 1 for row in history.epochs)
    assert "finished" in dashboard.status.value and dashboard.progress.bar_style == "success"
    figure = dashboard.figure()
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ["loss", "learning rate", "embedding std (→ 0: collapse)", "kNN accuracy"]
    assert len(figure.axes[2].lines[0].get_xdata()) == 8  # one collapse point per step
    assert len(figure.axes[3].lines[0].get_xdata()) == 2  # one kNN point per epoch


def test_stop_button_ends_training_cleanly(tiny):
    train_set, _ = tiny

    class PressStop(sw.Callback):
        def on_step_end(self, trainer, logs):
            if trainer.step == 3:
                dashboard.stop_button.click()

    dashboard = TrainingDashboard(live=False)
    method = sw.build_method("simclr")
    history = sw.train(method, train_set, epochs=3, batch_size=32, device="cpu", seed=0,
                       callbacks=[dashboard, PressStop()])
    assert len(history.steps) == 3 and dashboard.stopped
    assert "stopped on request" in history.stopped_reason
    assert "stopped by you at step 3" in dashboard.status.value and dashboard.stop_button.disabled
    assert dashboard.redraws == 0  # not live: nothing drawn during training…
    assert dashboard.figure().axes  # …but the final figure is there
    assert sw.embed(method.backbone, train_set.images[:4]).shape == (4, 256)  # the model is kept


def test_dashboard_not_live_outside_a_notebook_and_clear_errors():
    assert widgets.interactive_frontend() is False
    dashboard = TrainingDashboard()
    assert dashboard.live is False
    with pytest.raises(sw.WorkbenchError, match="no training steps"):
        dashboard.figure()


def test_the_stop_click_is_heard_on_the_kernels_message_thread():
    """ipykernel ≥ 7 asks a comm's ``_reply_subshell_for`` on its shell-channel thread for
    every message: the hook must notice a click (and only a click) and keep the routing."""
    button = widgets.W.Button()
    clicks = []
    assert widgets._hear_clicks_while_busy(button, lambda: clicks.append(1))
    route = button.comm._reply_subshell_for
    assert route({"method": "update", "state": {}}, None) is None and clicks == []
    assert route({"method": "custom", "content": {"event": "click"}}, "sub") == "sub" and clicks == [1]
    assert route(None, None) is None
