"""methods/clip.py: CLIP, an image encoder and a text encoder in one space."""

import math

import pytest
import torch
from helpers import SMALL, TINY_IMAGE_BACKBONE

from sslworkbench import WorkbenchError, build_method, load_dataset, train
from sslworkbench.training.recipe import method_settings

TINY = {**TINY_IMAGE_BACKBONE, **SMALL["clip"]}


@pytest.fixture(scope="module")
def pairs():
    return load_dataset("captioned_shapes", "train", n=96)


def tiny_clip(data, **settings):
    return build_method("clip", **method_settings("clip", data, {**TINY, **settings}))


def test_both_encoders_map_into_one_space_of_unit_vectors(pairs):
    model = tiny_clip(pairs)
    assert model.text_encoder.vocab_id == pairs.vocab_id and model.text_encoder.context == 24
    u, v = model.encode_images(pairs.images[:5]), model.encode_texts(pairs.texts[:5])
    assert u.shape == v.shape == (5, 16)
    assert torch.allclose(u.norm(dim=1), torch.ones(5)) and torch.allclose(v.norm(dim=1), torch.ones(5))
    assert model.logit_scale.item() == pytest.approx(1 / 0.07, rel=1e-5)


def test_training_pulls_each_image_to_its_own_caption(pairs):
    torch.manual_seed(0)
    model = tiny_clip(pairs)
    history = train(model, pairs, epochs=8, batch_size=32, lr=3e-3, progress=False, device="cpu")
    assert history.losses[-1] < history.losses[0] - 0.3
    assert "temperature" in history.steps[-1] and "batch_image_to_text_accuracy" in history.steps[-1]
    assert history.steps[-1]["temperature"] != pytest.approx(0.07)  # the temperature is learned


def test_a_fixed_temperature_stays_fixed_and_the_scale_is_clamped_at_100(pairs):
    fixed = tiny_clip(pairs, learn_temperature=False, temperature=0.1)
    train(fixed, pairs, epochs=1, batch_size=32, progress=False, device="cpu")
    assert fixed.logit_scale.item() == pytest.approx(10.0, rel=1e-5)
    hot = tiny_clip(pairs)
    with torch.no_grad():
        hot.log_logit_scale.fill_(math.log(500))
    assert hot.logit_scale.item() == pytest.approx(100.0)


def test_views_turn_on_a_crop_without_flips(pairs):
    model = tiny_clip(pairs, views={})
    assert model.views.config.flip_p == 0 and model.views.config.scale == (0.5, 1.0)
    assert tiny_clip(pairs).views is None


@pytest.mark.parametrize("settings, needle", [
    ({"temperature": 0.001}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"embed_dim": 1}, "embed_dim"),
])
def test_bad_settings_fail_clearly(pairs, settings, needle):
    with pytest.raises(WorkbenchError, match=needle):
        tiny_clip(pairs, **settings)


def test_captions_of_another_tokenizer_are_refused_before_training(pairs):
    model = tiny_clip(pairs, vocab_id="0123456789ab")
    with pytest.raises(WorkbenchError, match="tokenizer"):
        train(model, pairs, epochs=1, batch_size=32, progress=False, device="cpu")


def test_images_alone_are_refused(pairs):
    model = tiny_clip(pairs)
    shapes = load_dataset("shapes", "train", n=32)
    with pytest.raises(WorkbenchError, match="image_text|captions|pair"):
        train(model, shapes, epochs=1, batch_size=16, progress=False, device="cpu")
