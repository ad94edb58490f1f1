"""Stage 5, pack: note specs become an Anki collection database through genanki.

genanki's models, schema and ids stay the source of truth; what we fix is what it takes from
the clock: every note carries the `mod` of its last content change and a note id kept in the
lock, and every notetype the `mod` of its last change.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import genanki
import orjson

from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES, Notetype
from flashcards.render import markdown_field, plain_field

GUID_NAMESPACE = "flashcards"
CARD_ID_STRIDE = 100  # note ids are spaced so that a note's cards can take nid + ordinal


def note_guid(slug: str, note_id: str) -> str:
    """A note's GUID: from the deck slug and the note id only, never from text or time."""
    return genanki.guid_for(GUID_NAMESPACE, slug, note_id)


def stable_int(*parts: str, bits: int = 31) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return (1 << bits) + int.from_bytes(digest[:8], "big") % (1 << bits)


def deck_id(name: str) -> int:
    # Anki matches decks by name; the id only needs to be stable.
    return stable_int("deck", name)


def deck_notetype(card_type: CardType, slug: str, generation: int = 0, css: str = "",
                  tts: str = "") -> Notetype:
    """The notetype of one deck: its own id (so decks never overwrite each other's style),
    the shared fixed field and template ids, the deck's extra CSS; with `tts` (a language),
    the question side read aloud."""
    base = NOTETYPES[card_type]
    suffix = f" v{generation + 1}" if generation else ""
    notetype = replace(base, id=stable_int("notetype", slug, card_type.value, str(generation)),
                       name=f"{base.name} ({slug}){suffix}", css=base.css + css)
    if tts:
        from flashcards.tts import with_tts

        notetype = with_tts(notetype, tts)
    return notetype


@dataclass(frozen=True)
class PackedNote:
    """A note exactly as Anki receives it: rendered fields and tags."""

    id: str
    guid: str
    type: CardType
    fields: tuple[str, ...]
    tags: tuple[str, ...]

    def content_hash(self, notetype_id: int) -> str:
        payload = orjson.dumps([notetype_id, self.fields, self.tags])
        return hashlib.sha256(payload).hexdigest()[:20]


def note_fields(note: NoteSpec, language: str) -> tuple[str, ...]:
    """Field values in notetype order, rendered to safe HTML."""
    cloze = note.type is CardType.CLOZE
    values = []
    for name in NOTETYPES[note.type].field_names:
        if name == "Source":
            values.append(plain_field(note.source or "", language))
        else:
            values.append(markdown_field(note.fields.get(name, ""), language,
                                         cloze=cloze and name == "Text"))
    return tuple(values)


def pack_note(note: NoteSpec, slug: str, config: DeckConfig) -> PackedNote:
    return PackedNote(note.id, note.guid or note_guid(slug, note.id), note.type,
                      note_fields(note, config.language),
                      tuple(sorted({*config.tags, *note.tags})))


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
    """A genanki note with its own `mod` and id (its cards take the ids after it)."""

    def __init__(self, *, mod: int, nid: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mod = mod
        self.nid = nid

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[override]
        super().write_to_db(cursor, self.mod, deck_id, itertools.count(self.nid))


@dataclass(frozen=True)
class PackInput:
    config: DeckConfig
    notes: Sequence[PackedNote]
    note_mods: Mapping[str, int]
    note_ids: Mapping[str, int]
    extra_tags: Mapping[str, tuple[str, ...]]
    notetypes: Mapping[CardType, Notetype]
    notetype_mods: Mapping[CardType, int]
    description_html: str = ""
    note_decks: Mapping[str, str] = field(default_factory=dict)  # note id → full deck name


def build_package(data: PackInput) -> genanki.Package:
    models = {t: _Model(n, data.notetype_mods[t]) for t, n in data.notetypes.items()}
    main = genanki.Deck(deck_id(data.config.name), data.config.name,
                        description=data.description_html)
    decks = {main.name: main}
    for position, note in enumerate(data.notes):
        name = data.note_decks.get(note.id, main.name)
        deck = decks.get(name) or decks.setdefault(name, genanki.Deck(deck_id(name), name))
        deck.add_note(_Note(
            mod=data.note_mods[note.id],
            nid=data.note_ids[note.id],
            model=models[note.type],
            fields=list(note.fields),
            guid=note.guid,
            tags=sorted({*note.tags, *data.extra_tags.get(note.id, ())}),
            due=position,
        ))
    return genanki.Package(list(decks.values()))


def write_database(data: PackInput, database: Path) -> None:
    """Write the collection database of the package to `database`.

    genanki writes the schema, the collection row, the deck and the models; the notes and
    cards are genanki's own rows (fields, tags, sort field, card ordinals), inserted in bulk
    in one transaction instead of one statement each."""
    package = build_package(data)
    notes: list[tuple[int, _Note]] = []
    for deck in package.decks:
        notes.extend((deck.deck_id, note) for note in deck.notes)
        deck.notes = []
    main = package.decks[0]
    for model in {id(n.model): n.model for _, n in notes}.values():
        main.add_model(model)
    stamp = max([*data.note_mods.values(), *data.notetype_mods.values(), 0])
    connection = sqlite3.connect(database)
    try:
        cursor = connection.cursor()
        package.write_to_db(cursor, stamp, itertools.count())
        cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", [
            (n.nid, n.guid, n.model.model_id, n.mod, -1, n._format_tags(), n._format_fields(),
             n.sort_field, 0, 0, "") for _, n in notes])
        cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
            (n.nid + 1 + i, n.nid, did, card.ord, n.mod, -1, 0, 0, n.due,
             0, 0, 0, 0, 0, 0, 0, 0, "")
            for did, n in notes for i, card in enumerate(n.cards)])
        connection.commit()
    finally:
        connection.close()
