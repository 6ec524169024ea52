"""``text_file``: your own text, one example a line or one a row of a table.

    >>> sw.load_dataset("text_file", path="poems.txt")                        # unlabelled, a line each
    >>> sw.load_dataset("text_file", path="reviews.csv", label_column="stars")
    >>> sw.load_dataset("text_file", path="reviews.tsv", text_column="body", tokens="bible")
    >>> sw.pretrain("mlm", "text_file", data_options={"path": "poems.txt"}, evaluate=False)

The file:

    .txt          one example a line; no labels (every label 0, ``classes == ["(unlabelled)"]``:
                  it pretrains, and kNN and the linear probe refuse it)
    .csv, .tsv    a table with a header row: the text in column ``text_column`` ("text"),
                  and the class in ``label_column`` when you name one (the sorted
                  distinct values are the classes); comma- or tab-separated, quoted as
                  Python's ``csv`` module (and spreadsheets) write it

Empty lines and rows with an empty text are left out. Rows with an empty label, or
with fewer fields than the header, are left out and counted.

**Encoding.** The file is read as UTF-8 (a byte-order mark at its start is fine), line
by line: a line that is not valid UTF-8 is **left out and counted**, and one warning
gives how many and the first line numbers — rather than decoded with "�" in place of
its bad bytes, which would teach the tokenizer a character that is not in your text.
A file saved in another encoding (Windows' "ANSI", Latin-1) reads whole with
``encoding="latin-1"`` (or "cp1252", any name Python knows); a UTF-16 file with its
byte-order mark (a spreadsheet's "Unicode text") is read as UTF-16 without asking.

**Tokens** (the course's tokenizer code, ``tokenizer.py``), each row ``[CLS] text [SEP]
[PAD]…`` of ``length`` tokens (longer texts are cut, and a warning says how many):

    tokens="bpe"     subwords learned from this file's training split (``vocab_size``
                     tokens; a small file supports only a small vocabulary, and the
                     error says how small)
    tokens="words"   one token per word seen 5 times in the training split
    tokens="bible"   the Bible corpus's subwords, the vocabulary of the course's text
                     models (``bible.tokenizer``): a model pretrained on ``bible`` reads it

A learned tokenizer is saved under ``root`` (``data/``) in a file named by a hash of the
training texts, so every load of the same file (both splits) uses the same one without
learning it again — the same fingerprint, so a model trained on the training split
reads the test split.

The split is ``image_folder``'s: seeded, fixed, stratified by label, ``test_fraction`` (20%).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import warnings
from pathlib import Path

import torch

from ..errors import WorkbenchError
from . import bible
from .dataset import UNLABELLED, SequenceSet
from .image_folder import NAMED, TEST_FRACTION, resolve, split_rows
from .paths import default_root
from .tokenizer import PAD_ID, Tokenizer, train_tokenizer

VERSION = 1  # bump when the tokenizer is learned differently, so that stale files are not used
SEPARATORS = {".txt": None, ".csv": ",", ".tsv": "\t"}
TOKENS = ("bpe", "words", "bible")


def read_lines(path: Path, encoding: str) -> tuple[list[str], list[int]]:
    """The lines of ``path`` that decode in ``encoding``, and the numbers (from 1) of those that do not.

    A byte-order mark at the start says the encoding itself (UTF-8's is dropped; UTF-16's, which
    spreadsheets write as "Unicode text", reads the file as UTF-16 whatever ``encoding`` says)."""
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise WorkbenchError(f"text_file: unknown encoding {encoding!r}; try 'utf-8' or 'latin-1'.") from None
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    try:  # the whole file at once: any encoding, multi-byte ones included
        text = raw.decode(encoding)
        return text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), []
    except UnicodeDecodeError:
        pass
    lines, bad = [], []
    for number, line in enumerate(raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"), start=1):
        try:
            lines.append(line.decode(encoding))
        except UnicodeDecodeError:
            bad.append(number)
    return lines, bad


def read_table(path: Path, lines: list[str], separator: str, text_column: str, label_column: str | None):
    """(texts, label names or None, rows left out) from the lines of a .csv or .tsv file."""
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=separator))
    except csv.Error as error:
        raise WorkbenchError(f"text_file: {path.name} is not a well-formed table ({error}).") from None
    if not rows:
        raise WorkbenchError(f"text_file: {path.name} is empty: it needs a header row naming its columns.")
    header = [name.strip() for name in rows[0]]
    for option, name in (("text_column", text_column), ("label_column", label_column)):
        if name is not None and name not in header:
            raise WorkbenchError(f"text_file: {path.name} has no column {name!r} ({option}=); its columns are "
                                 f"{', '.join(repr(column) for column in header)}.")
    text_at = header.index(text_column)
    label_at = header.index(label_column) if label_column is not None else None
    texts, labels, left_out = [], [], 0
    for row in rows[1:]:
        if len(row) <= max(text_at, label_at or 0):
            left_out += any(field.strip() for field in row)  # a blank line is no row
            continue
        text = row[text_at].strip()
        if not text:
            continue
        if label_at is not None and not row[label_at].strip():
            left_out += 1
            continue
        texts.append(text)
        labels.append(row[label_at].strip() if label_at is not None else None)
    return texts, (labels if label_at is not None else None), left_out


def learned_tokenizer(texts: list[str], tokens: str, vocab_size: int, root: Path) -> Tokenizer:
    """The tokenizer ``tokens`` learned from ``texts``, saved in ``root`` under a hash of them."""
    key = hashlib.sha256("\n".join([f"v{VERSION}", *texts]).encode()).hexdigest()[:16]
    path = root / f"text_file-{key}-{tokens}-{vocab_size}.{'model' if tokens == 'bpe' else 'json'}"
    if path.exists():
        return Tokenizer.load(path, tokens)
    try:
        tokenizer = train_tokenizer(texts, vocab_size, kind=tokens)
    except WorkbenchError as error:
        raise WorkbenchError(f"text_file: {error} Pass a smaller vocab_size=, or tokens='bible'.") from None
    try:
        tokenizer.save(path)
    except OSError:  # a read-only folder only costs learning it again next time
        pass
    return tokenizer


def load_text_file(
    split: str = "train",
    n: int | None = None,
    root: Path | None = None,
    seed: int = 0,
    path: str | Path | None = None,
    text_column: str = "text",
    label_column: str | None = None,
    tokens: str = "bpe",
    vocab_size: int = 8000,
    length: int = 48,
    encoding: str = "utf-8",
    test_fraction: float = TEST_FRACTION,
) -> SequenceSet:
    """The texts of file ``path`` as a :class:`SequenceSet` of int64 (N, length) token ids.

    path            a .txt (a line each, unlabelled), .csv or .tsv file (a header row)
    text_column     the table's column that holds the text ("text")
    label_column    the table's column that holds the class (None: unlabelled)
    tokens          "bpe" (learned from this file), "words" or "bible" (the course's vocabulary)
    vocab_size      tokens of a learned vocabulary (8000)
    length          tokens a row, [CLS] and [SEP] included (48); longer texts are cut
    encoding        the file's text encoding ("utf-8"); lines that do not decode are left out
    test_fraction   the share of every class in the test split (0.2)
    """
    file = resolve("text_file", path, "file")
    separator = SEPARATORS.get(file.suffix.lower(), "unknown")
    if separator == "unknown":
        raise WorkbenchError(f"text_file reads .txt, .csv and .tsv files (got {file.name}): save yours as one "
                             "of those (a spreadsheet: 'CSV UTF-8').")
    if tokens not in TOKENS:
        raise WorkbenchError(f"text_file: tokens must be one of {TOKENS} (got {tokens!r}).")
    if isinstance(length, bool) or not isinstance(length, int) or not 4 <= length <= 512:
        raise WorkbenchError(f"text_file: length must be an integer in 4..512 tokens a row (got {length!r}).")
    if separator is None and label_column is not None:
        raise WorkbenchError(f"text_file: label_column= names a column of a .csv or .tsv file; {file.name} has one "
                             "text a line and no columns. Save it as a table with a header row to give it labels.")
    lines, bad = read_lines(file, encoding)
    if bad and not lines:
        raise WorkbenchError(f"text_file: none of the {len(bad)} lines of {file} is {encoding} text: pass "
                             "encoding='latin-1' (or the file's own), or save it as UTF-8.")
    if separator is None:
        texts, names, left_out = [line.strip() for line in lines if line.strip()], None, 0
    else:
        texts, names, left_out = read_table(file, lines, separator, text_column, label_column)
    if not texts:
        raise WorkbenchError(f"text_file: no texts in {file}" + (f" (column {text_column!r} is empty)" if separator else "")
                             + ": save some text in it.")
    classes = sorted(set(names)) if names is not None else [UNLABELLED]
    number = {name: label for label, name in enumerate(classes)}
    labels = torch.tensor([number[name] for name in names] if names is not None else [0] * len(texts))
    rows = split_rows(labels, split, test_fraction, "text_file")
    root = Path(root) if root is not None else default_root()
    if tokens == "bible":
        tokenizer = bible.tokenizer("bpe", vocab_size, root)
    else:
        training = set(split_rows(labels, "train", test_fraction, "text_file").tolist())
        tokenizer = learned_tokenizer([text for i, text in enumerate(texts) if i in training], tokens, vocab_size, root)
    inputs = tokenizer.encode_batch([texts[i] for i in rows.tolist()], length)
    notes = []
    if bad:
        shown = ", ".join(str(number) for number in bad[:NAMED]) + (", …" if len(bad) > NAMED else "")
        notes.append(f"{len(bad)} line{'s' if len(bad) > 1 else ''} not {encoding} text left out (line {shown}; "
                     "pass encoding='latin-1' if the file is in that encoding)")
    if left_out:
        notes.append(f"{left_out} row{'s' if left_out > 1 else ''} without a label or with missing fields left out")
    if tokenizer.truncated:
        notes.append(f"{tokenizer.truncated} of {len(rows)} {split} texts longer than length={length} tokens, cut")
    if notes:
        warnings.warn(f"text_file: {file.name}: " + "; ".join(notes) + ".", stacklevel=2)
    data = SequenceSet(inputs, labels[rows], classes, file.stem, vocab=tokenizer.vocab, pad_id=PAD_ID,
                       tokenizer=tokenizer)
    return data.subset(n, seed=seed) if n is not None else data
