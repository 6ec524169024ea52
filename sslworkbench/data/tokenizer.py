"""Text → token ids and back: a subword (BPE) or word-level vocabulary learned
from a corpus.

    >>> tok = train_tokenizer(sentences, vocab_size=8000)          # subwords (BPE)
    >>> tok.tokens("In the beginning")                              # ['▁in', '▁the', '▁beginning']
    >>> tok.encode("In the beginning")                              # [61, 8, 1977]
    >>> tok.encode_batch(sentences, length=48)                      # (N, 48) int64: [CLS] … [SEP] [PAD] …

Subwords (byte-pair encoding, Sennrich et al. 2016): start from characters and
repeatedly merge the most frequent adjacent pair, ``vocab_size`` times; frequent
words end as one token, rare words as a few pieces ("▁" marks the start of a
word), so no word is unknown and one vocabulary serves English and Spanish at
once — XLM's choice (Lample & Conneau 2019). Learned with Google's SentencePiece,
which learns the same model from the same text, byte for byte
(``tests/test_data_tokenizer.py`` checks it) — and a course must tokenize the same
way every year. Hugging Face's ``tokenizers`` was set aside because its trainers do
not always: its WordPiece trainer returns a different vocabulary on runs of the same
text, even on one thread (ties between equally frequent candidates seem to be broken
in hash-map order). ``python benchmarks/tokenizer_determinism.py`` learns a vocabulary
several times with each trainer and compares them.

Word-level vocabularies (one token per word seen ``min_frequency`` times, the
rest [UNK]) are what word2vec used; words are runs of letters and digits,
lower-cased, punctuation marks tokens of their own.

Every vocabulary starts with the same five special tokens, so their ids are
fixed: [PAD] 0, [UNK] 1, [CLS] 2 (start of a sequence; its state is BERT's
sentence summary), [SEP] 3 (end of a segment), [MASK] 4 (a hidden token).
``fingerprint``: a short hash of the vocabulary, stored with every model trained
on it, so that a model is never fed ids from another tokenizer.

Pairs of segments (BERT's sentence pairs, XLM's translation pairs) are packed
into one row as ``[CLS] A [SEP] B [SEP] [PAD]…`` by ``join_pair`` and taken
apart by ``split_pair``.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import torch

from ..errors import WorkbenchError

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(5)
KINDS = ("bpe", "words")
WORD = re.compile(r"\w+|[^\w\s]")


def normalise(text: str) -> str:
    """Unicode NFKC and lower case (accents kept: Spanish needs them)."""
    return unicodedata.normalize("NFKC", text).lower()


class Tokenizer:
    """A learned vocabulary: ``encode`` / ``decode`` text; ``vocab[id]`` is the token's text."""

    def __init__(self, kind: str, vocab: list[str], model: bytes | None = None):
        if kind not in KINDS:
            raise WorkbenchError(f"Unknown tokenizer kind {kind!r}; use one of {KINDS}.")
        if tuple(vocab[: len(SPECIALS)]) != SPECIALS:
            raise WorkbenchError(f"A vocabulary must start with {SPECIALS}; this one starts {vocab[:5]}.")
        self.kind, self.vocab, self.model = kind, list(vocab), model
        self.fingerprint = hashlib.sha256("\n".join(self.vocab).encode()).hexdigest()[:12]
        if kind == "bpe":
            import sentencepiece

            self._pieces = sentencepiece.SentencePieceProcessor(model_proto=model)
        else:
            self._ids = {word: i for i, word in enumerate(self.vocab)}

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"Tokenizer({self.kind}, {len(self)} tokens, fingerprint {self.fingerprint})"

    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens (no [CLS]/[SEP] added; "[MASK]" in the text is the mask token)."""
        _check_text(text)
        ids = []
        for i, part in enumerate(text.split("[MASK]")):  # a [MASK] stands for a whole token
            ids += ([MASK_ID] if i else []) + (self._encode(part) if part.strip() else [])
        return ids

    def _encode(self, text: str) -> list[int]:
        if self.kind == "bpe":
            return self._pieces.encode(text)
        return [self._ids.get(word, UNK_ID) for word in WORD.findall(normalise(text))]

    def tokens(self, text: str) -> list[str]:
        """The tokens of ``text`` as strings."""
        return [self.vocab[i] for i in self.encode(text)]

    def encode_batch(self, texts, length: int, cls: bool = True) -> torch.Tensor:
        """(N, length) int64: each text as ``[CLS] tokens [SEP]``, then [PAD].

        Texts too long for ``length`` are cut (their [SEP] is kept); ``truncated``
        counts them, for a caller that wants to report it."""
        room = length - 1 - int(cls)
        if room < 1:
            raise WorkbenchError(f"length must leave room for at least one token (got {length}).")
        out = torch.full((len(texts), length), PAD_ID, dtype=torch.long)
        self.truncated = 0
        for row, text in enumerate(texts):
            ids = self.encode(text)
            self.truncated += len(ids) > room
            ids = ([CLS_ID] if cls else []) + ids[:room] + [SEP_ID]
            out[row, : len(ids)] = torch.tensor(ids)
        return out

    def decode(self, ids, keep_special: bool = False) -> str:
        """Text from ids (a list or a 1-D tensor); [PAD] always left out."""
        ids = [int(i) for i in ids]
        bad = [i for i in ids if not 0 <= i < len(self)]
        if bad:
            raise WorkbenchError(f"Token id {bad[0]} is outside this vocabulary (0..{len(self) - 1}).")
        if keep_special:
            return " ".join(self.vocab[i] for i in ids if i != PAD_ID)
        ids = [i for i in ids if i >= len(SPECIALS) or i == UNK_ID]
        if self.kind == "bpe":
            return self._pieces.decode(ids)
        return " ".join(self.vocab[i] for i in ids)

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "bpe":
            path.write_bytes(self.model)
        else:
            path.write_text(json.dumps(self.vocab, ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: str | Path, kind: str = "bpe") -> Tokenizer:
        path = Path(path)
        if kind == "bpe":
            return cls.from_model(path.read_bytes())
        return cls("words", json.loads(path.read_text()))

    @classmethod
    def from_model(cls, model: bytes) -> Tokenizer:
        """A BPE tokenizer from SentencePiece's serialised model."""
        import sentencepiece

        pieces = sentencepiece.SentencePieceProcessor(model_proto=model)
        return cls("bpe", [pieces.id_to_piece(i) for i in range(pieces.get_piece_size())], model)


def _check_text(text) -> None:
    if not isinstance(text, str):
        raise WorkbenchError(f"Text must be a string (got {type(text).__name__}).")
    if not text.strip():
        raise WorkbenchError("Text is empty: give at least one word.")


def train_tokenizer(texts, vocab_size: int = 8000, kind: str = "bpe", min_frequency: int = 5) -> Tokenizer:
    """Learn a vocabulary of ``vocab_size`` tokens (BPE) or of at most
    ``vocab_size`` words seen ``min_frequency`` times (``kind="words"``) from ``texts``."""
    if kind not in KINDS:
        raise WorkbenchError(f"Unknown tokenizer kind {kind!r}; use one of {KINDS}.")
    if not (isinstance(vocab_size, int) and vocab_size > len(SPECIALS) + 10):
        raise WorkbenchError(f"vocab_size must be an integer > {len(SPECIALS) + 10} (got {vocab_size!r}).")
    texts = list(texts)
    if kind == "words":
        counts = Counter(word for text in texts for word in WORD.findall(normalise(text)))
        frequent = sorted((w for w, c in counts.items() if c >= min_frequency), key=lambda w: (-counts[w], w))
        return Tokenizer("words", [*SPECIALS, *frequent[: vocab_size - len(SPECIALS)]])
    import sentencepiece

    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(texts), model_writer=model, model_type="bpe", vocab_size=vocab_size,
            pad_id=PAD_ID, unk_id=UNK_ID, bos_id=-1, eos_id=-1, pad_piece="[PAD]", unk_piece="[UNK]",
            user_defined_symbols=list(SPECIALS[2:]), normalization_rule_name="nmt_nfkc_cf",
            character_coverage=1.0, num_threads=1, minloglevel=2,
        )
    except RuntimeError as error:  # e.g. "Vocabulary size too high (…). Please set it to a value <= 1069."
        raise WorkbenchError(f"Could not learn a vocabulary of {vocab_size} tokens from this text: "
                             f"{str(error).split('] ')[-1]}") from None
    return Tokenizer.from_model(model.getvalue())


# -- pairs of segments: [CLS] A [SEP] B [SEP] [PAD]… (BERT's input format) ---------


def join_pair(first: torch.Tensor, second: torch.Tensor, pad_id: int = PAD_ID, length: int | None = None) -> torch.Tensor:
    """Pack two batches of single segments, each ``[CLS] A [SEP] [PAD]…``, into
    ``[CLS] A [SEP] B [SEP] [PAD]…`` rows of ``length`` tokens (default: the
    length of ``first``); whatever does not fit is cut."""
    n, length = first.shape[0], length or first.shape[1]
    first = _padded_to(first, length, pad_id)
    length_a = (first != pad_id).sum(1, keepdim=True)  # [CLS] A [SEP]
    t = torch.arange(length, device=first.device).expand(n, length)
    index_b = t - length_a + 1  # position length_a takes second[:, 1] (its [CLS] is dropped)
    inside = index_b < second.shape[1]
    b = second.gather(1, index_b.clamp(0, second.shape[1] - 1))
    b = torch.where(inside, b, torch.full_like(b, pad_id))
    return torch.where(t < length_a, first, b)


def split_pair(pairs: torch.Tensor, sep_id: int, pad_id: int = PAD_ID) -> tuple[torch.Tensor, torch.Tensor]:
    """The inverse of :func:`join_pair`: (N, L) packed pairs → two (N, L) batches
    ``[CLS] A [SEP] [PAD]…`` and ``[CLS] B [SEP] [PAD]…``."""
    n, length = pairs.shape
    is_sep = pairs == sep_id
    if not is_sep.any(1).all():
        raise WorkbenchError("split_pair: every row needs a [SEP] after its first segment.")
    length_a = is_sep.long().argmax(1, keepdim=True) + 1  # up to and including the first [SEP]
    t = torch.arange(length, device=pairs.device).expand(n, length)
    first = torch.where(t < length_a, pairs, torch.full_like(pairs, pad_id))
    index = t + length_a - 1  # second[:, t] = pairs[:, length_a + t - 1] for t ≥ 1
    second = pairs.gather(1, index.clamp(max=length - 1))
    second = torch.where(index < length, second, torch.full_like(second, pad_id))
    second[:, 0] = pairs[:, 0]  # its own [CLS]
    return first, second


def _padded_to(tokens: torch.Tensor, length: int, pad_id: int) -> torch.Tensor:
    if tokens.shape[1] >= length:
        return tokens[:, :length]
    return torch.nn.functional.pad(tokens, (0, length - tokens.shape[1]), value=pad_id)
