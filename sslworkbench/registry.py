"""Name → builder registries, so notebooks, widgets and the CLI share names.

Each registry sits beside the thing it registers (``methods/__init__.py``,
``models/__init__.py``, ``data/__init__.py``) and is filled there by one
explicit line per entry — no registration happens as a side effect of an import:

    METHODS = Registry("method", {"simclr": SimCLR, "moco": MoCo, ...})

    METHODS["simclr"]      # the builder (here a class)
    METHODS["simclrr"]     # WorkbenchError: Unknown method 'simclrr'. Did you mean 'simclr'? ...

The same message serves keyword options: ``check_options("shapes", {"colour": 3},
keyword_options(load_shapes))`` says "Unknown shapes option 'colour'. Did you mean
'class_colour'? Known shapes options: …".
"""

from __future__ import annotations

import inspect

from .errors import unknown_name


class Registry(dict):
    def __init__(self, kind: str, entries: dict | None = None):
        super().__init__(entries or {})
        self.kind = kind

    def __getitem__(self, name):
        if name not in self:
            raise unknown_name(self.kind, name, self.keys())
        return super().__getitem__(name)

    def names(self) -> list[str]:
        return sorted(self.keys())


def keyword_options(function, leave_out=()) -> list[str]:
    """The names ``function`` takes as keywords (read from its signature), less
    ``leave_out``. A catch-all ``**options`` has no names: its owner says where they go."""
    keywords = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(function).parameters.values()
    return sorted(p.name for p in parameters if p.kind in keywords and p.name not in leave_out)


def check_options(owner: str, options, known) -> None:
    """One clear error for the first of ``options`` (names) not in ``known``: it names
    the option, suggests a close one, and lists the known ones (``unknown_name``)."""
    for name in options:
        if name not in known:
            raise unknown_name(f"{owner} option", name, known)
