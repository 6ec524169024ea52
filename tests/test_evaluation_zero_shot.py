"""evaluation/zero_shot.py: classification from class names, and retrieval across modalities."""

import pytest
import torch
from helpers import SMALL, TINY_IMAGE_BACKBONE

from sslworkbench import WorkbenchError, build_method, load_dataset, train
from sslworkbench.evaluation import zero_shot as zs
from sslworkbench.training.recipe import method_settings


@pytest.fixture(scope="module")
def trained():
    """A tiny CLIP trained for a few seconds on captioned shapes, and test pairs."""
    torch.manual_seed(0)
    data = load_dataset("captioned_shapes", "train", n=512)
    model = build_method("clip", **method_settings("clip", data, {**TINY_IMAGE_BACKBONE, **SMALL["clip"]}))
    train(model, data, epochs=6, batch_size=64, lr=3e-3, progress=False, device="cpu")
    return model, load_dataset("captioned_shapes", "test", n=200)


def test_class_embeddings_average_the_prompts_of_each_class(trained):
    model, test = trained
    one = zs.class_embeddings(model, ["star", "ring"], ["a {}"], test.tokenizer)
    assert one.shape == (2, 16) and torch.allclose(one.norm(dim=1), torch.ones(2))
    templates = ["a {}", "a photo of a {}"]
    ensemble = zs.class_embeddings(model, ["star"], templates, test.tokenizer)[0]
    each = zs.text_embeddings(model, [t.format("star") for t in templates], test.tokenizer)
    assert torch.allclose(ensemble, torch.nn.functional.normalize(each.mean(0), dim=0), atol=1e-6)


def test_zero_shot_predictions_are_the_most_similar_class(trained):
    model, test = trained
    weights = zs.class_embeddings(model, test.classes, ["a {}"], test.tokenizer)
    predicted = zs.zero_shot_predict(model, test.images[:20], weights)
    similarity = zs.image_embeddings(model, test.images[:20]) @ weights.T
    assert torch.equal(predicted, similarity.argmax(1))
    accuracy = zs.zero_shot_accuracy(model, test, templates=["a {}"])
    assert accuracy == pytest.approx(float((zs.zero_shot_predict(model, test, weights) == test.labels).float().mean()))
    assert 0 <= accuracy <= 1


def test_retrieval_recall_both_ways_grows_with_k(trained):
    model, test = trained
    recall = zs.retrieval_recall(model, test, ks=(1, 5, 200))
    for direction in ("image_to_text", "text_to_image"):
        assert recall[direction][1] <= recall[direction][5] <= recall[direction][200] == 1.0
    assert recall["image_to_text"][5] > 5 / 200  # better than guessing after a few seconds of training


@pytest.mark.parametrize("text, needle", [
    ("", "Empty text"),
    ("   ", "Empty text"),
    ("☃ ☃", "tokenises to nothing"),
    ("a very long caption " * 10, "more than the text encoder's context"),
])
def test_bad_prompts_are_one_clear_error(trained, text, needle):
    model, test = trained
    with pytest.raises(WorkbenchError, match=needle):
        zs.class_embeddings(model, [text], ["{}"], test.tokenizer)


def test_a_too_long_prompt_is_quoted_short_with_its_length_and_the_limit():
    tokenizer = load_dataset("captioned_shapes", "test", n=8).tokenizer
    prompt = "a small red circle on a grey background " * 50  # 2,000 characters
    with pytest.raises(WorkbenchError) as error:
        zs.tokenize([prompt], tokenizer, 32)
    message = str(error.value)
    assert f"'{prompt[:60]}'… (2,000 characters)" in message and "context of 32" in message
    assert len(message) < 250


def test_bad_templates_and_tokenizers_are_refused(trained):
    model, test = trained
    with pytest.raises(WorkbenchError, match="template"):
        zs.class_embeddings(model, ["star"], ["a star"], test.tokenizer)
    with pytest.raises(WorkbenchError, match="tokenizer"):
        zs.class_embeddings(model, ["star"], ["a {}"], None)
    from sslworkbench.data.bible import tokenizer
    with pytest.raises(WorkbenchError, match="trained on tokenizer"):
        zs.class_embeddings(model, ["star"], ["a {}"], tokenizer("words", 10000))
    with pytest.raises(WorkbenchError, match="k must"):
        zs.retrieval_recall(model, test, ks=(0,))
