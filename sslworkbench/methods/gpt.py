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

Fine-tuning on a task (§3.3, Figure 1): every task becomes token sequences the
pretrained model can read left to right, framed by three new tokens — start,
delimiter and extract (``TASK_TOKENS``) — whose embeddings are learned from
scratch during fine-tuning; the extract token's final state feeds a linear layer:

    classification   [START] text [EXTRACT]
    entailment       [START] premise [DELIM] hypothesis [EXTRACT]
    similarity       [START] A [DELIM] B [EXTRACT]  and  [START] B [DELIM] A [EXTRACT]:
                     no natural order, so both; their extract states are added
    choice           [START] context [DELIM] answer_k [EXTRACT], one per answer:
                     a score each, a softmax over the answers

``gpt_task_input`` builds them, ``with_task_tokens`` gives a pretrained GPT the three
new embeddings, ``GPTTaskHead`` is the linear layer on the extract state(s).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from ..data.tokenizer import PAD_ID, SEP_ID
from ..errors import WorkbenchError
from ..losses import token_prediction_loss
from ..models import BACKBONES
from ..views.tokens import next_token_targets
from .base import Method


class GPT(Method):
    name = "gpt"
    # its card (methods/base.py): what it learns from, and what keeps it from collapsing
    family = "language modelling"
    predicts = "the next token, from the ones before it (a causal transformer)"
    positives = "none"
    negatives = "none"
    against_collapse = "a classification target made from the input: the next token"
    notebook = "07"
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


# -- GPT's input transformations for tasks (§3.3) ------------------------------------

TASK_KINDS = ("classification", "entailment", "similarity", "choice")
TASK_TOKENS = ("[START]", "[DELIM]", "[EXTRACT]")


def task_token_ids(vocab_size: int) -> dict:
    """The ids of the three task tokens: the first ids after the vocabulary, so that
    no existing id (and no tokenizer's fingerprint) changes."""
    return {"start": vocab_size, "delimiter": vocab_size + 1, "extract": vocab_size + 2}


def gpt_task_input(parts: list, kind: str, vocab_size: int, length: int | None = None) -> torch.Tensor:
    """GPT's input transformation: token ids of a task's ``parts`` (lists of ids,
    no special tokens) → the (S, length) sequences the model reads, [PAD]ded:

    classification  parts = [text]                      → 1 sequence
    entailment      parts = [premise, hypothesis]       → 1 sequence
    similarity      parts = [a, b]                      → 2: a then b, b then a
    choice          parts = [context, answer_1, …]      → 1 per answer

    ``length``: the row length (default: the longest sequence); parts too long for it
    are cut: the first part to at most half the room, the second to what is left."""
    if kind not in TASK_KINDS:
        raise WorkbenchError(f"kind must be one of {TASK_KINDS} (got {kind!r}).")
    needed = {"classification": (1, 1), "entailment": (2, 2), "similarity": (2, 2), "choice": (3, None)}[kind]
    if len(parts) < needed[0] or (needed[1] and len(parts) > needed[1]):
        count = f"{needed[0]}" if needed[0] == needed[1] else f"at least {needed[0]} (a context and two answers)"
        raise WorkbenchError(f"a {kind} input has {count} parts; got {len(parts)}.")
    ids = task_token_ids(vocab_size)
    start, delimiter, extract = ids["start"], ids["delimiter"], ids["extract"]
    parts = [[int(t) for t in part] for part in parts]
    if kind == "classification":
        pairs = [(parts[0], None)]
    elif kind == "entailment":
        pairs = [(parts[0], parts[1])]
    elif kind == "similarity":
        pairs = [(parts[0], parts[1]), (parts[1], parts[0])]
    else:
        pairs = [(parts[0], answer) for answer in parts[1:]]
    if length is not None:  # cut: the first part to half the room at most, the second to the rest
        room = length - (2 if kind == "classification" else 3)
        if room < (1 if kind == "classification" else 2):
            raise WorkbenchError(f"length {length} leaves no room for the text between the task tokens.")
        share = room if kind == "classification" else room // 2
        pairs = [(a[:share], None if b is None else b[: room - min(len(a), share)]) for a, b in pairs]
    rows = [[start, *a, extract] if b is None else [start, *a, delimiter, *b, extract] for a, b in pairs]
    out = torch.full((len(rows), length or max(map(len, rows))), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def task_tokens_as_words(sequence, tokenizer) -> list[str]:
    """One task sequence as its tokens' text, the task tokens by name, [PAD] left out."""
    names = {i: name for i, name in zip(task_token_ids(len(tokenizer)).values(), TASK_TOKENS)}
    return [names.get(int(t)) or tokenizer.vocab[int(t)] for t in sequence if int(t) != PAD_ID]


def with_task_tokens(gpt: GPT, seed: int = 0) -> GPT:
    """A copy of ``gpt`` that can read task inputs: its token embedding gets three new
    rows (start, delimiter, extract; random, as a new token's are) and its features
    are the final state of the last real token — the extract token, which closes
    every task input. ``sw.finetune`` puts a linear layer on it: GPT's task head."""
    if not isinstance(gpt, GPT):
        raise WorkbenchError(f"with_task_tokens takes a GPT (run.method of a 'gpt' run); got {type(gpt).__name__}.")
    if getattr(gpt.backbone, "task_tokens", False):
        raise WorkbenchError("This GPT already reads task inputs: give with_task_tokens the pretrained GPT itself.")
    model = copy.deepcopy(gpt)
    backbone = model.backbone
    old = backbone.token_embedding.weight.data
    new_rows = torch.randn(len(TASK_TOKENS), old.shape[1], generator=torch.Generator().manual_seed(seed)) * 0.02
    backbone.token_embedding = nn.Embedding.from_pretrained(torch.cat([old, new_rows.to(old)]), freeze=False)
    backbone.vocab_size += len(TASK_TOKENS)
    backbone.pool = "last"
    backbone.task_tokens = True
    return model


def extract_states(backbone, tokens: torch.Tensor) -> torch.Tensor:
    """(N, L) task inputs → (N, width): each sequence's final state at its extract token."""
    extract = task_token_ids(backbone.vocab_size - len(TASK_TOKENS))["extract"]
    found = tokens == extract
    if not found.any(1).all():
        raise WorkbenchError("every task input needs its extract token: build them with gpt_task_input.")
    at = found.long().argmax(1)
    return backbone.hidden_states(tokens)[torch.arange(len(tokens), device=tokens.device), at]


class GPTTaskHead(nn.Module):
    """GPT's fine-tuning model: a backbone from ``with_task_tokens`` and a linear
    layer on the extract token's final state, for each ``kind`` of input:

    classification, entailment  (N, L)    → (N, num_classes)
    similarity                  (N, 2, L) → the two orders' extract states added → (N, num_classes)
    choice                      (N, K, L) → one score per answer → (N, K): softmax over the answers"""

    def __init__(self, backbone: nn.Module, kind: str, num_classes: int = 2, dropout: float = 0.1):
        super().__init__()
        if kind not in TASK_KINDS:
            raise WorkbenchError(f"kind must be one of {TASK_KINDS} (got {kind!r}).")
        self.backbone, self.kind = backbone, kind
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(backbone.feature_dim, 1 if kind == "choice" else num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        grouped = self.kind in ("similarity", "choice")
        if tokens.dim() != (3 if grouped else 2):
            shape = "(N, 2, L): both orders" if self.kind == "similarity" else "(N, K, L): one per answer"
            raise WorkbenchError(f"a {self.kind} head reads {shape if grouped else '(N, L)'}; got {tuple(tokens.shape)}.")
        states = extract_states(self.backbone, tokens.flatten(0, -2)).unflatten(0, tokens.shape[:-1])
        if self.kind == "similarity":
            states = states.sum(1)
        scores = self.linear(self.dropout(states))
        return scores.squeeze(-1) if self.kind == "choice" else scores
