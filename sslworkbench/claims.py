"""The claims a notebook's prose makes about its results, checked as strictly as its
parameters allow.

    claims = sw.Claims(SMOKE, globals(), defaults=dict(DEVICE="auto", SEED=0, EPOCHS=12))
    ...
    claims.add(f"SimCLR ({simclr:.1%}) beats random init ({random:.1%}) by 15 points",
               simclr >= random + 0.15, smoke=simclr > random)
    claims.check()

A claim's thresholds are measured at the notebook's default parameters on a CPU,
so how a claim is treated depends on what the learner ran:

- ``"default"``: every parameter as shipped, on the CPU: each claim is asserted.
- ``"smoke"``: ``SMOKE = True`` (tiny sizes, what CI runs), parameters otherwise as
  shipped: only the weaker ``smoke=`` condition of each claim is asserted.
- ``"changed"``: any parameter differs (more epochs, another seed, a GPU …): each
  claim is reported as holds / does not hold, and nothing is enforced. A learner who
  changes a setting must never end on an ``AssertionError``.

In every mode :meth:`Claims.check` shows the table of claims first; in the two
enforced modes it then raises one ``AssertionError`` naming every claim that failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .notebook import show
from .runtime import pick_device


@dataclass
class Claim:
    statement: str
    holds: bool
    smoke: bool | None  # the weaker condition asserted in smoke mode; None: not checked there


class Claims:
    """Collect a notebook's claims with :meth:`add`, then :meth:`check` them once."""

    def __init__(self, smoke: bool, namespace: dict, defaults: dict):
        """``namespace``: the notebook's ``globals()``, read now (before ``if SMOKE:``
        shrinks the sizes); ``defaults``: each parameter's shipped value (every
        parameter of the notebook's parameters cell but ``SMOKE``). A ``DEVICE`` counts
        as changed when it resolves to anything but the CPU ("auto" on a GPU machine)."""
        self.smoke = bool(smoke)
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

    def _verdict(self, claim: Claim) -> tuple[str, bool]:
        """(what the table says, whether it counts as a failure in this mode)."""
        if self.mode == "smoke":
            if claim.smoke is None:
                return ("not checked in smoke mode", False)
            return ("holds (smoke check)", False) if claim.smoke else ("does not hold (smoke check)", True)
        verdict = "holds" if claim.holds else "does not hold"
        return verdict, self.mode == "default" and not claim.holds

    def table(self) -> str:
        """The claims as a Markdown table, with a line that says how they were judged."""
        if self.mode == "changed":
            differing = ", ".join(f"{name} = {value!r}" for name, value in self.changed.items())
            note = (f"Parameters differ from the defaults ({differing}): claims reported, not enforced — "
                    "their thresholds were measured at the defaults on a CPU.")
        elif self.mode == "smoke":
            note = "Smoke mode (tiny sizes): only each claim's weaker smoke check is enforced."
        else:
            note = "Default parameters: every claim is enforced."
        rows = "\n".join(f"| {claim.statement} | {self._verdict(claim)[0]} |" for claim in self.claims)
        return f"{note}\n\n| claim | verdict |\n|---|---|\n{rows}"

    def failures(self) -> list[str]:
        return [claim.statement for claim in self.claims if self._verdict(claim)[1]]

    def check(self) -> None:
        """Show the table; in the default and smoke modes, fail on any claim that does not hold."""
        show(self.table())
        failed = self.failures()
        if failed:
            raise AssertionError(
                f"{len(failed)} of {len(self.claims)} claims do not hold in {self.mode} mode: " + "; ".join(failed)
            )
        total = len(self.claims)
        if self.mode == "smoke":
            checked = sum(claim.smoke is not None for claim in self.claims)
            print(f"smoke mode: {checked} smoke checks pass; {total - checked} claims are checked only at the defaults")
        elif self.mode == "default":
            print(f"all {total} claims hold")
        else:
            held = sum(claim.holds for claim in self.claims)
            print(f"{held} of {total} claims hold at these settings (not enforced)")
