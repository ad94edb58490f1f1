"""The lock file, `decks/<slug>/flashcards.lock`: what the last build shipped.

Anki applies an incoming note only when its `mod` is newer than the student's copy, so a
note's `mod` must be the time its content last changed. The lock remembers, per note, the
hash of what was packed and that `mod`; per notetype, its schema and content hashes. It is
committed with the sources: the same sources and lock always give the same package.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
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


@dataclass(slots=True)
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
    guid: str | None = None  # set when not the default one (a note re-created by a type change)
    was: dict[str, Any] | None = None  # `fields`/`source` at the last release, once changed since

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
    released_name: str | None = None  # the deck's name at the last release, when renamed since
    notetypes: dict[str, NotetypeLock] = field(default_factory=dict)
    notes: dict[str, NoteLock] = field(default_factory=dict)

    def is_pending(self, label: str | None) -> bool:
        """Whether a version label (`since`, `changed_in`, `removed`) is not released yet:
        `unreleased`, or any version when the deck was never released, or one newer than
        the last release (a version bumped by hand in deck.yaml)."""
        if label is None:
            return False
        if label == UNRELEASED or self.released is None:
            return True
        return _version_key(label) > _version_key(self.released)

    def never_released(self, note: NoteLock) -> bool:
        """A note no release ever carried: students never had it."""
        return self.is_pending(note.since) and not note.changed_in

    def to_json(self) -> str:
        """JSON with one note per line, so that a change reads as a one-line diff in git."""
        return self.to_bytes().decode()

    def to_bytes(self) -> bytes:
        """`to_json()` in UTF-8, built piece by piece (a big lock is never held twice)."""
        buffer = io.BytesIO()
        for chunk in self.json_chunks():
            buffer.write(chunk)
        return buffer.getvalue()

    def json_chunks(self) -> Iterator[bytes]:
        """`to_json()` in pieces (UTF-8), to write a big lock without holding it whole."""
        deck = {"name": self.deck_name, "version": self.version, "released": self.released}
        if self.released_name is not None:
            deck["released_name"] = self.released_name
        yield (b'{\n "format": %d,\n "deck": %s,\n "notetypes": {'
               % (FORMAT, orjson.dumps(deck)))
        if self.notetypes:
            yield b"\n" + _entries({k: _compact(vars(v))
                                    for k, v in sorted(self.notetypes.items())})
        yield b'\n },\n "notes": {'
        notes = self.notes
        keys = sorted(notes)
        for start in range(0, len(keys), _CHUNK):
            yield b",\n" if start else b"\n"
            yield _entries({k: _note_entry(notes[k]) for k in keys[start:start + _CHUNK]})
        yield b"\n }\n}\n"


_CHUNK = 4096  # notes per piece of a written lock


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def _entries(entries: dict[str, dict[str, Any]]) -> bytes:
    return b",\n".join(b"  %s: %s" % (orjson.dumps(key), orjson.dumps(value))
                       for key, value in entries.items())


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, [], {})}


def _note_entry(note: NoteLock) -> dict[str, Any]:
    """A note's line: its attributes in order, those that are empty left out."""
    entry: dict[str, Any] = {"type": note.type, "hash": note.hash, "mod": note.mod,
                             "nid": note.nid, "since": note.since}
    if note.fields:
        entry["fields"] = note.fields
    if note.tags:
        entry["tags"] = note.tags
    if note.source is not None:
        entry["source"] = note.source
    if note.changed_in:
        entry["changed_in"] = note.changed_in
    if note.removed is not None:
        entry["removed"] = note.removed
    if note.guid is not None:
        entry["guid"] = note.guid
    if note.was is not None:
        entry["was"] = note.was
    return entry


def lock_path(deck_dir: Path) -> Path:
    return deck_dir / LOCK_NAME


def read_lock(deck_dir: Path) -> Lock:
    """The deck's lock, or an empty one when the deck was never built."""
    path = lock_path(deck_dir)
    if not path.exists():
        return Lock()
    lock = _read_by_line(path)
    if lock is not None:
        return lock
    text = read_text(path)
    try:
        data = orjson.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
        return _lock_from(data, data.get("notes", {}).items())
    except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
        line = getattr(exc, "lineno", None)
        raise SourceError([Diagnostic(
            path, f"the lock file is damaged: {exc}",
            "restore it from version control (`git checkout -- "
            f"{path.name}`); deleting it makes every note look new to Anki only after a "
            "rebuild with a newer time, which is safe but re-sends every note",
            Position(line) if line else None, code="lock")]) from None


def _lock_from(data: dict[str, Any], notes: Iterable[tuple[str, dict[str, Any]]]) -> Lock:
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown lock format {data.get('format')!r}")
    deck = data.get("deck", {})
    return Lock(
        deck_name=deck.get("name"),
        version=deck.get("version"),
        released=deck.get("released"),
        released_name=deck.get("released_name"),
        notetypes={k: NotetypeLock(**v) for k, v in data.get("notetypes", {}).items()},
        notes={k: NoteLock(**v) for k, v in notes},
    )


_NOTES_OPEN = b' "notes": {'
_NOTES_CLOSE = b" }"


def _read_by_line(path: Path) -> Lock | None:
    """A lock laid out as `json_chunks` writes it, read one note line at a time: the file and
    its whole parsed form are never held next to the notes (35 MB and some 100 MiB of
    transient objects at 100,000 notes), so the source files' size limit does not apply (a
    deck of 200,000 notes has a lock of some 70 MB). None when the file is laid out otherwise
    or anything is amiss: the whole-document parse then reads it, or says where it is
    damaged."""
    try:
        with path.open("rb") as handle:
            head = bytearray()
            for line in handle:
                head += line
                if line.rstrip(b"\r\n") == _NOTES_OPEN:
                    break
            else:
                return None
            data = orjson.loads(bytes(head) + b"}}")  # the header, with no notes
            if not isinstance(data, dict):
                return None

            def notes() -> Iterator[tuple[str, dict[str, Any]]]:
                for raw in handle:
                    line = raw.rstrip(b"\r\n")
                    if line == _NOTES_CLOSE:
                        return
                    [entry] = orjson.loads(b"{" + line.removesuffix(b",") + b"}").items()
                    yield entry
                raise ValueError("the notes never end")

            lock = _lock_from(data, notes())
            return lock if handle.read().strip() == b"}" else None
    except (OSError, orjson.JSONDecodeError, ValueError, TypeError, AttributeError):
        return None


def write_lock(deck_dir: Path, lock: Lock) -> None:
    write_text_atomic(lock_path(deck_dir), lock.to_json())
