"""Stage 2, validate: check loaded documents against the models, then across files.

Errors are collected, never raised one at a time, so a run reports everything at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from flashcards.diagnostics import Diagnostic, Report, SourceError
from flashcards.halves import load_items as load_halves
from flashcards.itemwise import validate_items
from flashcards.load import Document, check_inside, load_yaml
from flashcards.models import (
    FACT_KINDS,
    SCHEMAS,
    CardsFile,
    DeckConfig,
    FactsFile,
    NoteSpec,
    TemplatesFile,
)

M = TypeVar("M", bound=BaseModel)

DECK_FILES = ("deck.yaml", "cards.yaml", "facts.yaml", "templates.yaml")
_SCHEMA_OF = {"deck.yaml": "deck", "cards.yaml": "cards", "facts.yaml": "facts",
              "templates.yaml": "templates"}
_LIST_FILES = ("cards.yaml", "facts.yaml")  # big ones, read a slice at a time when valid


@dataclass
class DeckSources:
    """A deck folder, validated: its config, cards, facts and own templates, with positions."""

    slug: str
    root: Path
    config: DeckConfig
    # Empty files made without validation, which would build their validators (`models`)
    cards: CardsFile = field(default_factory=CardsFile.model_construct)
    facts: FactsFile = field(default_factory=FactsFile.model_construct)
    templates: TemplatesFile = field(default_factory=TemplatesFile.model_construct)
    documents: dict[str, Document] = field(default_factory=dict)
    # The notes of a big cards.yaml or facts.yaml, made as it was loaded on two cores
    # (halves.py), with the list of models they were made of, until `expand` takes them.
    made_notes: dict[str, tuple[list[Any], list[NoteSpec]]] = field(default_factory=dict,
                                                                     repr=False)
    _paths: dict[str, Path] = field(default_factory=dict, repr=False)

    def locate(self, file: str, loc: tuple[str | int, ...]) -> tuple[Path, int]:
        """The path of `file` in this deck and the line of `loc` in it (0 if unknown)."""
        doc = self.documents.get(file)
        path = self._path(file)
        if doc is None:
            return path, 0
        if len(loc) == 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            lines = doc.item_lines(loc[0])
            if lines is not None:
                return path, lines[loc[1]]
        position = doc.position(loc)
        return path, position.line if position else 0

    def _path(self, file: str) -> Path:
        path = self._paths.get(file)
        if path is None:
            path = self._paths[file] = self.root / file
        return path

    def item_lines(self, file: str, key: str, count: int) -> tuple[Path, list[int]]:
        """The path of `file` and the line of each of the `count` items of its list `key`:
        `locate` for every item at once."""
        doc = self.documents.get(file)
        lines = doc.item_lines(key) if doc is not None else None
        if lines is None or len(lines) != count:
            lines = [self.locate(file, (key, i))[1] for i in range(count)]
        return self._path(file), lines

    def made(self, file: str, models: list[Any]) -> list[NoteSpec] | None:
        """The notes of `file` made as it was loaded, if made of `models` (the same list);
        given once (they hold on to the models, which a build lets go once checked)."""
        made = self.made_notes.pop(file, None)
        return made[1] if made is not None and made[0] is models else None

    def origin(self, file: str, loc: tuple[str | int, ...]) -> str:
        path, line = self.locate(file, loc)
        return f"{path}:{line}" if line else str(path)


def _known_keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for schema_model in _all_models(model):
        keys.update(schema_model.model_fields)
    return keys


def _all_models(model: type[BaseModel]) -> Iterable[type[BaseModel]]:
    from typing import get_args

    seen: set[type] = set()
    stack: list[Any] = [model]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in seen:
                continue
            seen.add(item)
            yield item
            stack.extend(f.annotation for f in item.model_fields.values())
        else:
            stack.extend(get_args(item))


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Pydantic's error location, less the union tags it inserts (e.g. `basic`, `person`)."""
    union_tags = {"basic", "reverse", "cloze", "type-in", *FACT_KINDS}
    path: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in union_tags and part == current.get("kind"):
            continue  # the tag, not the attribute of the same name (`event`, `quote`)
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and isinstance(part, str) and part not in union_tags:
            path.append(part)  # a missing key: its position falls back to the parent mapping
    return tuple(path)


def _short(value: Any, limit: int = 60) -> Any:
    """A value quoted in a message: long ones cut (a message is one line)."""
    text = str(value)
    return value if len(text) <= limit else text[:limit] + "…"


# What each pattern of models.py asks for, in words: (what is expected, how to fix it).
_PATTERN_HINTS = {
    r"^\d+\.\d+\.\d+$": ("a version major.minor.patch", "write e.g. `version: 1.0.0`"),
    r"^[^\s\"]+$": ("one word without spaces or double quotes",
                   "Anki separates tags by spaces: write `vie-locale` or `vie_locale`"),
    r"^[^\"]+$": ("text without double quotes", "use « » or ’ instead of \""),
    r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$": ("a language code", "write e.g. `fr`, `en` or `en-GB`"),
    r"^https?://\S+$": ("a web address", "write the full address, starting with https://"),
    r"^\d{4}-\d{2}-\d{2}$": ("a date YYYY-MM-DD", "write e.g. `published: 2025-08-15`"),
}


def describe_error(error: Any, known: set[str]) -> tuple[str, str]:
    """A pydantic error as (what is wrong, how to fix it), in a teacher's words."""
    kind = error["type"]
    loc = error["loc"]
    name = _short(loc[-1]) if loc else "value"
    if isinstance(error.get("input"), str):
        error = {**error, "input": _short(error["input"])}
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "remove it, or check the spelling"
        return f"unknown key {name!r}", hint
    if kind == "missing":
        return f"missing required key {name!r}", f"add `{name}: …`"
    if kind == "card_type":
        return (f"unknown card type {error['input'].get('type')!r}",
                "use one of: basic, reverse, cloze, type-in")
    if kind == "union_tag_invalid":
        return (f"unknown fact kind {error['ctx']['tag']!r}",
                f"use one of: {', '.join(FACT_KINDS)}")
    if kind == "union_tag_not_found":
        return "missing required key 'kind'", f"add `kind: …` (one of: {', '.join(FACT_KINDS)})"
    if kind == "string_pattern_mismatch" and name == "id":
        return (f"invalid id {error['input']!r}",
                "use lowercase letters, digits, - and _ (e.g. `bannon-role`)")
    if kind == "string_pattern_mismatch" and error["ctx"]["pattern"] in _PATTERN_HINTS:
        expected, hint = _PATTERN_HINTS[error["ctx"]["pattern"]]
        subject = (f"{_short(loc[-2])!r} item {loc[-1] + 1}"
                   if len(loc) > 1 and isinstance(loc[-1], int) else repr(name))
        return f"{subject} must be {expected}, not {error['input']!r}", hint
    if kind == "string_too_short":
        return f"{name!r} is empty", f"write a value for {name!r}, or remove the key"
    if kind == "literal_error" and name == "kind":
        return f"unknown fact kind {error['input']!r}", f"use one of: {', '.join(FACT_KINDS)}"
    if kind in ("string_type", "list_type", "dict_type", "model_type", "bool_type"):
        expected = {"string_type": "text", "list_type": "a list", "dict_type": "a mapping",
                    "model_type": "a mapping (`key: value` lines)", "bool_type": "true or false"}
        got = type(error["input"]).__name__ if error["input"] is not None else "nothing"
        return f"{name!r} must be {expected[kind]}, not {got}", "check the indentation and quoting"
    return f"{name!r}: {error['msg']}", "see `flashcards schema` for the expected format"


def _without_misspelt_missing(errors: list[Any]) -> list[Any]:
    """A misspelt required key is one mistake, not two: `answr:` is reported as an unknown key
    (with `answer` suggested), and the "missing 'answer'" beside it is dropped."""
    unknown = {(tuple(e["loc"][:-1]), str(e["loc"][-1])) for e in errors
               if e["type"] == "extra_forbidden" and e["loc"]}

    def misspelt(error: Any) -> bool:
        if error["type"] != "missing" or not error["loc"]:
            return False
        parent, name = tuple(error["loc"][:-1]), str(error["loc"][-1])
        return any(p == parent and difflib.get_close_matches(k, [name], n=1, cutoff=0.6)
                   for p, k in unknown)

    return [e for e in errors if not misspelt(e)]


def validate_document(doc: Document, model: type[M]) -> tuple[M | None, list[Diagnostic]]:
    """Validate one document against its model; diagnostics carry file:line:column."""
    data = {} if doc.data is None else doc.data
    itemwise = validate_items(model, data)  # big list files: never parsed and built whole
    if itemwise is not None:
        value, errors = itemwise
        if value is not None:
            return value, []
    else:
        try:
            return model.model_validate(data), []
        except ValidationError as exc:
            errors = exc.errors()
    known = _known_keys(model)
    diagnostics = []
    for error in _without_misspelt_missing(errors):
        path = _data_path(data, tuple(error["loc"]))
        message, hint = describe_error(error, known)
        is_key = error["type"] == "extra_forbidden"
        diagnostics.append(Diagnostic(doc.path, message, hint,
                                      doc.position(path, key=is_key), code="schema"))
    return None, diagnostics


def load_deck(root: Path) -> DeckSources:
    """Load and validate every file of the deck folder `root`. Raises SourceError."""
    report = Report()
    root = Path(root)
    try:
        root.stat()
        (root / "deck.yaml").exists()
    except OSError as exc:  # a folder one may not enter
        raise SourceError([Diagnostic(root, f"cannot read the deck folder: "
                                      f"{exc.strerror or exc}",
                                      "check its permissions, e.g. `chmod u+rwx` on it",
                                      code="unreadable")]) from None
    if not (root / "deck.yaml").exists():
        raise SourceError([Diagnostic(root / "deck.yaml", "deck.yaml is missing",
                                      "every deck folder needs a deck.yaml with at least `name:`",
                                      code="missing-file")])
    documents: dict[str, Document] = {}
    models: dict[str, Any] = {}
    made: dict[str, list[NoteSpec]] = {}
    # The facts' notes are made with the deck's config and templates: those first.
    for file in ("deck.yaml", "templates.yaml", "cards.yaml", "facts.yaml"):
        path = root / file
        if file != "deck.yaml" and not path.exists():
            continue
        schema = SCHEMAS[_SCHEMA_OF[file]]
        try:
            check_inside(path, root.resolve().parent.parent)  # the project: decks/<slug>/..
            if file in _LIST_FILES:
                # a card's note costs less to make than to send, a fact's notes more
                fast = load_halves(path, schema, _made_of(file, root, models, documents, report),
                                   made_in_child=file == "facts.yaml")
                if fast is not None:
                    documents[file], models[file], notes = fast
                    if notes is not None:
                        made[file] = notes
                    continue
            doc = load_yaml(path)
        except SourceError as exc:
            report.extend(exc.diagnostics)
            continue
        documents[file] = doc
        model, diagnostics = validate_document(doc, schema)
        report.extend(diagnostics)
        models[file] = model
    if not report.ok or models.get("deck.yaml") is None:
        raise SourceError(report.sorted())
    sources = DeckSources(
        slug=root.name,
        root=root,
        config=models["deck.yaml"],
        cards=models.get("cards.yaml") or CardsFile.model_construct(),
        facts=models.get("facts.yaml") or FactsFile.model_construct(),
        templates=models.get("templates.yaml") or TemplatesFile.model_construct(),
        documents=documents,
    )
    for file, models_of in (("cards.yaml", sources.cards.cards),
                            ("facts.yaml", sources.facts.facts)):
        if file in made:
            sources.made_notes[file] = (models_of, made[file])
    report.extend(check_ids(sources))
    if not report.ok:
        raise SourceError(report.sorted())
    return sources


def _made_of(file: str, root: Path, models: dict[str, Any], documents: dict[str, Document],
             report: Report) -> Callable[[list[Any], int, list[int]], Any] | None:
    """What makes the notes of `file`'s items (`expand.made_card_notes`, `made_fact_notes`);
    for facts, once the deck's config and templates are known valid (None before)."""
    from flashcards import expand

    name = str(root / file)
    if file == "cards.yaml":
        return partial(expand.made_card_notes, name)
    if not report.ok or models.get("deck.yaml") is None:
        return None
    templates = models.get("templates.yaml") or TemplatesFile.model_construct()
    context = DeckSources(slug=root.name, root=root, config=models["deck.yaml"],
                          templates=templates, documents=dict(documents))
    return partial(expand.made_fact_notes, context, name)


def check_ids(sources: DeckSources) -> list[Diagnostic]:
    """Ids are unique across cards and facts; template ids unique within the file."""
    if _unique_ids(sources):
        return []
    return _id_problems(sources)


def _unique_ids(sources: DeckSources) -> bool:
    """Whether `_id_problems` finds nothing: no id, card guid or template id used twice."""
    ids = [card.id for card in sources.cards.cards]
    ids += [fact.id for fact in sources.facts.facts]
    guids = [card.guid for card in sources.cards.cards if card.guid is not None]
    templates = [template.id for template in sources.templates.templates]
    return all(len(set(values)) == len(values) for values in (ids, guids, templates))


def _id_problems(sources: DeckSources) -> list[Diagnostic]:
    """`check_ids`, item by item."""
    diagnostics: list[Diagnostic] = []
    seen: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    entries = [("cards.yaml", ("cards", i), c.id) for i, c in enumerate(sources.cards.cards)]
    entries += [("facts.yaml", ("facts", i), f.id) for i, f in enumerate(sources.facts.facts)]
    for file, loc, ident in entries:
        if ident in seen:
            first_file, first_loc = seen[ident]
            first = sources.origin(first_file, (*first_loc, "id"))
            doc = sources.documents[file]
            diagnostics.append(Diagnostic(
                doc.path, f"duplicate id {ident!r} (first used at {first})",
                "give each card and fact its own id; ids are what keeps students' progress",
                doc.position((*loc, "id")), code="duplicate-id"))
        else:
            seen[ident] = (file, loc)
    guids: dict[str, int] = {}
    for i, card in enumerate(sources.cards.cards):
        if card.guid is None:
            continue
        if card.guid in guids:
            first = sources.origin("cards.yaml", ("cards", guids[card.guid], "guid"))
            doc = sources.documents["cards.yaml"]
            diagnostics.append(Diagnostic(
                doc.path, f"duplicate guid {card.guid!r} (first used at {first})",
                "a GUID is one note's identity in Anki, which would skip the second card: "
                "remove the guid of the card that did not come from the imported deck",
                doc.position(("cards", i, "guid")), code="duplicate-id"))
        else:
            guids[card.guid] = i
    template_ids: set[str] = set()
    for i, template in enumerate(sources.templates.templates):
        if template.id in template_ids:
            doc = sources.documents["templates.yaml"]
            diagnostics.append(Diagnostic(doc.path, f"duplicate template id {template.id!r}",
                                          "give each template its own id",
                                          doc.position(("templates", i, "id")),
                                          code="duplicate-id"))
        template_ids.add(template.id)
    return diagnostics
