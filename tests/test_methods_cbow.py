"""methods/cbow.py: word2vec's continuous bag of words, on skip-gram's windows."""

import math

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method, pretrain
from sslworkbench.evaluation.word_vectors import nearest


def test_cbow_reads_skipgrams_pairs_as_one_example_per_centre_word():
    counts = [0] * 5 + [50, 1, 3, 200, 7] * 5
    tokens = torch.tensor([[2] + list(range(5, 30)) + [3, 0, 0], [2, 8, 8, 9, 10, 11, 12, 3] + [0] * 21])
    skipgram = build_method("word2vec", vocab_size=30, token_counts=counts, window=3, subsample=0.05)
    cbow = build_method("cbow", vocab_size=30, token_counts=counts, window=3, subsample=0.05)
    torch.manual_seed(0)
    centre, context = skipgram.pairs(tokens)
    torch.manual_seed(0)  # the same draw: the same subsampling and windows
    centres, around, mask = cbow.examples(tokens)
    assert mask.shape == (len(centres), 6) and mask.any(1).all()
    assert sorted(zip(centres.repeat_interleave(mask.sum(1)).tolist(), around[mask].tolist())) == sorted(
        zip(centre.tolist(), context.tolist()))
    assert len(centres) < len(centre)  # one example per centre word, one per pair for skip-gram


def test_cbow_trains_its_backbone_and_puts_interchangeable_words_together():
    torch.manual_seed(0)
    data = toy_text(kind="words")  # "egypt", "israel", "judah" occur in the same places
    run = pretrain("cbow", data, data, epochs=40, batch_size=16, backbone_options={"dim": 16}, window=2,
                   subsample=0, progress=False, device="cpu", evaluate=False)
    losses = run.history.losses
    assert losses[0] == pytest.approx(6 * math.log(2), abs=1e-5)  # the output vectors start at 0
    assert sum(losses[-5:]) / 5 < losses[0] - 1
    lands = {word for word, _ in nearest(run.method.backbone.vectors, data.vocab, "egypt", k=2)}
    assert lands == {"israel", "judah"}  # the averaged input vectors are the ones kept


def test_bad_settings_are_refused():
    with pytest.raises(WorkbenchError, match="window"):
        build_method("cbow", window=0)
    with pytest.raises(WorkbenchError, match="negatives"):
        build_method("cbow", negatives=0)
    with pytest.raises(WorkbenchError, match="token_counts"):
        build_method("cbow", vocab_size=30, token_counts=[1, 2])
    with pytest.raises(WorkbenchError, match="cbow: this batch has no word pairs"):
        build_method("cbow", vocab_size=30).training_step((torch.tensor([[2, 10, 3, 0]]), torch.zeros(1)))
