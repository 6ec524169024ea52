"""The English–Spanish Bible corpus shipped in the package (sslworkbench/data/bible_corpus.py)."""

from __future__ import annotations

import hashlib
import lzma
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from sslworkbench.data import bible_corpus
from sslworkbench.data.bible_corpus import BOOKS, CORPUS_FILE, CORPUS_SHA256, GENRE_OF_BOOK, GENRES, read_verses
from sslworkbench.errors import WorkbenchError

SHA256 = "938c8c351b222787fbd9b86d286e6a60b8750830f38a289e91dd1554d1a2bd92"
N_VERSES = 31046
REPO = Path(__file__).resolve().parents[1]


def by_reference():
    return {(v.book, v.chapter, v.verse): v for v in read_verses()}


def test_file_is_the_pinned_one():
    assert CORPUS_SHA256 == SHA256
    assert hashlib.sha256(CORPUS_FILE.read_bytes()).hexdigest() == SHA256
    assert CORPUS_FILE == Path(bible_corpus.__file__).parent / "files" / "bible_en_es-v1.tsv.xz"


def test_header_and_count():
    with lzma.open(CORPUS_FILE, "rt", encoding="utf-8") as f:
        assert f.readline() == "book\tchapter\tverse\ten\tes\n"
    verses = read_verses()
    assert len(verses) == N_VERSES
    assert 30_000 < len(verses) < 31_102  # the KJV versification has 31,102 verses; a few are dropped
    assert read_verses() is not verses and read_verses() == verses  # cached, but callers get their own list


def test_first_and_last_verse():
    first, last = read_verses()[0], read_verses()[-1]
    assert (first.book, first.chapter, first.verse) == ("Genesis", 1, 1)
    assert first.en.startswith("In the beginning, God created the heavens and the earth")
    assert first.es.startswith("EN el principio crió Dios los cielos y la tierra")
    assert (last.book, last.chapter, last.verse) == ("Revelation", 22, 21)
    assert last.en.startswith("The grace of the Lord Jesus Christ be with all the saints")
    assert last.es.startswith("La gracia de nuestro Señor Jesucristo sea con todos vosotros")


def test_alignment_spot_checks():
    verses = by_reference()
    john = verses[("John", 3, 16)]
    assert "For God so loved the world" in john.en
    assert "de tal manera amó Dios al mundo" in john.es
    # Psalm titles are verse 1 in the RV1909, so the English keeps them there too.
    assert verses[("Psalms", 23, 1)].en == "A Psalm by David. Yahweh is my shepherd; I shall lack nothing."
    assert verses[("Psalms", 23, 1)].es.startswith("Salmo de David. JEHOVÁ es mi pastor")
    # The RV1909 starts Jonah 2 one verse early: renumbered to the English verses.
    assert "fish" in verses[("Jonah", 1, 17)].en and "gran pez" in verses[("Jonah", 1, 17)].es
    assert "prayed" in verses[("Jonah", 2, 1)].en and "oró Jonás" in verses[("Jonah", 2, 1)].es
    # Verses in one translation only (Acts 8:37 is not in the WEB) are dropped.
    assert ("Acts", 8, 37) not in verses and ("Acts", 8, 36) in verses
    # The RV1909's subscriptions after Paul's letters are removed.
    assert verses[("Ephesians", 6, 24)].es.endswith("Amén.")


def test_books_in_canonical_order_and_genres():
    verses = read_verses()
    assert len(BOOKS) == 66 and len(set(BOOKS)) == 66
    assert list(dict.fromkeys(v.book for v in verses)) == list(BOOKS)
    references = [(BOOKS.index(v.book), v.chapter, v.verse) for v in verses]
    assert references == sorted(set(references))
    assert GENRES == ("law", "history", "poetry/wisdom", "prophets", "gospels/acts", "letters", "apocalyptic")
    assert set(GENRE_OF_BOOK) == set(BOOKS)
    assert [GENRE_OF_BOOK[b] for b in ("Deuteronomy", "Esther", "Song of Solomon", "Lamentations", "Daniel")] == [
        "law", "history", "poetry/wisdom", "prophets", "prophets"]
    assert [GENRE_OF_BOOK[b] for b in ("Malachi", "Acts", "Jude", "Revelation")] == [
        "prophets", "gospels/acts", "letters", "apocalyptic"]
    assert {v.genre for v in verses} == set(GENRES)


def test_text_is_clean():
    for v in read_verses():
        for text in (v.en, v.es):
            assert text and text == text.strip()
            assert "<" not in text and ">" not in text and "  " not in text and "\t" not in text
            assert unicodedata.is_normalized("NFC", text)


def test_missing_file_says_how_to_get_it_back(tmp_path, monkeypatch):
    monkeypatch.setattr(bible_corpus, "CORPUS_FILE", tmp_path / "bible_en_es-v1.tsv.xz")
    with pytest.raises(WorkbenchError, match="missing") as error:
        read_verses()
    assert "python tools/build_bible_corpus.py" in str(error.value) and "git checkout" in str(error.value)


def test_corrupted_file_is_refused(tmp_path, monkeypatch):
    damaged = bytearray(CORPUS_FILE.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    path = tmp_path / "bible_en_es-v1.tsv.xz"
    path.write_bytes(bytes(damaged))
    monkeypatch.setattr(bible_corpus, "CORPUS_FILE", path)
    with pytest.raises(WorkbenchError, match="damaged") as error:
        read_verses()
    assert "python tools/build_bible_corpus.py" in str(error.value)


@pytest.mark.skipif(shutil.which("diatheke") is None, reason="needs diatheke, sword-text-web and sword-text-sparv (apt)")
def test_build_script_rebuilds_the_file_byte_for_byte(tmp_path):
    output = tmp_path / "bible.tsv.xz"
    script = REPO / "tools" / "build_bible_corpus.py"
    subprocess.run([sys.executable, str(script), "--output", str(output)], check=True, capture_output=True, timeout=600)
    assert output.read_bytes() == CORPUS_FILE.read_bytes()
