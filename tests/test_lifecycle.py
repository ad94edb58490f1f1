"""Regenerating after edits keeps every student's progress and delivers every edit,
proved against the real Anki engine with its default import options."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from anki.scheduler.v3 import CardAnswer

from flashcards import api
from flashcards.diagnostics import SourceError
from flashcards.export import export_csv
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
    assert sorted(p.name for p in (project / "dist").iterdir()) == [".flashcards", "demo.apkg"]
    assert [p.name for p in (project / "dist" / ".flashcards").iterdir()] == ["demo.build.json"]


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


def release(project, monkeypatch, when: int, part: str = "minor"):
    from flashcards.release import Part
    from flashcards.release import release as do_release

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    return do_release(api.Project(project), "demo", Part(part))


@pytest.mark.parametrize("new_type", ["reverse", "cloze"])
def test_a_type_change_reaches_students_as_a_new_note(project, write_deck, monkeypatch, anki,
                                                      new_type):
    deck = write_deck("demo", cards=STARTER_CARDS)
    release(project, monkeypatch, T1)
    assert anki.import_package(project / "dist" / "demo.apkg").new == 4
    review_everything(anki)
    old_guid = note_guid("demo", "abandon")
    old_nid = anki.note_by_guid(old_guid).id

    cards = deck / "cards.yaml"
    text = cards.read_text()
    if new_type == "reverse":
        text = text.replace("  - id: abandon\n", "  - id: abandon\n    type: reverse\n")
    else:
        text = text.replace(
            "  - id: abandon\n    question: Quel projet de supercalculateur Tesla a-t-il "
            "abandonné ?\n    answer: Dojo\n",
            "  - id: abandon\n    type: cloze\n    text: Tesla a abandonné {{c1::Dojo}}.\n")
    cards.write_text(text)
    [plan] = api.diff(api.Project(project)).values()
    assert {(c.kind.value, c.id) for c in plan.changes} == {("removed", "abandon"),
                                                            ("added", "abandon")}
    [warning] = [w for w in plan.warnings if w.code == "card-type-changed"]
    assert f"cards.yaml:2:1: warning[card-type-changed]: card 'abandon' changed type " \
           f"(basic → {new_type})" in warning.format()

    done = release(project, monkeypatch, T2)
    assert done.summary == "1 added, 0 changed, 1 removed"
    log = anki.import_package(project / "dist" / "demo.apkg")
    assert (log.new, log.conflicting) == (1, 0)  # nothing silently dropped
    new_guid = json.loads(lock_path(deck).read_text())["notes"]["abandon"]["guid"]
    new = anki.note_by_guid(new_guid)
    assert new_guid != old_guid and new.id != old_nid
    assert new.note_type()["type"] == (1 if new_type == "cloze" else 0)
    assert len(new.cards()) == (1 if new_type == "cloze" else 2)
    # the old note is still there with its reviews, and the notes say how to find it
    assert anki.col.get_note(old_nid).guid == old_guid
    assert all(c.reps == 1 for c in anki.col.get_note(old_nid).cards())
    changelog = (deck / "CHANGELOG.md").read_text()
    assert f"`nid:{old_nid}`" in changelog
    assert "(nouveau type de carte\u00a0: elle remplace la carte retirée ci-dessous)" in changelog
    assert anki.col.find_notes(f"nid:{old_nid}") == [old_nid]

    [again] = build(project, monkeypatch, T3)  # the new GUID is kept by later builds
    assert again.summary in ("up to date", "no change")
    log = anki.import_package(again.package)
    assert (log.new, log.updated, log.conflicting) == (0, 0, 0)

    [deck_data] = api.validate(api.Project(project)).values()
    lines = [line for line in export_csv(deck_data).splitlines() if not line.startswith("#")]
    guids = {row[0]: row[1] for row in csv.reader(lines)}
    assert guids["abandon"] == new_guid  # the CSV export gives the GUID students have


def test_a_type_change_of_an_unreleased_card_is_an_ordinary_edit(project, write_deck,
                                                                  monkeypatch):
    deck = write_deck("demo", cards=STARTER_CARDS)
    build(project, monkeypatch, T1)  # built, never released: no student has it
    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("  - id: abandon\n",
                                               "  - id: abandon\n    type: reverse\n"))
    [result] = build(project, monkeypatch, T2)
    assert result.summary == "0 added, 1 changed, 0 removed"
    assert not [w for w in result.warnings if w.code == "card-type-changed"]
    lock = json.loads(lock_path(deck).read_text())
    assert set(lock["notes"]) == {"abandon", "unveiled", "ai5-maker", "engineers"}


def test_the_lock_changes_only_when_what_students_get_changes(project, write_deck,
                                                               monkeypatch):
    deck = write_deck("demo", cards=STARTER_CARDS)
    build(project, monkeypatch, T1)
    lock = lock_path(deck).read_bytes()
    assert b'"build"' not in lock and b"inputs" not in lock
    record = json.loads((project / "dist" / ".flashcards" / "demo.build.json").read_text())
    assert set(record) == {"inputs", "package", "notes", "cards", "stats"}

    (project / "seeds" / "autre.txt").write_text("Un autre article. Sans rapport.\n")
    write_deck("other", deck="name: Autre\nlanguage: fr\nseed: autre\n",
               cards="cards:\n  - id: a\n    question: Quoi ?\n    answer: Rien\n")
    [demo, _] = build(project, monkeypatch, T2)
    assert demo.summary == "up to date"  # another deck's seed is not this deck's input
    assert lock_path(deck).read_bytes() == lock
    first = run_cli("build", "--root", str(project))
    assert first.exit_code == 0 and first.output.count("(up to date)") == 2, first.output

    shutil.rmtree(project / "dist")  # a fresh clone: no output, the committed lock
    [again, _] = build(project, monkeypatch, T3)
    assert again.summary == "no change"
    assert lock_path(deck).read_bytes() == lock
    [third, _] = build(project, monkeypatch, T3)
    assert third.summary == "up to date"

    seed = project / "seeds" / "tesla-dojo-2025-08-15.fr.txt"
    seed.write_text(seed.read_text() + "\nUne phrase de plus.\n")
    [edited, _] = build(project, monkeypatch, T3)  # its own seed is an input
    assert edited.summary == "no change"
    lock_path(deck).write_bytes(lock.replace(b'"mod":1750000000', b'"mod":1740000000', 1))
    [relocked, _] = build(project, monkeypatch, T3)  # so is the lock
    assert relocked.summary != "up to date"


def test_a_type_change_undone_before_the_release_gives_students_their_note(
        project, write_deck, monkeypatch, anki):
    deck = write_deck("demo", cards=STARTER_CARDS)
    release(project, monkeypatch, T1)
    anki.import_package(project / "dist" / "demo.apkg")
    cards = deck / "cards.yaml"
    text = cards.read_text()
    cards.write_text(text.replace("  - id: abandon\n", "  - id: abandon\n    type: reverse\n"))
    build(project, monkeypatch, T2)
    cards.write_text(text)
    done = release(project, monkeypatch, T3)
    assert done.summary == "no change"
    lock = json.loads(lock_path(deck).read_text())
    assert set(lock["notes"]) == {"abandon", "unveiled", "ai5-maker", "engineers"}
    assert "guid" not in lock["notes"]["abandon"]
    log = anki.import_package(project / "dist" / "demo.apkg")
    assert (log.new, log.conflicting) == (0, 0)
