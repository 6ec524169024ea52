"""Views of token sequences: the text counterpart of ``augment.py``.

Two random views of a sequence, as contrastive methods on text make them
(DeCLUTR, Giorgi et al. 2021: spans of one document are positives; BERT's
masking, Devlin et al. 2019, as a corruption):

    span   a random contiguous window of ``span`` tokens (a crop, in time)
    mask   each token replaced by [MASK] with probability ``mask_p``

Batched and per-sample random, on the device of the tokens, like the image views.
"""

from __future__ import annotations

import torch

from .errors import WorkbenchError


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
