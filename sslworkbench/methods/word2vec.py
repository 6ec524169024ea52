"""word2vec: skip-gram with negative sampling (Mikolov, Sutskever, Chen, Corrado
& Dean, "Distributed Representations of Words and Phrases and their
Compositionality", NeurIPS 2013).

The text supervises itself: a word is asked to predict the words around it.
For each minibatch of token sequences:

    subsample      drop each occurrence of word w with probability
                   1 − √(t / f(w))  (f: w's share of the corpus; frequent words
                   such as "the" say little about their neighbours)
    pairs          every (centre, context) pair at most b positions apart, with
                   b drawn from 1..window per centre word (nearer words count more)
    noise          K words per pair drawn from the unigram distribution ^ ¾
    loss           −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c)
                   (losses.skipgram_negative_sampling)

v (the backbone's table, ``backbone.vectors``) are the word vectors kept;
u (``context_vectors``) are only used by the loss, as in the paper.
The word counts come from the data (``SequenceSet.method_settings``).

The paper's other architecture, CBOW (``cbow.py``), reads the same windows
(``windows``) and noise (``noise_for``) the other way round: the context
predicts its centre word.
"""

from __future__ import annotations

import torch
from torch import nn

from ..data.tokenizer import PAD_ID
from ..errors import WorkbenchError
from ..losses import skipgram_negative_sampling
from .base import Method
from .constraints import Number, Rule, Whole


class Word2Vec(Method):
    name = "word2vec"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "the words around a centre word (skip-gram, a logistic score per pair)"
    positives = "(centre, context) pairs at most a window apart"
    negatives = "K noise words per pair, drawn from the unigram distribution ^ ¾"
    against_collapse = "the noise words: a constant vector cannot score true pairs above them"
    notebook = "06"
    input_kind = "tokens"
    recommended_lr = 2e-2  # AdamW; at notebook 06's budget (3 epochs) 5e-3 learned too little: every cosine stayed ≈ 1
    parameter_constraints = {
        "window": Whole(at_least=1, hint="word2vec uses 5"),
        "negatives": Whole(at_least=1, hint="5–20 is usual"),
        "subsample": Number(at_least=0, hint="0 keeps every word"),
        "token_counts": Rule(lambda counts, vocab_size: len(counts) == vocab_size,
                             "one count per vocabulary entry ({vocab_size} of them)",
                             or_none="to count every word once"),
    }

    def __init__(
        self,
        backbone: str = "word_vectors",
        backbone_options: dict | None = None,
        vocab_size: int = 8000,
        vocab_id: str | None = None,
        token_counts: list[int] | None = None,
        first_word_id: int = 5,
        window: int = 5,
        negatives: int = 5,
        subsample: float = 1e-3,
        noise_power: float = 0.75,
    ):
        options = {"first_word_id": first_word_id, **(backbone_options or {})}
        super().__init__(backbone, options, vocab_size=vocab_size, vocab_id=vocab_id)
        counts = torch.ones(vocab_size) if token_counts is None else torch.tensor(token_counts, dtype=torch.float)
        counts[:first_word_id] = 0  # special tokens are never context nor noise
        frequency = counts / counts.sum()
        keep = (subsample / frequency).sqrt().clamp(max=1) if subsample > 0 else torch.ones(vocab_size)
        self.register_buffer("keep_probability", torch.nan_to_num(keep, nan=1.0))
        noise = counts**noise_power
        self.register_buffer("noise", noise / noise.sum())
        self.window, self.negatives, self.first_word_id = window, negatives, first_word_id
        self.context_vectors = nn.Embedding(vocab_size, self.backbone.feature_dim)
        nn.init.zeros_(self.context_vectors.weight)  # word2vec starts the output vectors at 0

    def windows(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every word's context in the (subsampled) batch, what both architectures learn from:
        the words (N, L), the ids at offsets +1, −1, +2, −2, … ±window from each (N, L, 2·window),
        and which of those are its context (N, L, 2·window): both words kept, and the offset
        within the b drawn for that centre word."""
        kept = (tokens >= self.first_word_id) & (torch.rand(tokens.shape, device=tokens.device) < self.keep_probability[tokens])
        # subsampled words are removed before windows are taken: close the gaps
        order = torch.sort((~kept).to(torch.uint8), dim=1, stable=True).indices
        words = torch.where(kept, tokens, torch.full_like(tokens, PAD_ID)).gather(1, order)
        real = kept.gather(1, order)
        reach = torch.randint(1, self.window + 1, tokens.shape, device=tokens.device)  # b per centre word
        distance = torch.arange(1, self.window + 1, device=tokens.device).repeat_interleave(2)
        offsets = distance * torch.tensor([1, -1], device=tokens.device).repeat(self.window)
        positions = torch.arange(tokens.shape[1], device=tokens.device)[:, None] + offsets  # (L, 2·window)
        inside = (positions >= 0) & (positions < tokens.shape[1])
        positions = positions.clamp(0, tokens.shape[1] - 1)
        context = real[:, :, None] & real[:, positions] & inside & (reach[:, :, None] >= distance)
        return words, words[:, positions], context

    def pairs(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre ids, context ids) of every pair in the (subsampled) batch: skip-gram's examples."""
        words, around, context = self.windows(tokens)
        by_offset = context.permute(2, 0, 1)  # the pairs at offset +1 first, then −1, +2, …
        return words.expand(by_offset.shape)[by_offset], around.permute(2, 0, 1)[by_offset]

    def noise_for(self, count: int) -> torch.Tensor:
        """The output vectors u_k of K noise words for each of ``count`` examples, (count, K, D),
        drawn from the unigram distribution ^ ¾; one clear error when the batch made no example."""
        if count == 0:
            raise WorkbenchError(f"{self.name}: this batch has no word pairs (sequences too short, or all subsampled).")
        noise = torch.multinomial(self.noise, count * self.negatives, replacement=True)
        return self.context_vectors(noise).view(count, self.negatives, -1)

    def training_step(self, batch) -> dict:
        tokens = self.inputs_of(batch)  # labels are never looked at
        centre, context = self.pairs(tokens)
        noise = self.noise_for(centre.numel())
        loss = skipgram_negative_sampling(self.backbone.vectors[centre], self.context_vectors(context), noise)
        return {"loss": loss, "pairs": centre.numel()}
