"""Every registered method declares its card (methods/base.py), and ``cards()`` shows them all."""

import pytest

from sslworkbench.errors import WorkbenchError
from sslworkbench.methods import METHODS, Method, cards
from sslworkbench.methods.base import CARD, FAMILIES


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_declares_a_non_empty_card(name):
    card = METHODS[name].card()
    assert card["method"] == name and card["modality"] == METHODS[name].input_kind
    for field in CARD:
        assert isinstance(card[field], str) and card[field].strip(), f"{name} declares no {field}"
    assert card["family"] in FAMILIES
    assert all(part.strip().isdigit() or part.strip()[:2].isdigit() for part in card["notebook"].split(","))


def test_a_method_with_negatives_says_so_and_one_without_says_none():
    assert METHODS["simclr"].negatives != "none" and METHODS["byol"].negatives == "none"
    assert all(METHODS[name].family == "non-contrastive" for name in ("byol", "simsiam", "barlow_twins", "vicreg", "dino", "swav"))
    contrastive = [row["method"] for row in cards() if row["family"] == "contrastive"]
    assert all(METHODS[name].negatives != "none" for name in contrastive)


def test_cards_lists_every_method_once_grouped_by_modality():
    rows = cards()
    assert sorted(row["method"] for row in rows) == sorted(METHODS)
    kinds = [row["modality"] for row in rows]
    assert kinds == sorted(kinds, key=kinds.index)   # each modality in one block
    assert {row["method"] for row in cards("audio")} == {"cola", "cpc", "masked_spectrogram"}


def test_cards_refuses_an_unknown_modality_in_one_message():
    with pytest.raises(WorkbenchError, match="No modality 'video'"):
        cards("video")


def test_a_family_outside_the_list_is_refused_when_the_class_is_defined():
    with pytest.raises(TypeError, match="family must be one of"):
        type("Odd", (Method,), {"name": "odd", "family": "magic"})
