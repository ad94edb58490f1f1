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

    def __eq__(self, other: object) -> bool:
        # By value, whatever the class: a note read from a lock file (`_ReadNote`) equals
        # the note built with the same values.
        if not isinstance(other, NoteLock):
            return NotImplemented
        return _note_values(self) == _note_values(other)


def _note_values(note: NoteLock) -> tuple[Any, ...]:
    return (note.type, note.hash, note.mod, note.nid, note.since, note.fields, note.tags,
            note.source, note.changed_in, note.removed, note.guid, note.was)


_TEXTS = ("fields", "tags", "source")  # what a note read from a file decodes on first use


class _ReadNote(NoteLock):
    """A note read from a lock file: its texts are decoded from the lock's note lines on
    first use. A rebuild needs the old texts of the notes that changed only; the others'
    stay in the lines, one block of memory (about 350 bytes a note against ~1 KiB as
    objects), which is given back whole once every note read is gone or decoded (`loaded`):
    many small objects would leave their memory to the process, fragmented."""

    __slots__ = ("_at", "_store")

    @classmethod
    def read(cls, type: str, hash: str, mod: int, nid: int, since: str,
             changed_in: list[str], removed: str | None, guid: str | None,
             was: dict[str, Any] | None, store: bytes, at: int) -> _ReadNote:
        """`store[at:]`, to the end of its line but a comma: the inside of a JSON object
        holding the note's `fields`, and its `tags` and `source` unless empty (other
        attributes are ignored)."""
        note = cls.__new__(cls)
        note.type, note.hash, note.mod, note.nid, note.since = type, hash, mod, nid, since
        note.changed_in, note.removed, note.guid, note.was = changed_in, removed, guid, was
        note._store, note._at = store, at
        return note

    def _decode(self) -> None:
        """Set the texts not set yet from the lines, then let go of them."""
        store, at = self._store, self._at
        texts = store[at:_line_end(store, at)].rstrip(b"\r\n").removesuffix(b",")
        entry = orjson.loads(b"{" + texts)
        values = (entry["fields"], entry.get("tags", []), entry.get("source"))
        for name, value in zip(_TEXTS, values, strict=True):
            slot = _SLOTS[name]
            try:
                slot.__get__(self, NoteLock)
            except AttributeError:  # not set since the note was read
                slot.__set__(self, value)
        del self._store, self._at


def loaded(note: NoteLock) -> NoteLock:
    """`note`, its texts decoded if it was read from a lock file: an old note kept past the
    plan must not hold the old lock's text store."""
    if type(note) is _ReadNote and hasattr(note, "_store"):
        note._decode()
    return note


def _lazy_text(name: str) -> property:
    slot = NoteLock.__dict__[name]  # the slot's own descriptor, which the property hides

    def get(self: _ReadNote) -> Any:
        try:
            return slot.__get__(self, NoteLock)
        except AttributeError:
            self._decode()
            return slot.__get__(self, NoteLock)

    def set_(self: _ReadNote, value: Any) -> None:
        slot.__set__(self, value)

    return property(get, set_)


_SLOTS = {name: NoteLock.__dict__[name] for name in _TEXTS}
for _name in _TEXTS:
    setattr(_ReadNote, _name, _lazy_text(_name))


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
    lock = _header_from(data)
    lock.notes = {k: NoteLock(**v) for k, v in notes}
    return lock


def _header_from(data: dict[str, Any]) -> Lock:
    """The lock without its notes."""
    if data.get("format") != FORMAT:
        raise ValueError(f"unknown lock format {data.get('format')!r}")
    deck = data.get("deck", {})
    return Lock(
        deck_name=deck.get("name"),
        version=deck.get("version"),
        released=deck.get("released"),
        released_name=deck.get("released_name"),
        notetypes={k: NotetypeLock(**v) for k, v in data.get("notetypes", {}).items()},
    )


_NOTES_OPEN = b' "notes": {'
_NOTES_CLOSE = b" }"


def _read_by_line(path: Path) -> Lock | None:
    """A lock laid out as `json_chunks` writes it, read one note line at a time: its whole
    parsed form is never held (some 100 MiB of transient objects at 100,000 notes), only
    the note lines (35 MB, as one block: see `_ReadNote`), so the source files' size limit
    does not apply (a deck of 200,000 notes has a lock of some 70 MB). None when the file is
    laid out otherwise or anything is amiss: the whole-document parse then reads it, or says
    where it is damaged."""
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
            lock = _header_from(data)
            text = handle.read()
        lock.notes, end = _read_notes(text)
        return lock if text[end:].strip() == b"}" else None
    except (OSError, orjson.JSONDecodeError, ValueError, TypeError, AttributeError):
        return None


_REQUIRED = frozenset(("type", "hash", "mod", "nid", "since", "fields"))  # no default
_KNOWN = frozenset(NoteLock.__dataclass_fields__)
_LEAD = ("type", "hash", "mod", "nid", "since", "fields")  # as `_note_entry` writes them
_FIELDS_KEY = b',"fields":'


def _read_notes(text: bytes) -> tuple[dict[str, NoteLock], int]:
    """The notes of a lock's note lines, and where the line closing them ends: each note as
    the whole parse would make it (a ValueError or TypeError where the whole parse fails),
    with its texts left in `text` (`_ReadNote`) when its line is as the tool writes it."""
    notes: dict[str, NoteLock] = {}
    labels: dict[str, str] = {}  # one copy of each type and version label
    mods: dict[int, int] = {}  # and of each mod: most notes share a few
    shapes: dict[tuple[str, ...], bool] = {}  # attribute lists seen: in the tool's order?
    start = 0  # of the line in `text`
    for line in io.BytesIO(text):  # which shares `text`: no copy
        entry = line.rstrip(b"\r\n")
        if entry == _NOTES_CLOSE:
            return notes, start + len(line)
        entry = entry.removesuffix(b",")
        [(key, value)] = orjson.loads(b"{" + entry + b"}").items()
        shape = tuple(value)
        in_order = shapes.get(shape)
        if in_order is None:
            if not (_REQUIRED <= set(shape) <= _KNOWN):
                raise TypeError(f"note {key!r} has the attributes {sorted(value)}")
            in_order = shapes[shape] = shape[:6] == _LEAD
        type_, hash_, mod, nid, since = (value["type"], value["hash"], value["mod"],
                                         value["nid"], value["since"])
        at = entry.find(_FIELDS_KEY)
        if (not in_order or at < 0 or entry.count(b"{", 0, at) != 1
                or type(mod) is not int or type(nid) is not int or type(type_) is not str
                or type(hash_) is not str or type(since) is not str):
            notes[key] = NoteLock(**value)  # not as written by the tool: read as a whole
        else:
            # No object is open before `,"fields":` but the note's, so it is the note's own
            # key (not one inside its fields), and the attributes before it hold no text:
            # the texts are `"fields":…}` to the note's end (the attributes after them are
            # ignored).
            notes[key] = _ReadNote.read(labels.setdefault(type_, type_), hash_,
                                        mods.setdefault(mod, mod), nid,
                                        labels.setdefault(since, since),
                                        value.get("changed_in", []), value.get("removed"),
                                        value.get("guid"), value.get("was"),
                                        text, start + at + 1)
        start += len(line)
    raise ValueError("the notes never end")


def _line_end(text: bytes, start: int) -> int:
    end = text.find(b"\n", start)
    return len(text) if end < 0 else end


def write_lock(deck_dir: Path, lock: Lock) -> None:
    write_text_atomic(lock_path(deck_dir), lock.to_json())
