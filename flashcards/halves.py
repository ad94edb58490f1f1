"""A big list file (`cards.yaml`, `facts.yaml`) read on two cores: a forked child parses
and validates its last slices (and, for facts, makes their notes) while this process does
the first ones, as `itemwise.load_items` would do them all.

Only for a file of MIN_ITEMS+ items (a fork and sending the models back cost ~0.1 s at
50,000 cards) where `Background` can fork. The child sends back each model's class, fields
set and `__dict__`, rebuilt here as pydantic's own unpickling does, at a third of its cost.
Anything the child cannot do the plain way (a slice that does not parse or validate) makes
the whole file go the whole-file way, which reports every error with its position; a
child that fails is replaced by doing its work here: the outcome never depends on the
fork."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from flashcards.background import Background
from flashcards.itemwise import SLICE, list_items, validated_items, whole
from flashcards.load import Document, ListItems
from flashcards.models import NoteSpec

M = TypeVar("M", bound=BaseModel)
MIN_ITEMS = 10_000
# The share of the items this process validates: the child also sends its models back,
# and this process rebuilds them.
PARENT_SHARE = 0.5

Sent = tuple[type, set[str], dict[str, Any]]  # a model's class, fields set and __dict__
MadeOf = Callable[[list[Any], int, list[int]], "list[NoteSpec] | None"]


def load_items(path: Path, model: type[M], made_of: MadeOf | None = None, *,
               made_in_child: bool = True) -> tuple[Document, M, list[NoteSpec] | None] | None:
    """`itemwise.load_items(path, model)`, its last items done in a forked child when the
    file is big; with the notes of its items, `made_of(models, start, lines)` of the models
    of items `start` on (lines: the line of every item), made by each process for its own
    items, or here for all (`made_in_child` false: when making them costs less than sending
    them); None when not forked, or when `made_of` gives None."""
    items = list_items(path, model)
    if items is None:
        return None
    count = len(items.lines)
    start = round(count * PARENT_SHARE / SLICE) * SLICE
    child = Background(count if count >= MIN_ITEMS else 0, _tail, items, model, start,
                       made_of if made_in_child else None)
    if not child.forked:
        head = validated_items(items, model, 0, count, {})
        return None if head is None else (items.document(), whole(model, head), None)
    shared: dict[frozenset[str], set[str]] = {}
    try:
        head = validated_items(items, model, 0, start, shared)
        notes = made_of(head, 0, items.lines) if head is not None and made_of else None
    except BaseException:
        child.cancel()
        raise
    if head is None:
        child.cancel()
        return None
    tail = child.result()
    if tail is None:
        return None
    sent, sent_notes = tail
    models = rebuilt(sent, shared)
    if notes is not None and not made_in_child:
        sent_notes = made_of(models, start, items.lines)  # type: ignore[misc]
        notes = None if sent_notes is None else notes + sent_notes
    elif notes is not None and sent_notes is not None:
        notes += rebuilt_notes(sent_notes, notes[0].file if notes else "")
    else:
        notes = None
    return items.document(), whole(model, head + models), notes


def _tail(items: ListItems, model: type[BaseModel], start: int, made_of: MadeOf | None
          ) -> tuple[list[Sent], list[tuple[Any, ...]] | None] | None:
    """The child's work: the models of the items from `start` on, as sent, and their notes
    (`made_of`) as tuples; None when they are not valid as `validated_items` makes them."""
    models = validated_items(items, model, start, len(items.lines), {})
    if models is None:
        return None
    sent = [(type(m), m.__pydantic_fields_set__, m.__dict__) for m in models
            if m.__pydantic_extra__ is None and m.__pydantic_private__ is None]
    if len(sent) != len(models):
        return None  # a model that `rebuilt` would not rebuild whole
    notes = made_of(models, start, items.lines) if made_of is not None else None
    return sent, None if notes is None else [tuple(map(getattr, itertools.repeat(note),
                                                       _NOTE_SLOTS)) for note in notes]


_NOTE_SLOTS = tuple(field.name for field in fields(NoteSpec))


def _note(id_: str, type_: Any, fields_: dict[str, str], tags: tuple[str, ...],
          source: str | None, file: str, line: int, fact_id: str | None,
          template_id: str | None, lint_disable: tuple[str, ...], guid: str | None
          ) -> NoteSpec:
    """NoteSpec(*values) (it takes keywords only), half the time of building the keywords."""
    return NoteSpec(id=id_, type=type_, fields=fields_, tags=tags, source=source, file=file,
                    line=line, fact_id=fact_id, template_id=template_id,
                    lint_disable=lint_disable, guid=guid)


def rebuilt_notes(sent: list[tuple[Any, ...]], file: str) -> list[NoteSpec]:
    """The notes `_tail` sent; those of `file` share that string."""
    notes = [_note(*values) for values in sent]
    for note in notes:
        if note.file == file:
            note.file = file
    return notes


_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__


def rebuilt(sent: list[Sent], shared: dict[frozenset[str], set[str]]) -> list[Any]:
    """The models `_tail` sent, as `BaseModel.__setstate__` restores a pickled one (without
    extra or private attributes); models with the same fields set share it (`shared`: as for
    `share_fields_sets`)."""
    models = []
    new = object.__new__
    sets: dict[int, set[str]] = {}  # id of a sent set → the set shared here
    for cls, fields_set, values in sent:
        same = sets.get(id(fields_set))
        if same is None:
            same = sets[id(fields_set)] = shared.setdefault(frozenset(fields_set), fields_set)
        model = new(cls)
        _set_dict(model, values)
        _set_fields_set(model, same)
        _set_extra(model, None)
        _set_private(model, None)
        models.append(model)
    return models
