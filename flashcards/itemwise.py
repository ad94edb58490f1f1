"""Validation of a big list file (`cards.yaml`, `facts.yaml`) a slice of items at a time.

The parsed YAML of a 100,000-card file and the models made from it are each a few hundred
MiB. A valid file in the usual layout is parsed and validated 2,000 items at a time
(`load_items`): its parsed data is never whole. Any other file, or one with an error, is
parsed whole and validated item by item (`validate_items`), each parsed item dropped once it
is a model; errors are pydantic's own, located as a whole-file validation locates them."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from flashcards.load import Document, ListItems

M = TypeVar("M", bound=BaseModel)
SLICE = 2_000  # items parsed and validated at a time by `load_items`


@cache
def _list_field(model: type[BaseModel]) -> tuple[str, TypeAdapter[Any]] | None:
    """The model's only field when it is a plain list (no constraints), and its items' type."""
    if len(model.model_fields) != 1:
        return None
    [(name, info)] = model.model_fields.items()
    if get_origin(info.annotation) is not list or info.metadata:
        return None
    [item] = get_args(info.annotation)
    return name, TypeAdapter(item)


def share_fields_sets(models: list[Any], shared: dict[frozenset[str], set[str]]) -> None:
    """Models with the same fields set share one `set` (pydantic makes one per model, ~730
    bytes, as much as the rest of a card's model), the first one in `shared`: the models are
    frozen, and copies made of them (`model_copy`) copy their set."""
    last: dict[type, set[str]] = {}  # the shared set of the last model of each class
    for model in models:
        fields = model.__pydantic_fields_set__
        same = last.get(type(model))
        if same is None or same != fields:  # comparing is cheaper than a frozenset
            same = last[type(model)] = shared.setdefault(frozenset(fields), fields)
        if same is not fields:
            object.__setattr__(model, "__pydantic_fields_set__", same)


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[_list_field(model)[0]].annotation)  # type: ignore[index]


def load_items(path: Path, model: type[M]) -> tuple[Document, M] | None:
    """A valid big list file (`cards.yaml`, `facts.yaml`) and its model, read and validated
    a slice of items at a time (`ListItems`); None when the file is not laid out for it or
    anything in it is wrong: `load_yaml` then `validate_document` give the same model, or
    the errors, with their positions. Raises the SourceError of an unreadable file."""
    items = list_items(path, model)
    if items is None:
        return None
    validated = validated_items(items, model, 0, len(items.lines), {})
    if validated is None:
        return None
    return items.document(), whole(model, validated)


def list_items(path: Path, model: type[BaseModel]) -> ListItems | None:
    """The items of `path` for `load_items`, or None when it cannot read them so. Raises
    the SourceError of an unreadable file."""
    found = _list_field(model)
    return None if found is None else ListItems.read(path, found[0])


def validated_items(items: ListItems, model: type[BaseModel], first: int, stop: int,
                    shared: dict[frozenset[str], set[str]]) -> list[Any] | None:
    """Items `first` to `stop` (excluded) of `items` as models of `model`'s list, parsed and
    validated a slice at a time (slices start at multiples of SLICE); None when any slice
    does not parse or validate (`shared`: as for `share_fields_sets`)."""
    adapter = _list_adapter(model)
    validated: list[Any] = []
    if first >= stop:
        return validated
    bounds = [first, *range((first // SLICE + 1) * SLICE, stop, SLICE), stop]
    for start, end in itertools.pairwise(bounds):
        parsed = items.parse(start, end)
        if parsed is None:
            return None
        try:
            models = adapter.validate_python(parsed)
        except (ValidationError, ValueError, TypeError, OverflowError, RecursionError):
            return None  # the item-by-item validation finds and places every error
        share_fields_sets(models, shared)
        validated += models
    return validated


def whole(model: type[M], validated: list[Any]) -> M:
    """The file's model, of its items' models (valid: not validated again, which would walk
    every item and build the file model's validator)."""
    name, _ = _list_field(model)  # type: ignore[misc]
    return model.model_construct(**{name: validated})


def validate_items(model: type[M], data: Any) -> tuple[M | None, list[Any]] | None:
    """`model` validated from `data` item by item, each parsed item replaced by None in `data`
    once validated; or None with the errors of pydantic's whole-file validation (same types,
    locations from the top); or None when the file does not have that shape."""
    found = _list_field(model)
    if found is None or not isinstance(data, dict):
        return None
    name, adapter = found
    items = data.get(name)
    if set(data) != {name} or not isinstance(items, list):
        return None
    validated = []
    errors: list[Any] = []
    for i, item in enumerate(items):
        try:
            value = adapter.validate_python(item)
        except ValidationError as exc:
            errors += [{**error, "loc": (name, i, *error["loc"])} for error in exc.errors()]
            continue
        if not errors:
            validated.append(value)
            items[i] = None  # the model holds it now; errors only need the invalid items
    if errors:
        return None, errors
    share_fields_sets(validated, {})
    return model.model_construct(**{name: validated}), []
