"""A big list file (`cards.yaml`, `facts.yaml`) read on two cores: a forked child parses
and validates its last slices (and, for facts, makes their notes) while this process does
the first ones, as `itemwise.load_items` would do them all.

Only for a file of MIN_ITEMS+ items (a fork, and sending the models back, cost ~0.1 s for
50,000 cards) where `Background` can fork. The child sends back each model's class, fields
set and `__dict__` (by marshal: twice as fast as pickle), rebuilt here as pydantic's own
unpickling does, at a third of its cost.
Anything the child cannot do the plain way (a slice that does not parse or validate) makes
the whole file go the whole-file way, which reports every error with its position; a
child that fails is replaced by doing its work here: the outcome never depends on the
fork."""

from __future__ import annotations

import marshal
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from flashcards.background import Background
from flashcards.itemwise import SLICE, list_items, validated_items, whole
from flashcards.load import Document, ListItems
from flashcards.models import CardType, NoteSpec

M = TypeVar("M", bound=BaseModel)
MIN_ITEMS = 10_000
# The share of the items this process validates (measured at 100,000 cards or facts: both
# processes then finish at about the same time): the child also sends its models back, and
# this process rebuilds them, then makes the notes of cards; the child makes the notes of its
# facts and sends them too.
PARENT_SHARE = 0.5
PARENT_SHARE_NOTES_IN_CHILD = 0.55

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
    share = PARENT_SHARE_NOTES_IN_CHILD if made_of and made_in_child else PARENT_SHARE
    start = round(count * share / SLICE) * SLICE
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
    classes, sent = tail
    rows, sent_notes = _loads(sent)
    del tail, sent  # 12 MB at 50,000 cards
    models = rebuilt(classes, *rows, shared)
    if notes is not None and not made_in_child:
        made = made_of(models, start, items.lines)  # type: ignore[misc]
        notes = None if made is None else notes + made
    elif notes is not None and sent_notes is not None:
        notes += rebuilt_notes(sent_notes, notes[0].file if notes else "")
    else:
        notes = None
    return items.document(), whole(model, head + models), notes


Sent = tuple[bool, bytes]  # data by marshal (True: ~2x faster than pickle) or pickle


def _tail(items: ListItems, model: type[BaseModel], start: int, made_of: MadeOf | None
          ) -> tuple[list[type], Sent] | None:
    """The child's work: the models of the items from `start` on and their notes
    (`made_of`), as `rebuilt` and `rebuilt_notes` take them, sent together (a note then
    shares its texts with its model, as when made here); None when they are not valid as
    `validated_items` makes them."""
    models = validated_items(items, model, start, len(items.lines), {})
    if models is None:
        return None
    if any(m.__pydantic_extra__ is not None or m.__pydantic_private__ is not None
           for m in models):
        return None  # a model that `rebuilt` would not rebuild whole
    classes: dict[type, int] = {}
    # Sent by columns, not a tuple per model or note: those tuples would die here amid the
    # texts that live on, leaving ~20 MB of holes at 50,000 facts.
    rows = ([classes.setdefault(type(m), len(classes)) for m in models],
            [m.__pydantic_fields_set__ for m in models], [m.__dict__ for m in models])
    notes = made_of(models, start, items.lines) if made_of is not None else None
    sent_notes = None if notes is None else [
        [getattr(note, name) for note in notes] for name in _NOTE_FIELDS]
    if sent_notes is not None:
        sent_notes[1] = [kind.value for kind in sent_notes[1]]  # marshal takes no Enum
    return list(classes), _dumps((rows, sent_notes))


_NOTE_FIELDS = ("id", "type", "fields", "tags", "source", "file", "line", "fact_id",
                "template_id", "lint_disable", "guid")


def _dumps(data: Any) -> Sent:
    try:
        return True, marshal.dumps(data)
    except ValueError:  # a value of a type marshal does not know
        return False, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(sent: Sent) -> Any:
    by_marshal, data = sent
    return marshal.loads(data) if by_marshal else pickle.loads(data)


_CARD_TYPES = {kind.value: kind for kind in CardType}


def rebuilt_notes(sent: list[list[Any]], file: str) -> list[NoteSpec]:
    """The notes `_tail` sent (a list of each of their fields); those of `file` share that
    string."""
    types = _CARD_TYPES
    return [NoteSpec(id=id_, type=types[kind], fields=fields, tags=tags, source=source,
                     file=file if at == file else at, line=line, fact_id=fact_id,
                     template_id=template_id, lint_disable=lint_disable, guid=guid)
            for id_, kind, fields, tags, source, at, line, fact_id, template_id,
            lint_disable, guid in zip(*sent, strict=True)]


_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__


def rebuilt(classes: list[type], indexes: list[int], fields_sets: list[set[str]],
            dicts: list[dict[str, Any]], shared: dict[frozenset[str], set[str]]) -> list[Any]:
    """The models `_tail` sent (each one's class index, fields set and `__dict__`), as
    `BaseModel.__setstate__` restores a pickled one (without extra or private attributes);
    models with the same fields set share it (`shared`: as for `share_fields_sets`)."""
    models = []
    new = object.__new__
    sets: dict[int, set[str]] = {}  # id of a sent set → the set shared here
    for index, fields_set, values in zip(indexes, fields_sets, dicts, strict=True):
        cls = classes[index]
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
