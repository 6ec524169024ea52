"""Name → builder registries, so notebooks, widgets and the CLI share names.

    METHODS = Registry("method")

    @METHODS.register("simclr")
    def build_simclr(...): ...

    METHODS["simclr"]      # the builder
    METHODS["simclrr"]     # WorkbenchError: Unknown method 'simclrr'. Did you mean 'simclr'? ...
"""

from __future__ import annotations

from .errors import unknown_name


class Registry(dict):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def register(self, name: str):
        def add(builder):
            self[name] = builder
            return builder

        return add

    def __getitem__(self, name):
        if name not in self:
            raise unknown_name(self.kind, name, self.keys())
        return super().__getitem__(name)

    def names(self) -> list[str]:
        return sorted(self.keys())
