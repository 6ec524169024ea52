"""Measuring language models: what the text notebooks print.

    unigram_baselines(train, test)        what a model that ignores context scores
    masked_accuracy(mlm, test)            share of masked tokens an MLM predicts exactly
    perplexity(gpt, test)                 exp(mean next-token cross-entropy) of a GPT
    sentence_accuracy(bert, pairs, ...)   NSP / SOP accuracy against a chosen kind of negative
    translation_retrieval(f, en, es)      top-1 accuracy of finding each verse's translation
    retrieval_accuracy(queries, keys)     the same on features: is row i's nearest key (cosine) row i?
    fill_in(mlm, tokenizer, text)         BERT fills the [MASK]s of a sentence
    continue_text(gpt, tokenizer, text)   GPT writes on

All are seeded where randomness enters (which tokens are masked, which verse is
the negative), so a rerun prints the same number.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..data.dataset import SequenceSet
from ..data.tokenizer import CLS_ID, MASK_ID, PAD_ID, SEP_ID, join_pair, split_pair
from ..errors import WorkbenchError
from ..runtime import eval_mode, release_due, release_freed_memory
from ..views.tokens import bert_masking, next_token_targets
from .probes import embed


def _device(module):
    return next(module.parameters()).device


def unigram_baselines(train: SequenceSet, test: SequenceSet) -> dict:
    """A model that knows only how often each token occurs in ``train``:

    perplexity       exp of the cross-entropy of the test's next tokens under those frequencies
                     (add-one smoothed) — what a GPT must beat
    masked_accuracy  always guessing the most frequent text token — what an MLM must beat"""
    counts = torch.bincount(next_token_targets(train.inputs)[1], minlength=len(train.vocab)).float() + 1
    log_p = (counts / counts.sum()).log()
    targets = next_token_targets(test.inputs)[1]
    text = test.inputs[test.inputs > MASK_ID]
    most_frequent = int(counts[MASK_ID + 1 :].argmax()) + MASK_ID + 1
    return {
        "perplexity": math.exp(-float(log_p[targets].mean())),
        "masked_accuracy": float((text == most_frequent).float().mean()),
    }


@torch.no_grad()
def masked_accuracy(mlm, data: SequenceSet, batch_size: int = 64, seed: int = 0) -> dict:
    """Mask ``data`` as in training (seeded) and score the predictions:
    {"accuracy": share of chosen tokens predicted exactly, "loss": mean cross-entropy}."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    right = total = 0
    loss_sum = 0.0
    try:
        with eval_mode(mlm):
            for start in range(0, len(data), batch_size):
                tokens = data.inputs[start : start + batch_size].to(_device(mlm))
                corrupted, chosen = bert_masking(tokens, mlm.mask_p, mlm.mask_id, mlm.vocab_size)
                scores = mlm.token_scores(mlm.backbone.hidden_states(corrupted)[chosen])
                targets = tokens[chosen]
                right += int((scores.argmax(-1) == targets).sum())
                loss_sum += float(F.cross_entropy(scores.float(), targets, reduction="sum"))
                total += targets.numel()
                if release_due(start // batch_size + 1, tokens.device):
                    release_freed_memory()
    finally:
        torch.random.set_rng_state(generator_state)
    return {"accuracy": right / total, "loss": loss_sum / total}


@torch.no_grad()
def perplexity(gpt, data: SequenceSet, batch_size: int = 64) -> float:
    """exp(mean next-token cross-entropy) of a causal language model on ``data``.

    64 rows at a time: their scores over an 8,000-token vocabulary are ~60 MB, and
    the cross-entropy holds a second copy (at 256 rows, ~250 MB each)."""
    loss_sum, count = 0.0, 0
    with eval_mode(gpt):
        for start in range(0, len(data), batch_size):
            tokens = data.inputs[start : start + batch_size].to(_device(gpt))
            predicted, targets = next_token_targets(tokens, gpt.pad_id)
            scores = gpt.backbone.token_logits(gpt.backbone.hidden_states(tokens)[:, :-1][predicted])
            loss_sum += float(F.cross_entropy(scores.float(), targets, reduction="sum"))
            count += targets.numel()
            if release_due(start // batch_size + 1, tokens.device):
                release_freed_memory()
    return math.exp(loss_sum / count)


NEGATIVE_KINDS = ("other_book", "same_book", "swap")


@torch.no_grad()
def sentence_accuracy(bert, pairs: SequenceSet, negatives: str = "other_book", seed: int = 0, batch_size: int = 256) -> float:
    """Accuracy of a BERT's next-sentence head on a balanced test: every pair of
    ``pairs`` (``load_dataset("bible", pairs="next")``) once as it is, once with a
    wrong second verse:

    other_book   the second verse of a pair from another book (NSP's usual negative:
                 the topic gives it away)
    same_book    the second verse of another pair of the same book, not its neighbour
    swap         the two verses in the wrong order (SOP's negative)

    Pairs for which no such negative exists (the only pair of its book) are left out."""
    if negatives not in NEGATIVE_KINDS:
        raise WorkbenchError(f"negatives must be one of {NEGATIVE_KINDS} (got {negatives!r}).")
    generator = torch.Generator().manual_seed(seed)
    first, second = split_pair(pairs.inputs, SEP_ID, PAD_ID)
    rows = torch.arange(len(pairs))
    if negatives == "swap":
        wrong = join_pair(second, first, PAD_ID)
    else:  # pairs without a possible negative (the only pair of its book) are left out
        book, verse = pairs.extras["book"], pairs.extras["verse_id"]
        kept, donors = [], []
        for row in range(len(pairs)):
            if negatives == "other_book":
                allowed = (book != book[row]).nonzero().ravel()
            else:
                allowed = ((book == book[row]) & ((verse - verse[row]).abs() > 1)).nonzero().ravel()
            if len(allowed):
                kept.append(row)
                donors.append(allowed[torch.randint(len(allowed), (1,), generator=generator)])
        if not kept:
            raise WorkbenchError(f"sentence_accuracy: no pair has a {negatives} negative; use more pairs.")
        rows = torch.tensor(kept)
        wrong = join_pair(first[rows], second[torch.cat(donors)], PAD_ID)
    inputs = torch.cat([pairs.inputs[rows], wrong])
    truth = torch.cat([torch.ones(len(rows), dtype=torch.bool), torch.zeros(len(rows), dtype=torch.bool)])
    with eval_mode(bert):
        said = torch.cat([bert.predict_is_next(inputs[s : s + batch_size].to(_device(bert))).cpu()
                          for s in range(0, len(inputs), batch_size)])
    return float((said == truth).float().mean())


def translation_retrieval(backbone, english: SequenceSet, spanish: SequenceSet, center: bool = True) -> float:
    """For each English verse, is its nearest Spanish verse (cosine of the frozen
    features) its own translation? Rows must be the same verses in the same order
    (``verse_id``). ``center``: subtract each language's mean feature first, so
    that what all Spanish verses share does not decide."""
    if not torch.equal(english.extras["verse_id"], spanish.extras["verse_id"]):
        raise WorkbenchError("translation_retrieval needs the same verses in both languages, in the same order.")
    a, b = embed(backbone, english), embed(backbone, spanish)
    if center:
        a, b = a - a.mean(0), b - b.mean(0)
    return retrieval_accuracy(a, b)


def retrieval_accuracy(queries: torch.Tensor, keys: torch.Tensor) -> float:
    """Top-1 retrieval on features: the share of rows i of ``queries`` (N, D) whose most
    cosine-similar row of ``keys`` (N, D) is row i (notebook 08's exercise 1)."""
    similarity = F.normalize(queries, dim=1) @ F.normalize(keys, dim=1).T
    return float((similarity.argmax(1) == torch.arange(len(queries), device=similarity.device)).float().mean())


def _encode_prompt(tokenizer, text: str, end: bool) -> torch.Tensor:
    """(1, L) ids: [CLS] text (and [SEP] when the text is complete)."""
    return torch.tensor([[CLS_ID, *tokenizer.encode(text), *([SEP_ID] if end else [])]])


def fill_in(mlm, tokenizer, text: str, top: int = 3) -> list[list[str]]:
    """For each [MASK] in ``text``, the ``top`` tokens the model finds most likely."""
    if "[MASK]" not in text:
        raise WorkbenchError('fill_in needs at least one "[MASK]" in the text, e.g. "in the [MASK] god created".')
    tokens = _encode_prompt(tokenizer, text, end=True)
    with eval_mode(mlm):
        guesses = mlm.fill_masks(tokens.to(_device(mlm)), top)
    return [[tokenizer.vocab[int(i)] for i in row] for row in guesses]


def continue_text(gpt, tokenizer, text: str, max_new_tokens: int = 30, temperature: float = 1.0,
                  top_k: int | None = None, seed: int = 0) -> str:
    """The prompt and what a GPT writes after it (seeded sampling), as text."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        with eval_mode(gpt):
            tokens = gpt.generate(_encode_prompt(tokenizer, text, end=False).to(_device(gpt)), max_new_tokens, temperature, top_k)
    finally:
        torch.random.set_rng_state(generator_state)
    return tokenizer.decode(tokens[0].cpu())
