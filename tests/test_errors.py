"""errors.py: the errors a learner can cause, each with one clear message."""

import pytest

import sslworkbench as sw
from sslworkbench.errors import TrainingStopped, WorkbenchError, unknown_name
from sslworkbench.registry import check_options, keyword_options


def test_unknown_name_suggests_the_close_one_and_lists_the_known_ones():
    error = unknown_name("method", "simclrr", ["moco", "simclr", "byol"])
    assert isinstance(error, WorkbenchError)
    assert str(error) == "Unknown method 'simclrr'. Did you mean 'simclr'? Known methods: byol, moco, simclr."


def test_unknown_name_without_a_close_one_only_lists():
    assert str(unknown_name("dataset", "zzz", ["shapes", "digits"])) == "Unknown dataset 'zzz'. Known datasets: digits, shapes."


def test_errors_are_value_errors_and_training_stopped_keeps_the_history():
    history = object()
    with pytest.raises(ValueError, match="diverged"):
        raise TrainingStopped("diverged", history=history)
    stopped = TrainingStopped("diverged", history)
    assert isinstance(stopped, WorkbenchError) and stopped.history is history
    assert TrainingStopped("no history").history is None


def test_options_are_checked_against_a_signature_with_the_unknown_name_message():
    def load(split, n=None, *, colour_offset=0, texture=0.5, **more):
        pass

    assert keyword_options(load, leave_out=("split",)) == ["colour_offset", "n", "texture"]
    check_options("shapes", {"texture": 1}, keyword_options(load))
    with pytest.raises(WorkbenchError) as error:
        check_options("shapes", {"texture": 1, "colour": 3}, ["colour_offset", "n", "texture"])
    assert str(error.value) == (
        "Unknown shapes option 'colour'. Did you mean 'colour_offset'? Known shapes options: colour_offset, n, texture."
    )


@pytest.mark.parametrize("settings, needle", [
    ({"backbone_options": "{width: 128}"}, """backbone_options must be a dict of settings, e.g. backbone_options={"width": 128}"""),
    ({"text_options": [128]}, "text_options must be a dict of settings"),
    ({"views": "strong"}, """e.g. views={"scale": [0.4, 1.0]}"""),
    ({"epochs": -1}, "epochs must be ≥ 1, a whole number (got -1)."),
    ({"epochs": 2.5}, "(got 2.5)"),
])
def test_pretrain_refuses_settings_of_the_wrong_type_before_loading_data(settings, needle):
    with pytest.raises(WorkbenchError) as error:
        sw.pretrain("simclr", "shapes", **settings)
    assert needle in str(error.value)


def test_a_backbone_built_for_its_data_refuses_options_that_are_not_a_dict():
    with pytest.raises(WorkbenchError, match="backbone_options must be a dict of settings.*got the text 'width=8'"):
        sw.build_method("cola", backbone_options="width=8")


def test_build_method_refuses_settings_dicts_given_as_text():
    with pytest.raises(WorkbenchError, match="backbone_options must be a dict of settings.*got the text 'x'"):
        sw.build_method("simclr", backbone_options="x")
    with pytest.raises(WorkbenchError, match="views must be a dict of settings"):
        sw.build_method("simclr", views="crop")
