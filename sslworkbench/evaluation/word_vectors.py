"""Word vectors without a network, and how to look at any word vectors.

The *unsupervised* way to word vectors (count, then compress), next to which
word2vec's self-supervised way is measured — the lesson of notebook 01
(supervised vs unsupervised vs self-supervised), for words:

    cooccurrence(tokens, V, window)   C[w, c] = how often c occurs within ``window`` words of w
    ppmi(C)                           positive pointwise mutual information,
                                      max(0, log P(w, c) / (P(w) P_α(c))), with the context
                                      distribution smoothed by α = ¾ (Levy, Goldberg & Dagan 2015)
    svd_vectors(M, dim)               the rank-``dim`` SVD M ≈ U S Vᵀ; word vectors U·√S

And for any table of word vectors (V, D):

    nearest(vectors, vocab, "lamb")            the most similar words by cosine
    analogy(vectors, vocab, "man", "king", "woman")   king − man + woman ≈ ?
    category_accuracy(vectors, vocab, CATEGORIES)     is each word's nearest
                                      neighbour among the listed words in its category?
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse
import torch
from sklearn.utils.extmath import randomized_svd

from ..errors import WorkbenchError

#: word categories that suit the Bible corpus's English vocabulary (each word occurs
#: at least 39 times in the training verses), for a word-vector test: a word's nearest
#: neighbour among all of these words should be of its own category. Left out on
#: purpose: plurals of listed words ("days" next to "day" would make the test easy),
#: and "heart", in this corpus mostly the seat of thought ("with all your heart")
CATEGORIES = {
    "numbers": ["two", "three", "four", "five", "six", "seven", "ten", "twelve", "hundred", "thousand"],
    "family": ["father", "mother", "son", "daughter", "brother", "sister", "wife", "husband"],
    "body": ["hand", "eyes", "head", "bones", "mouth", "face", "feet", "ears"],
    "animals": ["sheep", "goats", "lamb", "lion", "horses", "camels", "cattle", "oxen"],
    "time": ["day", "night", "morning", "evening", "year", "month", "hour", "season"],
    "materials": ["gold", "silver", "bronze", "iron", "stone", "wood", "cedar", "linen"],
    "food and drink": ["bread", "wine", "oil", "water", "milk", "honey", "meat", "fruit"],
    "nations": ["egypt", "israel", "babylon", "assyria", "moab", "edom", "judah", "syria"],
}


def cooccurrence(tokens: torch.Tensor, vocab_size: int, window: int = 5, first_word_id: int = 5) -> sparse.csr_matrix:
    """(V, V) sparse counts of word pairs at most ``window`` positions apart
    in the rows of (N, L) ``tokens``; special tokens are left out."""
    tokens = tokens.numpy()
    counts = sparse.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    # one offset at a time, so that the pairs of all offsets are never in memory at once (notebook 06)
    for offset in range(1, window + 1):
        a, b = tokens[:, :-offset].ravel(), tokens[:, offset:].ravel()
        both = (a >= first_word_id) & (b >= first_word_id)
        counts = counts + sparse.coo_matrix((np.ones(both.sum()), (a[both], b[both])), shape=counts.shape).tocsr()
    return (counts + counts.T).tocsr()   # the window looks both ways: each pair counts for both words


def ppmi(counts: sparse.csr_matrix, smoothing: float = 0.75) -> sparse.csr_matrix:
    """Positive PMI of a co-occurrence matrix, with context-distribution smoothing."""
    counts = counts.tocoo()
    total = counts.sum()
    word = np.asarray(counts.sum(axis=1)).ravel() / total
    context = np.asarray(counts.sum(axis=0)).ravel() ** smoothing
    context /= context.sum()
    pmi = np.log(counts.data / total / (word[counts.row] * context[counts.col]))
    keep = pmi > 0
    return sparse.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)


def svd_vectors(matrix, dim: int = 100, seed: int = 0) -> torch.Tensor:
    """Rank-``dim`` word vectors U·√S of ``matrix`` (randomized SVD, seeded)."""
    if not 1 <= dim < min(matrix.shape):
        raise WorkbenchError(f"dim must be between 1 and {min(matrix.shape) - 1} (got {dim}).")
    u, s, _ = randomized_svd(matrix, dim, random_state=seed)
    return torch.from_numpy(u * np.sqrt(s)).float()


def ppmi_svd(tokens: torch.Tensor, vocab_size: int, window: int = 5, dim: int = 100, seed: int = 0) -> torch.Tensor:
    """Count-based word vectors of a corpus: co-occurrence → PPMI → SVD."""
    return svd_vectors(ppmi(cooccurrence(tokens, vocab_size, window)), dim, seed)


def _unit(vectors: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(vectors.detach().float(), dim=1)


def _id(vocab: list[str], word: str) -> int:
    try:
        return vocab.index(word)
    except ValueError:
        raise WorkbenchError(f"{word!r} is not in the vocabulary ({len(vocab)} words); try a more frequent word.") from None


def nearest(vectors: torch.Tensor, vocab: list[str], word: str, k: int = 8, first_word_id: int = 5) -> list[tuple[str, float]]:
    """The ``k`` words most similar to ``word`` (cosine), with their similarity."""
    unit = _unit(vectors)
    similarity = unit @ unit[_id(vocab, word)]
    similarity[: first_word_id] = -2
    similarity[_id(vocab, word)] = -2
    top = similarity.topk(k)
    return [(vocab[int(i)], round(float(s), 3)) for s, i in zip(top.values, top.indices)]


def analogy(vectors: torch.Tensor, vocab: list[str], a: str, b: str, c: str, k: int = 1, first_word_id: int = 5) -> list[str]:
    """a is to b as c is to ?: the words nearest to b − a + c (3CosAdd), the three left out."""
    unit = _unit(vectors)
    ids = [_id(vocab, w) for w in (a, b, c)]
    similarity = unit @ _unit((unit[ids[1]] - unit[ids[0]] + unit[ids[2]])[None])[0]
    similarity[: first_word_id] = -2
    similarity[ids] = -2
    return [vocab[int(i)] for i in similarity.topk(k).indices]


def category_accuracy(vectors: torch.Tensor, vocab: list[str], categories: dict | None = None) -> float:
    """The share of listed words whose nearest neighbour among the other listed
    words (cosine) is in their own category; chance is about 1 / (number of categories)."""
    categories = categories or CATEGORIES
    words = [(w, name) for name, members in categories.items() for w in members if w in vocab]
    if len(words) < 2:
        raise WorkbenchError("category_accuracy: fewer than two of the listed words are in the vocabulary.")
    unit = _unit(vectors)[[vocab.index(w) for w, _ in words]]
    similarity = unit @ unit.T
    similarity.fill_diagonal_(-2)
    nearest_index = similarity.argmax(1)
    return float(np.mean([words[int(j)][1] == name for (_, name), j in zip(words, nearest_index)]))
