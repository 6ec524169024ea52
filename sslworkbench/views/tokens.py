"""Views of token sequences: the text counterpart of ``views/images.py``.

Two random views of a sequence, as contrastive methods on text make them
(DeCLUTR, Giorgi et al. 2021: spans of one document are positives; BERT's
masking, Devlin et al. 2019, as a corruption):

    span   a random contiguous window of ``span`` tokens (a crop, in time)
    mask   each token replaced by [MASK] with probability ``mask_p``

and BERT's corruption for masked language modelling (``bert_masking``): choose
15% of the text tokens; of those, 80% become [MASK], 10% a random token, 10%
stay as they are — the model must predict all of them, so it cannot learn that
only [MASK] needs predicting. GPT's view is the sequence itself shifted by one
(``next_token_targets``): every position predicts the token after it.

Batched and per-sample random, on the device of the tokens, like the image views.
"""

from __future__ import annotations

import torch

from ..data.tokenizer import PAD_ID
from ..errors import WorkbenchError


def random_spans(tokens: torch.Tensor, span: int) -> torch.Tensor:
    """A random window of ``span`` consecutive tokens from each row of (N, L) ``tokens``."""
    n, length = tokens.shape
    if not 1 <= span <= length:
        raise WorkbenchError(f"span must be between 1 and the sequence length {length} (got {span}).")
    start = torch.randint(0, length - span + 1, (n, 1), device=tokens.device)
    return tokens.gather(1, start + torch.arange(span, device=tokens.device))


def mask_tokens(tokens: torch.Tensor, mask_p: float, mask_id: int) -> torch.Tensor:
    """Each token replaced by ``mask_id`` with probability ``mask_p``."""
    if not 0 <= mask_p < 1:
        raise WorkbenchError(f"mask_p must be in [0, 1) (got {mask_p}).")
    hidden = torch.rand(tokens.shape, device=tokens.device) < mask_p
    return tokens.masked_fill(hidden, mask_id)


def token_views(tokens: torch.Tensor, span: int, mask_p: float, mask_id: int) -> torch.Tensor:
    """One view of each sequence: a random span, then masking."""
    return mask_tokens(random_spans(tokens, span), mask_p, mask_id)


def bert_masking(
    tokens: torch.Tensor,
    mask_p: float,
    mask_id: int,
    vocab_size: int,
    first_word_id: int = 5,
    split: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's masking of (N, L) ``tokens`` → (corrupted tokens, chosen positions).

    Each text token (id ≥ ``first_word_id``: special tokens such as [CLS], [SEP],
    [PAD] are never chosen) is chosen with probability ``mask_p``; a chosen token
    becomes [MASK], a random text token, or stays, with the probabilities ``split``.
    At least one token of the batch is chosen."""
    if not 0 < mask_p < 1:
        raise WorkbenchError(f"mask_p must be in (0, 1) (got {mask_p}); BERT masks 0.15 of the tokens.")
    if len(split) != 3 or min(split) < 0 or abs(sum(split) - 1) > 1e-6:
        raise WorkbenchError(f"split must be three shares (mask, random, keep) that sum to 1 (got {split}).")
    text = tokens >= first_word_id
    if not text.any():
        raise WorkbenchError("bert_masking: the batch has no text tokens to mask.")
    chosen = text & (torch.rand(tokens.shape, device=tokens.device) < mask_p)
    if not chosen.any():  # a short batch can draw nothing: choose its first text token
        chosen.view(-1)[text.view(-1).nonzero()[0]] = True
    fate = torch.rand(tokens.shape, device=tokens.device)
    to_mask = chosen & (fate < split[0])
    to_random = chosen & (fate >= split[0]) & (fate < split[0] + split[1])
    random_words = torch.randint(first_word_id, vocab_size, tokens.shape, device=tokens.device)
    corrupted = torch.where(to_mask, torch.full_like(tokens, mask_id), tokens)
    corrupted = torch.where(to_random, random_words, corrupted)
    return corrupted, chosen


def next_token_targets(tokens: torch.Tensor, pad_id: int = PAD_ID) -> tuple[torch.Tensor, torch.Tensor]:
    """GPT's shift by one: ``(predicted, targets)`` where ``predicted`` (N, L − 1)
    marks the positions t whose next token is text (or the final [SEP]) and
    ``targets`` are those next tokens, ``tokens[:, 1:][predicted]``. The state
    at position t is scored against token t + 1."""
    predicted = tokens[:, 1:] != pad_id
    return predicted, tokens[:, 1:][predicted]
