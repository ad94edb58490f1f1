"""An Anki package (.apkg) read without Anki: its notetypes, decks and notes, from
`collection.anki2`/`.anki21` (the legacy schema) or `collection.anki21b` (zstd-compressed,
schema 18, the format of Anki ≥ 2.1.50)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import zstandard
from google.protobuf import empty_pb2
from google.protobuf.message import DecodeError
from google.protobuf.unknown_fields import UnknownFieldSet

from flashcards.file_kinds import ANKI_COLLECTIONS
from flashcards.project import UsageError

MAX_PACKAGE_BYTES = 2 * 1024 * 1024 * 1024


@dataclass
class Notetype:
    name: str
    kind: int  # 1: cloze
    fields: list[str]
    templates: list[tuple[str, str]]  # (front, back) of each card template


@dataclass(frozen=True)
class PackagedNote:
    id: int
    guid: str
    notetype_id: int
    tags: list[str]
    fields: list[str]  # each field's HTML


@dataclass
class AnkiPackage:
    collection: str  # the entry read, e.g. "collection.anki21b (zstd)"
    notetypes: dict[int, Notetype]
    decks: list[str]
    notes: list[PackagedNote]


def read_package(path: Path) -> AnkiPackage:
    """The notes of the package `path` with their notetypes and decks; a UsageError saying
    what is wrong with a file that is not a whole Anki package."""
    if path.stat().st_size > MAX_PACKAGE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_PACKAGE_BYTES // 2**30} GiB")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UsageError(f"{path} is not an Anki package (.apkg files are zip archives): "
                         "export the deck again from Anki (File → Export → Anki Deck "
                         "Package)") from None
    with archive, tempfile.TemporaryDirectory() as folder:
        try:
            unpacked = _collection(archive, Path(folder))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
            raise UsageError(f"{path}: its collection cannot be unpacked ({exc}); export "
                             "it again from Anki") from None
        if unpacked is None:
            raise UsageError(f"{path} is a zip archive without an Anki collection (no "
                             "collection.anki2, .anki21 or .anki21b): export the deck from "
                             "Anki (File → Export → Anki Deck Package)")
        database, entry = unpacked
        db = sqlite3.connect(database)
        try:
            tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
            notetypes, decks = (_v18_notetypes(db) if "notetypes" in tables
                                else _legacy_notetypes(db))
            notes = [PackagedNote(nid, guid, mid, tags.split(), flds.split("\x1f"))
                     for nid, guid, mid, tags, flds in db.execute(
                         "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id")]
        except (sqlite3.DatabaseError, DecodeError, ValueError, LookupError, TypeError,
                AttributeError) as exc:
            # DecodeError: a truncated notetype config; LookupError: a missing key;
            # AttributeError: a column of the wrong type
            raise UsageError(f"{path}: cannot read its collection ({exc}); is the package "
                             "complete? Export it again from Anki") from None
        finally:
            db.close()
    return AnkiPackage(entry, notetypes, decks, notes)


def _protobuf_fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Top-level fields of a protobuf message, by number: Anki's notetype and template configs
    read without their message classes (they ship only with the `anki` package)."""
    message = empty_pb2.Empty()
    message.ParseFromString(data)  # every field is unknown to Empty, and kept as such
    fields: dict[int, list[bytes | int]] = {}
    for item in UnknownFieldSet(message):
        fields.setdefault(item.field_number, []).append(item.data)
    return fields


def _legacy_notetypes(db: sqlite3.Connection) -> tuple[dict[int, Notetype], list[str]]:
    models, decks = db.execute("SELECT models, decks FROM col").fetchone()
    notetypes = {}
    for model in json.loads(models or "{}").values():
        fields = [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
        templates = [(t["qfmt"], t["afmt"])
                     for t in sorted(model["tmpls"], key=lambda t: t["ord"])]
        notetypes[int(model["id"])] = Notetype(model["name"], int(model.get("type", 0)),
                                               fields, templates)
    names = [d["name"] for d in json.loads(decks or "{}").values()]
    return notetypes, names


def _v18_notetypes(db: sqlite3.Connection) -> tuple[dict[int, Notetype], list[str]]:
    notetypes = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        kind = _protobuf_fields(config).get(1, [0])[0]
        fields = [n for (n,) in db.execute(
            "SELECT name FROM fields WHERE ntid = ? ORDER BY ord", (ntid,))]
        templates = []
        for (template_config,) in db.execute(
                "SELECT config FROM templates WHERE ntid = ? ORDER BY ord", (ntid,)):
            parts = _protobuf_fields(template_config)
            front, back = parts.get(1, [b""])[0], parts.get(2, [b""])[0]
            templates.append((bytes(front).decode(errors="replace"),  # type: ignore[arg-type]
                              bytes(back).decode(errors="replace")))  # type: ignore[arg-type]
        notetypes[ntid] = Notetype(name, int(kind), fields, templates)  # type: ignore[arg-type]
    names = [n.replace("\x1f", "::") for (n,) in db.execute("SELECT name FROM decks")]
    return notetypes, names


def _collection(archive: zipfile.ZipFile, folder: Path) -> tuple[Path, str] | None:
    """The package's collection unpacked into `folder` as an SQLite file, and its entry."""
    names = set(archive.namelist())
    name = next((n for n in ANKI_COLLECTIONS if n in names), None)
    if name is None:
        return None
    target = folder / "collection.sqlite"
    with archive.open(name) as source, target.open("wb") as sink:
        if name == "collection.anki21b":
            zstandard.ZstdDecompressor().copy_stream(source, sink)
            return target, "collection.anki21b (zstd)"
        shutil.copyfileobj(source, sink, 1 << 20)
    return target, name
