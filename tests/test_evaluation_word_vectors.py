"""evaluation/word_vectors.py: count-based word vectors (PPMI + SVD) and how to look at word vectors."""

import pytest
import torch

from sslworkbench import WorkbenchError
from sslworkbench.evaluation.word_vectors import analogy, category_accuracy, cooccurrence, nearest, ppmi, ppmi_svd


def test_cooccurrence_counts_pairs_within_the_window_both_ways():
    tokens = torch.tensor([[2, 5, 6, 7, 3, 0]])
    counts = cooccurrence(tokens, vocab_size=8, window=1).toarray()
    assert counts[5, 6] == counts[6, 5] == 1 and counts[5, 7] == 0 and counts[2].sum() == 0
    assert cooccurrence(tokens, vocab_size=8, window=2).toarray()[5, 7] == 1


def test_cooccurrence_equals_counting_every_pair_by_hand():
    # the definition, one pair at a time: cooccurrence() sums one offset at a time to save memory
    generator = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 12, (30, 9), generator=generator)
    expected = torch.zeros(12, 12)
    for row in tokens.tolist():
        for i, a in enumerate(row):
            for j in range(i + 1, min(i + 3, len(row))):
                if a >= 5 and row[j] >= 5:
                    expected[a, row[j]] += 1
                    expected[row[j], a] += 1
    assert (cooccurrence(tokens, vocab_size=12, window=2).toarray() == expected.numpy()).all()


def test_ppmi_is_positive_and_high_for_words_that_only_meet_each_other():
    tokens = torch.tensor([[5, 6, 7, 8]] * 10 + [[9, 10, 9, 10]] * 10)
    matrix = ppmi(cooccurrence(tokens, 11, window=1)).toarray()
    assert (matrix >= 0).all() and matrix[9, 10] > 0 and matrix[5, 9] == 0


def test_words_used_alike_get_similar_vectors():
    torch.manual_seed(0)
    # "a" and "b" share their neighbours; "c" and "d" share others
    def around(word, first):
        return [first + int(torch.randint(0, 5, ())), word, first + int(torch.randint(0, 5, ()))]

    rows = [around(w, 20) for w in (5, 6) for _ in range(200)] + [around(w, 30) for w in (7, 8) for _ in range(200)]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d"] + [f"w{i}" for i in range(9, 40)]
    vectors = ppmi_svd(torch.tensor(rows), len(vocab), window=1, dim=8)
    assert nearest(vectors, vocab, "a", k=1)[0][0] == "b"
    assert category_accuracy(vectors, vocab, {"ab": ["a", "b"], "cd": ["c", "d"]}) == 1.0
    assert len(analogy(vectors, vocab, "a", "b", "c", k=2)) == 2
    with pytest.raises(WorkbenchError, match="not in the vocabulary"):
        nearest(vectors, vocab, "zebra")
