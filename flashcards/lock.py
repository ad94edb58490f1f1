"""The lock file, `decks/<slug>/flashcards.lock`: what the last build shipped.

Anki applies an incoming note only when its `mod` is newer than the student's copy, so a
note's `mod` must be the time its content last changed. The lock remembers, per note, the
hash of what was packed and that `mod`; per notetype, its schema and content hashes. It is
committed with the sources: the same sources and lock always give the same package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from flashcards.diagnostics import Diagnostic, Position, SourceError
from flashcards.load import read_text
from flashcards.write import write_text_atomic

LOCK_NAME = "flashcards.lock"
FORMAT = 1
UNRELEASED = "unreleased"


@dataclass
class NoteLock:
    type: str
    hash: str
    mod: int
    nid: int
    since: str
    fields: dict[str, str]
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    changed_in: list[str] = field(default_factory=list)  # versions that changed it
    removed: str | None = None  # the version in which the note left the deck

    @property
    def is_removed(self) -> bool:
        return self.removed is not None


@dataclass
class NotetypeLock:
    id: int
    schema: str
    content: str
    mod: int
    generation: int = 0
    fields: list[str] = field(default_factory=list)


@dataclass
class Lock:
    deck_name: str | None = None
    version: str | None = None
    released: str | None = None
    notetypes: dict[str, NotetypeLock] = field(default_factory=dict)
    notes: dict[str, NoteLock] = field(default_factory=dict)
    build: dict[str, str] = field(default_factory=dict)  # see fingerprint.py

    @property
    def live_notes(self) -> dict[str, NoteLock]:
        return {k: v for k, v in self.notes.items() if not v.is_removed}

    def to_json(self) -> str:
        """JSON with one note per line, so that a change reads as a one-line diff in git."""
        header = {"format": FORMAT,
                  "deck": {"name": self.deck_name, "version": self.version,
                           "released": self.released}}
        lines = ["{", f' "format": {FORMAT},',
                 f' "deck": {_line(header["deck"])},', f' "build": {_line(self.build)},',
                 ' "notetypes": {']
        lines += _entries({k: vars(v) for k, v in sorted(self.notetypes.items())})
        lines.append(" },")
        lines.append(' "notes": {')
        lines += _entries({k: vars(v) for k, v in sorted(self.notes.items())})
        lines += [" }", "}"]
        return "\n".join(lines) + "\n"


def _line(value: Any) -> str:
    return orjson.dumps(value).decode()


def _entries(entries: dict[str, dict[str, Any]]) -> list[str]:
    items = [f"  {_line(key)}: {_line(_compact(value))}" for key, value in entries.items()]
    return [item + ("," if i < len(items) - 1 else "") for i, item in enumerate(items)]


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, [], {})}


def lock_path(deck_dir: Path) -> Path:
    return deck_dir / LOCK_NAME


def read_lock(deck_dir: Path) -> Lock:
    """The deck's lock, or an empty one when the deck was never built."""
    path = lock_path(deck_dir)
    if not path.exists():
        return Lock()
    text = read_text(path)
    try:
        data = orjson.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown lock format {data.get('format')!r}")
        deck = data.get("deck", {})
        return Lock(
            deck_name=deck.get("name"),
            version=deck.get("version"),
            released=deck.get("released"),
            notetypes={k: NotetypeLock(**v) for k, v in data.get("notetypes", {}).items()},
            notes={k: NoteLock(**v) for k, v in data.get("notes", {}).items()},
            build=data.get("build", {}),
        )
    except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
        line = getattr(exc, "lineno", None)
        raise SourceError([Diagnostic(
            path, f"the lock file is damaged: {exc}",
            "restore it from version control (`git checkout -- "
            f"{path.name}`); deleting it makes every note look new to Anki only after a "
            "rebuild with a newer time, which is safe but re-sends every note",
            Position(line) if line else None, code="lock")]) from None


def write_lock(deck_dir: Path, lock: Lock) -> None:
    write_text_atomic(lock_path(deck_dir), lock.to_json())
