"""French facts that read well: the `fact-form` lint rule (a role without its article, a
date without its preposition make « Qui est association ? »), and the shipped Dojo deck's
quantity questions."""

from __future__ import annotations

import json
from pathlib import Path

from flashcards import api
from tests.conftest import REPO
from tests.helpers import run_cli

BAD_FACTS = """
facts:
  - id: bannon
    kind: person
    name: Peter Bannon
    role: architecte en chef des puces de Tesla
    source: "Peter Bannon, l'architecte en chef des puces"
  - id: first-mention
    kind: event
    date: janvier 2021
    event: Musk évoque Dojo lors d'une conférence sur les résultats
    source: c'était en janvier 2021
    templates: [event-what]
  - id: valuation
    kind: quantity
    measure: valeur que Dojo pouvait ajouter à Tesla
    value: jusqu'à 500 milliards de dollars
    source: Dojo pouvait ajouter jusqu'à 500 milliards de dollars
  - id: dojo
    kind: definition
    term: Dojo
    definition: superordinateur conçu par Tesla
    source: Dojo est un superordinateur conçu par Tesla
"""


def fact_form(project: Path) -> list[dict]:
    result = run_cli("lint", "demo", "--json", "--root", str(project))
    return [d for d in json.loads(result.output)["diagnostics"] if d["code"] == "fact-form"]


def test_facts_without_determiner_or_preposition_are_flagged_at_their_line(
        project, write_deck):
    write_deck("demo", facts=BAD_FACTS)
    found = fact_form(project)
    assert [(d["line"], d["message"].split(":")[0]) for d in found] == [
        (5, "fact 'bannon'"), (9, "fact 'first-mention'"), (15, "fact 'valuation'"),
        (21, "fact 'dojo'")]
    assert all(d["severity"] == "warning" for d in found)
    bannon, event, valuation, dojo = found
    assert "« Qui est architecte en chef des puces de Tesla ? »" in bannon["message"]
    assert "determiner (le, la, l’" in bannon["message"]
    assert "`role: l’architecte" in bannon["hint"]
    assert "« Quel événement l’article situe-t-il janvier 2021 ? »" in event["message"]
    assert "`date: en janvier 2021`" in event["hint"]
    assert "« À combien s’élève valeur que Dojo" in valuation["message"]
    assert "« Quel nom désigne superordinateur conçu par Tesla ? »" in dojo["message"]
    listed = run_cli("lint", "--rules")
    assert "fact-form" in listed.output


def test_well_formed_facts_and_other_templates_are_not_flagged(project, write_deck):
    fixed = (BAD_FACTS.replace("role: architecte", "role: l'architecte")
             .replace("date: janvier", "date: en janvier")
             .replace("measure: valeur", "measure: la valeur")
             .replace("definition: superordinateur", "definition: le superordinateur"))
    write_deck("demo", facts=fixed)
    assert fact_form(project) == []
    # The rule follows the templates really used: the measure is not read by
    # quantity-measure alone, and a deck's own person-name replaces the built-in one.
    other = (BAD_FACTS.replace("    value: jusqu'à", "    templates: [quantity-measure]\n"
                               "    value: jusqu'à")
             .replace("date: janvier 2021", "date: en janvier 2021")
             .replace("definition: superordinateur", "definition: le superordinateur"))
    write_deck("demo", facts=other, templates="""
        templates:
          - id: person-name
            kind: person
            question: "Quel est le nom de la personne dont le rôle est : {{ role }} ?"
            answer: "{{ name }}"
        """)
    assert fact_form(project) == []


def test_fact_form_can_be_turned_off(project, write_deck):
    write_deck("demo", facts=BAD_FACTS.replace(
        "    role: architecte", "    lint_disable: [fact-form]\n    role: architecte"))
    assert "fact 'bannon'" not in json.dumps(fact_form(project))
    write_deck("demo", deck="name: Demo\nlanguage: fr\nseed: tesla-dojo-2025-08-15.fr\n"
                            "lint_disable: [fact-form]\n", facts=BAD_FACTS)
    assert fact_form(project) == []


def test_shipped_dojo_asks_durations_and_orders_of_magnitude_naturally():
    project = api.Project(REPO)
    deck = api.prepare(project, project.decks_dir / "dojo")
    questions = {n.id: n.fields.get("Question", "") for n in deck.notes}
    for note_id, question in questions.items():
        for awkward in ("s’élève le délai", "s’élève la durée", "s’élève la réduction",
                        "s’élève le nombre"):
            assert awkward not in question, (note_id, question)
    assert questions["initiative-duration/quantity-how-long"] == (
        "Combien de temps l'initiative Dojo a-t-elle duré avant son abandon ?")
    assert questions["cluster-announcement-delay/quantity-how-long"].startswith(
        "Combien de temps s'est-il écoulé entre")
    assert questions["cabling-reduction/quantity-by-how-much"].startswith(
        "De combien la complexité et le coût du câblage réseau seraient-ils réduits")
