"""Languages and templates: an English deck gets English cards from its facts, a fact that
no template turns into a card is an error at its line (not a silent empty deck), and `init`
writes its examples in the deck's language."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from flashcards import api
from flashcards.expand import builtin_templates
from tests.helpers import run_cli

ARTICLE = """Cities rethink the bicycle

In 2019, Paris opened its first network of protected cycle lanes along the Seine.
The program was led by Christophe Najdovski, the deputy mayor in charge of transport.
Bicycle traffic in the city grew by 54 percent between 2019 and 2020, according to the city hall.
Copenhagen remains the model: more than 40 percent of its commuters cycle to work every day.
A cargo bike is a bicycle designed to carry loads, such as children or groceries.
"We want a city where you can cycle safely from eight to eighty," said Najdovski in an interview.
"""

FACTS = """
  - id: najdovski
    kind: person
    name: Christophe Najdovski
    role: the deputy mayor in charge of transport
    source: Christophe Najdovski, the deputy mayor in charge of transport
  - id: lanes
    kind: event
    date: in 2019
    event: Paris opened its first network of protected cycle lanes
    source: In 2019, Paris opened its first network of protected cycle lanes
    templates: [event-date, event-what]
  - id: growth
    kind: quantity
    measure: the growth of bicycle traffic in Paris between 2019 and 2020
    value: 54 percent
    source: Bicycle traffic in the city grew by 54 percent between 2019 and 2020
    templates: [quantity-value, quantity-measure]
  - id: model
    kind: relation
    subject: Copenhagen
    predicate: remains
    object: the model
    source: Copenhagen remains the model
    templates: [relation-object, relation-subject]
  - id: cargo-bike
    kind: definition
    term: a cargo bike
    definition: a bicycle designed to carry loads
    source: A cargo bike is a bicycle designed to carry loads
  - id: eight-to-eighty
    kind: quote
    speaker: Christophe Najdovski
    quote: We want a city where you can cycle safely from eight to eighty
    context: in an interview
    source: We want a city where you can cycle safely from eight to eighty," said Najdovski
"""

ENGLISH_CARDS = {
    "Who is Christophe Najdovski?": "The deputy mayor in charge of transport",
    "Who is the deputy mayor in charge of transport?": "Christophe Najdovski",
    "What happened in 2019, according to the article?":
        "Paris opened its first network of protected cycle lanes",
    "What was the growth of bicycle traffic in Paris between 2019 and 2020?": "54 percent",
    "What does “54 percent” refer to in the article?":
        "The growth of bicycle traffic in Paris between 2019 and 2020",
    "What is a cargo bike?": "A bicycle designed to carry loads",
    "What is the name for a bicycle designed to carry loads?": "A cargo bike",
    "Who said: “We want a city where you can cycle safely from eight to eighty”?":
        "Christophe Najdovski (in an interview)",
}
ENGLISH_CLOZES = {
    "{{c1::In 2019}}, Paris opened its first network of protected cycle lanes.",
    "Copenhagen remains {{c1::the model}}.",
    "{{c1::Copenhagen}} remains the model.",
}


def init(tmp_path: Path, monkeypatch, language: str) -> Path:
    monkeypatch.chdir(tmp_path)
    article = tmp_path / "bikes-en.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    result = run_cli("init", "bikes", "--seed", str(article), "--language", language)
    assert result.exit_code == 0, result.output
    return tmp_path / "decks" / "bikes"


def test_english_library_has_every_french_template():
    french = {t.id: (t.kind, t.type, t.optional) for t in builtin_templates("fr")[1]}
    english = {t.id: (t.kind, t.type, t.optional) for t in builtin_templates("en")[1]}
    assert english == french
    assert builtin_templates("en-GB")[1] == builtin_templates("en")[1]


def test_english_deck_from_init_to_anki(tmp_path, monkeypatch, anki):
    deck = init(tmp_path, monkeypatch, "en")
    facts = (deck / "facts.yaml").read_text(encoding="utf-8")
    (deck / "facts.yaml").write_text(facts + FACTS, encoding="utf-8")

    built = run_cli("build", "bikes")
    assert built.exit_code == 0, built.output
    assert "warning" not in built.output  # lint-clean in English too
    log = anki.import_package(tmp_path / "dist" / "bikes.apkg")
    assert log.conflicting == 0
    basic = {n["Question"]: n["Answer"] for n in anki.notes() if "Question" in n}
    clozes = {n["Text"] for n in anki.notes() if "Text" in n}
    assert basic == ENGLISH_CARDS
    assert clozes >= ENGLISH_CLOZES
    for card in anki.cards():  # what the student sees, rendered by Anki
        question = card.question()
        assert "Qui" not in question and "Quel" not in question and "\u202f?" not in question
    description = anki.col.decks.by_name("Bikes")["desc"]  # English labels, no French colon
    assert "Source</strong>: bikes-en.txt" in description, description
    assert " :" not in description and "\u00a0:" not in description


def test_init_writes_english_examples(tmp_path, monkeypatch):
    deck = init(tmp_path, monkeypatch, "en")
    text = "".join((deck / f).read_text(encoding="utf-8")
                   for f in ("deck.yaml", "cards.yaml", "facts.yaml"))
    for french in ("Prénom", "Quelle", "réponse", "article, avec", "exemple", "histoire",
                   "passage de l'article", "«"):
        assert french not in text, french
    assert "What is the question?" in text and "the role, with its article" in text
    assert "id: example " in text


def test_a_fact_without_template_in_its_language_is_an_error_at_its_line(
        tmp_path, monkeypatch):
    deck = init(tmp_path, monkeypatch, "de")
    facts = (deck / "facts.yaml").read_text(encoding="utf-8")
    assert "facts: []" in facts  # the example would make no card: it is commented out
    assert run_cli("build", "bikes").exit_code == 0

    (deck / "facts.yaml").write_text("facts:" + FACTS, encoding="utf-8")
    result = run_cli("validate", "bikes", "--json")
    assert result.exit_code == 1
    diagnostics = json.loads(result.output)["diagnostics"]
    first = diagnostics[0]
    assert first["file"].endswith("facts.yaml") and first["line"] == 2
    assert first["message"] == (
        "fact 'najdovski' makes no card: there are no templates for kind 'person' in "
        "language 'de' (flashcards has built-in templates for en and fr only)")
    assert "add templates.yaml" in first["hint"]
    named = {d["message"].split("'")[1] for d in diagnostics}
    assert named == {"najdovski", "lanes", "growth", "model", "cargo-bike", "eight-to-eighty"}
    assert sum("makes no card" in d["message"] for d in diagnostics) == 3
    # the others name templates that no library of 'de' has: said at their `templates` line
    assert "event templates: none" in " ".join(d["hint"] for d in diagnostics)


def test_a_kind_whose_templates_are_all_optional_is_an_error(project, write_deck):
    write_deck("demo", facts="""
        facts:
          - id: bannon
            kind: person
            name: Peter Bannon
            role: l'architecte en chef des puces de Tesla
            source: "Peter Bannon, l'architecte en chef des puces"
        """, templates="""
        templates:
          - id: person-role
            kind: person
            optional: true
            question: "Qui est {{ name }} ?"
            answer: "{{ role }}"
          - id: person-name
            kind: person
            optional: true
            question: "Qui est {{ role }} ?"
            answer: "{{ name }}"
        """)
    result = run_cli("validate", "demo", "--root", str(project))
    assert result.exit_code == 1
    assert "facts.yaml:1:" in result.output or "facts.yaml:2:" in result.output
    assert "fact 'bannon' makes no card" in result.output
    assert "templates: [person-role]" in " ".join(result.output.split())


def test_english_templates_file_is_valid_yaml():
    data = yaml.safe_load((Path(api.__file__).parent / "templates" / "en.yaml")
                          .read_text(encoding="utf-8"))
    assert {t["kind"] for t in data["templates"]} == {
        "person", "event", "quantity", "relation", "definition", "quote"}
