"""methods/bert.py: masked LM + next sentence prediction (or sentence order)."""

import pytest
import torch
from helpers import TINY_TRANSFORMER, toy_text

from sslworkbench import WorkbenchError, build_method, train
from sslworkbench.data.tokenizer import split_pair


def test_negatives_are_another_pairs_second_verse_or_the_two_swapped():
    data = toy_text(pairs=True)
    pairs = data.inputs[:8]
    keep = torch.tensor([True, False] * 4)
    first, second = split_pair(pairs, 3)
    nsp = build_method("bert", vocab_size=len(data.vocab), **TINY_TRANSFORMER)
    made = nsp.make_pairs(pairs, keep)
    assert torch.equal(made[keep], pairs[keep])
    made_first, made_second = split_pair(made, 3)
    assert torch.equal(made_first, first) and not torch.equal(made_second[~keep], second[~keep])
    sop = build_method("bert", vocab_size=len(data.vocab), negatives="swap", **TINY_TRANSFORMER)
    swapped_first, swapped_second = split_pair(sop.make_pairs(pairs, keep), 3)
    assert torch.equal(swapped_first[~keep][:, :10], second[~keep][:, :10])


def test_bert_trains_both_heads_and_refuses_single_sequences():
    torch.manual_seed(0)
    data = toy_text(pairs=True)
    method = build_method("bert", vocab_size=len(data.vocab), **TINY_TRANSFORMER)
    history = train(method, data, epochs=3, batch_size=32, progress=False, device="cpu")
    assert {"sentence_loss", "sentence_accuracy", "masked_accuracy"} <= set(history.steps[-1])
    assert history.losses[-1] < history.losses[0]
    assert method.predict_is_next(data.inputs[:4]).dtype == torch.bool
    with pytest.raises(WorkbenchError, match="reads pairs of segments"):
        train(method, toy_text(), epochs=1, progress=False, device="cpu")
    with pytest.raises(WorkbenchError, match="negatives"):
        build_method("bert", negatives="other")
