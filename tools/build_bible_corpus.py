#!/usr/bin/env python3
"""Build the verse-aligned English–Spanish Bible corpus shipped with sslworkbench.

Output: ``sslworkbench/data/files/bible_en_es-v1.tsv.xz`` (or ``--output PATH``), a UTF-8,
tab-separated file with the header ``book chapter verse en es`` and one verse per line in
canonical order (Genesis 1:1 first, Revelation 22:21 last). It is read by
``sslworkbench/data/bible_corpus.py``; see ``data/README.md`` for what it is and its licence.

Where the text comes from: two public-domain SWORD modules from Debian, read with ``diatheke``
(build time only; nothing of this is needed to *use* the corpus)::

    apt-get install -y diatheke sword-text-web sword-text-sparv

- English: module ``engWEB2015eb`` (package sword-text-web), the World English Bible. Its name is a
  trademark and our edited text must not be called by it (data/README.md).
- Spanish: module ``spaRV1909eb`` (package sword-text-sparv), the Reina-Valera 1909.

What the script does:

1. One ``diatheke -f internal`` call per book and module (132 calls; ~30 s in all). ``internal`` is the
   module's own OSIS markup; each verse comes out as one line ``[pre-verse markup]Book C:V: text``.
2. Markup is removed (Strong's numbers, word tags, poetry lines, paragraphs, speaker labels in the
   Song of Solomon, the glossary appended after Revelation 22:21), keeping only the verse text,
   its punctuation and accents; whitespace is collapsed to single spaces and the text is NFC.
   Where two tagged words touch with no space between them (``God</w><w>created``) a space is
   put back, except for Spanish pronouns the translators glued to a verb (``presentáronle``).
3. The English Psalm titles ("A Psalm by David.", and the Hebrew letters of Psalm 119) are
   *canonical titles* placed before verse 1 in the WEB; the RV1909 has them inside the verse
   text, so they are put back in front of the English verse too, to keep both sides aligned.
4. Verse numbers follow the English text. Where the RV1909 divides the text differently (a
   chapter that starts one verse earlier, as in Numbers 13 or Jonah 2; a verse split or merged)
   its verses are renumbered, and verses that still do not match one to one are dropped (see
   ``SPANISH_RENUMBERED`` and ``UNALIGNED`` below). The RV1909's subscriptions after Paul's letters
   ("Escrita de Roma ...") are removed. Spaces the WEB's markup leaves before "?" are removed.
5. A verse is kept only if both texts are non-empty (a few verses, like Acts 8:37, are in one
   translation only). Every dropped verse is reported.
6. The TSV is compressed with Python's ``lzma`` (xz, preset 9 | PRESET_EXTREME, CRC64). Nothing
   in the output depends on time or machine, so re-running on the same package versions gives a
   byte-identical file (a test checks this where diatheke is installed).

Usage::

    python tools/build_bible_corpus.py                  # writes the shipped file
    python tools/build_bible_corpus.py --output /tmp/x.tsv.xz
"""

from __future__ import annotations

import argparse
import hashlib
import html
import lzma
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

ENGLISH_MODULE = "engWEB2015eb"
SPANISH_MODULE = "spaRV1909eb"
DEBIAN_PACKAGES = ("diatheke", "sword-text-web", "sword-text-sparv")
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "sslworkbench" / "data" / "files" / "bible_en_es-v1.tsv.xz"
HEADER = ("book", "chapter", "verse", "en", "es")

# The 66 books of the Protestant canon in order: (OSIS id given to diatheke, name written in the corpus).
BOOKS = (
    ("Gen", "Genesis"), ("Exod", "Exodus"), ("Lev", "Leviticus"), ("Num", "Numbers"),
    ("Deut", "Deuteronomy"), ("Josh", "Joshua"), ("Judg", "Judges"), ("Ruth", "Ruth"),
    ("1Sam", "1 Samuel"), ("2Sam", "2 Samuel"), ("1Kgs", "1 Kings"), ("2Kgs", "2 Kings"),
    ("1Chr", "1 Chronicles"), ("2Chr", "2 Chronicles"), ("Ezra", "Ezra"), ("Neh", "Nehemiah"),
    ("Esth", "Esther"), ("Job", "Job"), ("Ps", "Psalms"), ("Prov", "Proverbs"),
    ("Eccl", "Ecclesiastes"), ("Song", "Song of Solomon"), ("Isa", "Isaiah"), ("Jer", "Jeremiah"),
    ("Lam", "Lamentations"), ("Ezek", "Ezekiel"), ("Dan", "Daniel"), ("Hos", "Hosea"),
    ("Joel", "Joel"), ("Amos", "Amos"), ("Obad", "Obadiah"), ("Jonah", "Jonah"),
    ("Mic", "Micah"), ("Nah", "Nahum"), ("Hab", "Habakkuk"), ("Zeph", "Zephaniah"),
    ("Hag", "Haggai"), ("Zech", "Zechariah"), ("Mal", "Malachi"),
    ("Matt", "Matthew"), ("Mark", "Mark"), ("Luke", "Luke"), ("John", "John"), ("Acts", "Acts"),
    ("Rom", "Romans"), ("1Cor", "1 Corinthians"), ("2Cor", "2 Corinthians"), ("Gal", "Galatians"),
    ("Eph", "Ephesians"), ("Phil", "Philippians"), ("Col", "Colossians"), ("1Thess", "1 Thessalonians"),
    ("2Thess", "2 Thessalonians"), ("1Tim", "1 Timothy"), ("2Tim", "2 Timothy"), ("Titus", "Titus"),
    ("Phlm", "Philemon"), ("Heb", "Hebrews"), ("Jas", "James"), ("1Pet", "1 Peter"), ("2Pet", "2 Peter"),
    ("1John", "1 John"), ("2John", "2 John"), ("3John", "3 John"), ("Jude", "Jude"), ("Rev", "Revelation"),
)

# ---------------------------------------------------------------------------------------------
# Reading diatheke's output
# ---------------------------------------------------------------------------------------------

# A verse's key, "Genesis 1:1: " or "I Samuel 3:4: ", at the start of its line or right after the
# pre-verse markup (which always ends with a tag, sometimes followed by spaces).
_KEY = re.compile(r"(?:^|(?<=>))\s*(?P<book>[1-3I]*\s?[A-Z][A-Za-z ]*?) (?P<chapter>\d+):(?P<verse>\d+): ")


def run_diatheke(module: str, osis_book: str) -> str:
    """The whole book in the module's own markup (one line per verse)."""
    result = subprocess.run(
        ["diatheke", "-b", module, "-f", "internal", "-k", osis_book],
        check=True, capture_output=True, env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    return result.stdout.decode("utf-8")


def parse_book(raw: str) -> dict[tuple[int, int], tuple[str, str]]:
    """Split diatheke's output into ``{(chapter, verse): (pre-verse markup, verse markup)}``.

    diatheke never clears a pre-verse heading: it prints the last one again before every
    following verse. So a pre-verse part that repeats the previous line's is stale and dropped.
    """
    verses: dict[tuple[int, int], tuple[str, str]] = {}
    book_name, previous_preverse = None, ""
    for line in raw.splitlines():
        match = _KEY.search(line)
        if match is None:
            if line.strip() and not re.fullmatch(r"\(\w+\)", line.strip()):  # the last line names the module
                raise SystemExit(f"Unexpected line in diatheke output: {line[:120]!r}")
            continue
        book_name = book_name or match["book"]
        if match["book"] != book_name:
            raise SystemExit(f"Book {match['book']!r} inside {book_name!r}: {line[:120]!r}")
        preverse = line[: match.start()]
        fresh_preverse = preverse if preverse != previous_preverse else ""
        previous_preverse = preverse
        key = (int(match["chapter"]), int(match["verse"]))
        if verses and key <= max(verses):
            raise SystemExit(f"Verse {book_name} {key} out of order")
        verses[key] = (fresh_preverse, line[match.end():])
    return verses


# ---------------------------------------------------------------------------------------------
# From OSIS markup to plain text
# ---------------------------------------------------------------------------------------------

# Elements dropped with their content: notes, headings, speaker labels ("Beloved", "Friends").
_DROPPED = re.compile(r"<(note|title|speaker)\b[^>]*(?<!/)>.*?</\1\s*>", re.S)
# Where the book ends: the end of the book's <div>, or the glossary/introduction after Revelation.
_BOOK_END = re.compile(r'<div\b(?=[^>]*\beID=)(?=[^>]*\btype="book")[^>]*>|<div\b[^>]*\btype="(?:glossary|introduction)"[^>]*>')
_TAG = re.compile(r"<[^>]*>")
_TAG_RUN = re.compile(r"(?:<[^>]*>)+")  # tags with nothing between them
_TAG_NAME = re.compile(r"</?\s*([A-Za-z]+)")
# Tags that separate lines or paragraphs: always a word boundary.
_BLOCK_TAGS = {"l", "lg", "lb", "div", "p", "chapter", "milestone", "list", "item", "br", "verse", "table", "row", "cell"}
# Tags around words (Strong's <w>, quotations <q>, translators' additions <transChange>): a word
# boundary when the text on both sides of them touches (a missing space in the module's source).
_WORD_TAGS = {"w", "q", "transChange"}
_WORD_END = re.compile(r"[\w.,;:!?’”)\]»]$")
_WORD_START = re.compile(r"^[\w“‘(\[«¿¡]")
# The RV1909 glues object pronouns to verbs ("díjole", "presentáronle"); where the pronoun is a
# translators' addition it is tagged on its own, "presentáron<transChange>le</transChange>", and
# must stay glued. Words before such a pronoun that are not verbs (from the data) get a space.
_CLITIC = re.compile(r"(?:lo|la|los|las|le|les|me|te|se|nos|os)\b")
_NOT_VERBS = {"como", "cuánto", "de", "dejaban", "desolado", "dios", "ejército", "ellos", "gentes", "jehová", "josué", "no", "os", "que", "y"}


def _separator(tag_run: re.Match) -> str:
    """What a run of adjacent tags becomes in plain text: a space or nothing."""
    tags = _TAG.findall(tag_run[0])
    before = tag_run.string[max(0, tag_run.start() - 40) : tag_run.start()]
    after = tag_run.string[tag_run.end() : tag_run.end() + 40]
    names = {_TAG_NAME.match(tag)[1] for tag in tags if _TAG_NAME.match(tag)}
    if names & _BLOCK_TAGS:
        return " "
    if not (names & _WORD_TAGS and _WORD_END.search(before) and _WORD_START.search(after)):
        return ""
    opens_addition = any(tag.startswith("<transChange") for tag in tags)
    previous_word = re.search(r"\w*$", before)[0].lower()
    if opens_addition and _CLITIC.match(after) and previous_word not in _NOT_VERBS:
        return ""
    return " "


def osis_to_text(markup: str) -> str:
    """Plain verse text: no markup, single spaces, punctuation and accents kept, NFC."""
    markup = _BOOK_END.split(markup, maxsplit=1)[0]
    markup = _DROPPED.sub(" ", markup)
    text = html.unescape(_TAG_RUN.sub(_separator, markup))
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    # The WEB's quotation markup leaves a few spaces before closing punctuation ("walk’ ?”").
    return re.sub(r"(?<=[^’ ]) ”", "”", re.sub(r" (?=[?!,;:.])", "", text))


def canonical_titles(preverse: str) -> str:
    """The canonical titles (Psalm superscriptions) in a verse's pre-verse markup, as text."""
    titles = re.findall(r'<title\b[^>]*\bcanonical="true"[^>]*>(.*?)</title>', preverse, re.S)
    return " ".join(osis_to_text(title) for title in titles)


def read_module(module: str, osis_book: str) -> dict[tuple[int, int], str]:
    """``{(chapter, verse): plain text}`` for one book of one module (canonical titles first)."""
    verses = {}
    for key, (preverse, markup) in parse_book(run_diatheke(module, osis_book)).items():
        verses[key] = " ".join(part for part in (canonical_titles(preverse), osis_to_text(markup)) if part)
    return verses


# ---------------------------------------------------------------------------------------------
# Aligning the two texts
# ---------------------------------------------------------------------------------------------

# Both modules give every verse a slot in a fixed versification, but in a few places the RV1909's
# own verse divisions differ from the English ones: a chapter starts a verse earlier (Numbers 13,
# Jonah 2, ...) so its verses sit one slot off and the extra one is merged into the last slot, or
# a verse is split or merged. They were found by aligning both texts verse by verse (on length and
# shared names) and reading each place side by side; fixed in this order:
# 1. Spanish verses that together are one English verse: (book, chapter, first, last), joined at `first`.
SPANISH_JOINED = (
    ("Judges", 14, 18, 19),
    ("1 Kings", 22, 43, 44),
    ("1 Chronicles", 21, 15, 16),
)
# 2. Spanish verses numbered differently: (book, Spanish chapter, first, last, English chapter, English first).
SPANISH_RENUMBERED = (
    ("Numbers", 13, 1, 1, 12, 16), ("Numbers", 13, 2, 32, 13, 1),
    ("Numbers", 30, 1, 1, 29, 40), ("Numbers", 30, 2, 15, 30, 1),
    ("1 Samuel", 24, 1, 1, 23, 29), ("1 Samuel", 24, 2, 21, 24, 1),
    ("1 Kings", 22, 45, 52, 22, 44),
    ("1 Chronicles", 21, 17, 29, 21, 16),
    ("2 Chronicles", 33, 11, 24, 33, 12),
    ("Job", 39, 1, 3, 38, 39), ("Job", 39, 4, 29, 39, 1), ("Job", 40, 1, 19, 40, 6),
    ("Hosea", 12, 1, 1, 11, 12), ("Hosea", 12, 2, 13, 12, 1),
    ("Jonah", 2, 1, 1, 1, 17), ("Jonah", 2, 2, 9, 2, 1),
    ("2 Corinthians", 13, 13, 13, 13, 14),
)
# 3. Verses (English numbering) where one side also holds text of a neighbouring verse: dropped.
#    (Romans 14:23: the WEB puts the closing doxology, Romans 16:25-27 in the RV1909, there.)
UNALIGNED = (
    ("Numbers", 13, 32, 33), ("Numbers", 30, 15, 16), ("Judges", 14, 19, 20), ("1 Samuel", 24, 21, 22),
    ("2 Samuel", 2, 31, 32), ("2 Samuel", 20, 25, 26), ("1 Kings", 18, 33, 34), ("1 Kings", 22, 52, 53),
    ("1 Chronicles", 1, 30, 32), ("1 Chronicles", 2, 34, 35), ("1 Chronicles", 21, 29, 30),
    ("2 Chronicles", 30, 18, 19), ("2 Chronicles", 33, 10, 11), ("Job", 35, 15, 16), ("Job", 39, 27, 30), ("Job", 40, 1, 5),
    ("Jeremiah", 51, 21, 22), ("Hosea", 12, 13, 14), ("Jonah", 2, 9, 10), ("Acts", 19, 40, 41),
    ("Romans", 14, 23, 23), ("2 Corinthians", 13, 12, 13),
)
# The RV1909 ends Paul's letters and Hebrews with the old subscriptions ("Amén. Escrita de Roma
# á los Efesios por Tichîco."), which are not Scripture and not in the WEB: cut after "Amén.".
SUBSCRIBED_BOOKS = {name for _, name in BOOKS[BOOKS.index(("Rom", "Romans")): BOOKS.index(("Heb", "Hebrews")) + 1]}
_SUBSCRIPTION = re.compile(r"(?<=Amén\.) [^.]*\b(?:escrita|enviada)\b.*$", re.IGNORECASE)


def align_spanish(book: str, spanish: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """The Spanish verses of one book, renumbered to the English verse divisions."""
    spanish = dict(spanish)
    for name, chapter, first, last in SPANISH_JOINED:
        if name == book:
            parts = [spanish.pop((chapter, verse)) for verse in range(first, last + 1)]
            spanish[(chapter, first)] = " ".join(parts)
    moves = {}
    for name, chapter, first, last, en_chapter, en_first in SPANISH_RENUMBERED:
        if name == book:
            moves.update({(chapter, verse): (en_chapter, en_first + verse - first) for verse in range(first, last + 1)})
    aligned = {key: text for key, text in spanish.items() if key not in moves}
    for key, new_key in moves.items():
        if aligned.get(new_key):
            raise SystemExit(f"{book} {key}: renumbered onto {new_key}, a verse that has text")
        aligned[new_key] = spanish[key]
    if book in SUBSCRIBED_BOOKS:
        last = max(key for key, text in aligned.items() if text)
        aligned[last] = _SUBSCRIPTION.sub("", aligned[last])
    return aligned


def unaligned(book: str, chapter: int, verse: int) -> bool:
    """Whether this verse is dropped because the two texts divide it differently."""
    return any(name == book and c == chapter and first <= verse <= last for name, c, first, last in UNALIGNED)


# ---------------------------------------------------------------------------------------------
# Building the file
# ---------------------------------------------------------------------------------------------


def package_versions() -> dict[str, str]:
    """Installed versions of the Debian packages the text comes from."""
    versions = {}
    for package in DEBIAN_PACKAGES:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
        versions[package] = result.stdout.strip() if result.returncode == 0 else "not installed"
    return versions


def build_rows() -> tuple[list[tuple[str, int, int, str, str]], list[str]]:
    """All verse pairs in canonical order, and a note for each verse dropped."""
    rows, dropped = [], []
    for osis_book, name in BOOKS:
        english = read_module(ENGLISH_MODULE, osis_book)
        spanish = align_spanish(name, read_module(SPANISH_MODULE, osis_book))
        for chapter, verse in sorted(english.keys() | spanish.keys()):
            en, es = english.get((chapter, verse), ""), spanish.get((chapter, verse), "")
            if unaligned(name, chapter, verse):
                dropped.append(f"{name} {chapter}:{verse}: verse divisions differ")
            elif en and es:
                rows.append((name, chapter, verse, en, es))
            elif en or es:  # (a verse number with no text in either module is no verse)
                dropped.append(f"{name} {chapter}:{verse}: no {'English' if not en else 'Spanish'} text")
    return rows, dropped


def write_corpus(rows, output: Path) -> bytes:
    """Write the xz-compressed TSV (deterministic) and return its bytes."""
    lines = ["\t".join(HEADER)]
    for row in rows:
        fields = [str(field) for field in row]
        if any("\t" in field or "\n" in field for field in fields):
            raise SystemExit(f"Tab or newline in {fields[:3]}")
        lines.append("\t".join(fields))
    tsv = ("\n".join(lines) + "\n").encode("utf-8")
    data = lzma.compress(tsv, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=9 | lzma.PRESET_EXTREME)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"where to write (default: {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)
    if shutil.which("diatheke") is None:
        raise SystemExit("diatheke not found: apt-get install -y diatheke sword-text-web sword-text-sparv")

    for package, version in package_versions().items():
        print(f"{package:18} {version}")
    rows, dropped = build_rows()
    data = write_corpus(rows, args.output)

    print(f"verse pairs        {len(rows)}")
    print(f"English words      {sum(len(row[3].split()) for row in rows)}")
    print(f"Spanish words      {sum(len(row[4].split()) for row in rows)}")
    print(f"dropped verses     {len(dropped)}")
    for note in dropped:
        print(f"  {note}")
    print(f"wrote {args.output}")
    print(f"size               {len(data)} bytes")
    print(f"sha256             {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
