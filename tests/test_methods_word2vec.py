"""methods/word2vec.py: skip-gram with negative sampling."""

import pytest
import torch
from helpers import toy_text

from sslworkbench import WorkbenchError, build_method, pretrain
from sslworkbench.evaluation.word_vectors import nearest


def test_pairs_stay_within_the_window_and_subsampling_drops_frequent_words():
    method = build_method("word2vec", vocab_size=30, window=2, subsample=0)
    tokens = torch.tensor([[2, 10, 11, 12, 13, 3, 0]])
    centre, context = method.pairs(tokens)
    pairs = set(zip(centre.tolist(), context.tolist()))
    assert pairs <= {(a, b) for a in range(10, 14) for b in range(10, 14) if 0 < abs(a - b) <= 2}
    assert (11, 10) in pairs and not any(c < 5 for c in centre.tolist() + context.tolist())
    counts = [0] * 5 + [1000] + [1] * 24
    frequent = build_method("word2vec", vocab_size=30, token_counts=counts, subsample=1e-3)
    assert frequent.keep_probability[5] < 0.1 and frequent.keep_probability[6] == 1
    assert frequent.noise[5] / frequent.noise[6] == pytest.approx(1000**0.75, rel=1e-4)


def test_word2vec_puts_interchangeable_words_together():
    torch.manual_seed(0)
    data = toy_text(kind="words")  # "egypt", "israel", "judah" occur in the same places
    run = pretrain("word2vec", data, data, epochs=40, batch_size=16, backbone_options={"dim": 16}, window=2,
                   subsample=0, progress=False, device="cpu", evaluate=False)
    assert "token_counts" in run.settings and len(run.settings["token_counts"]) == len(data.vocab)
    lands = {word for word, _ in nearest(run.method.backbone.vectors, data.vocab, "egypt", k=2)}
    assert lands == {"israel", "judah"}


def test_bad_settings_are_refused():
    with pytest.raises(WorkbenchError, match="window"):
        build_method("word2vec", window=0)
    with pytest.raises(WorkbenchError, match="token_counts"):
        build_method("word2vec", vocab_size=30, token_counts=[1, 2])
