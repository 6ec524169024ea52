"""evaluation/language.py: the measurements the text notebooks print."""

import math

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method
from sslworkbench.evaluation.language import fill_in, sentence_accuracy, translation_retrieval, unigram_baselines


def test_unigram_baselines_match_a_count_by_hand():
    data = toy_text()
    baseline = unigram_baselines(data, data)
    targets = data.inputs[:, 1:][data.inputs[:, 1:] != 0]
    counts = torch.bincount(targets, minlength=len(data.vocab)).float() + 1
    assert baseline["perplexity"] == pytest.approx(math.exp(-float((counts / counts.sum()).log()[targets].mean())))
    the = data.vocab.index("▁the")  # the most frequent word of the toy corpus
    text = data.inputs[data.inputs > 4]
    assert baseline["masked_accuracy"] == pytest.approx(float((text == the).float().mean()))


def test_sentence_accuracy_is_balanced_and_seeded():
    data = toy_text(pairs=True)
    data.extras["book"] = torch.arange(len(data)) % 3
    data.extras["verse_id"] = torch.arange(len(data))
    bert = build_method("bert", vocab_size=len(data.vocab), backbone_options={"width": 16, "depth": 1, "heads": 2, "context": 40})
    bert.sentence_head.bias.data.fill_(10.0)  # always says "is next": right on exactly half
    for kind in ("other_book", "same_book", "swap"):
        assert sentence_accuracy(bert, data, kind) == 0.5
    with pytest.raises(WorkbenchError, match="negatives"):
        sentence_accuracy(bert, data, "random")


def test_translation_retrieval_finds_identical_rows_and_checks_alignment():
    data = toy_text()
    data.extras["verse_id"] = torch.arange(len(data))
    backbone = build_method("mlm", vocab_size=len(data.vocab), backbone_options={"width": 16, "depth": 1, "heads": 2}).backbone
    unique = data.select(torch.arange(0, len(data), 4))  # rows that differ from each other
    assert translation_retrieval(backbone, unique, unique) == 1.0
    shuffled = unique.select(torch.arange(len(unique)).flip(0))
    with pytest.raises(WorkbenchError, match="same verses"):
        translation_retrieval(backbone, unique, shuffled)


def test_fill_in_needs_a_mask():
    data = toy_text()
    mlm = build_method("mlm", vocab_size=len(data.vocab), backbone_options={"width": 16, "depth": 1, "heads": 2})
    assert len(fill_in(mlm, data.tokenizer, "the [MASK] of the [MASK]", top=2)) == 2
    with pytest.raises(WorkbenchError, match=r"\[MASK\]"):
        fill_in(mlm, data.tokenizer, "the king")
