"""``bible``: the English–Spanish Bible corpus as token sequences.

About 31,000 verses, each in English and in Spanish (``bible_corpus.py``;
source and licence in data/README.md), tokenized with a vocabulary learned from
the training split of *both* languages (one shared vocabulary, as XLM uses).

    >>> train = sw.load_dataset("bible", "train")                       # English verses
    >>> train.inputs.shape                                              # (N, 48): [CLS] verse [SEP] [PAD]…
    >>> sw.load_dataset("bible", "train", pairs="next")                 # verse + the next verse (NSP)
    >>> sw.load_dataset("bible", "train", pairs="translation")          # English + its Spanish (TLM)
    >>> sw.load_dataset("bible", "train", tokens="words")               # one token per word (word2vec)

A row is ``[CLS] verse [SEP] [PAD]…`` of ``length`` tokens (longer verses are
cut), or a pair packed as BERT reads it, ``[CLS] A [SEP] B [SEP] [PAD]…`` of
2·length − 1 tokens. Labels: the verse's genre (7 classes:
law, history, poetry/wisdom, prophets, gospels/acts, letters, apocalyptic) or,
with ``label="book"``, its book (66). Extras: ``book``, ``verse_id`` (the
verse's place in the corpus: an English row and a Spanish row of one verse share
it) and ``language`` (0 English, 1 Spanish).

Split: whole chapters, so neighbouring verses never straddle the split — every
tenth chapter in canonical order is in ``test`` (about 10% of the verses).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from ..errors import WorkbenchError
from ..runtime import release_freed_memory
from .bible_corpus import BOOKS, GENRES, read_verses
from .dataset import SequenceSet
from .tokenizer import KINDS as TOKEN_KINDS
from .tokenizer import PAD_ID, Tokenizer, join_pair, train_tokenizer

LANGUAGES = ("en", "es", "both")
PAIRS = (None, "next", "translation")
LABELS = ("genre", "book")
TOKENIZER_VERSION = 1
TEST_EVERY = 10  # every tenth chapter is a test chapter


def split_verses(split: str) -> list:
    """The verses of ``split``, in canonical order (whole chapters per split)."""
    chapters: dict = {}
    for verse in read_verses():
        chapters.setdefault((verse.book, verse.chapter), []).append(verse)
    keep = []
    for index, verses in enumerate(chapters.values()):
        if (index % TEST_EVERY == TEST_EVERY - 1) == (split == "test"):
            keep.extend(verses)
    return keep


def tokenizer(tokens: str = "bpe", vocab_size: int = 8000, root: str | Path | None = None) -> Tokenizer:
    """The corpus's tokenizer, learned from the training verses of both languages
    on first use and cached in ``root`` (``data/``); ``python benchmarks/text_throughput.py``
    prints how long learning it takes."""
    from .paths import default_root

    root = Path(root) if root is not None else default_root()
    return _tokenizer(tokens, vocab_size, root)


@lru_cache(maxsize=4)
def _tokenizer(tokens: str, vocab_size: int, root: Path) -> Tokenizer:
    path = root / f"bible-{tokens}-{vocab_size}-v{TOKENIZER_VERSION}.{'model' if tokens == 'bpe' else 'json'}"
    if path.exists():
        return Tokenizer.load(path, tokens)
    texts = [text for verse in split_verses("train") for text in (verse.en, verse.es)]
    tok = train_tokenizer(texts, vocab_size, kind=tokens)
    tok.save(path)
    return tok


def load_bible(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    language: str = "en",
    pairs: str | None = None,
    tokens: str = "bpe",
    vocab_size: int = 8000,
    length: int = 48,
    label: str = "genre",
) -> SequenceSet:
    """Verses of ``split`` as a :class:`SequenceSet` (see the module docstring).

    language  "en", "es" or "both" (every verse twice: its English row, then, after
              all English rows, its Spanish row) — single verses only
    pairs     None: one verse per row; "next": a verse and the next verse of its
              chapter (English, or ``language``); "translation": an English verse
              and its Spanish translation
    tokens    "bpe" (subwords, one vocabulary for both languages) or "words"
    length    tokens per verse, [CLS] and [SEP] included (pairs: 2·length − 1)
    """
    for name, value, allowed in (("language", language, LANGUAGES), ("pairs", pairs, PAIRS), ("label", label, LABELS),
                                 ("tokens", tokens, TOKEN_KINDS)):
        if value not in allowed:
            raise WorkbenchError(f"bible: {name} must be one of {allowed} (got {value!r}).")
    if not (isinstance(length, int) and 4 <= length <= 256):
        raise WorkbenchError(f"bible: length must be an integer in 4..256 tokens per segment (got {length!r}).")
    if pairs is not None and language == "both":
        raise WorkbenchError('bible: pairs are made in one language (or "translation"): use language="en" or "es".')
    tok = tokenizer(tokens, vocab_size, root)
    verses = split_verses(split)
    verse_ids = torch.arange(len(verses))
    text = {lang: [getattr(v, lang) for v in verses] for lang in ("en", "es")}
    first_language = "es" if language == "es" else "en"

    def rows_of(texts):  # [CLS] verse [SEP] [PAD]…
        return tok.encode_batch(texts, length)

    if pairs is None:
        languages = ("en", "es") if language == "both" else (first_language,)
        inputs = torch.cat([rows_of(text[lang]) for lang in languages])
        rows = torch.cat([verse_ids] * len(languages))
        row_language = torch.cat([torch.full((len(verses),), ("en", "es").index(lang)) for lang in languages])
    elif pairs == "next":
        follows = [i for i in range(len(verses) - 1)
                   if (verses[i].book, verses[i].chapter) == (verses[i + 1].book, verses[i + 1].chapter)]
        encoded = rows_of(text[first_language])
        rows = torch.tensor(follows)
        inputs = join_pair(encoded[rows], encoded[rows + 1], PAD_ID, 2 * length - 1)
        row_language = torch.full((len(rows),), ("en", "es").index(first_language))
    else:
        inputs = join_pair(rows_of(text["en"]), rows_of(text["es"]), PAD_ID, 2 * length - 1)
        rows, row_language = verse_ids, torch.zeros(len(verses), dtype=torch.long)
    book = torch.tensor([BOOKS.index(v.book) for v in verses])[rows]
    genre = torch.tensor([GENRES.index(v.genre) for v in verses])[rows]
    data = SequenceSet(
        inputs=inputs,
        labels=genre if label == "genre" else book,
        classes=list(GENRES if label == "genre" else BOOKS),
        name="bible",
        extras={"book": book, "verse_id": rows, "language": row_language},
        vocab=tok.vocab,
        pad_id=PAD_ID,
        tokenizer=tok,
        segments=1 if pairs is None else 2,
    )
    if n is not None and n < len(data):
        data = data.subset(n, seed=seed)
    release_freed_memory()  # hand back the freed heap that the encoder's Python lists of ids leave behind
    return data
