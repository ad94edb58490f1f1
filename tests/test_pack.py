"""Packing writes note and card rows itself (in bulk): they must be exactly the rows genanki's
own `Note.write_to_db` writes for the same notes, ids and `mod`s."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import genanki

from flashcards import api
from flashcards.pack import PackInput, _Model, deck_id, write_database
from flashcards.subdecks import note_decks
from tests.helpers import STARTER_CARDS, STARTER_FACTS

CARDS = STARTER_CARDS + """
  - id: gaps
    type: cloze
    text: "{{c1::Tesla}} a fermé {{c3::Dojo}} en {{c2::2025}}, selon {{c1::Musk}}."
    extra: Trois cartes, pas quatre.
    tags: [puces, a::b]
  - id: back-only-extra
    type: reverse
    question: AI6
    answer: fabriquée par Samsung
  - id: typed
    type: type-in
    subdeck: Chiffres
    question: "En quelle année le concept de Dojo fut-il dévoilé ?"
    answer: "2021"
"""

DECK = """
name: Dojo
language: fr
seed: tesla-dojo-2025-08-15.fr
tags: [dojo]
subdecks: {by: kind, cards: Questions}
"""


class _GenankiNote(genanki.Note):
    """genanki's own note, written by genanki itself with the lock's `mod` and id."""

    def __init__(self, *, mod: int, nid: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.mod, self.nid = mod, nid

    def write_to_db(self, cursor, timestamp, deck_id, id_gen):  # type: ignore[override]
        super().write_to_db(cursor, self.mod, deck_id, itertools.count(self.nid))


def _genanki_database(data: PackInput, database: Path) -> None:
    models = {t: _Model(n, data.notetype_mods[t]) for t, n in data.notetypes.items()}
    main = genanki.Deck(deck_id(data.config.name), data.config.name,
                        description=data.description_html)
    decks = {main.name: main}
    for position, note in enumerate(data.notes):
        name = data.note_decks.get(note.id, main.name)
        deck = decks.get(name) or decks.setdefault(name, genanki.Deck(deck_id(name), name))
        deck.add_note(_GenankiNote(
            mod=data.note_mods[note.id], nid=data.note_ids[note.id], model=models[note.type],
            fields=list(note.fields), guid=note.guid,
            tags=sorted({*note.tags, *data.extra_tags.get(note.id, ())}), due=position))
    connection = sqlite3.connect(database)
    genanki.Package(list(decks.values())).write_to_db(connection.cursor(), 0, itertools.count())
    connection.commit()
    connection.close()


def _rows(database: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        connection.close()


def test_rows_are_genankis_own(project: Path, write_deck, tmp_path: Path) -> None:
    write_deck("dojo", deck=DECK, cards=CARDS, facts=STARTER_FACTS)
    deck = api.prepare(api.Project(project), project / "decks" / "dojo")
    packed, plan = api.plan_deck(deck, 1_800_000_000)
    plan.extra_tags["abandon"] = ("changed::1.2.0", "changed::1.10.0")  # unsorted on purpose
    data = PackInput(deck.sources.config, packed, plan.note_mods, plan.note_ids,
                     plan.extra_tags, plan.notetypes, plan.notetype_mods,
                     "<p>description</p>", note_decks(deck.sources, deck.notes))
    ours, theirs = tmp_path / "ours.anki2", tmp_path / "theirs.anki2"
    write_database(data, ours)
    _genanki_database(data, theirs)

    notes = _rows(ours, "notes")
    assert notes == _rows(theirs, "notes")
    assert _rows(ours, "cards") == _rows(theirs, "cards")
    [ours_col], [theirs_col] = _rows(ours, "col"), _rows(theirs, "col")
    assert ours_col[:9] + ours_col[10:] == theirs_col[:9] + theirs_col[10:]  # decks, `mod`s…
    ours_models, theirs_models = json.loads(ours_col[9]), json.loads(theirs_col[9])
    # genanki gives a model the id of the last deck writing it; ours, the main deck's.
    assert {m["did"] for m in ours_models.values()} == {deck_id("Dojo")}
    for models in (ours_models, theirs_models):
        for model in models.values():
            del model["did"]
    assert ours_models == theirs_models
    assert len(notes) == len(packed) == 10
    by_guid = {row[1]: row for row in notes}
    gaps = next(n for n in packed if n.id == "gaps")
    assert by_guid[gaps.guid][5] == " a::b dojo puces "
    cards = _rows(ours, "cards")
    gap_ordinals = [c[3] for c in cards if c[1] == by_guid[gaps.guid][0]]
    assert gap_ordinals == [0, 1, 2]  # c1 twice is one card
    abandon = next(n for n in packed if n.id == "abandon")
    assert by_guid[abandon.guid][5] == " changed::1.10.0 changed::1.2.0 dojo "
    assert len({c[2] for c in cards}) == 4  # Questions, Chiffres, Personnes, Dates
