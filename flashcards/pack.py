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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import genanki
import orjson

from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES, Notetype
from flashcards.render import FieldRenderer, field_renderer

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


def pack_notes(notes: Iterable[NoteSpec], slug: str, config: DeckConfig) -> list[PackedNote]:
    """`pack_note` of every note."""
    renderer, tags = field_renderer(config.language), config.tags
    return [PackedNote(note.id, note.guid or note_guid(slug, note.id), note.type,
                       _render_fields(note, renderer), _note_tags(note, tags))
            for note in notes]


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

    def ordinals(fields: Sequence[str]) -> list[int]:
        key = tuple(map(bool, fields))
        found = known.get(key)
        if found is None:
            found = known[key] = card_ordinals(model, fields)
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

    def ordinals(fields: Sequence[str]) -> list[int]:
        found: set[int] = set()
        for index in indexes:
            value = fields[index] if index >= 0 else ""
            found.update(int(m) - 1 for m in _CLOZE_REFERENCE.findall(value) if int(m) > 0)
        return list(found)

    return ordinals


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


def write_database(data: PackInput, database: Path) -> None:
    """Write the collection database of the package to `database`.

    genanki writes the schema, the collection row, the decks and the models; the note and card
    rows are what genanki's own `Note.write_to_db` writes (fields, tags, sort field, card
    ordinals: tests/test_pack.py), with each note's `mod` and id from the lock, and inserted in
    bulk in one transaction instead of one statement each. Rows go in deck by deck (main deck
    first, then subdecks as notes first use them), models as the notes first use them."""
    main = genanki.Deck(deck_id(data.config.name), data.config.name,
                        description=data.description_html)
    decks = {main.name: main}
    by_deck: dict[str, list[tuple[int, PackedNote]]] = {main.name: []}
    for due, note in enumerate(data.notes):
        name = data.note_decks.get(note.id, main.name)
        if name not in decks:
            decks[name] = genanki.Deck(deck_id(name), name)
            by_deck[name] = []
        by_deck[name].append((due, note))
    order = [(decks[name].deck_id, due, note) for name, notes in by_deck.items()
             for due, note in notes]
    del by_deck
    # For each notetype: its model's id, sort field and card ordinals.
    kinds: dict[CardType, tuple[int, int, Ordinals]] = {}
    for _, _, note in order:
        if note.type not in kinds:
            model = _Model(data.notetypes[note.type], data.notetype_mods[note.type])
            main.add_model(model)
            kinds[note.type] = (model.model_id, model.sort_field_index,
                                _front_back_ordinals(model)
                                if model.model_type == genanki.Model.FRONT_BACK
                                else _cloze_ordinals(model))
    note_ids, note_mods, extra_tags = data.note_ids, data.note_mods, data.extra_tags

    def note_rows() -> Iterator[tuple]:
        for _, _, note in order:
            model_id, sort_field, _ = kinds[note.type]
            tags = note.tags
            extra = extra_tags.get(note.id)
            if extra or len(tags) > 1:
                tags = sorted({*tags, *(extra or ())})
            yield (note_ids[note.id], note.guid, model_id, note_mods[note.id],
                   f" {' '.join(tags)} ", "\x1f".join(note.fields), note.fields[sort_field])

    def card_rows() -> Iterator[tuple]:
        for did, due, note in order:
            nid, mod = note_ids[note.id], note_mods[note.id]
            for i, ordinal in enumerate(kinds[note.type][2](note.fields), 1):
                yield (nid + i, nid, did, ordinal, mod, due)

    package = genanki.Package(list(decks.values()))
    stamp = max(max(data.note_mods.values(), default=0),
                max(data.notetype_mods.values(), default=0), 0)
    connection = sqlite3.connect(database)
    try:
        # A throwaway file, zipped once written: no rollback journal, no fsync (neither
        # changes a byte of the database; the package itself is written atomically).
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        cursor = connection.cursor()
        package.write_to_db(cursor, stamp, itertools.count())
        # usn -1, csum, flags 0, data "": as genanki writes them
        cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,-1,?,?,?,0,0,'')", note_rows())
        cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,-1,0,0,?,0,0,0,0,0,0,0,0,'')",
                           card_rows())
        connection.commit()
    finally:
        connection.close()
