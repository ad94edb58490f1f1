"""The `cached_property` backport (PyPI `cached-property`, which genanki imports) without its
import of asyncio (with ssl, subprocess, concurrent.futures, logging…: ~7% of the instructions
of a small deck's build) for the sake of async methods, which genanki does not have.

`install()` registers this module as `cached_property` unless the backport is imported
already. Its `cached_property` does what the backport's does: a method's value computed on
first access and kept in the instance's `__dict__` under the method's name (deleting it
computes it again); an async method's future (asyncio imported then). Every other name of
the backport (`threaded_cached_property`, `cached_property_with_ttl`…) is the backport's own
object, the backport loaded on first use of one."""

from __future__ import annotations

import importlib.machinery
import sys
from types import ModuleType
from typing import Any

NAME = "cached_property"
_METADATA = {"__version__", "__author__", "__email__", "__license__"}  # the backport's
BACKPORT_NAMES = ("cached_property", "threaded_cached_property", "cached_property_with_ttl",
                  "cached_property_ttl", "timed_cached_property",
                  "threaded_cached_property_with_ttl", "threaded_cached_property_ttl",
                  "timed_threaded_cached_property")


class cached_property:  # the backport's name
    """A property computed once per instance, then an ordinary attribute: the backport's."""

    def __init__(self, func: Any) -> None:
        self.__doc__ = func.__doc__
        self.func = func

    def __get__(self, obj: Any, cls: Any) -> Any:
        if obj is None:
            return self
        if _is_coroutine_function(self.func):
            return self._wrap_in_coroutine(obj)
        value = obj.__dict__[self.func.__name__] = self.func(obj)
        return value

    def _wrap_in_coroutine(self, obj: Any) -> Any:
        import asyncio
        from functools import wraps

        @wraps(obj)
        def wrapper() -> Any:
            future = asyncio.ensure_future(self.func(obj))
            obj.__dict__[self.func.__name__] = future
            return future

        return wrapper()


def _is_coroutine_function(func: Any) -> bool:
    """`asyncio.iscoroutinefunction(func)`, asyncio's marker looked for only once asyncio is
    imported: no function can carry it before."""
    import inspect

    if inspect.iscoroutinefunction(func):
        return True
    asyncio = sys.modules.get("asyncio")
    return asyncio is not None and asyncio.iscoroutinefunction(func)


_backport: ModuleType | None = None


def backport() -> ModuleType:
    """The backport's own module, loaded from where it is installed (not registered in
    `sys.modules`, where this module stands for it)."""
    global _backport
    if _backport is None:
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec(NAME)
        if spec is None or spec.loader is None:
            raise ModuleNotFoundError(f"No module named {NAME!r}", name=NAME)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _backport = module
    return _backport


def _module_getattr(name: str) -> Any:
    if name.startswith("__") and name not in _METADATA:  # `__path__`, `__file__`…: none
        raise AttributeError(f"module {NAME!r} has no attribute {name!r}")
    return getattr(backport(), name)


def stand_in() -> ModuleType:
    """A new module standing for the backport."""
    module = ModuleType(NAME, __doc__)
    module.__spec__ = importlib.machinery.ModuleSpec(NAME, None, origin=__file__)
    module.__dict__.update(cached_property=cached_property, __getattr__=_module_getattr,
                           __all__=list(BACKPORT_NAMES))
    return module


def install() -> None:
    """Let `import cached_property` give the stand-in, unless the backport is imported."""
    sys.modules.setdefault(NAME, stand_in())
