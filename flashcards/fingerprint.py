"""An unchanged rebuild does no work: the lock records a digest of everything a build reads
and of the package it wrote; when both still match, the package is already right.

This module is on the start-up path of `flashcards build`: it imports nothing heavy."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DECK_INPUTS = ("deck.yaml", "cards.yaml", "facts.yaml", "templates.yaml", "style.css")
_CODE = Path(__file__).resolve().parent


def _feed(digest: hashlib._Hash, label: str, path: Path) -> None:
    digest.update(label.encode() + b"\0")
    try:
        digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    except OSError:  # unreadable: not up to date; the build then says why
        digest.update(b"\0unreadable")
    digest.update(b"\0")


def inputs_digest(deck_dir: Path, seeds_dir: Path) -> str:
    """Every byte a build of this deck reads: its files, media, seeds and the tool's code."""
    digest = hashlib.sha256()
    for name in DECK_INPUTS:
        _feed(digest, name, deck_dir / name)
    for folder, prefix in ((deck_dir / "media", "media/"), (seeds_dir, "seeds/")):
        if folder.is_dir():
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                _feed(digest, prefix + path.relative_to(folder).as_posix(), path)
    for path in sorted(_CODE.rglob("*")):
        if path.suffix in (".py", ".yaml") and path.is_file():
            _feed(digest, "code/" + path.relative_to(_CODE).as_posix(), path)
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def recorded(lock_file: Path) -> dict[str, str]:
    """The `build` line of a lock (its fourth line), read without parsing the rest."""
    try:
        with lock_file.open(encoding="utf-8") as handle:
            for _ in range(4):
                line = handle.readline().strip().rstrip(",")
                if line.startswith('"build":'):
                    value = json.loads(line.split(":", 1)[1])
                    return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        pass
    return {}


def up_to_date(deck_dir: Path, seeds_dir: Path, package: Path) -> dict[str, str] | None:
    """The lock's build record when `package` is exactly what these inputs build, else None."""
    build = recorded(deck_dir / "flashcards.lock")
    if build and build.get("inputs") == inputs_digest(deck_dir, seeds_dir) \
            and build.get("package") == file_digest(package):
        return build
    return None
