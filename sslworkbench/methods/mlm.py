"""Masked language modelling: BERT's pretext task (Devlin, Chang, Lee &
Toutanova, "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", NAACL 2019, §3.1 "Task #1: Masked LM").

For each minibatch of N token sequences x:

    x̃, M  = mask(x)               choose 15% of the text tokens (the set M); of
                                  those, 80% → [MASK], 10% → a random token,
                                  10% unchanged          (token_views.bert_masking)
    h      = f(x̃)                 the bidirectional transformer's states (N, L, D):
                                  every token sees the whole sequence
    ŷ_t    = g(h_t) · Eᵀ + b      scores over the vocabulary at each t in M
                                  (E: the token embedding, shared with the input)
    loss   = −mean_{t ∈ M} log softmax(ŷ_t)[x_t]     (losses.token_prediction_loss)

The model never sees which tokens it must predict among the unchanged 10%, so
it must keep a good representation of every token. Reported with the loss:
``masked_accuracy``, the share of chosen tokens predicted exactly.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.tokenizer import MASK_ID, PAD_ID
from ..errors import WorkbenchError
from ..losses import token_prediction_loss
from ..models import BACKBONES
from ..views.tokens import bert_masking
from .base import Method
from .constraints import Number


class MaskedLanguageModel(Method):
    name = "mlm"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "the 15% masked tokens, from the words on both sides"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: the hidden tokens"
    notebook = "07, 08"
    input_kind = "tokens"
    recommended_lr = 1e-3
    parameter_constraints = {
        "mask_p": Number(above=0, below=1, hint="BERT masks 0.15 of the tokens"),
    }

    def __init__(
        self,
        backbone: str = "transformer",
        backbone_options: dict | None = None,
        vocab_size: int = 8000,
        mask_id: int = MASK_ID,
        pad_id: int = PAD_ID,
        vocab_id: str | None = None,
        mask_p: float = 0.15,
    ):
        if not hasattr(BACKBONES[backbone], "token_logits"):
            raise WorkbenchError(f"{self.name} predicts tokens and needs a transformer backbone (got {backbone!r}).")
        options = {"causal": False, "segments": self.input_segments, **(backbone_options or {})}
        super().__init__(backbone, options, vocab_size=vocab_size, pad_id=pad_id, vocab_id=vocab_id)
        self.vocab_size, self.mask_id, self.pad_id, self.mask_p = vocab_size, mask_id, pad_id, mask_p
        width = self.backbone.feature_dim
        # BERT's prediction head: a dense layer, GELU and LayerNorm before the shared output embedding
        self.transform = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.LayerNorm(width))
        self.output_bias = nn.Parameter(torch.zeros(vocab_size))

    def token_scores(self, states: torch.Tensor) -> torch.Tensor:
        """Scores over the vocabulary for states (..., D) → (..., V)."""
        return self.backbone.token_logits(self.transform(states)) + self.output_bias

    def masked_lm(self, tokens: torch.Tensor) -> dict:
        """Mask ``tokens``, predict the chosen ones: the loss and the accuracy."""
        corrupted, chosen = bert_masking(tokens, self.mask_p, self.mask_id, self.vocab_size)
        states = self.backbone.hidden_states(corrupted)
        scores = self.token_scores(states[chosen])  # only at the chosen positions: (M, V)
        loss = token_prediction_loss(scores, tokens[chosen])
        accuracy = (scores.argmax(-1) == tokens[chosen]).float().mean()
        return {"loss": loss, "masked_accuracy": accuracy.detach(), "states": states}

    def training_step(self, batch) -> dict:
        tokens = self.inputs_of(batch)  # labels are never looked at
        result = self.masked_lm(tokens)
        return {"loss": result["loss"], "masked_accuracy": result["masked_accuracy"]}

    @torch.no_grad()
    def fill_masks(self, tokens: torch.Tensor, top: int = 1) -> torch.Tensor:
        """The ``top`` most likely tokens at every [MASK] of (N, L) ``tokens`` → (number of masks, top) ids."""
        states = self.backbone.hidden_states(tokens)
        return self.token_scores(states[tokens == self.mask_id]).topk(top, dim=-1).indices
