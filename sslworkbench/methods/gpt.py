"""Causal language modelling: GPT's pretext task (Radford, Narasimhan, Salimans
& Sutskever, "Improving Language Understanding by Generative Pre-Training",
2018, §3.1, eq. 1).

For each minibatch of N token sequences x = ([CLS], x_1, …, [SEP], [PAD]…):

    h     = f(x)                         a causal transformer: the state h_t has
                                         seen only x_≤t
    ŷ_t   = h_t · Eᵀ                     scores for the next token (E: the token
                                         embedding, shared with the input)
    loss  = −mean_t log softmax(ŷ_t)[x_{t+1}]     over every t whose next token is
                                         text or the final [SEP]
                                         (losses.token_prediction_loss)

exp(loss) on held-out text is the perplexity: the number of equally likely
tokens the model is, on average, choosing between. ``generate`` samples a
continuation one token at a time, at a chosen temperature.
"""

from __future__ import annotations

import torch

from ..data.tokenizer import PAD_ID, SEP_ID
from ..errors import WorkbenchError
from ..losses import token_prediction_loss
from ..models import BACKBONES
from ..views.tokens import next_token_targets
from .base import Method


class GPT(Method):
    name = "gpt"
    input_kind = "tokens"
    recommended_lr = 1e-3
    language_model = True

    def __init__(
        self,
        backbone: str = "transformer",
        backbone_options: dict | None = None,
        vocab_size: int = 8000,
        pad_id: int = PAD_ID,
        vocab_id: str | None = None,
    ):
        options = {"causal": True, **(backbone_options or {})}
        if not hasattr(BACKBONES[backbone], "token_logits") or not options["causal"]:
            raise WorkbenchError(f"gpt predicts the next token and needs a causal transformer backbone (got {backbone!r}, causal={options['causal']}).")
        super().__init__(backbone, options, vocab_size=vocab_size, pad_id=pad_id, vocab_id=vocab_id)
        self.pad_id = pad_id

    def language_model_loss(self, tokens: torch.Tensor) -> dict:
        """Next-token cross-entropy of (N, L) ``tokens`` and the accuracy of the
        most likely next token (the auxiliary objective of ``finetune`` too)."""
        states = self.backbone.hidden_states(tokens)
        predicted, targets = next_token_targets(tokens, self.pad_id)
        scores = self.backbone.token_logits(states[:, :-1][predicted])  # only where there is a next token
        loss = token_prediction_loss(scores, targets)
        return {"loss": loss, "next_token_accuracy": (scores.argmax(-1) == targets).float().mean().detach()}

    def training_step(self, batch) -> dict:
        return self.language_model_loss(self.inputs_of(batch))  # labels are never looked at

    @torch.no_grad()
    def generate(self, prompt: torch.Tensor, max_new_tokens: int = 30, temperature: float = 1.0,
                 top_k: int | None = None, stop_id: int = SEP_ID) -> torch.Tensor:
        """Continue (N, L) ``prompt`` ids (no padding) one sampled token at a time.

        temperature  divides the scores before the softmax: → 0 always the most
                     likely token (greedy), 1 the model's own distribution, > 1 flatter
        top_k        sample only among the k most likely tokens (None: all)
        Stops at ``stop_id`` ([SEP]: the end of a verse) or after max_new_tokens."""
        if not temperature >= 0:
            raise WorkbenchError(f"temperature must be ≥ 0 (got {temperature}); 0 means greedy.")
        tokens = prompt.clone()
        finished = torch.zeros(tokens.shape[0], dtype=torch.bool, device=tokens.device)
        for _ in range(max_new_tokens):
            window = tokens[:, -self.backbone.context:]
            scores = self.backbone.token_logits(self.backbone.hidden_states(window)[:, -1])
            if temperature == 0:
                next_token = scores.argmax(-1)
            else:
                scores = scores / temperature
                if top_k is not None:
                    cutoff = scores.topk(top_k, dim=-1).values[:, -1:]
                    scores = scores.masked_fill(scores < cutoff, float("-inf"))
                next_token = torch.multinomial(scores.softmax(-1), 1).squeeze(1)
            next_token = torch.where(finished, torch.full_like(next_token, self.pad_id), next_token)
            tokens = torch.cat([tokens, next_token[:, None]], dim=1)
            finished |= next_token == stop_id
            if finished.all():
                break
        return tokens
