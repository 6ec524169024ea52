"""Errors a learner can cause, each with one clear message.

Every mistake a user can make through the public API (an unknown name, a bad
hyper-parameter, a missing dataset, a diverging loss) raises a
:class:`WorkbenchError`. It subclasses :class:`ValueError`, so ordinary code can
catch it, the CLI prints its message without a traceback, and notebooks show
only the message (see :func:`sslworkbench.course.setup.setup`).
"""

from __future__ import annotations

import difflib


class WorkbenchError(ValueError):
    """A problem the user can fix; the message says how."""


class TrainingStopped(WorkbenchError):
    """Training ended early (NaN loss, ...); the model keeps its last good state.

    ``history`` holds everything logged before the stop.
    """

    def __init__(self, message: str, history=None):
        super().__init__(message)
        self.history = history


def unknown_name(kind: str, name: str, known) -> WorkbenchError:
    """Build the error for a name that is not in a registry."""
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return WorkbenchError(
        f"Unknown {kind} {name!r}.{hint} Known {kind}s: {', '.join(known)}."
    )
