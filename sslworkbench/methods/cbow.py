"""CBOW: word2vec's continuous bag of words (Mikolov, Chen, Corrado & Dean,
"Efficient Estimation of Word Representations in Vector Space", 2013), with
negative sampling (Mikolov et al. 2013b).

Skip-gram (``word2vec.py``) turned the text into a task one way round: from
the centre word, predict each word around it. CBOW turns it the other way:
from the words around it, predict the centre word. For each minibatch of token
sequences:

    subsample      as skip-gram: drop each occurrence of word w with
                   probability 1 − √(t / f(w))
    window         the words at most b positions from each centre word, with b
                   drawn from 1..window per centre word: one example per centre
                   word (skip-gram makes one per pair, about b·2 per centre word)
    noise          K words per centre word from the unigram distribution ^ ¾
    loss           h = mean of the context words' v;
                   −log σ(u_o·h) − Σ_k log σ(−u_k·h)
                   (losses.cbow_negative_sampling)

The windows, noise and settings are skip-gram's (this class only reads them
the other way round); v (``backbone.vectors``, the vectors averaged into h) are
the word vectors kept, as for skip-gram, and u (``context_vectors``) here are the
centre and noise words' output vectors.
"""

from __future__ import annotations

import torch

from ..losses import cbow_negative_sampling
from .word2vec import Word2Vec


class CBOW(Word2Vec):
    name = "cbow"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "the centre word, from the mean of its context words' vectors"
    positives = "(context, centre) pairs at most a window apart"
    negatives = "K noise words per centre word, drawn from the unigram distribution ^ ¾"
    against_collapse = "the noise words: a constant vector cannot score true pairs above them"
    notebook = "06"

    def examples(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """CBOW's examples in the (subsampled) batch: the centre ids (P,), the ids around
        each (P, 2·window) and which of those are its context (P, 2·window): one row per
        centre word with at least one context word."""
        words, around, context = self.windows(tokens)
        centres = context.any(-1)
        return words[centres], around[centres], context[centres]

    def training_step(self, batch) -> dict:
        tokens = self.inputs_of(batch)  # labels are never looked at
        centre, around, context = self.examples(tokens)
        noise = self.noise_for(centre.numel())
        loss = cbow_negative_sampling(self.backbone.vectors[around], context, self.context_vectors(centre), noise)
        return {"loss": loss, "examples": centre.numel(), "pairs": int(context.sum())}
