"""A fact chooses its templates: `optional` templates (the other direction, whose answer is
unique for some facts only) make cards only for the facts that name them in `templates`."""

from __future__ import annotations

import re

from flashcards import api
from tests.helpers import run_cli

FACTS = """
facts:
  - id: first-mention
    kind: event
    date: en janvier 2021
    event: Musk évoque Dojo lors d'une conférence sur les résultats
    source: c'était en janvier 2021
  - id: departure
    kind: event
    date: en 2023
    event: Ganesha Venkataramanan quitte Tesla
    source: a quitté Tesla en 2023
    templates: [event-date, event-what]
  - id: ai5
    kind: relation
    subject: la puce AI5
    predicate: est principalement conçue pour alimenter
    object: le FSD
    source: La puce AI5 est principalement conçue pour alimenter le FSD
    templates: [relation-subject]
  - id: valuation
    kind: quantity
    measure: la valeur que Dojo pouvait ajouter à Tesla
    value: jusqu'à 500 milliards de dollars
    source: Dojo pouvait ajouter jusqu'à 500 milliards de dollars
    templates: [quantity-measure]
"""


def notes_by_id(project):
    deck = api.prepare(api.Project(project), project / "decks" / "demo")
    return {note.id: note for note in deck.notes}


def test_optional_templates_only_for_the_facts_that_name_them(project, write_deck):
    write_deck("demo", facts=FACTS)
    notes = notes_by_id(project)
    assert sorted(notes) == ["ai5/relation-subject", "departure/event-date",
                             "departure/event-what", "first-mention/event-date",
                             "valuation/quantity-measure"]
    what = notes["departure/event-what"].fields
    assert what["Question"] == "Quel événement l’article situe-t-il en 2023 ?"
    assert what["Answer"] == "Ganesha Venkataramanan quitte Tesla"
    assert notes["ai5/relation-subject"].fields["Text"] == (
        "{{c1::La puce AI5}} est principalement conçue pour alimenter le FSD.")
    measure = notes["valuation/quantity-measure"].fields
    assert measure["Question"] == (
        "À quoi correspond « jusqu'à 500 milliards de dollars » dans l’article ?")
    assert measure["Answer"] == "La valeur que Dojo pouvait ajouter à Tesla"


def test_a_deck_template_can_be_optional(project, write_deck):
    write_deck("demo", facts=FACTS, templates="""
        templates:
          - id: event-year
            kind: event
            optional: true
            question: "Quand l’article situe-t-il cet événement : {{ event }} ?"
            answer: "{{ date | capfirst }}"
        """)
    assert "first-mention/event-year" not in notes_by_id(project)
    facts = FACTS.replace("[event-date, event-what]", "[event-year]")
    write_deck("demo", facts=facts)
    notes = notes_by_id(project)
    assert notes["departure/event-year"].fields["Answer"] == "En 2023"
    assert "departure/event-date" not in notes and "departure/event-what" not in notes


def test_an_unknown_or_foreign_template_is_an_error_with_its_line(project, write_deck):
    facts = FACTS.replace("[event-date, event-what]", "[event-date, event-wat]")
    facts = facts.replace("[relation-subject]", "[event-what]")
    write_deck("demo", facts=facts)
    result = run_cli("validate", "--root", str(project))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = facts.lstrip("\n").splitlines()
    wat = next(i for i, line in enumerate(lines, 1) if "event-wat]" in line)
    foreign = next(i for i, line in enumerate(lines, 1) if "[event-what]" in line)
    assert re.search(rf"facts\.yaml:{wat}:\d+: error\[template\]: fact 'departure' asks for "
                     r"template 'event-wat'", result.output)
    assert "did you mean 'event-what'?" in result.output
    assert re.search(rf"facts\.yaml:{foreign}:\d+: error\[template\]: fact 'ai5' asks for "
                     r"template 'event-what', which is not a template of kind 'relation'",
                     result.output)
    assert "relation-object, relation-subject" in result.output
    assert not (project / "dist").exists()


def test_optional_cards_render_in_anki(project, write_deck, anki):
    write_deck("demo", facts=FACTS)
    [result] = api.build(api.Project(project))
    log = anki.import_package(result.package)
    assert log.new == 5 and log.conflicting == 0
    sides = [(re.sub(r"<style>.*?</style>|<[^>]+>", "", card.question(), flags=re.S),
              re.sub(r"<style>.*?</style>|<[^>]+>", "", card.answer(), flags=re.S))
             for card in anki.cards()]
    [(front, back)] = [s for s in sides if "Quel événement" in s[0]]
    assert "en 2023\u202f?" in front and "Ganesha Venkataramanan quitte Tesla" in back
    [(front, back)] = [s for s in sides if "est principalement conçue" in s[0]]
    assert "La puce AI5" not in front and "La puce AI5" in back


def test_an_empty_template_list_is_an_error(project, write_deck):
    write_deck("demo", facts=FACTS.replace("[relation-subject]", "[]"))
    result = run_cli("validate", "--root", str(project))
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = next(i for i, text in enumerate(FACTS.lstrip("\n").splitlines(), 1)
                if "[relation-subject]" in text)
    assert re.search(rf"facts\.yaml:{line}:\d+: error", result.output), result.output
    assert "at least 1" in result.output


def test_an_error_in_an_event_fact_points_at_its_line_not_at_the_event(project, write_deck):
    """Pydantic puts the union tag `event` in the error's location: it is not the fact's
    `event` attribute."""
    write_deck("demo", facts=FACTS.replace("[event-date, event-what]", "[]"))
    result = run_cli("validate", "--root", str(project))
    line = next(i for i, text in enumerate(FACTS.lstrip("\n").splitlines(), 1)
                if "[event-date, event-what]" in text)
    assert re.search(rf"facts\.yaml:{line}:\d+: error\[schema\]: 'templates'", result.output), \
        result.output
