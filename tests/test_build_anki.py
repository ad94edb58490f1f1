"""A built deck imports into the real Anki engine with every card type, rendering both sides."""

from __future__ import annotations

import re

from flashcards import api
from flashcards.pack import note_guid
from tests.helpers import STARTER_CARDS, STARTER_FACTS


def build(project, **kwargs):
    return api.build(api.Project(project), **kwargs)


def test_every_card_type_imports_and_renders(project, write_deck, anki):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [result] = build(project)
    assert result.package == project / "dist" / "demo.apkg"

    log = anki.import_package(result.package)
    assert (log.new, log.updated, log.duplicate, log.conflicting) == (7, 0, 0, 0)

    notetypes = {note.note_type()["name"] for note in anki.notes()}
    assert notetypes == {"flashcards · Basic (demo)", "flashcards · Basic and reversed (demo)",
                         "flashcards · Cloze (demo)", "flashcards · Type the answer (demo)"}
    cards = anki.cards()
    assert len(cards) == 8  # the reversed note gives two cards
    for card in cards:
        question = re.sub(r"<style>.*?</style>", "", card.question(), flags=re.S)
        answer = re.sub(r"<style>.*?</style>", "", card.answer(), flags=re.S)
        assert re.sub(r"<[^>]+>", "", question).strip(), f"empty front: {card.id}"
        assert len(answer) > len(question)
    assert "Demo demo" in anki.deck_names()


def test_fields_source_typography_and_guid(project, write_deck, anki):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [result] = build(project)
    anki.import_package(result.package)

    note = anki.note_by_guid(note_guid("demo", "abandon"))
    assert note["Question"] == "Quel projet de supercalculateur Tesla a-t-il abandonné\u202f?"
    assert note["Answer"] == "Dojo"
    assert note["Source"].startswith("Tesla a mis un terme")
    card = note.cards()[0]
    assert "Source" in card.answer() and "Tesla a mis un terme" in card.answer()

    generated = anki.note_by_guid(note_guid("demo", "bannon/person-name"))
    assert generated["Question"] == "Qui est l’architecte en chef des puces de Tesla\u202f?"
    assert generated["Answer"] == "Peter Bannon"
    assert "kind::person" in generated.tags

    cloze = anki.note_by_guid(note_guid("demo", "first-mention/event-date"))
    assert cloze["Text"].startswith("{{c1::En janvier 2021}}, Musk évoque Dojo")
    front = cloze.cards()[0].question()
    assert "[...]" in front and "janvier 2021" not in front.split("</style>")[-1]


def test_type_in_card_asks_to_type(project, write_deck, anki):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = build(project)
    anki.import_package(result.package)
    note = anki.note_by_guid(note_guid("demo", "engineers"))
    assert "[[type:Answer]]" in note.cards()[0].question()


def test_hostile_html_never_reaches_anki(project, write_deck, anki):
    write_deck("demo", cards="""
        cards:
          - id: x
            question: "Qui ? <script>alert(1)</script><img src=x onerror=alert(1)>"
            answer: "<a href='javascript:alert(1)'>Dojo</a> <img src='https://evil.example/p.png'>"
            extra: "{{Question}} [sound:boom.mp3]"
        """)
    [result] = build(project)
    anki.import_package(result.package)
    [note] = anki.notes()
    joined = " ".join(note.fields)
    for bad in ("<script", "onerror", "javascript:", "https://", "{{Question}}", "[sound:"):
        assert bad not in joined
    assert "Dojo" in note["Answer"]


def test_decks_are_built_together_and_named_ones_alone(project, write_deck):
    write_deck("one", cards=STARTER_CARDS)
    write_deck("two", cards=STARTER_CARDS)
    assert [r.slug for r in build(project)] == ["one", "two"]
    assert [r.slug for r in build(project, decks=["two"])] == ["two"]


def test_same_card_ids_in_two_decks_get_different_guids(project, write_deck, anki):
    write_deck("one", cards=STARTER_CARDS)
    write_deck("two", cards=STARTER_CARDS)
    for result in build(project):
        anki.import_package(result.package)
    assert len(anki.notes()) == 8


def test_many_decks_build_in_parallel_and_all_or_nothing(project, write_deck):
    for slug in ("one", "two", "three"):
        write_deck(slug, cards=STARTER_CARDS)
    seen: list[str] = []
    results = api.build(api.Project(project), workers=2, progress=seen.append)
    assert [r.slug for r in results] == ["one", "three", "two"]
    assert sorted(seen) == ["one", "three", "two"]
    packages = {r.slug: r.package.read_bytes() for r in results}

    write_deck("four", cards="cards:\n  - id: x\n    question: Q ?\n")  # invalid
    (project / "decks" / "one" / "cards.yaml").write_text(
        STARTER_CARDS.replace("answer: Dojo", "answer: Dojo 1"))
    import pytest

    from flashcards.diagnostics import SourceError

    with pytest.raises(SourceError):
        api.build(api.Project(project), workers=2)
    # deck one was rebuilt in its worker, but not put in place: four is invalid
    assert (project / "dist" / "one.apkg").read_bytes() == packages["one"]
    assert sorted(p.name for p in (project / "dist").iterdir()) == [
        ".flashcards", "one.apkg", "three.apkg", "two.apkg"]
