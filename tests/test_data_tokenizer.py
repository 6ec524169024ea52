"""data/tokenizer.py: BPE (SentencePiece) and word-level vocabularies."""

import pytest
import torch
from helpers import TOY_SENTENCES

from sslworkbench import WorkbenchError
from sslworkbench.data.tokenizer import CLS_ID, PAD_ID, SEP_ID, SPECIALS, WORD, Tokenizer, train_tokenizer


def test_special_tokens_have_fixed_ids_and_rows_are_cls_text_sep_pad():
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=120)
    assert tuple(tok.vocab[:5]) == SPECIALS
    rows = tok.encode_batch(["The king went to Egypt", "the lamb"], length=10)
    assert rows.dtype == torch.long and rows.shape == (2, 10)
    assert rows[0, 0] == CLS_ID and rows[1, 3] == SEP_ID and (rows[1, 4:] == PAD_ID).all()  # "the", "lamb"
    assert tok.decode(rows[0]) == "the king went to egypt"  # lower-cased, specials left out
    assert tok.tokens("Egypt") == ["▁egypt"] and tok.encode("[MASK] king")[0] == 4


def test_rare_words_become_pieces_and_long_texts_are_cut():
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=120)
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=60)
    pieces = tok.tokens("kingdom")  # never seen: made of pieces, no [UNK] for known letters
    assert len(pieces) > 1 and all(p != "[UNK]" for p in pieces) and tok.decode(tok.encode("kingdom")) == "kingdom"
    rows = tok.encode_batch([" ".join(["king"] * 20)], length=6)
    assert tok.truncated == 1 and rows[0, -1] == SEP_ID


def test_word_level_vocabulary_keeps_whole_words_only():
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=100, kind="words", min_frequency=2)
    assert "king" in tok.vocab and tok.tokens("Kingdom king") == ["[UNK]", "king"]
    assert WORD.findall("king, egypt!") == ["king", ",", "egypt", "!"]  # punctuation marks are tokens of their own
    assert tok.vocab[5] == "the"  # the most frequent word first
    assert tok.encode("the [MASK] of")[1] == 4


def test_saved_tokenizer_is_the_same_and_training_is_deterministic(tmp_path):
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=120)
    again = Tokenizer.load(tok.save(tmp_path / "tok.model"))
    assert again.vocab == tok.vocab and again.fingerprint == tok.fingerprint
    assert train_tokenizer(TOY_SENTENCES, vocab_size=120).model == tok.model  # byte for byte
    words = train_tokenizer(TOY_SENTENCES, kind="words")
    assert Tokenizer.load(words.save(tmp_path / "words.json"), kind="words").vocab == words.vocab


@pytest.mark.parametrize("bad, message", [
    (lambda tok: tok.encode(""), "empty"),
    (lambda tok: tok.encode(None), "must be a string"),
    (lambda tok: tok.decode([5, 99999]), "outside this vocabulary"),
    (lambda tok: tok.encode_batch(["a"], length=2), "room"),
])
def test_bad_text_gets_one_clear_error(bad, message):
    tok = train_tokenizer(TOY_SENTENCES, vocab_size=120)
    with pytest.raises(WorkbenchError, match=message):
        bad(tok)


def test_bad_settings_are_refused():
    with pytest.raises(WorkbenchError, match="kind"):
        train_tokenizer(TOY_SENTENCES, kind="wordpiece")
    with pytest.raises(WorkbenchError, match="Could not learn a vocabulary of 5000"):
        train_tokenizer(TOY_SENTENCES, vocab_size=5000)
    with pytest.raises(WorkbenchError, match="vocab_size"):
        train_tokenizer(TOY_SENTENCES, vocab_size=3)


def test_join_and_split_pairs_round_trip():
    from sslworkbench.data.tokenizer import join_pair, split_pair

    first = torch.tensor([[2, 10, 11, 3, 0, 0], [2, 12, 3, 0, 0, 0]])
    second = torch.tensor([[2, 20, 3, 0, 0, 0], [2, 21, 22, 23, 3, 0]])
    pairs = join_pair(first, second, length=11)
    assert pairs.tolist() == [[2, 10, 11, 3, 20, 3, 0, 0, 0, 0, 0], [2, 12, 3, 21, 22, 23, 3, 0, 0, 0, 0]]
    a, b = split_pair(pairs, sep_id=3)
    assert torch.equal(a[:, :6], first) and torch.equal(b[:, :6], second) and (a[:, 6:] == 0).all()
    assert join_pair(first, second, length=5)[1].tolist() == [2, 12, 3, 21, 22]  # what does not fit is cut
    with pytest.raises(WorkbenchError, match=r"\[SEP\]"):
        split_pair(torch.tensor([[2, 10, 11]]), sep_id=3)
