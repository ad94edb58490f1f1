"""A card's or fact's source not found in the article: the error offers the article's
closest sentence (the helper `flashcards add` uses, now in grounding.py)."""

from __future__ import annotations

import json

from flashcards import authoring, grounding
from tests.helpers import run_cli


def test_source_not_found_offers_the_closest_sentence(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: abandon
            question: Quel projet de supercalculateur Tesla a-t-il abandonné ?
            answer: Dojo
            source: Tesla a mis fin à son ambitieux projet de supercalculateur
        """, facts="""
        facts:
          - id: bannon
            kind: person
            name: Peter Bannon
            role: l'architecte en chef des puces de Tesla
            source: "Peter Bannon, l'architecte principal des puces"
        """)
    result = run_cli("validate", "demo", "--json", "--root", str(project))
    assert result.exit_code == 1
    found = {d["message"].split(":")[0]: d for d in json.loads(result.output)["diagnostics"]
             if d["code"] == "grounding"}
    card = found["card 'abandon'"]
    assert card["file"].endswith("cards.yaml") and card["line"] == 2
    assert card["hint"].startswith("the closest sentence of tesla-dojo-2025-08-15.fr.txt is "
                                   "«Tesla a mis un terme à son ambitieux projet de "
                                   "supercalculateur")
    fact = found["fact 'bannon' (template 'person-role')"]
    assert "pourquoi évincer Peter Bannon, larchitecte en chef des puces ?»" in fact["hint"]


def test_one_helper_for_add_and_for_the_check():
    assert authoring.closest_sentences is grounding.closest_sentences
