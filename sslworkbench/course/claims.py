"""The claims a notebook's prose makes about its results, checked as strictly as its
parameters and the place it runs allow.

    claims = sw.Claims(SMOKE, globals(), notebook="01", defaults=dict(DEVICE="auto", SEED=0, EPOCHS=12))
    ...
    claims.add(f"SimCLR ({simclr:.1%}) beats random init ({random:.1%}) by 15 points",
               simclr >= random + 0.15, smoke=simclr > random)
    claims.check()

A claim's thresholds were measured at the notebook's default parameters on one
2-core CPU, so how a claim is treated depends on what the learner ran:

- ``"default"``: every parameter as shipped, on the CPU: each claim is judged.
- ``"smoke"``: ``SMOKE = True`` (tiny sizes, what CI runs), parameters otherwise as
  shipped: only the weaker ``smoke=`` condition of each claim is judged.
- ``"changed"``: any parameter differs (more epochs, another seed, a GPU …): each
  claim is reported as holds / does not hold.

and on where it runs. Claims are *enforced* (a failure raises one
``AssertionError`` naming every claim that failed) only where the project runs its
own checks — ``make test``, ``make test-full`` and CI set ``SSLWB_ENFORCE_CLAIMS=1``
— and only in the default and smoke modes. Everywhere else (Binder, Colab, a
laptop) they are shown, never raised: another CPU, another BLAS kernel or thread
count takes another floating-point path and training ends somewhere else, so a
claim that fails there reads "does not hold here", next to the statement as it was
measured when the notebook was written (recorded by ``make test-full`` in
``sslworkbench/data/files/claims_when_written.json``). A learner never ends on an
``AssertionError``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..data.paths import SHIPPED
from ..runtime import pick_device
from .setup import show

#: Set to 1 by ``make test``, ``make test-full`` and the test suite: claims are enforced.
ENFORCE_VARIABLE = "SSLWB_ENFORCE_CLAIMS"
#: Set to a JSON file by ``benchmarks/run_notebooks.py --record-claims``: a default-mode
#: check writes its statements there, to become the values "measured when written".
RECORD_VARIABLE = "SSLWB_RECORD_CLAIMS"
WHEN_WRITTEN_FILE = SHIPPED / "claims_when_written.json"
WHY_MACHINES_DIFFER = ("The thresholds were measured on a 2-core CPU; another CPU, BLAS library or thread count "
                       "rounds differently, training takes another path, and the numbers move.")


@dataclass
class Claim:
    statement: str
    holds: bool
    smoke: bool | None  # the weaker condition checked in smoke mode; None: not checked there


def claim_key(statement: str) -> str:
    """The statement with its numbers masked: the same claim, whatever a run measured."""
    return re.sub(r"[-−]?\d[\d,.]*", "#", statement)


def enforced_here() -> bool:
    """Whether this process runs under the project's own checks (``SSLWB_ENFORCE_CLAIMS=1``)."""
    return os.environ.get(ENFORCE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def when_written(notebook: str | None, path: Path | None = None) -> dict:
    """``{claim_key: statement}`` as measured at the defaults when ``notebook`` was written
    (``path``: the record, by default :data:`WHEN_WRITTEN_FILE`)."""
    path = WHEN_WRITTEN_FILE if path is None else Path(path)
    if notebook is None or not path.is_file():
        return {}
    record = json.loads(path.read_text(encoding="utf-8")).get(str(notebook), {})
    return {claim_key(statement): statement for statement in record.get("claims", [])}


class Claims:
    """Collect a notebook's claims with :meth:`add`, then :meth:`check` them once."""

    def __init__(self, smoke: bool, namespace: dict, defaults: dict, notebook: str | None = None):
        """``namespace``: the notebook's ``globals()``, read now (before ``if SMOKE:``
        shrinks the sizes); ``defaults``: each parameter's shipped value (every
        parameter of the notebook's parameters cell but ``SMOKE``); ``notebook``: its
        number ("01"), to find the values measured when it was written. A ``DEVICE``
        counts as changed when it resolves to anything but the CPU ("auto" on a GPU)."""
        self.smoke = bool(smoke)
        self.notebook = notebook
        self.enforced = enforced_here()
        self.claims: list[Claim] = []
        self.changed = {name: namespace.get(name) for name, value in defaults.items()
                        if name != "DEVICE" and namespace.get(name) != value}
        if "DEVICE" in defaults:
            device = pick_device(namespace.get("DEVICE", "auto"))
            if device.type != "cpu":
                self.changed["DEVICE"] = str(device)

    @property
    def mode(self) -> str:
        if self.changed:
            return "changed"
        return "smoke" if self.smoke else "default"

    def add(self, statement: str, holds, smoke=None) -> bool:
        """Record one claim: ``holds`` at the default parameters; ``smoke``, a weaker
        condition for smoke mode (None: the claim is not checked in smoke mode).
        Returns whether the claim holds, for prose that depends on it."""
        holds = bool(holds)
        self.claims.append(Claim(statement, holds, None if smoke is None else bool(smoke)))
        return holds

    def _verdict(self, claim: Claim, written: dict) -> tuple[str, bool]:
        """(what the table says, whether it counts as a failure to enforce)."""
        enforce = self.enforced and self.mode != "changed"
        if self.mode == "smoke":
            if claim.smoke is None:
                return ("not checked in smoke mode", False)
            return ("holds (smoke check)", False) if claim.smoke else ("does not hold (smoke check)", enforce)
        if claim.holds:
            return "holds", False
        if self.mode == "default" and not self.enforced:
            before = written.get(claim_key(claim.statement))
            measured = f"when written: {before}" if before else "no value was recorded when it was written"
            return f"does not hold here ({measured})", False
        return "does not hold", enforce

    def table(self) -> str:
        """The claims as a Markdown table, with a line that says how they were judged."""
        written = when_written(self.notebook) if self.mode == "default" and not self.enforced else {}
        if self.mode == "changed":
            differing = ", ".join(f"{name} = {value!r}" for name, value in self.changed.items())
            note = (f"Parameters differ from the defaults ({differing}): claims reported, not enforced — "
                    "their thresholds were measured at the defaults on a CPU.")
        elif self.mode == "smoke":
            note = "Smoke mode (tiny sizes): only each claim's weaker smoke check is judged."
        elif self.enforced:
            note = "Default parameters: every claim is enforced."
        else:
            note = f"Default parameters: every claim is judged and reported. {WHY_MACHINES_DIFFER}"
        rows = "\n".join(f"| {claim.statement} | {self._verdict(claim, written)[0]} |" for claim in self.claims)
        return f"{note}\n\n| claim | verdict |\n|---|---|\n{rows}"

    def failures(self) -> list[str]:
        return [claim.statement for claim in self.claims if self._verdict(claim, {})[1]]

    def check(self) -> None:
        """Show the table; where enforced (default and smoke modes), fail on any claim that does not hold."""
        show(self.table())
        self._record()
        failed = self.failures()
        if failed:
            raise AssertionError(
                f"{len(failed)} of {len(self.claims)} claims do not hold in {self.mode} mode: " + "; ".join(failed)
            )
        total = len(self.claims)
        if self.mode == "smoke":
            checked = sum(claim.smoke is not None for claim in self.claims)
            passed = sum(bool(claim.smoke) for claim in self.claims)
            if passed == checked:
                print(f"smoke mode: {checked} smoke checks pass; {total - checked} claims are checked only at the defaults")
            else:
                print(f"smoke mode: {passed} of {checked} smoke checks pass here (reported, not enforced)")
        elif self.mode == "default" and all(claim.holds for claim in self.claims):
            print(f"all {total} claims hold")
        elif self.mode == "default":
            held = sum(claim.holds for claim in self.claims)
            print(f"{held} of {total} claims hold here. {WHY_MACHINES_DIFFER}")
        else:
            held = sum(claim.holds for claim in self.claims)
            print(f"{held} of {total} claims hold at these settings (not enforced)")

    def _record(self) -> None:
        """Under ``run_notebooks.py --record-claims``: write this default run's statements."""
        target = os.environ.get(RECORD_VARIABLE)
        if target and self.mode == "default" and self.notebook is not None:
            Path(target).write_text(json.dumps({"notebook": str(self.notebook),
                                                "claims": [claim.statement for claim in self.claims],
                                                "holds": [claim.holds for claim in self.claims]}, indent=1))
