"""The English–Spanish Bible corpus: 31,046 verses, each in English and in Spanish.

The corpus ships inside this package (``files/bible_en_es-v1.tsv.xz``, 1.9 MB), so
it needs no network and no download. One row per verse, in canonical order
(Genesis 1:1 first, Revelation 22:21 last), with the verse's book, chapter and
verse number and its English and Spanish text:

    >>> from sslworkbench.data.bible_corpus import read_verses
    >>> verse = read_verses()[0]
    >>> verse.book, verse.chapter, verse.verse, verse.genre
    ('Genesis', 1, 1, 'law')
    >>> verse.en
    'In the beginning, God created the heavens and the earth.'

English from the public-domain World English Bible, edited (markup removed, Psalm
titles moved into verse 1, some verses dropped): not the World English Bible
itself. Spanish from the public-domain Reina-Valera 1909, edited the same way.
Licence: public domain. Details and how to rebuild it: data/README.md.

The 66 books of the Protestant canon fall into seven genres (``GENRE_OF_BOOK``):

==============  ===========================================================
law             Genesis – Deuteronomy
history         Joshua – Esther
poetry/wisdom   Job – Song of Solomon
prophets        Isaiah – Malachi (major and minor prophets, Lamentations
                and Daniel included)
gospels/acts    Matthew – Acts
letters         Romans – Jude
apocalyptic     Revelation
==============  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .paths import SHIPPED, read_shipped

CORPUS_FILE = SHIPPED / "bible_en_es-v1.tsv.xz"
CORPUS_SHA256 = "938c8c351b222787fbd9b86d286e6a60b8750830f38a289e91dd1554d1a2bd92"
REBUILD = ("`python tools/build_bible_corpus.py` (needs the Debian packages diatheke, sword-text-web "
           "and sword-text-sparv; see data/README.md)")

BOOKS = (
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy",
    "Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel", "1 Kings", "2 Kings",
    "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah", "Esther",
    "Job", "Psalms", "Proverbs", "Ecclesiastes", "Song of Solomon",
    "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel", "Amos",
    "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi",
    "Matthew", "Mark", "Luke", "John", "Acts",
    "Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians", "Philippians", "Colossians",
    "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon", "Hebrews",
    "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude",
    "Revelation",
)
GENRES = ("law", "history", "poetry/wisdom", "prophets", "gospels/acts", "letters", "apocalyptic")
_GENRE_SPANS = {  # genre: its first and last book
    "law": ("Genesis", "Deuteronomy"),
    "history": ("Joshua", "Esther"),
    "poetry/wisdom": ("Job", "Song of Solomon"),
    "prophets": ("Isaiah", "Malachi"),
    "gospels/acts": ("Matthew", "Acts"),
    "letters": ("Romans", "Jude"),
    "apocalyptic": ("Revelation", "Revelation"),
}
GENRE_OF_BOOK = {
    book: genre
    for genre, (first, last) in _GENRE_SPANS.items()
    for book in BOOKS[BOOKS.index(first) : BOOKS.index(last) + 1]
}


@dataclass(frozen=True)
class Verse:
    """One verse: where it is, and its English and Spanish text."""

    book: str
    chapter: int
    verse: int
    en: str
    es: str

    @property
    def genre(self) -> str:
        """One of :data:`GENRES`."""
        return GENRE_OF_BOOK[self.book]


def read_verses() -> list[Verse]:
    """All verses in canonical order (read and checked once per process, then cached)."""
    return list(_read(CORPUS_FILE))


@lru_cache(maxsize=2)
def _read(path: Path) -> tuple[Verse, ...]:
    lines = read_shipped(path, CORPUS_SHA256, "Bible corpus", REBUILD).decode("utf-8").splitlines()
    verses = []
    for line in lines[1:]:  # the first line is the header: book, chapter, verse, en, es
        book, chapter, verse, en, es = line.split("\t")
        verses.append(Verse(book, int(chapter), int(verse), en, es))
    return tuple(verses)
