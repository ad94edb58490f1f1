"""Big list files are validated one item at a time (their parsed data freed as it goes): the
result and every error must be exactly those of pydantic's whole-file validation."""

from __future__ import annotations

import copy
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from flashcards.itemwise import validate_items
from flashcards.load import read_text
from flashcards.models import CardsFile, DeckConfig, FactsFile

VALID_CARDS = [
    {"id": "a", "question": " Qui ? ", "answer": "Lui", "tags": ["x"], "source": "s"},
    {"id": "b", "type": "reverse", "question": "Q", "answer": 20},
    {"id": "c", "type": "cloze", "text": "{{c1::Dojo}} et {{c2::AI5}}", "extra": "E"},
    {"id": "d", "type": "type-in", "question": "Combien ?", "answer": "20", "subdeck": "S"},
]
VALID_FACTS = [
    {"id": "p", "kind": "person", "name": "Peter Bannon", "role": "l'architecte",
     "source": "Peter Bannon"},
    {"id": "q", "kind": "quantity", "measure": "le nombre", "value": "20", "plural": True,
     "source": "20", "templates": ["quantity-measure"]},
]


def _whole(model, data):
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, exc.errors()


@pytest.mark.parametrize(("model", "data"), [
    (CardsFile, {"cards": VALID_CARDS}),
    (FactsFile, {"facts": VALID_FACTS}),
])
def test_valid_files_give_the_same_models_and_free_the_parsed_items(model, data):
    data = copy.deepcopy(data)
    expected, _ = _whole(model, copy.deepcopy(data))
    value, errors = validate_items(model, data)
    assert errors == [] and value == expected
    assert value.model_fields_set == expected.model_fields_set
    items, expected_items = next(iter(value)), next(iter(expected))
    assert [m.model_fields_set for m in items[1]] == \
        [m.model_fields_set for m in expected_items[1]]
    assert all(item is None for item in next(iter(data.values())))


def test_errors_are_those_of_the_whole_file_in_order():
    cards = [*VALID_CARDS,
             {"id": "e", "question": "Q", "answr": "typo"},
             {"id": "f", "type": "flip", "question": "Q", "answer": "A"},
             {"id": "g", "question": "Q", "answer": "A", "tags": "not-a-list"},
             "just text",
             {"id": "BAD ID", "type": "cloze", "text": ""},
             *VALID_CARDS]
    data = {"cards": cards}
    _, expected = _whole(CardsFile, copy.deepcopy(data))
    value, errors = validate_items(CardsFile, data)
    assert value is None
    assert len(expected) >= 6
    assert [(e["type"], e["loc"], e["msg"]) for e in errors] == \
        [(e["type"], e["loc"], e["msg"]) for e in expected]
    # the invalid items stay for locating the errors; valid ones before the first go
    assert cards[:4] == [None] * 4 and cards[4] == {"id": "e", "question": "Q", "answr": "typo"}


@pytest.mark.parametrize("data", [
    {"cards": None}, {"cards": "x"}, {"cards": [], "other": 1}, ["cards"], {},
])
def test_other_shapes_go_to_the_whole_file_validation(data):
    assert validate_items(CardsFile, data) is None


def test_models_that_are_not_one_list_are_not_itemwise():
    assert validate_items(DeckConfig, {"name": "x"}) is None


# ---- a valid big list file, read and validated a slice at a time (`load_items`) ----------

# Values that are plain text, and values whose YAML spans lines, quotes, nests or is not text.
_VALUES = ["Q", "Qui ? ", "é’ «x»", "x # comment", "'it''s'", '"quoted \\t tab"', "  spaced  ",
           "yes", "12", "0x1F", "1.5", "~", "null", "[t]", "{a: b}", "- nested", "&a x", "*a",
           "!!str x", "!x", "a: b", "'single\n{i}  - line'", '"multi\n{i}- line"',
           '"multi\n{i}  continued"', "|\n{i}    block\n{i}    text", "|\n{i}- x",
           ">\n{i}    folded\n\n{i}    more", "|2\n{i}     indented", "[a,\n{i}- b]",
           "plain\n{i}    continued", "plain\n{i}- dash", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x"
           "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "0x" + "f" * 3600, "9" * 4250]
_LINES = ["# comment", "{i}  # indented comment", "", "   ", " x", "\t- tab", "---", "...",
          "{i}-\tfoo", "{i}-", "{i}  - deeper", "other: 1", "{i}- {id: f, question: q, answer: a}",
          "{i}- just text", "{i}  answr: typo", "{i}  tags: [a, b]", "{i}  tags: not-a-list",
          "{i}  type: cloze", "{i}  extra: E", "{i}  id: dup", "{i}  extra: lone\rCR",
          "{i}  extra: \"a\r\n{i}  b\"", "-b", "? q", "%YAML 1.2", "- - nested", "-", "#c",
          "--- x", "... x", ": v", "[flow]", "key:", "{i}- - nested", "{i}  extra: |\nx",
          "{i}  extra: >\n{i}   a\n#c\n{i}   b", "{i}  extra: \"a\n- b\""]
_HEADERS = ["cards:\n", "cards: # c\n", "# lead\n\ncards:\n", "cards:\n  # first\n",
            "cards: []\n", "other: 1\ncards:\n", "cards:\n  []\n", "---\ncards:\n"]


@st.composite
def _list_files(draw) -> bytes:
    indent = draw(st.sampled_from(["", " ", "  ", "    "]))
    text = draw(st.sampled_from(_HEADERS))
    for n in range(draw(st.integers(0, 6))):
        odd = draw(st.integers(0, 3)) == 0  # most items are plain, valid cards
        question = (draw(st.sampled_from(_VALUES)) if odd else "Q ?").replace("{i}", indent)
        text += f"{indent}- id: c{n}\n{indent}  question: {question}\n"
        text += f"{indent}  answer: R\n"
        if odd and draw(st.booleans()):
            text += draw(st.sampled_from(_LINES)).replace("{i}", indent) + "\n"
    data = text.encode()
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n") if draw(st.booleans()) else b"\xef\xbb\xbf" + data
    return data


def _whole_file_way(path):
    """What load_deck did before `load_items`: the model (or errors) and each item's line."""
    from flashcards.diagnostics import SourceError
    from flashcards.load import load_yaml
    from flashcards.validate import validate_document

    try:
        doc = load_yaml(path)
        model, diagnostics = validate_document(doc, CardsFile)
    except SourceError:
        return None, None
    if diagnostics or model is None:
        return None, None
    lines = doc.item_lines("cards")
    if lines is None:
        lines = [doc.position(("cards", i)).line for i in range(len(model.cards))]
    return model, lines


@settings(deadline=None, max_examples=int(os.environ.get("ITEMWISE_EXAMPLES", 400)), database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_list_files(), size=st.integers(1, 4))
def test_slices_give_the_whole_files_model_and_lines_or_nothing(tmp_path, monkeypatch, data,
                                                                size):
    from flashcards import itemwise

    monkeypatch.setattr(itemwise, "SLICE", size)
    path = tmp_path / "cards.yaml"
    path.write_bytes(data)
    fast = itemwise.load_items(path, CardsFile)
    expected, lines = _whole_file_way(path)
    event("slices" if fast is not None else "whole file")
    if fast is None:
        return  # load_deck takes the whole-file way
    doc, value = fast
    assert value == expected
    assert [c.model_fields_set for c in value.cards] == \
        [c.model_fields_set for c in expected.cards]
    assert doc.item_lines("cards") == lines
    assert doc.source_text() == read_text(path)


def test_plain_files_are_read_by_slices(tmp_path, monkeypatch):
    from flashcards import itemwise

    monkeypatch.setattr(itemwise, "SLICE", 2)
    path = tmp_path / "cards.yaml"
    path.write_text("# c\ncards:\n  - id: a\n    question: Q\n    answer: R\n\n"
                    "  # x\n  - id: b\n    type: cloze\n    text: \"{{c1::x}}\n      y\"\n"
                    "  - id: c\n    question: |\n      Q\n    answer: R\n", encoding="utf-8")
    doc, value = itemwise.load_items(path, CardsFile)
    assert [c.id for c in value.cards] == ["a", "b", "c"]
    a, b, c = value.cards
    assert a.model_fields_set == c.model_fields_set == {"id", "question", "answer"}
    assert a.model_fields_set is c.model_fields_set  # one set, not one per card
    assert b.model_fields_set == {"id", "type", "text"}
    assert doc.item_lines("cards") == [3, 8, 12] and doc.data is None


def test_a_slice_that_is_not_utf8_is_not_parsed(tmp_path):
    """Slices are parsed from their bytes: one that is not UTF-8 gives nothing (the whole-file
    way then says where), never characters made up for the bytes."""
    from flashcards.load import ListItems

    path = tmp_path / "cards.yaml"
    path.write_bytes(b"cards:\n  - id: a\n    question: Q\n    answer: R\n"
                     b"  - id: b\n    question: Caf\xe9\n    answer: R\n")
    items = ListItems.read(path, "cards")
    assert items is not None and items.lines == [2, 5]
    assert items.parse(0, 1) == [{"id": "a", "question": "Q", "answer": "R"}]
    assert items.parse(1, 2) is None and items.parse(0, 2) is None
