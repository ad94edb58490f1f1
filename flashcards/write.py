"""Stage 6, write: outputs appear whole or not at all.

Every output goes to a temporary file in the destination folder and is renamed into place
only once complete, so a failed or interrupted run leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces `path` when the block ends without error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
            archive.writestr(_entry("collection.anki2"), database.read_bytes(), compresslevel=6)
            names = {str(i): name for i, (name, _) in enumerate(media)}
            archive.writestr(_entry("media"), json.dumps(names, ensure_ascii=False))
            for i, (_, file) in enumerate(media):
                archive.writestr(_entry(str(i)), file.read_bytes())

    write_atomic(path, writer)
