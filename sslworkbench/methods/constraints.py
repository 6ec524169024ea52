"""What a method's settings may be: one table per method, one checker.

A method declares its settings' constraints beside its other class attributes,
one entry per setting, as a paper lists its hyper-parameters:

    class SimCLR(Method):
        parameter_constraints = {
            "temperature": Number(above=0, hint="SimCLR uses 0.1–0.5"),
        }

``Method`` checks the settings a method is built with against its table before
the method's ``__init__`` runs (``base.py``), so a bad value fails before any
weight is drawn, with a message that names the setting, says what it must be,
shows what it got, and gives the hint:

    temperature must be > 0 (got 0); SimCLR uses 0.1–0.5.

The kinds of constraint:

    Number(above=0)                          > 0    (at_least=0: ≥ 0)
    Number(at_least=0, below=1)              in [0, 1)    (above / at_least, below / at_most)
    Whole(at_least=1)                        a whole number ≥ 1 (an int; a bool is not one)
    Whole(at_least=3, at_most="frames")      a bound may name another setting: in 3..frames
    OneOf(("drop", "gray"))                  one of these (a near miss gets "Did you mean …?");
    OneOf({"random": "BERT's NSP", …})       a dict says what each choice is
    MultipleOf("decoder_heads")              a multiple of another setting
    Rule(lambda noise, corruption: …, "…")   the odd case: a test of the value and of the
                                             settings it names, and its requirement in words

``Number`` and ``Whole`` take a ``unit`` ("a number of seconds > 0", "a whole number
of frames ≥ 1"). Each kind takes ``hint`` (said after the value: the paper's values,
what 0 turns off), ``what`` (what the setting is: "mask_ratio is the share of patches
hidden and must be …") and ``or_none`` (None is allowed too, and what it means: "or
None for all of them"). A constraint also checks a plain argument:
``MASK_RATIO.check("mask_ratio", ratio)``.

Checks that need more than the settings — a batch, the data, the backbone built —
stay in the method's code, where that is known.
"""

from __future__ import annotations

import difflib
import inspect
import numbers
import reprlib
import string

from ..errors import WorkbenchError


class Constraint:
    """What one setting may be. Each kind says what it accepts and, in words, what it requires."""

    def __init__(self, *, hint: str = "", what: str = "", or_none: str | None = None):
        self.hint, self.what, self.or_none = hint, what, or_none

    def accepts(self, value, settings: dict) -> bool:  # pragma: no cover - each kind's own
        raise NotImplementedError

    def requirement(self, settings: dict) -> str:  # pragma: no cover - each kind's own
        """What the value must be, in words: "> 0", "a whole number in 3..8", …"""
        raise NotImplementedError

    def settings_used(self) -> tuple[str, ...]:
        """The other settings this constraint reads: they must be parameters too."""
        return ()

    def suggestion(self, value) -> str:
        """A last sentence for a near miss (``OneOf``'s "Did you mean …?"); none by default."""
        return ""

    def check(self, name: str, value, settings: dict | None = None) -> None:
        """One clear error when ``value`` will not do for setting ``name``."""
        settings = settings or {}
        if value is None and self.or_none is not None:
            return
        if not self.accepts(value, settings):
            raise WorkbenchError(self.message(name, value, settings))

    def message(self, name: str, value, settings: dict) -> str:
        subject = f"{name} is {self.what} and" if self.what else name
        requirement = self.requirement(settings)
        if self.or_none is not None:
            requirement = f"{requirement}, or None {self.or_none}".rstrip()
        hint = f"; {self.hint}" if self.hint else ""
        return f"{subject} must be {requirement} (got {shown(value)}){hint}.{self.suggestion(value)}"


class Number(Constraint):
    """A number (not a bool) within the bounds given: ``above`` or ``at_least`` below it,
    ``below`` or ``at_most`` above it. A bound may be another setting's name."""

    def __init__(self, *, above=None, at_least=None, below=None, at_most=None, unit: str = "", **words):
        super().__init__(**words)
        self.low, self.low_open = (above, True) if above is not None else (at_least, False)
        self.high, self.high_open = (below, True) if below is not None else (at_most, False)
        self.unit = unit

    def is_kind(self, value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    def bounds(self, settings: dict) -> tuple:
        """The bounds, a setting's name replaced by its value."""
        return tuple(settings[bound] if isinstance(bound, str) else bound for bound in (self.low, self.high))

    def accepts(self, value, settings: dict) -> bool:
        if not self.is_kind(value):
            return False
        low, high = self.bounds(settings)
        above_low = low is None or (value > low if self.low_open else value >= low)
        below_high = high is None or (value < high if self.high_open else value <= high)
        return above_low and below_high

    def requirement(self, settings: dict) -> str:
        low, high = self.bounds(settings)
        if low is not None and high is not None:
            text = f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"
        elif low is not None:
            text = f"{'>' if self.low_open else '≥'} {low}"
        elif high is not None:
            text = f"{'<' if self.high_open else '≤'} {high}"
        else:
            return f"a number of {self.unit}" if self.unit else "a number"
        return f"a number of {self.unit} {text}" if self.unit else text

    def settings_used(self) -> tuple[str, ...]:
        return tuple(bound for bound in (self.low, self.high) if isinstance(bound, str))


class Whole(Number):
    """A whole number (an int, not a bool) within the bounds given, as for ``Number``;
    shown as a closed range: ``Whole(at_least=2, below=8)`` says "in 2..7"."""

    def is_kind(self, value) -> bool:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    def requirement(self, settings: dict) -> str:
        low, high = self.bounds(settings)
        low = low + 1 if low is not None and self.low_open else low
        high = high - 1 if high is not None and self.high_open else high
        whole = f"a whole number of {self.unit}" if self.unit else "a whole number"
        if low is not None and high is not None:
            return f"{whole} in {low}..{high}"
        if low is not None:
            return f"{whole} ≥ {low}"
        return f"{whole} ≤ {high}" if high is not None else whole


class OneOf(Constraint):
    """One of ``choices``; a dict of choices says what each one is. A string close to a
    choice gets "Did you mean …?"."""

    def __init__(self, choices, **words):
        super().__init__(**words)
        self.choices = choices

    def accepts(self, value, settings: dict) -> bool:
        try:
            return value in self.choices
        except (TypeError, ValueError):  # an unhashable value, an array compared with a choice
            return False

    def requirement(self, settings: dict) -> str:
        if isinstance(self.choices, dict):
            return either([f"{choice!r} ({meaning})" for choice, meaning in self.choices.items()])
        return f"one of {tuple(self.choices)}"

    def suggestion(self, value) -> str:
        names = [choice for choice in self.choices if isinstance(choice, str)]
        close = difflib.get_close_matches(value, names, n=1) if isinstance(value, str) else []
        return f" Did you mean {close[0]!r}?" if close else ""


class MultipleOf(Constraint):
    """A whole multiple of another setting, a whole number ≥ 1 (a width split evenly among heads)."""

    def __init__(self, other: str, **words):
        super().__init__(**words)
        self.other = other

    def accepts(self, value, settings: dict) -> bool:
        divisor = settings[self.other]
        wholes = all(isinstance(x, numbers.Integral) and not isinstance(x, bool) for x in (value, divisor))
        return wholes and divisor >= 1 and value % divisor == 0

    def requirement(self, settings: dict) -> str:
        return f"a multiple of {self.other}={shown(settings[self.other])}"

    def settings_used(self) -> tuple[str, ...]:
        return (self.other,)


class Rule(Constraint):
    """The odd case: ``test(value, …)`` is True when the value will do; its parameters
    after the first name the other settings it reads. ``requirement`` says it in
    words; ``{setting}`` in it shows that setting's value:

        Rule(lambda span, sequence_length: 1 <= span <= sequence_length,
             "between 1 and sequence_length={sequence_length}")
    """

    def __init__(self, test, requirement: str, **words):
        super().__init__(**words)
        self.test, self.words = test, requirement
        self.reads = tuple(inspect.signature(test).parameters)[1:]

    def accepts(self, value, settings: dict) -> bool:
        try:
            return bool(self.test(value, *(settings[name] for name in self.reads)))
        except (TypeError, ValueError):  # a value of the wrong kind: "got …" says which
            return False

    def requirement(self, settings: dict) -> str:
        return self.words.format(**settings)

    def settings_used(self) -> tuple[str, ...]:
        shown_settings = [field for _, field, _, _ in string.Formatter().parse(self.words) if field]
        return self.reads + tuple(name for name in shown_settings if name not in self.reads)


def either(choices: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    return choices[0] if len(choices) == 1 else f"{', '.join(choices[:-1])} or {choices[-1]}"


def shown(value) -> str:
    """A value as a message shows it: its repr, shortened; a long list's length too."""
    text = reprlib.repr(value)
    if isinstance(value, (list, tuple)) and len(value) > reprlib.aRepr.maxlist:
        text += f", {len(value)} values"
    return text


def check_settings(table: dict, settings: dict) -> None:
    """Check ``settings`` (every setting by name) against ``table``: the first bad one fails."""
    for name, constraint in table.items():
        constraint.check(name, settings[name], settings)


def check_table(owner: str, table: dict, parameters: list[str]) -> None:
    """Fail (TypeError, when the class is defined) if ``table`` constrains, or one of its
    constraints reads, a setting that is not among ``parameters``: tables cannot rot."""
    for name, constraint in table.items():
        if not isinstance(constraint, Constraint):
            raise TypeError(f"{owner}.parameter_constraints[{name!r}] must be a Constraint (Number, Whole, …), "
                            f"not {constraint!r}.")
        for setting in (name, *constraint.settings_used()):
            if setting not in parameters:
                close = difflib.get_close_matches(setting, parameters, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise TypeError(f"{owner}.parameter_constraints names {setting!r}, which is not a parameter of "
                                f"its __init__.{hint} Its parameters: {', '.join(parameters)}.")
