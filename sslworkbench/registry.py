"""Name → builder registries, so notebooks, widgets and the CLI share names.

Each registry sits beside the thing it registers (``methods/__init__.py``,
``models/__init__.py``, ``data/__init__.py``) and is filled there by one
explicit line per entry — no registration happens as a side effect of an import:

    METHODS = Registry("method", {"simclr": SimCLR, "moco": MoCo, ...})

    METHODS["simclr"]      # the builder (here a class)
    METHODS["simclrr"]     # WorkbenchError: Unknown method 'simclrr'. Did you mean 'simclr'? ...
"""

from __future__ import annotations

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
