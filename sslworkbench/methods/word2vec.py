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

    def pairs(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(centre ids, context ids) of every pair in the (subsampled) batch."""
        kept = (tokens >= self.first_word_id) & (torch.rand(tokens.shape, device=tokens.device) < self.keep_probability[tokens])
        # subsampled words are removed before windows are taken: close the gaps
        order = torch.sort((~kept).to(torch.uint8), dim=1, stable=True).indices
        words = torch.where(kept, tokens, torch.full_like(tokens, PAD_ID)).gather(1, order)
        real = kept.gather(1, order)
        reach = torch.randint(1, self.window + 1, tokens.shape, device=tokens.device)  # b per centre word
        centres, contexts = [], []
        for offset in range(1, self.window + 1):
            for c, o, rc, ro, b in (
                (words[:, :-offset], words[:, offset:], real[:, :-offset], real[:, offset:], reach[:, :-offset]),
                (words[:, offset:], words[:, :-offset], real[:, offset:], real[:, :-offset], reach[:, offset:]),
            ):
                valid = rc & ro & (b >= offset)
                centres.append(c[valid])
                contexts.append(o[valid])
        return torch.cat(centres), torch.cat(contexts)

    def training_step(self, batch) -> dict:
        tokens = self.inputs_of(batch)  # labels are never looked at
        centre, context = self.pairs(tokens)
        if centre.numel() == 0:
            raise WorkbenchError("word2vec: this batch has no word pairs (sequences too short, or all subsampled).")
        noise = torch.multinomial(self.noise, centre.numel() * self.negatives, replacement=True)
        loss = skipgram_negative_sampling(
            self.backbone.vectors[centre],
            self.context_vectors(context),
            self.context_vectors(noise).view(centre.numel(), self.negatives, -1),
        )
        return {"loss": loss, "pairs": centre.numel()}
