"""methods/span_contrast.py: contrastive learning on token sequences: two spans
of a sequence are a positive pair."""

import pytest
import torch
from helpers import SMALL

from sslworkbench import WorkbenchError, build_method, load_dataset


@pytest.fixture(scope="module")
def motifs():
    return load_dataset("motifs", "train", n=16)


def test_views_are_spans_of_the_given_length(motifs):
    method = build_method("span_contrast", span=10, mask_p=0.0, **SMALL["span_contrast"])
    views = method.views(motifs.inputs)
    assert views.shape == (16, 10)
    for row, view in zip(motifs.inputs, views):  # a contiguous window of its own sequence
        assert any(torch.equal(view, row[start : start + 10]) for start in range(len(row) - 10 + 1))
    masked = build_method("span_contrast", span=10, mask_p=0.5, mask_id=1, **SMALL["span_contrast"]).views(motifs.inputs)
    assert (masked == 1).any()


def test_a_training_step_returns_a_finite_loss_and_embeddings(motifs):
    torch.manual_seed(0)
    method = build_method("span_contrast", vocab_size=len(motifs.vocab), **SMALL["span_contrast"])
    out = method.training_step((motifs.inputs, motifs.labels))
    assert out["loss"].dim() == 0 and torch.isfinite(out["loss"])
    assert out["embeddings"].shape == (16, 16) and not out["embeddings"].requires_grad
    out["loss"].backward()
    assert method.backbone.embedding.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("settings, words", [
    ({"span": 40}, "span must be between 1 and sequence_length=32"),
    ({"mask_p": 1.0}, "mask_p"),
    ({"temperature": 0}, "temperature"),
])
def test_bad_settings_are_clear_errors(settings, words):
    with pytest.raises(WorkbenchError, match=words):
        build_method("span_contrast", **settings)
