"""Big list files are validated one item at a time (their parsed data freed as it goes): the
result and every error must be exactly those of pydantic's whole-file validation."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from flashcards.itemwise import validate_items
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
