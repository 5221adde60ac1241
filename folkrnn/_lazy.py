"""A package's API map whose heavy modules (torch, above all) load on first use.

    __all__, __getattr__ = lazy_exports(__name__, {"lstm": ["FolkLSTM"], ...})

`from folkrnn.model import FolkLSTM` then imports `folkrnn.model.lstm` at that
moment, and `import folkrnn.model.config` never loads torch, so the command
line can read presets and print `--help` at once.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, modules: dict[str, list[str]]
                 ) -> tuple[list[str], Callable[[str], Any]]:
    """`__all__` and a module `__getattr__` serving each name from its submodule."""
    where = {name: mod for mod, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return sorted(where), __getattr__
