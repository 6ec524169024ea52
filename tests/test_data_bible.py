"""data/bible.py: the corpus as token sequences — single verses, pairs, both languages."""

import pytest
import torch

import sslworkbench as sw
from sslworkbench import WorkbenchError
from sslworkbench.data.bible import split_verses
from sslworkbench.data.tokenizer import CLS_ID, PAD_ID, SEP_ID


def test_train_and_test_are_whole_chapters_that_never_meet():
    train, test = split_verses("train"), split_verses("test")
    chapters = {(v.book, v.chapter) for v in train}
    assert chapters.isdisjoint({(v.book, v.chapter) for v in test})
    assert 0.08 < len(test) / (len(train) + len(test)) < 0.12


def test_verses_are_rows_of_cls_text_sep_pad_labelled_by_genre():
    data = sw.load_dataset("bible", "test", length=40)
    assert data.kind == "tokens" and data.inputs.shape[1] == 40 and data.num_classes == 7
    assert (data.inputs[:, 0] == CLS_ID).all() and ((data.inputs == SEP_ID).sum(1) == 1).all()
    first = split_verses("test")[0]
    assert data.decode(data.inputs[0]) == first.en.lower()[: len(data.decode(data.inputs[0]))]
    assert data.classes[data.labels[0]] == first.genre and data.extras["verse_id"][0] == 0
    settings = data.method_settings()
    assert settings["vocab_size"] == 8000 and settings["pad_id"] == PAD_ID and settings["vocab_id"] == data.vocab_id
    assert sw.load_dataset("bible", "test", label="book").num_classes == 66


def test_both_languages_and_translation_pairs_line_up_by_verse():
    both = sw.load_dataset("bible", "test", language="both")
    n = len(both) // 2
    assert torch.equal(both.extras["verse_id"][:n], both.extras["verse_id"][n:])
    assert both.extras["language"][:n].eq(0).all() and both.extras["language"][n:].eq(1).all()
    pairs = sw.load_dataset("bible", "test", pairs="translation", length=32)
    assert pairs.segments == 2 and pairs.inputs.shape[1] == 63
    assert ((pairs.inputs == SEP_ID).sum(1) == 2).all()
    spanish = split_verses("test")[0].es.lower()
    assert spanish.split()[0] in pairs.decode(pairs.inputs[0])


def test_next_verse_pairs_stay_within_a_chapter():
    pairs = sw.load_dataset("bible", "test", pairs="next")
    verses = split_verses("test")
    for row in (0, 100, len(pairs) - 1):
        first = verses[int(pairs.extras["verse_id"][row])]
        second = verses[int(pairs.extras["verse_id"][row]) + 1]
        assert (first.book, first.chapter) == (second.book, second.chapter)
    assert len(pairs) == len(verses) - len({(v.book, v.chapter) for v in verses})


def test_the_tokenizer_is_learned_once_the_same_every_time(tmp_path):
    a = sw.data.bible.tokenizer("bpe", 2000, root=tmp_path)
    assert (tmp_path / "bible-bpe-2000-v1.model").exists()
    sw.data.bible._tokenizer.cache_clear()
    (tmp_path / "bible-bpe-2000-v1.model").rename(tmp_path / "first.model")
    b = sw.data.bible.tokenizer("bpe", 2000, root=tmp_path)
    assert a.model == b.model and a.fingerprint == b.fingerprint


def test_a_model_trained_on_another_vocabulary_is_refused():
    data = sw.load_dataset("bible", "test", n=64)
    other = sw.build_method("mlm", vocab_size=8000, vocab_id="0123456789ab", backbone_options={"width": 16, "depth": 1, "heads": 2})
    with pytest.raises(WorkbenchError, match="tokenizer 0123456789ab"):
        sw.embed(other.backbone, data)
    with pytest.raises(WorkbenchError, match="tokenizer 0123456789ab"):
        sw.train(other, data, epochs=1, progress=False, device="cpu")


@pytest.mark.parametrize("options, message", [
    ({"language": "fr"}, "language must be one of"), ({"pairs": "previous"}, "pairs must be one of"),
    ({"length": 2}, "length must be"), ({"pairs": "next", "language": "both"}, "pairs are made in one language"),
    ({"tokens": "chars"}, "tokens must be one of"),
])
def test_bad_options_get_one_clear_error(options, message):
    with pytest.raises(WorkbenchError, match=message):
        sw.load_dataset("bible", "test", **options)
