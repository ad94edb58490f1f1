"""Stage 6, write: outputs appear whole or not at all.

Every output goes to a temporary file in the destination folder and is renamed into place
only once complete, so a failed or interrupted run leaves the previous file intact. Temporary
names carry the writer's process id: a run killed outright (SIGKILL, a power cut) cannot
clean up, and the next run sweeps what dead processes left (`sweep_stale`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
STAGING_PREFIX = ".flashcards-staging-"
# Our temporary names: `.<name>.<pid>.<8 random>.tmp` files (see atomic_file).
_TEMP_FILE = r"\.{name}\.(\d+)\.[a-z0-9_]{{8}}\.tmp"
# Tests only: `<seconds>@<n>` pauses before the n-th rename into place, to kill a run there.
PAUSE_VARIABLE = "FLASHCARDS_TEST_PAUSE_BEFORE_RENAME"
_renames = 0


def replace(source: Path, target: Path) -> None:
    """Rename `source` over `target` (atomic within one file system)."""
    global _renames
    _renames += 1
    pause = os.environ.get(PAUSE_VARIABLE)
    if pause:
        seconds, _, nth = pause.partition("@")
        if not nth or int(nth) == _renames:
            print(f"flashcards: paused before rename {_renames}: {source} -> {target}",
                  file=sys.stderr, flush=True)
            time.sleep(float(seconds))
    os.replace(source, target)


def staging_folder(parent: Path) -> Path:
    """A fresh temporary folder in `parent`, named after this process."""
    return Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=parent))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def sweep_stale(folder: Path, targets: Iterable[str] = ()) -> list[Path]:
    """Remove what dead runs left in `folder`: staging folders, and the temporary files of
    the outputs named `targets` (only names we write: never a file of the user's)."""
    pattern = re.compile("|".join(
        [re.escape(STAGING_PREFIX) + r"(\d+)-[a-z0-9_]{8}"]
        + [_TEMP_FILE.format(name=re.escape(name)) for name in targets]))
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if not match or _alive(int(next(g for g in match.groups() if g))):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `path` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                    dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block ends: a few renames that belong together (a
    package and its lock) all happen or none. Elsewhere than the main thread, a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def write_atomic(path: Path, writer: Callable[[BinaryIO], None]) -> None:
    with atomic_file(path) as handle:
        writer(handle)


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda handle: handle.write(text.encode("utf-8")))


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def write_apkg(path: Path, database: Path, media: list[tuple[str, Path]]) -> None:
    """An .apkg: the collection database, the media map and the media files, with fixed
    entry dates and order so the same inputs give the same bytes."""

    def writer(handle: BinaryIO) -> None:
        with zipfile.ZipFile(handle, "w") as archive:
            entry = _entry("collection.anki2")
            # Deflate's fastest level: 2.5x faster than the default, 10% bigger. Streamed,
            # so a big database is never held in memory whole.
            entry._compresslevel = 1  # what writestr(compresslevel=) sets
            with archive.open(entry, "w") as stream, database.open("rb") as source:
                shutil.copyfileobj(source, stream, 1 << 20)
            names = {str(i): name for i, (name, _) in enumerate(media)}
            archive.writestr(_entry("media"), json.dumps(names, ensure_ascii=False))
            for i, (_, file) in enumerate(media):
                archive.writestr(_entry(str(i)), file.read_bytes())

    write_atomic(path, writer)
