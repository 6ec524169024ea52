"""registry.py: name → builder registries shared by notebooks, widgets and the CLI."""

import pytest

from sslworkbench.errors import WorkbenchError
from sslworkbench.registry import Registry


def test_a_known_name_gives_its_entry_and_names_are_sorted():
    registry = Registry("colour", {"red": 1, "blue": 2})
    registry["green"] = 3
    assert registry["red"] == 1 and registry["green"] == 3
    assert registry.names() == ["blue", "green", "red"]
    assert "blue" in registry and registry.kind == "colour"


def test_an_unknown_name_suggests_the_close_one():
    registry = Registry("colour", {"red": 1, "blue": 2})
    with pytest.raises(WorkbenchError, match=r"Unknown colour 'bleu'\. Did you mean 'blue'\? Known colours: blue, red\."):
        registry["bleu"]
    with pytest.raises(WorkbenchError) as error:
        registry["purple"]
    assert "Did you mean" not in str(error.value) and "blue, red" in str(error.value)
    assert Registry("colour").names() == []
