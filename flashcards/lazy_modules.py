"""Modules that a build rarely uses, loaded on first use of one of their names.

PyYAML: genanki imports it at start-up for note types given as YAML text, which this tool
never passes, and `load` needs it only for a positional parse (to say where an error is).
Loading it costs ~12 ms of every start (its reader compiles a large character-class regex),
a tenth of a small deck's build.

`install()` registers a stand-in for each: `import yaml` gives the stand-in, and its first
attribute asked for (`yaml.compose`, `from yaml import …`, a submodule's import) loads the
real module, which then replaces it in `sys.modules`; the stand-in hands on every attribute
of the real module. (The standard library's `LazyLoader` does not do here: until Python
3.12, any second `import yaml` loads the module, as the import system reads its spec.)"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

LAZY = ("yaml",)


class StandIn(ModuleType):
    """A module that loads the real one on first use, and hands on its attributes."""

    def __getattr__(self, name: str) -> Any:  # only for names the stand-in does not have
        return getattr(self.real(), name)

    def real(self) -> ModuleType:
        """The real module, imported on first call."""
        module = self.__dict__.get("_real_module")
        if module is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            try:
                module = importlib.import_module(self.__name__)
            except BaseException:
                sys.modules.setdefault(self.__name__, self)
                raise
            self.__dict__["_real_module"] = module
        return module


def install() -> None:
    """Register a stand-in for each module of LAZY, unless it is imported already or not
    installed."""
    for name in LAZY:
        if name in sys.modules:
            continue
        spec = importlib.machinery.PathFinder.find_spec(name)
        if spec is None:
            continue
        stand_in = StandIn(name)
        stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None, origin=__file__)
        sys.modules[name] = stand_in
