"""methods/constraints.py: each method's table of what its settings may be, and the
one checker that says what is wrong with a bad one.

Each kind of constraint passes good values and gives one message for bad ones
(a bool is never a number); a table that names a setting its method does not
take fails when the class is defined; every registered method's table names
real settings, and its defaults satisfy it.
"""

import inspect

import numpy as np
import pytest
import torch

from sslworkbench import WorkbenchError, build_method
from sslworkbench.methods import METHODS, Method
from sslworkbench.methods.constraints import MultipleOf, Number, OneOf, Rule, Whole, check_settings


def message(constraint, value, name="x", **settings) -> str:
    with pytest.raises(WorkbenchError) as error:
        constraint.check(name, value, settings)
    return str(error.value)


def passes(constraint, value, **settings) -> bool:
    constraint.check("x", value, settings)
    return True


# -- the kinds -------------------------------------------------------------------------------------


def test_number_bounds_and_their_words():
    assert passes(Number(above=0), 0.1) and passes(Number(above=0), 7) and passes(Number(above=0), np.float32(0.5))
    assert message(Number(above=0, hint="SimCLR uses 0.1–0.5"), 0, "temperature") == (
        "temperature must be > 0 (got 0); SimCLR uses 0.1–0.5."
    )
    assert message(Number(at_least=0), -1) == "x must be ≥ 0 (got -1)."
    assert message(Number(at_most=5), 6) == "x must be ≤ 5 (got 6)."
    assert message(Number(at_least=0, below=1), 1.0) == "x must be in [0, 1) (got 1.0)."
    assert message(Number(above=0, below=1), 0) == "x must be in (0, 1) (got 0)."
    assert message(Number(at_least=0, at_most=1), 1.5) == "x must be in [0, 1] (got 1.5)."
    assert message(Number(above=0, unit="seconds"), 0, "segment_seconds") == (
        "segment_seconds must be a number of seconds > 0 (got 0)."
    )
    assert passes(Number(at_least=0, at_most=1), 0) and passes(Number(at_least=0, at_most=1), 1)


@pytest.mark.parametrize("value", [float("nan"), True, False, "0.5", None, [0.5], torch.tensor([0.5, 0.5])])
def test_a_number_is_a_real_number_and_not_a_bool(value):
    with pytest.raises(WorkbenchError, match=r"must be in \[0, 1\]"):
        Number(at_least=0, at_most=1).check("x", value)


def test_whole_numbers_and_their_words():
    assert passes(Whole(at_least=1), 1) and passes(Whole(at_least=1), np.int64(4096))
    assert message(Whole(at_least=1, hint="MoCo uses 4096–65536"), 0, "queue_size") == (
        "queue_size must be a whole number ≥ 1 (got 0); MoCo uses 4096–65536."
    )
    assert message(Whole(at_least=1), 2.0) == "x must be a whole number ≥ 1 (got 2.0)."
    assert message(Whole(at_least=1, at_most=32), 33) == "x must be a whole number in 1..32 (got 33)."
    assert message(Whole(at_most=3), 4) == "x must be a whole number ≤ 3 (got 4)."
    assert message(Whole(at_least=1, unit="spectrogram frames"), 0, "time_block") == (
        "time_block must be a whole number of spectrogram frames ≥ 1 (got 0)."
    )


@pytest.mark.parametrize("value", [True, False])
def test_a_bool_is_not_a_whole_number(value):
    with pytest.raises(WorkbenchError, match=rf"a whole number ≥ 0 \(got {value}\)"):
        Whole(at_least=0).check("local_crops", value)


def test_a_bound_may_be_another_setting_and_an_open_bound_is_shown_closed():
    past = Whole(at_least=2, below="frames", unit="frames")
    assert passes(past, 7, frames=8)
    assert message(past, 8, "past", frames=8) == "past must be a whole number of frames in 2..7 (got 8)."
    length = Whole(at_least=3, at_most="frames", unit="frames")
    assert passes(length, 8, frames=8)
    assert "in 3..8 (got 9)" in message(length, 9, frames=8)
    assert past.settings_used() == ("frames",)


def test_none_may_be_allowed_and_what_it_means_is_said():
    gap = Whole(at_least=1, unit="frames", or_none="for anywhere in the clip")
    assert passes(gap, None) and passes(gap, 4)
    assert message(gap, 0, "max_gap") == (
        "max_gap must be a whole number of frames ≥ 1, or None for anywhere in the clip (got 0)."
    )
    with pytest.raises(WorkbenchError):
        Whole(at_least=1).check("x", None)  # without or_none, None is a bad value like any other


def test_what_a_setting_is_comes_before_what_it_must_be():
    ratio = Number(above=0, below=1, what="the share of patches hidden", hint="the paper uses 0.75")
    assert message(ratio, 1, "mask_ratio") == (
        "mask_ratio is the share of patches hidden and must be in (0, 1) (got 1); the paper uses 0.75."
    )


def test_one_of_a_set_of_choices_suggests_a_near_miss():
    colours = OneOf(("drop", "project", "gray"))
    assert passes(colours, "gray")
    assert message(colours, "dorp", "color") == (
        "color must be one of ('drop', 'project', 'gray') (got 'dorp'). Did you mean 'drop'?"
    )
    assert message(colours, "purple", "color") == "color must be one of ('drop', 'project', 'gray') (got 'purple')."
    assert message(colours, ["drop"], "color").startswith("color must be one of")  # unhashable: refused, not a crash


def test_choices_given_as_a_dict_say_what_each_is():
    positives = OneOf({"group": "every view of the group", "image": "the other view", "none": "nothing"})
    assert passes(positives, "image")
    assert message(positives, "imag", "positives") == (
        "positives must be 'group' (every view of the group), 'image' (the other view) or 'none' (nothing) "
        "(got 'imag'). Did you mean 'image'?"
    )
    with pytest.raises(WorkbenchError):
        positives.check("positives", {})  # a dict is no key of a dict


def test_a_multiple_of_another_setting():
    width = MultipleOf("decoder_heads")
    assert passes(width, 64, decoder_heads=4)
    assert message(width, 66, "decoder_width", decoder_heads=4) == (
        "decoder_width must be a multiple of decoder_heads=4 (got 66)."
    )
    for heads in (0, True, 2.0):  # no division by zero, no bool, no float
        with pytest.raises(WorkbenchError):
            width.check("decoder_width", 64, {"decoder_heads": heads})


def test_a_rule_reads_the_settings_it_names_and_shows_them_in_its_words():
    span = Rule(lambda span, sequence_length: 1 <= span <= sequence_length,
                "between 1 and sequence_length={sequence_length}")
    assert span.settings_used() == ("sequence_length",)
    assert passes(span, 32, sequence_length=32)
    assert message(span, 40, "span", sequence_length=32) == "span must be between 1 and sequence_length=32 (got 40)."
    assert "(got 'x')" in message(span, "x", "span", sequence_length=32)  # a TypeError in the test: a bad value
    shown = Rule(lambda stride: stride > 0, "dividing image_size {image_size}")
    assert shown.settings_used() == ("image_size",)


def test_a_long_list_is_shown_short_with_its_length():
    counts = Rule(lambda counts, vocab_size: len(counts) == vocab_size, "{vocab_size} counts")
    assert message(counts, list(range(29)), "token_counts", vocab_size=30) == (
        "token_counts must be 30 counts (got [0, 1, 2, 3, 4, 5, ...], 29 values)."
    )


# -- the tables --------------------------------------------------------------------------------------


def test_a_table_naming_a_setting_its_method_does_not_take_fails_when_the_class_is_defined():
    with pytest.raises(TypeError, match="names 'temprature', which is not a parameter.*Did you mean 'temperature'"):
        class Typo(Method):
            parameter_constraints = {"temprature": Number(above=0)}

            def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None,
                         temperature: float = 0.1):
                super().__init__(backbone, backbone_options)

    with pytest.raises(TypeError, match="names 'frames'"):  # nor may a constraint read one
        class ReadsAnother(Method):
            parameter_constraints = {"length": Whole(at_least=1, at_most="frames")}

            def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None, length: int = 8):
                super().__init__(backbone, backbone_options)

    with pytest.raises(TypeError, match=r"parameter_constraints\['length'\] must be a Constraint"):
        class NotAConstraint(Method):
            parameter_constraints = {"length": (1, 8)}

            def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None, length: int = 8):
                super().__init__(backbone, backbone_options)


def test_a_subclass_extends_its_parents_table_and_it_is_checked_once_with_the_values_given():
    seen = []

    class Parent(Method):
        parameter_constraints = {"width": Rule(lambda width: seen.append(width) is None, "anything")}

        def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None, width: int = 4):
            super().__init__(backbone, backbone_options)

    class Child(Parent):
        parameter_constraints = {"depth": Whole(at_least=1)}

        def __init__(self, backbone: str = "small_cnn", backbone_options: dict | None = None, width: int = 4,
                     depth: int = 1):
            super().__init__(backbone, {"width": 8, "depth": 2}, width * 2)  # the parent is given other values

    assert list(Child.parameter_constraints) == ["width", "depth"] and list(Parent.parameter_constraints) == ["width"]
    child = Child(width=3)
    assert seen == [3] and child.hparams["width"] == 3
    with pytest.raises(WorkbenchError, match="depth must be a whole number ≥ 1"):
        Child(depth=0)
    assert list(METHODS["bert"].parameter_constraints)[0] == "mask_p"  # mlm's, then bert's own
    assert set(METHODS["instance_supcon"].parameter_constraints) == {"temperature", "positives"}


def test_a_subclass_that_hands_its_settings_on_is_checked_against_its_parents_table():
    class Twist(METHODS["simclr"]):
        name = "twist"

        def __init__(self, bad_step: int = 0, **settings):
            super().__init__(**settings)

    with pytest.raises(WorkbenchError, match="temperature must be > 0"):
        Twist(temperature=0)
    twist = Twist(backbone_options={"width": 8, "depth": 2}, hidden_dim=16, projection_dim=8)
    assert twist.temperature == 0.1 and twist.hparams == {"bad_step": 0, "backbone_options": {"width": 8, "depth": 2},
                                                          "hidden_dim": 16, "projection_dim": 8}


def test_a_bad_setting_fails_before_any_weight_is_drawn():
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    with pytest.raises(WorkbenchError, match="temperature must be > 0"):
        build_method("simclr", temperature=0)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_a_wrong_call_keeps_pythons_own_message():
    with pytest.raises(TypeError, match=r"__init__\(\) got an unexpected keyword argument 'temprature'"):
        METHODS["simclr"](temprature=0.1)


@pytest.mark.parametrize("name", METHODS.names())
def test_every_table_names_real_settings_and_the_defaults_satisfy_it(name):
    method = METHODS[name]
    defaults = {p.name: p.default for p in inspect.signature(method.__init__).parameters.values() if p.name != "self"}
    for setting, constraint in method.parameter_constraints.items():
        assert setting in defaults, setting
        assert set(constraint.settings_used()) <= set(defaults), setting
    check_settings(method.parameter_constraints, defaults)
