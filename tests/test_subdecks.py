"""Subdecks and kind tags, configured in deck.yaml: cards land in `Deck::Subdeck` in the real
Anki engine, and students can filter by `kind::…` tags."""

from __future__ import annotations

from flashcards import api
from flashcards.pack import note_guid
from tests.helpers import STARTER_CARDS, STARTER_FACTS

DECK = """
name: Dojo
language: fr
seed: tesla-dojo-2025-08-15.fr
subdecks:
  by: kind
  names: {event: Chronologie}
  cards: Questions
"""

CARDS = STARTER_CARDS + """
  - id: own-subdeck
    subdeck: "Puces::TSMC"
    question: Quelle entreprise fabrique la puce AI5 ?
    answer: TSMC
    source: ses puces AI5 et AI6, qui sont respectivement fabriquées par TSMC et Samsung
"""


def _deck_of_cards(anki, slug: str, note_id: str) -> set[str]:
    note = anki.note_by_guid(note_guid(slug, note_id))
    return {anki.col.decks.name(card.did) for card in note.cards()}


FACTS = STARTER_FACTS + """
  - id: musk-decision
    kind: relation
    subdeck: Décision
    subject: Elon Musk
    predicate: a mis fin à
    object: Dojo
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
"""


def test_cards_land_in_subdecks_and_carry_kind_tags(project, write_deck, anki):
    write_deck("dojo", deck=DECK, cards=CARDS, facts=FACTS)
    [result] = api.build(api.Project(project))
    log = anki.import_package(result.package)
    assert log.new == result.note_count >= 9

    assert _deck_of_cards(anki, "dojo", "bannon/person-name") == {"Dojo::Personnes"}
    assert _deck_of_cards(anki, "dojo", "first-mention/event-date") == {"Dojo::Chronologie"}
    assert _deck_of_cards(anki, "dojo", "abandon") == {"Dojo::Questions"}
    assert _deck_of_cards(anki, "dojo", "ai5-maker") == {"Dojo::Questions"}  # both cards
    assert _deck_of_cards(anki, "dojo", "own-subdeck") == {"Dojo::Puces::TSMC"}
    decision = [n for n in anki.notes() if "Elon Musk" in " ".join(n.fields)]
    assert decision and {anki.col.decks.name(c.did) for n in decision for c in n.cards()} \
        == {"Dojo::Décision"}  # a fact's own subdeck wins over its kind's
    assert {"Dojo", "Dojo::Personnes", "Dojo::Chronologie", "Dojo::Questions",
            "Dojo::Puces", "Dojo::Puces::TSMC"} <= set(anki.deck_names())

    person = anki.note_by_guid(note_guid("dojo", "bannon/person-name"))
    assert "kind::person" in person.tags
    assert anki.col.find_notes("tag:kind::event")
    assert not any(t.startswith("kind::")
                   for t in anki.note_by_guid(note_guid("dojo", "abandon")).tags)
    # The description stays on the deck itself, counting every card of its subdecks.
    assert f"{result.card_count} cartes" in anki.col.decks.by_name("Dojo")["desc"]


def test_without_configuration_one_deck(project, write_deck, anki):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [result] = api.build(api.Project(project))
    anki.import_package(result.package)
    assert {anki.col.decks.name(card.did) for card in anki.cards()} == {"Demo demo"}


def test_reimport_with_subdecks_keeps_one_deck_per_name(project, write_deck, anki):
    write_deck("dojo", deck=DECK, cards=CARDS, facts=STARTER_FACTS)
    [first] = api.build(api.Project(project))
    anki.import_package(first.package)
    names = sorted(anki.deck_names())
    (project / "dist" / "dojo.apkg").unlink()
    [again] = api.build(api.Project(project))
    log = anki.import_package(again.package)
    assert (log.new, log.conflicting) == (0, 0)
    assert sorted(anki.deck_names()) == names  # matched by name, not duplicated


def test_unknown_kind_in_subdeck_names_is_reported_at_its_line(project, write_deck):
    write_deck("dojo", deck=DECK.replace("event: Chronologie", "evnt: Chronologie"),
               cards=STARTER_CARDS)
    [outcome] = api.validate(api.Project(project)).values()
    assert isinstance(outcome, api.SourceError)
    [problem] = outcome.diagnostics
    assert problem.file.name == "deck.yaml" and problem.position.line >= 5
    assert "evnt" in problem.message
