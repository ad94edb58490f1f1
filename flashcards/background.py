"""One piece of a big deck's work done on a second core, in a forked child, while this
process does another; its result comes back pickled through a pipe.

Only on Linux, with no other Python thread running (a fork copies one thread), and for
enough items to pay for the fork and the pickling (measured: rendering 20,000 notes takes
0.55 s; sending the rows back 0.1 s). Otherwise, and whenever the child fails, the work is
simply done here when its result is asked for: the outcome never depends on the fork."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
MIN_ITEMS = 5000
_forks_allowed = True


def can_fork() -> bool:
    return _forks_allowed and sys.platform == "linux" and threading.active_count() == 1


def forbid_forks() -> None:
    """No second core for this process's jobs: when decks build side by side, one process
    per deck already keeps every core busy (a pool worker's initializer)."""
    global _forks_allowed
    _forks_allowed = False


def die_with_parent(parent: int) -> None:
    """In a forked child: be killed when the parent dies (a SIGTERM or a SIGKILL skips the
    parent's clean-up, which would otherwise leave this child behind)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request
        os._exit(1)


_PR_SET_PDEATHSIG = 1


def kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _reap(pid: int, fd: int) -> None:
    """A child whose result was never asked for (the parent failed first)."""
    kill(pid)
    with contextlib.suppress(OSError):
        os.close(fd)


class Background(Generic[T]):
    """`function(*args)`, started in a forked child when `items` make it worth it."""

    def __init__(self, items: int, function: Callable[..., T], *args: object) -> None:
        self._function, self._args = function, args
        self._pid: int | None = None
        self.forked = False  # started in a child
        if not items or items < MIN_ITEMS or not can_fork():
            return
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running the parent's exit code
            code = 1
            try:
                die_with_parent(parent)
                os.close(read_fd)
                data = pickle.dumps(function(*args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd
        self.forked = True
        self._finalizer = weakref.finalize(self, _reap, pid, read_fd)

    def cancel(self) -> None:
        """Stop the child: its result is not wanted."""
        if self._pid is not None:
            self._pid = None
            self._finalizer()

    def result(self) -> T:
        """The child's result; computed here if there is no child or it failed."""
        if self._pid is not None:
            self._finalizer.detach()
            pid, self._pid = self._pid, None
            try:
                with os.fdopen(self._fd, "rb") as pipe:
                    data = pipe.read()
                _, status = os.waitpid(pid, 0)
            except BaseException:
                kill(pid)
                raise
            if status == 0 and data:
                return pickle.loads(data)
        return self._function(*self._args)
