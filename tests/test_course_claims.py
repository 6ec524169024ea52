"""course/claims.py: strict at the defaults, weaker in smoke mode, reported otherwise."""

import json
from pathlib import Path

import pytest

import sslworkbench as sw

DEFAULTS = {"DEVICE": "cpu", "SEED": 0, "EPOCHS": 12}


def claims_for(smoke=False, **changed):
    namespace = {**DEFAULTS, **changed}
    return sw.Claims(smoke, namespace, defaults=DEFAULTS)


def test_mode_follows_the_parameters():
    assert claims_for().mode == "default"
    assert claims_for(smoke=True).mode == "smoke"
    changed = claims_for(smoke=True, SEED=1)
    assert changed.mode == "changed" and changed.changed == {"SEED": 1}


def test_default_mode_raises_naming_every_failed_claim(capsys):
    claims = claims_for()
    claims.add("A beats B", True)
    claims.add("C beats D", False)
    claims.add("E beats F", False, smoke=True)
    with pytest.raises(AssertionError, match=r"2 of 3 claims do not hold in default mode: C beats D; E beats F"):
        claims.check()
    assert "| C beats D | does not hold |" in capsys.readouterr().out   # the table comes first


def test_smoke_mode_enforces_only_the_smoke_conditions(capsys):
    claims = claims_for(smoke=True)
    claims.add("strict only", False)
    claims.add("weaker check passes", False, smoke=True)
    claims.check()
    out = capsys.readouterr().out
    assert "| strict only | not checked in smoke mode |" in out
    assert "1 smoke checks pass" in out
    claims.add("weaker check fails", True, smoke=False)
    with pytest.raises(AssertionError, match="weaker check fails"):
        claims.check()


def test_changed_parameters_report_and_never_raise(capsys):
    claims = claims_for(EPOCHS=50)
    assert claims.add("holds", True) is True
    assert claims.add("fails", False, smoke=False) is False
    claims.check()
    out = capsys.readouterr().out
    assert "EPOCHS = 50" in out and "claims reported, not enforced" in out
    assert "| fails | does not hold |" in out and "1 of 2 claims hold at these settings (not enforced)" in out


def test_auto_device_counts_as_the_cpu_here():
    claims = sw.Claims(False, {**DEFAULTS, "DEVICE": "auto"}, defaults={**DEFAULTS, "DEVICE": "auto"})
    expected = "default" if sw.pick_device("auto").type == "cpu" else "changed"
    assert claims.mode == expected


# --- outside the project's own checks (Binder, Colab, a laptop): shown, never raised ---------------


@pytest.fixture
def learners_machine(monkeypatch, tmp_path):
    """No SSLWB_ENFORCE_CLAIMS (as on a learner's machine), and a record of notebook "99" as written."""
    monkeypatch.delenv(sw.claims.ENFORCE_VARIABLE, raising=False)
    record = tmp_path / "claims_when_written.json"
    record.write_text('{"99": {"claims": ["SimCLR (83.9%) beats random init (30.9%) by 15 points"]}}')
    monkeypatch.setattr(sw.claims, "WHEN_WRITTEN_FILE", record)
    return record


def test_the_test_suite_enforces_claims():
    assert sw.claims.enforced_here(), "tests/conftest.py sets SSLWB_ENFORCE_CLAIMS=1, as make test does"


def test_a_failing_claim_at_the_defaults_reads_does_not_hold_here_and_raises_nothing(learners_machine, capsys):
    claims = sw.Claims(False, dict(DEFAULTS), defaults=DEFAULTS, notebook="99")
    assert claims.mode == "default" and not claims.enforced
    claims.add("SimCLR (61.2%) beats random init (52.0%) by 15 points", False)
    claims.add("the loss falls", True)
    claims.add("a claim never recorded (3 points)", False)
    claims.check()   # no AssertionError
    out = capsys.readouterr().out
    assert ("| SimCLR (61.2%) beats random init (52.0%) by 15 points | does not hold here "
            "(when written: SimCLR (83.9%) beats random init (30.9%) by 15 points) |") in out
    assert "| the loss falls | holds |" in out
    assert "does not hold here (no value was recorded when it was written)" in out
    assert "another CPU, BLAS library or thread count" in out   # one line on why a machine can differ
    assert "1 of 3 claims hold here" in out


def test_smoke_checks_are_reported_not_raised_outside_the_projects_checks(learners_machine, capsys):
    claims = sw.Claims(True, dict(DEFAULTS), defaults=DEFAULTS, notebook="99")
    claims.add("weaker check fails", True, smoke=False)
    claims.check()
    assert "0 of 1 smoke checks pass here (reported, not enforced)" in capsys.readouterr().out


def test_the_same_failure_is_enforced_under_the_projects_checks(learners_machine, monkeypatch):
    monkeypatch.setenv(sw.claims.ENFORCE_VARIABLE, "1")
    claims = sw.Claims(False, dict(DEFAULTS), defaults=DEFAULTS, notebook="99")
    claims.add("SimCLR (61.2%) beats random init (52.0%) by 15 points", False)
    with pytest.raises(AssertionError, match="1 of 1 claims do not hold in default mode"):
        claims.check()


def test_claim_key_masks_the_numbers_only():
    assert sw.claims.claim_key("A (83.9%) beats B (1,234 s) by -2 points") == "A (#%) beats B (# s) by # points"
    assert sw.claims.claim_key("A beats B") != sw.claims.claim_key("B beats A")


def test_a_default_run_can_record_its_statements(monkeypatch, tmp_path):
    target = tmp_path / "record.json"
    monkeypatch.setenv(sw.claims.RECORD_VARIABLE, str(target))
    claims = sw.Claims(False, dict(DEFAULTS), defaults=DEFAULTS, notebook="99")
    claims.add("A (50%) beats B", True)
    claims.check()
    record = json.loads(target.read_text())
    assert record == {"notebook": "99", "claims": ["A (50%) beats B"], "holds": [True]}


def test_every_recorded_notebook_is_a_notebook_and_held():
    """The shipped record: one entry per notebook number, each written by a run where every claim held."""
    path = sw.claims.WHEN_WRITTEN_FILE
    if not path.is_file():
        pytest.skip("no record shipped yet")
    record = json.loads(path.read_text())
    numbers = {notebook.name.split("_", 1)[0] for notebook in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")}
    assert set(record) <= numbers
    for number, entry in record.items():
        assert entry["claims"] and all(entry["holds"]), number


def test_the_record_of_claims_when_written_ships_with_the_package():
    """What a learner's 'does not hold here' compares with: one entry per notebook, read from the package."""
    from sslworkbench.course.claims import WHEN_WRITTEN_FILE, when_written

    assert WHEN_WRITTEN_FILE.is_file()
    notebooks = {path.name.split("_")[0] for path in (Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(json.loads(WHEN_WRITTEN_FILE.read_text()))
    assert when_written("01")
