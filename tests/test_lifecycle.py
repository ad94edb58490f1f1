"""Regenerating after edits keeps every student's progress and delivers every edit,
proved against the real Anki engine with its default import options."""

from __future__ import annotations

import json

import pytest
from anki.scheduler.v3 import CardAnswer

from flashcards import api
from flashcards.diagnostics import SourceError
from flashcards.lock import lock_path
from flashcards.pack import note_guid
from tests.helpers import STARTER_CARDS, STARTER_FACTS, run_cli

T1, T2, T3 = 1_750_000_000, 1_760_000_000, 1_770_000_000


def build(project, monkeypatch, when: int, **kwargs):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    return api.build(api.Project(project), **kwargs)


def review_everything(anki) -> None:
    col = anki.col
    for card in anki.cards():
        card.start_timer()
        states = col._backend.get_scheduling_states(card.id)
        col.sched.answer_card(col.sched.build_answer(card=card, states=states,
                                                     rating=CardAnswer.GOOD))


def scheduling(anki) -> dict[int, tuple]:
    return {c.id: (c.nid, c.ord, c.type, c.queue, c.ivl, c.due, c.reps, c.did)
            for c in anki.cards()}


def test_edits_reach_students_and_progress_survives(project, write_deck, anki, monkeypatch):
    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [first] = build(project, monkeypatch, T1)
    assert anki.import_package(first.package).new == 7
    review_everything(anki)
    before = scheduling(anki)
    revlog = anki.col.db.scalar("select count() from revlog")
    assert revlog == 8
    mods_before = {n.guid: n.mod for n in anki.notes()}

    cards = deck / "cards.yaml"
    text = cards.read_text(encoding="utf-8")
    text = text.replace("answer: Dojo", "answer: le projet Dojo")  # edit an answer
    text = text.replace("Le concept de Dojo fut dévoilé", "Tesla dévoila le concept de Dojo")
    text = text.replace("  - id: engineers", "  - id: engineers-gone")  # id change = new note
    start = text.index("  - id: engineers-gone")
    text = text[:start]  # ... and then delete it: a removed card
    cards.write_text(text, encoding="utf-8")
    facts = deck / "facts.yaml"
    facts.write_text(facts.read_text(encoding="utf-8").replace(
        "l'architecte en chef des puces de Tesla", "l'architecte en chef des puces Dojo"),
        encoding="utf-8")
    (deck / "style.css").write_text(".card { background: #fffbe6; }\n", encoding="utf-8")

    plans = api.diff(api.Project(project))
    changes = {(c.kind.value, c.id) for c in plans["demo"].changes}
    assert changes == {("changed", "abandon"), ("changed", "unveiled"),
                       ("changed", "bannon/person-role"), ("changed", "bannon/person-name"),
                       ("removed", "engineers")}
    abandon = next(c for c in plans["demo"].changes if c.id == "abandon")
    assert abandon.field_diffs() == {"Answer": "{+le projet +}Dojo"}

    [second] = build(project, monkeypatch, T2)
    log = anki.import_package(second.package)
    # Anki logs an existing note it leaves alone as a "duplicate": the two unchanged ones.
    assert (log.new, log.updated, log.duplicate, log.conflicting) == (0, 4, 2, 0)
    assert len(anki.notes()) == 7  # the removed note stays: Anki never deletes on import

    assert anki.note_by_guid(note_guid("demo", "abandon"))["Answer"] == "le projet Dojo"
    unveiled = anki.note_by_guid(note_guid("demo", "unveiled"))
    assert unveiled["Text"].startswith("Tesla dévoila le concept")
    role = anki.note_by_guid(note_guid("demo", "bannon/person-role"))
    assert role["Answer"] == "L’architecte en chef des puces Dojo"
    assert "fffbe6" in anki.note_by_guid(note_guid("demo", "abandon")).note_type()["css"]

    assert scheduling(anki) == before
    assert anki.col.db.scalar("select count() from revlog") == revlog
    edited = {note_guid("demo", i) for i in
              ("abandon", "unveiled", "bannon/person-role", "bannon/person-name")}
    for note in anki.notes():
        if note.guid in edited:
            assert note.mod > mods_before[note.guid]
        else:
            assert note.mod == mods_before[note.guid], note.guid

    [third] = build(project, monkeypatch, T3)  # nothing changed since: same bytes
    assert third.package.read_bytes() == second.package.read_bytes()
    assert third.summary == "up to date"  # nothing was even parsed
    third.package.unlink()
    [rebuilt] = build(project, monkeypatch, T3)  # a missing package is rebuilt, same bytes
    assert rebuilt.summary == "no change"
    assert rebuilt.package.read_bytes() == second.package.read_bytes()
    log = anki.import_package(third.package)
    assert (log.new, log.updated) == (0, 0)


def test_rebuild_is_byte_identical_whatever_the_clock(project, write_deck, monkeypatch):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [first] = build(project, monkeypatch, T1)
    data = first.package.read_bytes()
    lock = lock_path(project / "decks" / "demo").read_bytes()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    [again] = api.build(api.Project(project))
    assert again.package.read_bytes() == data
    assert lock_path(project / "decks" / "demo").read_bytes() == lock
    assert not [p for p in (project / "dist").iterdir() if p.name != "demo.apkg"]


def test_a_changed_note_always_gets_a_newer_mod(project, write_deck, monkeypatch, anki):
    deck = write_deck("demo", cards=STARTER_CARDS)
    [first] = build(project, monkeypatch, T2)
    anki.import_package(first.package)
    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("answer: Dojo", "answer: Dojo !"))
    [second] = build(project, monkeypatch, T1)  # a clock running late must not drop edits
    assert anki.import_package(second.package).updated == 1
    assert anki.note_by_guid(note_guid("demo", "abandon"))["Answer"] == "Dojo\u202f!"


def test_field_change_is_refused_then_allowed_on_purpose(project, write_deck, monkeypatch):
    deck = write_deck("demo", cards=STARTER_CARDS)
    build(project, monkeypatch, T1)
    path = lock_path(deck)
    lock = path.read_text()
    data = json.loads(lock)
    data["notetypes"]["basic"]["schema"] = "an-older-field-list"
    data["notetypes"]["basic"]["fields"] = ["Question", "Answer", "Source"]
    path.write_text(json.dumps(data))
    package = project / "dist" / "demo.apkg"
    previous = package.read_bytes()

    with pytest.raises(SourceError) as refused:
        build(project, monkeypatch, T2)
    message = refused.value.diagnostics[0].format()
    assert "fields of the basic notetype changed" in message
    assert "Question, Answer, Source → Question, Answer, Extra, Source" in message
    assert "--new-notetype-version" in message
    assert package.read_bytes() == previous

    result = run_cli("build", "--root", str(project))
    assert result.exit_code == 1 and "conflicting" in result.output

    [moved] = build(project, monkeypatch, T2, new_notetype_version=True)
    new_lock = json.loads(path.read_text())
    assert new_lock["notetypes"]["basic"]["generation"] == 1
    assert new_lock["notetypes"]["basic"]["id"] != data["notetypes"]["basic"]["id"]
    assert new_lock["notes"]["abandon"]["mod"] == T2
    assert moved.plan.count(moved.plan.changes[0].kind) >= 1


def test_deck_rename_warns(project, write_deck, monkeypatch):
    deck = write_deck("demo", cards=STARTER_CARDS)
    build(project, monkeypatch, T1)
    (deck / "deck.yaml").write_text("name: Dojo renommé\nlanguage: fr\n"
                                    "seed: tesla-dojo-2025-08-15.fr\n")
    [result] = build(project, monkeypatch, T2)
    [warning] = [w for w in result.warnings if w.code == "deck-renamed"]
    assert "rename the deck in Anki first" in warning.hint


def test_release_bumps_version_and_writes_changelog(project, write_deck, monkeypatch, anki):
    deck = write_deck("demo", deck="name: Demo\nlanguage: fr\nversion: 1.0.0\n"
                                   "seed: tesla-dojo-2025-08-15.fr\n", cards=STARTER_CARDS)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T1))
    result = run_cli("release", "demo", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "version: 1.1.0" in (deck / "deck.yaml").read_text()
    anki.import_package(project / "dist" / "demo.apkg")

    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("answer: Dojo", "answer: le projet Dojo"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T2))
    diff = run_cli("diff", "demo", "--format", "md", "--root", str(project))
    assert "`abandon`" in diff.output and "**le projet**" in diff.output
    result = run_cli("release", "demo", "--patch", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "version: 1.1.1" in (deck / "deck.yaml").read_text()
    changelog = (deck / "CHANGELOG.md").read_text()
    assert changelog.index("1.1.1") < changelog.index("1.1.0")
    assert "`abandon`" in changelog.split("1.1.0")[0]
    anki.import_package(project / "dist" / "demo.apkg")
    note = anki.note_by_guid(note_guid("demo", "abandon"))
    assert "changed::1.1.1" in note.tags
    assert "1.1.1" in anki.col.decks.by_name("Demo")["desc"]
