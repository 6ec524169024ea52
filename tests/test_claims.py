"""sslworkbench.claims: strict at the defaults, weaker in smoke mode, reported otherwise."""

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
