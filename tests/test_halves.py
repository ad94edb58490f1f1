"""A big cards.yaml or facts.yaml is loaded on two cores (`halves.py`): the same models, notes
and lines as loading it in this process alone, the same errors, and no Jinja2 for a deck
that has no facts or templates."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards import background, halves, itemwise
from flashcards.diagnostics import SourceError
from flashcards.expand import expand
from flashcards.validate import load_deck

_CARD_KINDS = ["basic", "reverse", "cloze", "type-in"]
_FACTS = {  # kind: its attributes, and a template it may name
    "person": ({"name": "Peter Bannon", "role": "l'architecte"}, "person-role"),
    "event": ({"date": "en 2021", "event": "Musk évoque Dojo"}, "event-what"),
    "quantity": ({"measure": "le nombre", "value": "20"}, "quantity-measure"),
    "definition": ({"term": "Dojo", "definition": "le supercalculateur"}, "definition-term"),
    "quote": ({"speaker": "Musk", "quote": "une impasse"}, "quote-speaker"),
}


def _card(i: int, kind: str, extra: bool, subdeck: bool) -> str:
    text = f"  - id: c{i}\n"
    if kind != "basic" or i % 3:
        text += f"    type: {kind}\n"
    if kind == "cloze":
        text += f'    text: "Carte {i} : {{{{c1::Dojo}}}}"\n'
    else:
        text += f"    question: Question {i} ?\n    answer: |\n      Réponse {i}\n"
    if extra:
        text += (f"    extra: Verso {i}\n    tags: [t{i % 3}, x]\n"
                 "    lint_disable: [answer-length]\n")
    if subdeck:
        text += "    subdeck: Autre\n"
    return text


def _fact(i: int, kind: str, named: bool, extra: bool) -> str:
    attributes, template = _FACTS[kind]
    text = f"  - id: f{i}\n    kind: {kind}\n"
    text += "".join(f"    {key}: {value} {i}\n" for key, value in attributes.items())
    text += "    source: Peter Bannon, l'architecte en chef des puces\n"
    if named:
        text += f"    templates: [{template}]\n"
    if extra:
        text += f"    extra: Verso {i}\n    tags: [k{i % 2}]\n    subdeck: Faits\n"
    return text


_cards = st.lists(st.tuples(st.sampled_from(_CARD_KINDS), st.booleans(), st.booleans()),
                  max_size=30)
_facts = st.lists(st.tuples(st.sampled_from(sorted(_FACTS)), st.booleans(), st.booleans()),
                  max_size=30)


def _write(folder: Path, cards: list, facts: list, templates: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deck.yaml").write_text("name: Demo\nlanguage: fr\n", encoding="utf-8")
    for name in ("cards.yaml", "facts.yaml", "templates.yaml"):
        (folder / name).unlink(missing_ok=True)
    if cards:
        (folder / "cards.yaml").write_text(
            "cards:\n" + "".join(_card(i, *card) for i, card in enumerate(cards)), "utf-8")
    if facts:
        (folder / "facts.yaml").write_text(
            "facts:\n" + "".join(_fact(i, *fact) for i, fact in enumerate(facts)), "utf-8")
    if templates:
        (folder / "templates.yaml").write_text(textwrap.dedent(templates), "utf-8")


def _loaded(folder: Path, monkeypatch: pytest.MonkeyPatch, *, split: bool):
    """load_deck then expand: (sources, notes, the files whose notes were made as they were
    loaded), or the SourceError's diagnostics."""
    with monkeypatch.context() as patch:
        patch.setattr(itemwise, "SLICE", 3)
        patch.setattr(halves, "SLICE", 3)
        patch.setattr(halves, "MIN_ITEMS", 4 if split else 10**9)
        patch.setattr(background, "MIN_ITEMS", 4)
        try:
            sources = load_deck(folder)
            made = sorted(sources.made_notes)
            notes = expand(sources)
            assert sources.made_notes == {}  # taken: they hold on to the models
            return sources, notes, made
        except SourceError as exc:
            return [(str(d.file), d.position, d.message, d.hint, d.code)
                    for d in exc.diagnostics]


def _models(models: list) -> list:
    """Everything a model holds, its fields set included."""
    return [(type(m), m.__dict__, m.__pydantic_fields_set__, m.__pydantic_extra__,
             m.__pydantic_private__) for m in models]


def _notes(notes: list) -> list:
    return [(n.id, n.type, n.fields, n.tags, n.source, n.file, n.line, n.fact_id,
             n.template_id, n.lint_disable, n.guid) for n in notes]


def _same(split, alone) -> None:
    assert type(split) is type(alone)
    if isinstance(alone, list):  # errors
        assert split == alone
        return
    (sources, notes, _), (expected, expected_notes, _) = split, alone
    assert _notes(notes) == _notes(expected_notes)
    assert len({id(note.file) for note in notes}) == len({note.file for note in notes})
    assert _models(sources.cards.cards) == _models(expected.cards.cards)
    assert _models(sources.facts.facts) == _models(expected.facts.facts)
    for file, key in (("cards.yaml", "cards"), ("facts.yaml", "facts")):
        if file in expected.documents:
            assert sources.documents[file].item_lines(key) == \
                expected.documents[file].item_lines(key)


@settings(deadline=None, max_examples=int(os.environ.get("HALVES_EXAMPLES", 60)),
          database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cards=_cards, facts=_facts)
def test_two_cores_load_what_one_loads(tmp_path, monkeypatch, cards, facts):
    folder = tmp_path / "demo"
    _write(folder, cards, facts)
    sent: list[int] = []
    rebuilt = halves.rebuilt
    monkeypatch.setattr(halves, "rebuilt", lambda classes, indexes, *rest: (
        sent.append(len(indexes)), rebuilt(classes, indexes, *rest))[1])
    split = _loaded(folder, monkeypatch, split=True)
    _same(split, _loaded(folder, monkeypatch, split=False))
    assert len(sent) == (len(cards) >= 4) + (len(facts) >= 4) and all(sent)
    assert split[2] == ["cards.yaml"] * (len(cards) >= 4) + ["facts.yaml"] * (len(facts) >= 4)


_BAD_CARDS = ["  - id: bad\n    question: Q\n    answr: typo\n",
              "  - id: c1\n    question: Q\n    answer: the same id as another card\n",
              "  - id: bad\n    question: [unclosed\n    answer: A\n",
              '  - id: bad\n    type: cloze\n    text: "a\n  - b"\n']
_BAD_FACTS = ["  - id: bad\n    kind: person\n    name: N\n    role: r\n    source: s\n"
              "    templates: [person-rol]\n",
              "  - id: bad\n    kind: event\n    date: d\n    event: e\n    source: s\n"
              "    templates: [event-broken]\n",
              "  - id: bad\n    kind: planet\n    name: N\n    source: s\n",
              "  - id: bad\n    kind: quote\n    speaker: s\n    quote: q\n    source: s\n"
              "    templates: [quote-missing]\n"]
_TEMPLATES = """\
templates:
  - id: event-broken
    kind: event
    question: "{{ 1 / 0 }}"
    answer: a
    optional: true
  - id: quote-missing
    kind: quote
    question: "{{ nobody }}"
    answer: a
    optional: true
"""


_BAD_ITEMS = [("cards.yaml", bad) for bad in _BAD_CARDS] + [("facts.yaml", bad)
                                                           for bad in _BAD_FACTS]


@pytest.mark.parametrize("file, bad", _BAD_ITEMS)
@pytest.mark.parametrize("where", [1, 14])
def test_an_error_in_either_half_is_reported_as_alone(tmp_path, monkeypatch, file, bad, where):
    folder = tmp_path / "demo"
    if file == "cards.yaml":
        _write(folder, [("basic", True, False)] * 16, [("person", False, True)] * 5)
    else:
        _write(folder, [("basic", True, False)] * 3, [("person", False, True)] * 16, _TEMPLATES)
    path = folder / file
    items = path.read_text("utf-8").split("\n  - ")
    items.insert(where + 1, bad.removeprefix("  - "))
    path.write_text("\n  - ".join(items), "utf-8")
    errors = _loaded(folder, monkeypatch, split=True)
    assert isinstance(errors, list) and errors
    _same(errors, _loaded(folder, monkeypatch, split=False))


def test_a_failed_child_leaves_the_work_to_this_process(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    _write(folder, [("cloze", True, True)] * 12, [("quote", True, False)] * 12)
    parent = os.getpid()
    tail = halves._tail

    def failing(*args):
        if os.getpid() != parent:
            os._exit(3)
        return tail(*args)

    monkeypatch.setattr(halves, "_tail", failing)
    _same(_loaded(folder, monkeypatch, split=True), _loaded(folder, monkeypatch, split=False))


def test_what_marshal_cannot_send_goes_by_pickle(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    _write(folder, [("type-in", True, True)] * 12, [("event", True, True)] * 12)

    class NoMarshal:
        loads = staticmethod(marshal.loads)

        @staticmethod
        def dumps(data):
            raise ValueError("unmarshallable object")

    monkeypatch.setattr(halves, "marshal", NoMarshal)
    _same(_loaded(folder, monkeypatch, split=True), _loaded(folder, monkeypatch, split=False))


def test_notes_made_for_other_facts_are_not_taken(tmp_path, monkeypatch):
    folder = tmp_path / "demo"
    _write(folder, [], [("person", False, False)] * 12)
    with monkeypatch.context() as patch:
        patch.setattr(halves, "MIN_ITEMS", 4)
        patch.setattr(background, "MIN_ITEMS", 4)
        sources = load_deck(folder)
    assert "facts.yaml" in sources.made_notes
    _write(folder, [], [("definition", True, True)] * 12)
    other, notes, _ = _loaded(folder, monkeypatch, split=False)
    sources.facts, sources.documents = other.facts, other.documents
    assert _notes(expand(sources)) == _notes(notes)


_NO_JINJA = """
import sys
from pathlib import Path
from flashcards import api
from flashcards.project import Project
deck = api.load_expanded(Project(Path(sys.argv[1])), Path(sys.argv[1]) / "decks" / "demo")
print(len(deck.notes), "jinja2" in sys.modules)
"""


@pytest.mark.parametrize(("facts", "templates", "jinja"), [
    (False, False, False), (True, False, True), (False, True, True)])
def test_jinja_is_imported_only_for_facts_or_templates(tmp_path, facts, templates, jinja):
    _write(tmp_path / "decks" / "demo", [("basic", True, False)] * 3,
           [("person", False, False)] * facts, _TEMPLATES if templates else "")
    output = subprocess.run([sys.executable, "-c", _NO_JINJA, str(tmp_path)], check=True,
                            capture_output=True, text=True).stdout.split()
    assert output == [str(3 + 2 * facts), str(jinja)]
