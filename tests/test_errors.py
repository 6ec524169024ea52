"""errors.py: the errors a learner can cause, each with one clear message."""

import pytest

from sslworkbench.errors import TrainingStopped, WorkbenchError, unknown_name


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
