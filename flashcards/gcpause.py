"""Python's cyclic garbage collector, paused while a deck goes through the pipeline.

A big deck makes millions of small objects (parsed YAML, models, note specs, rows) and no
reference cycles worth collecting: reference counting frees them all. The collector would
traverse every live object again at each full collection, making the cost of a build grow
faster than its size (measured, 100,000 cards in one process: 26.9 s with it, 14.6 s
without; peak memory the same)."""

from __future__ import annotations

import contextlib
import functools
import gc
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside the block (nested blocks are fine); as before after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run with the cyclic collector paused."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with paused_gc():
            return function(*args, **kwargs)

    return wrapper
