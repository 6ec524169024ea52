"""Translation language modelling: XLM's cross-lingual pretext task (Lample &
Conneau, "Cross-lingual Language Model Pretraining", NeurIPS 2019, §3.3).

The data are verse pairs, an English verse and its Spanish translation, packed
as ``[CLS] English [SEP] Spanish [SEP]`` (``load_dataset("bible",
pairs="translation")``), with one vocabulary for both languages. Each minibatch
is split by ``tlm_share``:

    a share of the pairs stays whole     TLM: tokens are masked in both halves, so a
                                         hidden English word can be read off its
                                         Spanish translation, and the other way round
    the rest is cut into two rows        MLM: the English verse alone and the Spanish
                                         verse alone (monolingual masked LM)

    loss = L_MLM over every chosen token of every row     (as in ``mlm``)

``tlm_share=0`` is MLM alone on both languages (XLM's "MLM" model: the two
languages meet only through the shared vocabulary); ``0.5`` alternates the two
objectives as XLM's "MLM + TLM" does. Both see exactly the same text, so their
difference is the aligned pairs alone.

As in XLM, the positions of the second half count again from the start
(``restart_positions``), and no segment embedding marks it: a Spanish verse looks
the same to the model inside a pair as on its own, which is how a single verse is
embedded at test time. (XLM also adds a language embedding to every token; here
the language shows in the tokens themselves, as the two languages share few.)
"""

from __future__ import annotations

import torch

from ..data.tokenizer import MASK_ID, PAD_ID, SEP_ID, split_pair
from .constraints import Number
from .mlm import MaskedLanguageModel


class TranslationLM(MaskedLanguageModel):
    name = "tlm"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "masked tokens of a verse pair in two languages: a hidden word can be read off its translation"
    positives = "none: the translation is context to read from"
    negatives = "none"
    against_collapse = "a classification target made from the input: the hidden tokens"
    notebook = "08"
    input_segments = 2
    parameter_constraints = {   # and mask_p's, from mlm
        "tlm_share": Number(at_least=0, at_most=1, hint="0 is MLM alone, 0.5 XLM's MLM + TLM"),
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
        tlm_share: float = 0.5,
    ):
        # XLM's input: the second half's positions restart, and no segment embedding sets it apart
        options = {"sep_id": sep_id, "segments": 1, "restart_positions": True, **(backbone_options or {})}
        super().__init__(backbone, options, vocab_size, mask_id, pad_id, vocab_id, mask_p)
        self.sep_id, self.tlm_share = sep_id, tlm_share

    def rows(self, pairs: torch.Tensor) -> torch.Tensor:
        """The batch as the model trains on it: the first ``tlm_share`` of the
        pairs whole, the rest as English rows and Spanish rows."""
        whole = round(self.tlm_share * pairs.shape[0])
        english, spanish = split_pair(pairs[whole:], self.sep_id, self.pad_id)
        return torch.cat([pairs[:whole], english, spanish])

    def training_step(self, batch) -> dict:
        pairs = self.inputs_of(batch)  # batches are shuffled, so the first rows are a random share
        result = self.masked_lm(self.rows(pairs))
        return {"loss": result["loss"], "masked_accuracy": result["masked_accuracy"]}
