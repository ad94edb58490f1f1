"""The deck description a student sees in Anki before studying: title, the article's source
and date, version, card count and licence, rendered from Markdown."""

from __future__ import annotations

import pytest

from flashcards import api
from tests.helpers import STARTER_CARDS

DECK = """
name: "Dojo : l'essentiel"
language: fr
seed: tesla-dojo-2025-08-15.fr
description: Un paquet *court* sur l'abandon de Dojo.
version: 1.2.0
licence: CC BY-SA 4.0
"""


def _description(anki, package, name: str) -> str:
    anki.import_package(package)
    deck = anki.col.decks.by_name(name)
    assert deck is not None, anki.deck_names()
    return deck["desc"]


def test_description_in_the_collection(project, write_deck, anki):
    write_deck("demo", deck=DECK, cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    desc = _description(anki, result.package, "Dojo : l'essentiel")
    assert "<strong>Dojo\u00a0: l’essentiel</strong>" in desc  # the title, French typography
    assert "Un paquet <em>court</em> sur l’abandon de Dojo." in desc  # Markdown rendered
    assert "<strong>Version</strong> 1.2.0" in desc
    assert f"{result.card_count} cartes" in desc and result.card_count == 5
    assert "tesla-dojo-2025-08-15.fr.txt, article du 15 août 2025" in desc  # date from the id
    assert "<strong>Licence</strong>\u00a0: CC BY-SA 4.0" in desc


def test_source_url_and_published_date(project, write_deck, anki):
    deck = DECK + ("source_url: https://www.developpez.com/actu/dojo\n"
                   "published: 2025-09-01\n")
    write_deck("demo", deck=deck, cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    desc = _description(anki, result.package, "Dojo : l'essentiel")
    assert "https://www.developpez.com/actu/dojo" in desc
    assert "article du 1er septembre 2025" in desc
    assert "href" not in desc  # shown as text, never a link to a remote address


@pytest.mark.parametrize(("published", "words"), [
    ("15/08/2025", "published"),
    ("2025-02-30", "2025-02-30 is not a date"),  # the right shape, but not in the calendar
])
def test_bad_published_date_names_the_line(project, write_deck, published, words):
    write_deck("demo", deck=DECK + f"published: {published}\n", cards=STARTER_CARDS)
    [outcome] = api.validate(api.Project(project)).values()
    assert isinstance(outcome, api.SourceError)
    [problem] = outcome.diagnostics
    assert problem.file.name == "deck.yaml" and problem.position.line == 7
    assert words in problem.message


def test_a_date_in_words_in_english(project, write_deck, anki):
    deck = DECK.replace("language: fr", "language: en-GB") + "published: 2025-09-01\n"
    write_deck("demo", deck=deck, cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    desc = _description(anki, result.package, "Dojo : l'essentiel")
    assert "article of September 1, 2025" in desc and f"{result.card_count} cards" in desc
