"""A small transformer for token sequences, to be read top to bottom.

    tokens (N, L) ──► token embedding + position embedding (+ segment embedding)
                  ──► [x + attention(norm(x)); x + mlp(norm(x))] × depth      pre-norm blocks
                  ──► norm ──► hidden states (N, L, width)
                  ──► pooled over the real tokens ──► features (N, width)

One model, two ways of reading (``causal``):

    causal=False   every token attends to every other real token (BERT, XLM): for
                   masked language modelling and for features of a whole sequence
    causal=True    each token attends only to itself and the tokens before it (GPT):
                   the state at position t may predict token t + 1

Attention is ``F.scaled_dot_product_attention`` (softmax(QKᵀ/√d)·V, fused);
padding ([PAD]) is never attended to. Two options for pairs ``[CLS] A [SEP] B [SEP]``:

    segments=2             a segment embedding tells the first part (up to the first
                           [SEP]) from the second: BERT's sentence A / sentence B
    restart_positions=True positions count again after the first [SEP], so B's tokens
                           sit at the positions they would have in ``[CLS] B [SEP]``
                           alone (XLM's choice for translation pairs: a Spanish verse
                           then looks the same to the model next to its English
                           translation as on its own)

What the trainer, ``embed``, kNN and the probe use is ``forward``: (N, L) ids →
(N, width) features. Language-model heads read ``hidden_states`` and score
the vocabulary with ``token_logits`` (the output layer shares the token embedding's
weights, as in GPT and BERT).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import WorkbenchError

POOLS = ("mean", "cls", "last")


class SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor | None, causal: bool) -> torch.Tensor:
        n, length, width = x.shape
        q, k, v = self.qkv(x).view(n, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=allowed, is_causal=causal and allowed is None,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.out(y.transpose(1, 2).reshape(n, length, width))

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights softmax(QKᵀ/√d) of every head, (N, heads, L, L), without
        masks: what the fused kernel computes inside but does not return (for pictures)."""
        n, length, width = x.shape
        q, k, _ = self.qkv(x).view(n, length, 3, self.heads, width // self.heads).permute(2, 0, 3, 1, 4)
        return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(width // self.heads), dim=-1)


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, width: int, heads: int, mlp_ratio: int, dropout: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Linear(mlp_ratio * width, width), nn.Dropout(dropout)
        )

    def forward(self, x, allowed=None, causal=False):
        x = x + self.attention(self.norm1(x), allowed, causal)
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    """``depth`` pre-norm blocks of ``width`` channels and ``heads`` heads, over
    at most ``context`` tokens of a ``vocab_size`` vocabulary.

    Defaults (width 128, depth 2, 4 heads): 0.4 M weights in the blocks, plus
    the token embedding (vocab_size × 128); a few thousand tokens per second
    per core on a CPU."""

    input_kind = "tokens"

    def __init__(
        self,
        vocab_size: int = 8000,
        context: int = 128,
        width: int = 128,
        depth: int = 2,
        heads: int = 4,
        mlp_ratio: int = 4,
        dropout: float = 0.1,
        causal: bool = False,
        segments: int = 1,
        pool: str = "mean",
        pad_id: int = 0,
        sep_id: int = 3,
        vocab_id: str | None = None,
        restart_positions: bool = False,
    ):
        super().__init__()
        if not (isinstance(vocab_size, int) and vocab_size >= 2):
            raise WorkbenchError(f"vocab_size must be an integer ≥ 2 (got {vocab_size!r}).")
        if width % heads:
            raise WorkbenchError(f"width ({width}) must be a multiple of heads ({heads}).")
        if pool not in POOLS:
            raise WorkbenchError(f"pool must be one of {POOLS} (got {pool!r}).")
        if segments not in (1, 2):
            raise WorkbenchError(f"segments must be 1 or 2 (got {segments!r}).")
        self.vocab_size, self.context, self.causal, self.pool = vocab_size, context, causal, pool
        self.pad_id, self.sep_id, self.vocab_id = pad_id, sep_id, vocab_id
        self.restart_positions = bool(restart_positions)
        self.token_embedding = nn.Embedding(vocab_size, width)
        self.position_embedding = nn.Embedding(context, width)
        self.segment_embedding = nn.Embedding(2, width) if segments == 2 else None
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(width, heads, mlp_ratio, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.feature_dim = width
        self.apply(init_weights)

    def check(self, tokens: torch.Tensor) -> None:
        """One clear error for inputs this model cannot read."""
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 or tokens.dtype != torch.long:
            got = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens).__name__
            raise WorkbenchError(f"The transformer reads int64 token ids of shape (N, L); got {got}.")
        if tokens.shape[1] > self.context:
            raise WorkbenchError(
                f"Sequences of {tokens.shape[1]} tokens are longer than this model's context of {self.context}: "
                f"cut them (e.g. tokens[:, :{self.context}]) or build the model with context ≥ {tokens.shape[1]}."
            )
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.vocab_size):
            raise WorkbenchError(
                f"Token id {int(tokens.max()) if int(tokens.max()) >= self.vocab_size else int(tokens.min())} is "
                f"outside this model's vocabulary (0..{self.vocab_size - 1}): encode text with the tokenizer "
                "the model was trained with."
            )

    def hidden_states(self, tokens: torch.Tensor) -> torch.Tensor:
        """(N, L) ids → (N, L, width): each position's state after the last block."""
        self.check(tokens)
        x = self.token_embedding(tokens) + self.position_embedding(self.position_ids(tokens))
        if self.segment_embedding is not None:
            x = x + self.segment_embedding(self.segment_ids(tokens))
        x = self.dropout(x)
        real = tokens != self.pad_id
        # bidirectional: attend to every real token; causal: the fused causal mask
        # (padding comes after the text, so a real token never sees it)
        allowed = None if self.causal else real[:, None, None, :]
        for block in self.blocks:
            x = block(x, allowed, self.causal)
        return self.norm(x)

    def position_ids(self, tokens: torch.Tensor) -> torch.Tensor:
        """0, 1, 2, … along each row; with ``restart_positions``, the tokens after
        the first [SEP] count again from 1 (as if [CLS] stood before them)."""
        positions = torch.arange(tokens.shape[1], device=tokens.device).expand(tokens.shape)
        if not self.restart_positions:
            return positions
        second = self.segment_ids(tokens)                        # 1 after the first [SEP]
        first_sep = (1 - second).sum(1, keepdim=True) - 1        # where the first part ends
        return positions - second * first_sep

    def segment_ids(self, tokens: torch.Tensor) -> torch.Tensor:
        """0 up to and including the first [SEP], 1 after it."""
        sep = (tokens == self.sep_id).long()
        return ((sep.cumsum(1) - sep) > 0).long()

    def pooled(self, states: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """(N, L, width) → (N, width): the mean over real tokens, the first
        ([CLS]) state, or the state of the last real token (GPT's choice)."""
        if self.pool == "cls":
            return states[:, 0]
        real = (tokens != self.pad_id).unsqueeze(-1).to(states.dtype)
        if self.pool == "mean":
            return (states * real).sum(1) / real.sum(1).clamp(min=1)
        last = (tokens != self.pad_id).long().sum(1).clamp(min=1) - 1
        return states[torch.arange(tokens.shape[0], device=tokens.device), last]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.pooled(self.hidden_states(tokens), tokens)

    def token_logits(self, states: torch.Tensor) -> torch.Tensor:
        """Scores over the vocabulary for each state: states · token embeddingsᵀ."""
        return states @ self.token_embedding.weight.T


def init_weights(module: nn.Module) -> None:
    """GPT-2's initialisation: normal(0, 0.02) weights, zero biases."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
