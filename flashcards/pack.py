"""Stage 5, pack: note specs become an Anki collection database through genanki.

genanki's models, schema and ids stay the source of truth; what we fix is what it takes from
the clock: every note carries the `mod` of its last content change, ids are deterministic.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import genanki

from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES, Notetype
from flashcards.render import markdown_field, plain_field

GUID_NAMESPACE = "flashcards"


def note_guid(slug: str, note_id: str) -> str:
    """A note's GUID: from the deck slug and the note id only, never from text or time."""
    return genanki.guid_for(GUID_NAMESPACE, slug, note_id)


def stable_int(*parts: str, bits: int = 31) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (1 << bits) + int.from_bytes(digest[:8], "big") % (1 << bits)


def deck_id(name: str) -> int:
    # Anki matches decks by name; the id only needs to be stable.
    return stable_int("deck", name)


class _Model(genanki.Model):
    """A genanki model whose `mod` is its last content change, not the build time."""

    def __init__(self, notetype: Notetype, mod: int) -> None:
        super().__init__(
            notetype.id, notetype.name,
            fields=[{"name": f.name, "id": f.id} for f in notetype.fields],
            templates=[{"name": t.name, "id": t.id, "qfmt": t.front, "afmt": t.back}
                       for t in notetype.templates],
            css=notetype.css,
            model_type=genanki.Model.CLOZE if notetype.is_cloze else genanki.Model.FRONT_BACK,
        )
        self.mod = mod

    def to_json(self, timestamp: float, deck_id: int) -> dict:  # type: ignore[override]
        return super().to_json(self.mod, deck_id)


class _Note(genanki.Note):
    """A genanki note stamped with its own `mod` (and its cards with it)."""

    def __init__(self, *, mod: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mod = mod

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[override]
        super().write_to_db(cursor, self.mod, deck_id, id_gen)


@dataclass(frozen=True)
class PackInput:
    slug: str
    config: DeckConfig
    notes: Sequence[NoteSpec]
    note_mods: Mapping[str, int]
    notetype_mods: Mapping[CardType, int]
    description_html: str = ""


def note_fields(note: NoteSpec, language: str) -> list[str]:
    """Field values in notetype order, rendered to safe HTML."""
    notetype = NOTETYPES[note.type]
    cloze = note.type is CardType.CLOZE
    values = []
    for name in notetype.field_names:
        if name == "Source":
            values.append(plain_field(note.source or "", language))
        else:
            values.append(markdown_field(note.fields.get(name, ""), language,
                                         cloze=cloze and name == "Text"))
    return values


def build_package(data: PackInput) -> genanki.Package:
    models = {t: _Model(n, data.notetype_mods[t]) for t, n in NOTETYPES.items()
              if t in data.notetype_mods}
    deck = genanki.Deck(deck_id(data.config.name), data.config.name,
                        description=data.description_html)
    language = data.config.language
    for position, note in enumerate(data.notes):
        deck.add_note(_Note(
            mod=data.note_mods[note.id],
            model=models[note.type],
            fields=note_fields(note, language),
            guid=note_guid(data.slug, note.id),
            tags=sorted({*data.config.tags, *note.tags}),
            due=position,
            sort_field=None,
        ))
    return genanki.Package(deck)


def write_database(data: PackInput, database: Path) -> None:
    """Write the collection database of the package to `database`."""
    package = build_package(data)
    stamp = max([*data.note_mods.values(), *data.notetype_mods.values(), 0])
    connection = sqlite3.connect(database)
    try:
        package.write_to_db(connection.cursor(), stamp, itertools.count(stamp * 1000))
        connection.commit()
    finally:
        connection.close()
