"""Contrastive learning on token sequences: two spans of one sequence are a
positive pair — SimCLR's recipe with text views, as in DeCLUTR (Giorgi, Nitski,
Wang & Bader, "DeCLUTR: Deep Contrastive Learning for Unsupervised Textual
Representations", ACL 2021).

For each minibatch of N token sequences x:

    x1, x2 = t(x), t'(x)           a random span of each sequence, some tokens
                                   replaced by [MASK]      (views/tokens.py)
    h1, h2 = f(x1), f(x2)          the sequence backbone's features (what we keep)
    z1, z2 = g(h1), g(h2)          the projection head's output
    loss   = NT-Xent(z1, z2, τ)    each span must pick out its partner among
                                   the 2N − 1 other spans of the batch

It is the first method here whose data is not images; it goes through exactly
the same trainer, checkpoints and evaluation as SimCLR does.

Defaults: spans of 24 of the 32 tokens of ``motifs`` (so two spans overlap by
at least 16), 15% masking (BERT's rate), τ = 0.1 and SimCLR's head. The
vocabulary size and the [MASK] id come from the data (``sw.pretrain`` fills
them in from ``SequenceSet.method_settings``).
"""

from __future__ import annotations

from functools import partial

from ..losses import nt_xent
from ..models import projection_head
from ..views.tokens import token_views
from .base import Method
from .constraints import Number, Rule


class SpanContrast(Method):
    name = "span_contrast"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "contrastive"
    predicts = "which span of the batch comes from the same sequence (NT-Xent)"
    positives = "two random spans of one sequence, some tokens masked"
    negatives = "the other spans of the batch"
    against_collapse = "the negatives: a constant output cannot tell them apart"
    notebook = "14"
    input_kind = "tokens"
    min_batch_size = 2
    min_batch_reason = "the other sequences are the negatives"
    across_devices = "gathers"  # every device's sequences are the negatives
    parameter_constraints = {
        "temperature": Number(above=0, hint="0.05–0.5 is usual"),
        "span": Rule(lambda span, sequence_length: 1 <= span <= sequence_length,
                     "between 1 and sequence_length={sequence_length}"),
        "mask_p": Number(at_least=0, below=1),
    }

    def __init__(
        self,
        backbone: str = "token_cnn",
        backbone_options: dict | None = None,
        vocab_size: int = 62,
        sequence_length: int = 32,
        mask_id: int = 1,
        span: int = 24,
        mask_p: float = 0.15,
        temperature: float = 0.1,
        projection_dim: int = 128,
        hidden_dim: int = 512,
    ):
        super().__init__(backbone, backbone_options, vocab_size=vocab_size)
        self.span, self.mask_p, self.mask_id, self.temperature = span, mask_p, mask_id, temperature
        self.projector = projection_head(self.backbone.feature_dim, hidden_dim, projection_dim)
        # one random view of each sequence: a span of ``span`` tokens, some masked
        self.views = partial(token_views, span=span, mask_p=mask_p, mask_id=mask_id)

    def training_step(self, batch) -> dict:
        tokens = self.inputs_of(batch)  # labels are never looked at
        x1, x2 = self.views(tokens), self.views(tokens)
        h1, h2 = self.backbone(x1), self.backbone(x2)
        z1, z2 = self.projector(h1), self.projector(h2)
        loss = nt_xent(self.gather(z1), self.gather(z2), self.temperature)
        return {"loss": loss, "embeddings": z1.detach()}
