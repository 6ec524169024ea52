"""BERT's two pretext tasks together: masked language modelling and next
sentence prediction (Devlin et al. 2019, §3.1 "Task #2: Next Sentence
Prediction (NSP)"), or ALBERT's sentence-order prediction in its place (Lan et
al., "ALBERT", ICLR 2020, §3.1).

The data are pairs of consecutive verses, packed as ``[CLS] A [SEP] B [SEP]``
(``load_dataset("bible", pairs="next")``). For each minibatch:

    y      ~ Bernoulli(½) per pair          1: keep B, the true next verse
    x      = [CLS] A [SEP] B' [SEP]         y = 0, NSP: B' = the B of another pair of
                                            the batch (a random verse of the corpus);
                                            y = 0, SOP: the same two verses swapped
    x̃, M   = mask(x)                        BERT's 15% masking, as in ``mlm``
    h      = f(x̃)                           bidirectional transformer, with segment
                                            embeddings for A and B
    loss   = L_MLM(h, M) + L_NSP(w·h_[CLS], y)     (losses.next_sentence_loss)

NSP's known weakness: a random verse is usually from another book, so it can be
told apart by *topic* alone, without understanding coherence; swapping the order
of two true neighbours (SOP) leaves the topic the same and must be read.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.tokenizer import MASK_ID, PAD_ID, SEP_ID, join_pair, split_pair
from ..losses import next_sentence_loss
from .constraints import Number, OneOf
from .mlm import MaskedLanguageModel

#: where a wrong second segment comes from, by name
NEGATIVES = {"random": "BERT's next sentence prediction", "swap": "ALBERT's sentence-order prediction"}


class BERT(MaskedLanguageModel):
    name = "bert"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "the masked tokens, and whether B follows A (NSP) or the two are swapped (SOP)"
    positives = "for NSP and SOP, a verse and the verse that follows it"
    negatives = "for NSP, a verse of another pair of the batch; for SOP, the two verses swapped"
    against_collapse = "a classification target made from the input: the hidden tokens, the true order"
    notebook = "07"
    min_batch_size = 2
    min_batch_reason = "a random next sentence comes from another pair of the batch"
    input_segments = 2
    parameter_constraints = {   # and mask_p's, from mlm
        "negatives": OneOf(NEGATIVES),
        "sentence_weight": Number(at_least=0),
    }

    def __init__(
        self,
        backbone: str = "transformer",
        backbone_options: dict | None = None,
        vocab_size: int = 8000,
        mask_id: int = MASK_ID,
        pad_id: int = PAD_ID,
        sep_id: int = SEP_ID,
        vocab_id: str | None = None,
        mask_p: float = 0.15,
        negatives: str = "random",
        sentence_weight: float = 1.0,
    ):
        super().__init__(backbone, {"sep_id": sep_id, **(backbone_options or {})}, vocab_size, mask_id, pad_id,
                         vocab_id, mask_p)
        self.sep_id, self.negatives, self.sentence_weight = sep_id, negatives, sentence_weight
        self.sentence_head = nn.Linear(self.backbone.feature_dim, 1)

    def make_pairs(self, pairs: torch.Tensor, is_next: torch.Tensor) -> torch.Tensor:
        """Rows whose ``is_next`` is False get a wrong second segment: another
        pair's B (NSP) or their own two verses swapped (SOP)."""
        first, second = split_pair(pairs, self.sep_id, self.pad_id)
        if self.negatives == "random":
            shift = int(torch.randint(1, pairs.shape[0], (1,)))  # every row takes the B of another row
            wrong = join_pair(first, second.roll(shift, dims=0), self.pad_id)
        else:
            wrong = join_pair(second, first, self.pad_id)
        return torch.where(is_next[:, None], pairs, wrong)

    def is_next_logits(self, states: torch.Tensor) -> torch.Tensor:
        """The sentence head's logit from the [CLS] state: > 0 means "B follows A"."""
        return self.sentence_head(states[:, 0]).squeeze(-1)

    def training_step(self, batch) -> dict:
        pairs = self.inputs_of(batch)
        is_next = torch.rand(pairs.shape[0], device=pairs.device) < 0.5
        result = self.masked_lm(self.make_pairs(pairs, is_next))
        logits = self.is_next_logits(result["states"])
        sentence = next_sentence_loss(logits, is_next)
        return {
            "loss": result["loss"] + self.sentence_weight * sentence,
            "masked_accuracy": result["masked_accuracy"],
            "sentence_loss": sentence.detach(),
            "sentence_accuracy": ((logits > 0) == is_next).float().mean().detach(),
        }

    @torch.no_grad()
    def predict_is_next(self, pairs: torch.Tensor) -> torch.Tensor:
        """For packed pairs (N, L): True where the model says B follows A."""
        return self.is_next_logits(self.backbone.hidden_states(pairs)) > 0
