"""Stage 5, pack: note specs become an Anki collection database through genanki.

genanki's models, schema and ids stay the source of truth; what we fix is what it takes from
the clock: every note carries the `mod` of its last content change and a note id kept in the
lock, and every notetype the `mod` of its last change.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import genanki
import orjson
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES, Notetype
from flashcards.render import FieldRenderer, field_renderer
from flashcards.write import write_apkg

GUID_NAMESPACE = "flashcards"
CARD_ID_STRIDE = 100  # note ids are spaced so that a note's cards can take nid + ordinal


# genanki.guid_for's base 91, two digits at a time: "aa", "ab", … (8,281 short strings).
_BASE91_PAIRS = [high + low for high in genanki.util.BASE91_TABLE
                 for low in genanki.util.BASE91_TABLE]
_PAIR = len(_BASE91_PAIRS)


def note_guid(slug: str, note_id: str) -> str:
    """A note's GUID: from the deck slug and the note id only, never from text or time.
    Exactly `genanki.guid_for(GUID_NAMESPACE, slug, note_id)`, at a third of its cost."""
    digest = hashlib.sha256(f"{GUID_NAMESPACE}__{slug}__{note_id}".encode()).digest()
    return base91(int.from_bytes(digest[:8], "big"))


def base91(value: int) -> str:
    """A 64-bit integer in genanki's base 91, without leading zeros ("a")."""
    value, fifth = divmod(value, _PAIR)
    value, fourth = divmod(value, _PAIR)
    value, third = divmod(value, _PAIR)
    first, second = divmod(value, _PAIR)  # 91**10 > 2**64: `first` is one pair
    pairs = _BASE91_PAIRS
    return (pairs[first] + pairs[second] + pairs[third] + pairs[fourth]
            + pairs[fifth]).lstrip("a")


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


@dataclass(frozen=True, init=False)
class PackedNote:
    """A note exactly as Anki receives it: rendered fields and tags."""

    id: str
    guid: str
    type: CardType
    fields: tuple[str, ...]
    tags: tuple[str, ...]

    def __init__(self, id: str, guid: str, type: CardType, fields: tuple[str, ...],
                 tags: tuple[str, ...]) -> None:
        # A frozen dataclass's own __init__ sets each attribute through object.__setattr__:
        # three times slower, for a note made 100,000 times.
        attributes = self.__dict__
        attributes["id"] = id
        attributes["guid"] = guid
        attributes["type"] = type
        attributes["fields"] = fields
        attributes["tags"] = tags

    def content_hash(self, notetype_id: int) -> str:
        payload = orjson.dumps([notetype_id, self.fields, self.tags])
        return hashlib.sha256(payload).hexdigest()[:20]


# Each field of a notetype: Markdown, a cloze note's Markdown text, or the quoted source.
_MARKDOWN, _CLOZE_TEXT, _SOURCE = range(3)
_LAYOUTS: dict[CardType, tuple[tuple[str, int], ...]] = {
    card_type: tuple((name, _SOURCE if name == "Source" else
                      _CLOZE_TEXT if card_type is CardType.CLOZE and name == "Text" else
                      _MARKDOWN) for name in notetype.field_names)
    for card_type, notetype in NOTETYPES.items()}


def note_fields(note: NoteSpec, language: str) -> tuple[str, ...]:
    """Field values in notetype order, rendered to safe HTML."""
    return _render_fields(note, field_renderer(language))


def _render_fields(note: NoteSpec, renderer: FieldRenderer) -> tuple[str, ...]:
    fields = note.fields
    values = []
    for name, kind in _LAYOUTS[note.type]:
        if kind == _MARKDOWN:
            values.append(renderer.markdown(fields.get(name, "")))
        elif kind == _SOURCE:
            values.append(renderer.plain(note.source or ""))
        else:
            values.append(renderer.cloze(fields.get(name, "")))
    return tuple(values)


def _note_tags(note: NoteSpec, deck_tags: Sequence[str]) -> tuple[str, ...]:
    if not deck_tags and len(note.tags) < 2:
        return tuple(note.tags)
    return tuple(sorted({*deck_tags, *note.tags}))


def pack_note(note: NoteSpec, slug: str, config: DeckConfig) -> PackedNote:
    return PackedNote(note.id, note.guid or note_guid(slug, note.id), note.type,
                      note_fields(note, config.language), _note_tags(note, config.tags))


def pack_notes(notes: Sequence[NoteSpec], slug: str, config: DeckConfig) -> list[PackedNote]:
    """`pack_note` of every note; each field of a notetype rendered for all its notes at
    once (the renderer's `*_many`: a pass over them all instead of one per field)."""
    renderer, tags = field_renderer(config.language), config.tags
    fields: list[tuple[str, ...]] = [()] * len(notes)
    by_type: dict[CardType, list[int]] = {}
    for index, note in enumerate(notes):
        by_type.setdefault(note.type, []).append(index)
    for card_type, indexes in by_type.items():
        of_type = [notes[i] for i in indexes]
        columns = []
        for name, kind in _LAYOUTS[card_type]:
            if kind == _SOURCE:
                columns.append(renderer.plain_many([n.source or "" for n in of_type]))
            elif kind == _MARKDOWN:
                columns.append(renderer.markdown_many([n.fields.get(name, "") for n in of_type]))
            else:
                columns.append(renderer.cloze_many([n.fields.get(name, "") for n in of_type]))
        for index, values in zip(indexes, zip(*columns, strict=True), strict=True):
            fields[index] = values
    return [PackedNote(note.id, note.guid or note_guid(slug, note.id), note.type, values,
                       _note_tags(note, tags))
            for note, values in zip(notes, fields, strict=True)]


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


class _Fields:
    """A note as genanki's own `Note` methods see it (fields, card ordinals), without the
    `Note` itself: its per-tag validation and cached properties cost more than the rows."""

    __slots__ = ("fields", "model", "tags")

    def __init__(self, model: genanki.Model, fields: Sequence[str]) -> None:
        self.model = model
        self.fields = fields
        self.tags = ()

    cards = property(genanki.Note.cards.func)
    _front_back_cards = genanki.Note._front_back_cards
    _cloze_cards = genanki.Note._cloze_cards


def card_ordinals(model: genanki.Model, fields: Sequence[str]) -> list[int]:
    """The ordinals of the cards genanki makes for a note of `model` with `fields`, in its
    order (card ids follow it)."""
    return [card.ord for card in _Fields(model, fields).cards]


Ordinals = Callable[[Sequence[str]], list[int]]


def _front_back_ordinals(model: genanki.Model) -> Ordinals:
    # A front/back note's cards depend only on which fields are empty: ask genanki once per
    # pattern of empty fields.
    known: dict[tuple[bool, ...], list[int]] = {}
    filled: list[list[int]] = []  # the cards of a note without an empty field, once known

    def ordinals(fields: Sequence[str]) -> list[int]:
        if filled and "" not in fields:
            return filled[0]
        key = tuple(map(bool, fields))
        found = known.get(key)
        if found is None:
            found = known[key] = card_ordinals(model, fields)
            if all(key):
                filled.append(found)
        return found

    return ordinals


_CLOZE_REFERENCE = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's, in _cloze_cards


def _cloze_ordinals(model: genanki.Model) -> Ordinals:
    """genanki's `Note._cloze_cards` for notes of `model`, its template read once (genanki
    reads it again for every note): a card per cloze number in the fields it names, in the
    order of a set, as there."""
    template = model.templates[0]["qfmt"]
    names = set(re.findall(r"{{[^}]*?cloze:(?:[^}]?:)*(.+?)}}", template)
                + re.findall("<%cloze:(.+?)%>", template))
    indexes = [next((i for i, f in enumerate(model.fields) if f["name"] == name), -1)
               for name in names]

    findall = _CLOZE_REFERENCE.findall
    # The cards depend only on the cloze numbers met, in their order (the order of a set
    # depends on the order of its insertions): worked out once per sequence of numbers.
    known: dict[tuple[str, ...], list[int]] = {}

    def ordinals(fields: Sequence[str]) -> list[int]:
        if len(indexes) == 1 and indexes[0] >= 0:
            numbers = tuple(findall(fields[indexes[0]]))
        else:
            numbers = tuple(m for i in indexes if i >= 0 for m in findall(fields[i]))
        found = known.get(numbers)
        if found is None:
            found = _cloze_cards(numbers)
            if len(known) < _KNOWN_CLOZES:
                known[numbers] = found
        return found

    return ordinals


_KNOWN_CLOZES = 4096


def _cloze_cards(numbers: Iterable[str]) -> list[int]:
    """genanki's ordinals for the cloze numbers met in a note, in their order."""
    found: set[int] = set()
    found.update(int(m) - 1 for m in numbers if int(m) > 0)
    return list(found)


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


# Notes a chunk: rows are made, sent and inserted this many notes at a time.
CHUNK = 2000

# A chunk's rows, flat: each note row's 7 values (id, guid, mid, mod, tags, flds, sfld) one
# after the other, and each card row's 6 (id, nid, did, ord, mod, due). Flat lists of ints and
# strings cost no tuple a row to make, to send (marshal) and to receive.
NOTE_WIDTH, CARD_WIDTH = 7, 6
Rows = tuple[list[int | str], list[int]]


@dataclass(frozen=True)
class CollectionHead:
    """What the collection row holds besides the notes: the decks (main deck first, then
    subdecks as notes first use them), the notetypes as their notes first use them, with
    their `mod`, the deck's description, and the collection's own stamp. Picklable, so a
    forked packer can be told it last."""

    deck_names: tuple[str, ...]
    models: tuple[tuple[Notetype, int], ...]
    description_html: str
    stamp: int


class NoteRows:
    """The note and card rows of a deck's notes, chunk by chunk: what genanki's own
    `Note.write_to_db` writes (fields, tags, sort field, card ordinals: tests/test_pack.py),
    with each note's `mod` and id from the lock."""

    def __init__(self, deck_name: str, notetypes: Mapping[CardType, Notetype],
                 notetype_mods: Mapping[CardType, int], note_decks: Mapping[str, str],
                 note_types: Iterable[tuple[str, CardType]]) -> None:
        """`note_types`: each note's id and type, in the deck's order (decks and models go in
        the collection row in the order their notes first use them, as genanki writes them
        deck by deck)."""
        self.deck_name = deck_name
        self.note_decks = note_decks
        deck_ids = {deck_name: deck_id(deck_name)}
        first_use: dict[CardType, tuple[int, int]] = {}
        ranks = {deck_name: 0}
        for position, (note_id, card_type) in enumerate(note_types):
            name = note_decks.get(note_id, deck_name)
            if name not in ranks:
                ranks[name] = len(ranks)
                deck_ids[name] = deck_id(name)
            key = (ranks[name], position)
            if card_type not in first_use or key < first_use[card_type]:
                first_use[card_type] = key
        self.deck_names = tuple(ranks)
        self.deck_ids = deck_ids
        used = sorted(first_use, key=first_use.__getitem__)
        self.models = tuple((notetypes[t], notetype_mods[t]) for t in used)
        self.kinds: dict[CardType, tuple[int, int, Ordinals]] = {}
        for card_type in used:
            model = _Model(notetypes[card_type], notetype_mods[card_type])
            self.kinds[card_type] = (model.model_id, model.sort_field_index,
                                     _front_back_ordinals(model)
                                     if model.model_type == genanki.Model.FRONT_BACK
                                     else _cloze_ordinals(model))

    def rows(self, notes: Sequence[PackedNote], first_due: int, note_ids: Mapping[str, int],
             note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]]) -> Rows:
        """The rows of `notes`, the first of which is the deck's note number `first_due`, flat
        (`Rows`)."""
        kinds, decks, deck_ids, main = self.kinds, self.note_decks, self.deck_ids, self.deck_name
        main_id = deck_ids[main]
        note_values: list[int | str] = []
        card_values: list[int] = []
        add_note, add_cards = note_values.extend, card_values.extend
        for due, note in enumerate(notes, first_due):
            model_id, sort_field, ordinals = kinds[note.type]
            note_id = note.id
            nid = note_ids[note_id]
            mod = note_mods[note_id]
            tags = note.tags
            if len(tags) > 1 or (extra_tags and note_id in extra_tags):
                tags = sorted({*tags, *extra_tags.get(note_id, ())})
            fields = note.fields
            add_note((nid, note.guid, model_id, mod, f" {' '.join(tags)} ",
                      "\x1f".join(fields), fields[sort_field]))
            did = deck_ids[decks[note_id]] if decks and note_id in decks else main_id
            card_id = nid
            for ordinal in ordinals(fields):
                card_id += 1
                add_cards((card_id, nid, did, ordinal, mod, due))
        return note_values, card_values

    def head(self, description_html: str, stamp: int) -> CollectionHead:
        return CollectionHead(self.deck_names, self.models, description_html, stamp)


def collection_stamp(note_mods: Mapping[str, int], notetype_mods: Mapping[CardType, int]) -> int:
    """The collection's own `mod`: its latest note's or notetype's, never the build time."""
    return max(max(note_mods.values(), default=0), max(notetype_mods.values(), default=0), 0)


# usn -1, csum, flags 0, data "": as genanki writes them
_NOTE_ROW = "(?,?,?,?,-1,?,?,?,0,0,'')"
_CARD_ROW = "(?,?,?,?,?,-1,0,0,?,0,0,0,0,0,0,0,0,'')"
# Rows a statement: SQLite runs one statement of many rows for much less than as many
# statements of one row (it makes the same file, rows inserted in the same order). At most
# 999 parameters a statement (SQLite's limit before 3.32): 100 rows of 7.
_SIZES = (100, 10, 1)


def _inserts(table: str, row: str) -> tuple[tuple[int, str], ...]:
    return tuple((size, f"INSERT INTO {table} VALUES{','.join([row] * size)}")
                 for size in _SIZES)


_NOTE_INSERTS = _inserts("notes", _NOTE_ROW)
_CARD_INSERTS = _inserts("cards", _CARD_ROW)


def _insert(cursor: sqlite3.Cursor, inserts: tuple[tuple[int, str], ...], width: int,
            values: Sequence[int | str]) -> None:
    """Insert the flat rows `values` (`width` values a row) in their order, as many rows a
    statement as there are."""
    start, end = 0, len(values)
    for size, statement in inserts:
        step = size * width
        stop = end - (end - start) % step
        if stop > start:
            cursor.executemany(statement, [values[i:i + step] for i in range(start, stop, step)])
            start = stop


class CollectionWriter:
    """A package's collection database, written as rows come: genanki's schema first, then
    the note and card rows in bulk, and last the collection row (decks, models), which needs
    the whole plan. The same calls in the same order give the same bytes, whether the rows
    are written here or by a forked packer."""

    def __init__(self, database: Path) -> None:
        self.connection = sqlite3.connect(database)
        # A throwaway file, zipped once written: no rollback journal, no fsync (neither
        # changes a byte of the database; the package itself is written atomically).
        self.connection.execute("PRAGMA journal_mode=OFF")
        self.connection.execute("PRAGMA synchronous=OFF")
        self.cursor = self.connection.cursor()
        self.cursor.executescript(APKG_SCHEMA)

    def add(self, note_values: Sequence[int | str], card_values: Sequence[int]) -> None:
        """Insert flat rows (`Rows`), in their order."""
        _insert(self.cursor, _NOTE_INSERTS, NOTE_WIDTH, note_values)
        _insert(self.cursor, _CARD_INSERTS, CARD_WIDTH, card_values)

    def finish(self, head: CollectionHead) -> None:
        """Write the collection row (genanki's `Package.write_to_db`, but for the schema,
        already there) and close the database."""
        try:
            decks = [genanki.Deck(deck_id(name), name) for name in head.deck_names]
            decks[0].description = head.description_html
            for notetype, mod in head.models:
                decks[0].add_model(_Model(notetype, mod))
            self.cursor.executescript(APKG_COL)
            for deck in decks:
                deck.write_to_db(self.cursor, head.stamp, itertools.count())
            self.connection.commit()
        finally:
            self.close()

    def close(self) -> None:
        self.connection.close()


class DeckPacker:
    """One deck's package, packed as its rendered and planned notes come, a chunk at a time:
    `open` once the notetypes are planned, `add` each chunk, `finish` with what needs the whole
    plan. The same calls give the same bytes, here or in a forked packer (pack_child.py)."""

    def __init__(self, database: Path, deck_name: str,
                 note_types: Sequence[tuple[str, CardType]]) -> None:
        """`note_types`: each note's id and type, in the deck's order."""
        self.database, self.deck_name, self.note_types = database, deck_name, note_types
        self.writer: CollectionWriter | None = None

    def open(self, note_decks: Mapping[str, str], notetypes: Mapping[CardType, Notetype],
             notetype_mods: Mapping[CardType, int]) -> None:
        """`note_decks`: note id → full deck name (none: the deck itself)."""
        self.rows = NoteRows(self.deck_name, notetypes, notetype_mods, note_decks,
                             self.note_types)
        self.writer = CollectionWriter(self.database)

    def add(self, notes: Sequence[PackedNote], first_due: int, note_ids: Mapping[str, int],
            note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]]) -> None:
        self.add_rows(*self.rows.rows(notes, first_due, note_ids, note_mods, extra_tags))

    def add_rows(self, note_values: Sequence[int | str], card_values: Sequence[int]) -> None:
        """Rows made elsewhere by a `NoteRows` like this packer's (flat: `Rows`)."""
        assert self.writer is not None, "open() first"
        self.writer.add(note_values, card_values)

    def finish(self, description_html: str, stamp: int, staged: Path,
               media: list[tuple[str, Path]]) -> None:
        """Write the collection row, close the database and zip the package into `staged`."""
        assert self.writer is not None, "open() first"
        writer, self.writer = self.writer, None
        writer.finish(self.rows.head(description_html, stamp))
        write_apkg(staged, self.database, media)

    def done(self) -> bool:
        """The package is written (as the forked packer's `done`)."""
        return self.writer is None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def write_database(data: PackInput, database: Path) -> None:
    """Write the collection database of the package to `database`, in one go."""
    rows = NoteRows(data.config.name, data.notetypes, data.notetype_mods, data.note_decks,
                    [(n.id, n.type) for n in data.notes])
    writer = CollectionWriter(database)
    try:
        for start in range(0, len(data.notes), CHUNK):
            writer.add(*rows.rows(data.notes[start:start + CHUNK], start, data.note_ids,
                                  data.note_mods, data.extra_tags))
    except BaseException:
        writer.close()
        raise
    writer.finish(rows.head(data.description_html,
                            collection_stamp(data.note_mods, data.notetype_mods)))
