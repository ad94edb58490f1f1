"""Stage 3, expand: hand-written cards and templates × facts become note specs.

Templates are Jinja2, rendered in a sandbox with undefined names as errors. A deck's own
templates add to the built-in library of its language, or replace a built-in by id.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards import french
from flashcards.diagnostics import Diagnostic, Position, Report, SourceError
from flashcards.load import Document, load_yaml
from flashcards.models import (
    Card,
    CardType,
    ClozeCard,
    Fact,
    NoteSpec,
    Template,
    TemplatesFile,
)
from flashcards.validate import DeckSources, validate_document

if TYPE_CHECKING:  # Jinja2 is imported only for a deck with facts or templates (~25 ms)
    from jinja2 import Template as JinjaTemplate
    from jinja2 import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment


def gap(value: Any, number: int = 1) -> str:
    """`{{ object | gap }}` → `{{c1::object}}`: a cloze gap."""
    return f"{{{{c{number}::{value}}}}}"


MAX_OUTPUT = 20_000  # characters of one rendered field, as for a hand-written one
# Filters that cannot make a text much longer than their input (no replace, center, format,
# join…): a template's output stays proportional to the template and the fact.
_SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "int",
                 "last", "length", "lower", "max", "min", "reverse", "round", "sort", "string",
                 "striptags", "title", "trim", "truncate", "unique", "upper", "wordcount")
_SAFE_METHODS = {"capitalize", "casefold", "count", "endswith", "find", "index", "isdigit",
                 "lower", "lstrip", "rstrip", "startswith", "strip", "swapcase", "title",
                 "upper"}


@cache
def _forbidden_nodes() -> tuple[type, ...]:
    """Statements that loop, define or assign could grow the output exponentially; a
    template is a text with {{ expressions }} and {% if %} tests."""
    from jinja2 import nodes

    return (nodes.For, nodes.Macro, nodes.CallBlock, nodes.Assign, nodes.AssignBlock,
            nodes.With, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends,
            nodes.Block, nodes.FilterBlock)


@cache
def _sandbox_class() -> type[ImmutableSandboxedEnvironment]:
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class _TemplateSandbox(ImmutableSandboxedEnvironment):
        """Jinja2's sandbox, narrowed: only the facts' values, a few filters and string
        methods, and arithmetic that cannot build huge values."""

        intercepted_binops = frozenset({"*", "**", "%"})

        def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
            name = getattr(obj, "__name__", "")
            if isinstance(getattr(obj, "__self__", None), str | list | tuple | dict) and \
                    name not in _SAFE_METHODS:
                raise SecurityError(f"the method {name!r} is not allowed in templates; "
                                    f"allowed: {', '.join(sorted(_SAFE_METHODS))}")
            return super().call(context, obj, *args, **kwargs)

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            numbers = all(isinstance(v, int | float) and not isinstance(v, bool)
                          for v in (left, right))
            if not numbers or (operator == "**" and abs(right) > 64) or max(
                    abs(left), abs(right)) > 10**18:
                raise SecurityError(f"the operator {operator!r} is limited to small numbers "
                                    "in templates")
            return super().call_binop(context, operator, left, right)

    return _TemplateSandbox


@cache
def environment() -> ImmutableSandboxedEnvironment:
    from jinja2 import StrictUndefined

    env = _sandbox_class()(undefined=StrictUndefined, autoescape=False,
                           keep_trailing_newline=False)
    env.globals.clear()  # no range, lipsum, cycler…: templates see the facts only
    env.filters = {name: env.filters[name] for name in _SAFE_FILTERS}
    env.filters.update(gap=gap, capfirst=french.capfirst, sentence=french.sentence,
                       que=lambda w: french.elide("que", w), de=french.de)
    return env


@cache
def builtin_templates(language: str) -> tuple[Document | None, tuple[Template, ...]]:
    resource = resources.files("flashcards") / "templates" / f"{language.split('-')[0]}.yaml"
    if not resource.is_file():
        return None, ()
    with resources.as_file(resource) as path:
        doc = load_yaml(Path(path))
    parsed, diagnostics = validate_document(doc, TemplatesFile)
    if diagnostics or parsed is None:  # a bug in the package, not the user's fault
        raise SourceError(diagnostics)
    return doc, tuple(parsed.templates)


@cache
def _builtin_origins(language: str) -> tuple[str, ...]:
    """The `file:line` of each built-in template of `language`: the lines found by scanning
    the file (as `DeckSources.locate` does), without a positional parse (PyYAML) but where
    the scan cannot tell."""
    doc, builtins = builtin_templates(language)
    if doc is None:
        return ("built-in",) * len(builtins)
    lines = doc.item_lines("templates")
    if lines is None or len(lines) != len(builtins):
        positions = [doc.position(("templates", i)) for i in range(len(builtins))]
        lines = [position.line if position else 0 for position in positions]
    return tuple(f"{doc.path}:{line}" if line else "built-in" for line in lines)


def templates_for(sources: DeckSources) -> list[tuple[Template, str]]:
    """Built-in templates then the deck's own, a deck template replacing a built-in by id;
    each with the `file:line` it comes from."""
    language = sources.config.language
    chosen: dict[str, tuple[Template, str]] = {}
    for template, where in zip(builtin_templates(language)[1], _builtin_origins(language),
                               strict=True):
        chosen[template.id] = (template, where)
    for i, template in enumerate(sources.templates.templates):
        chosen[template.id] = (template, sources.origin("templates.yaml", ("templates", i)))
    return list(chosen.values())


def card_fields(card: Card) -> dict[str, str]:
    if isinstance(card, ClozeCard):
        return {"Text": card.text, "Extra": card.extra or ""}
    return {"Question": card.question, "Answer": card.answer, "Extra": card.extra or ""}


_CARD_TYPES = {kind.value: kind for kind in CardType}  # CardType(…), without Enum's call


def expand(sources: DeckSources) -> list[NoteSpec]:
    """Every note of the deck, hand-written first, then generated, in source order."""
    cards, facts = sources.cards.cards, sources.facts.facts
    notes = sources.made("cards.yaml", cards)
    notes = card_notes(sources) if notes is None else list(notes)
    made = sources.made("facts.yaml", facts)
    if made is not None:
        return notes + made
    if not facts and not sources.templates.templates:
        return notes  # the built-in templates compile (tested): nothing to render or check
    report = Report()
    by_kind = templates_by_kind(sources, report)
    file, lines = sources.item_lines("facts.yaml", "facts", len(facts))
    name = str(file)  # one string for the file's path, shared by its notes
    for i, template, fields in _rendered(sources, facts, 0, by_kind, report):
        notes.append(fact_note(facts[i], template, (name, lines[i]), fields))
    if not report.ok:
        raise SourceError(report.sorted())
    return notes


def card_notes(sources: DeckSources) -> list[NoteSpec]:
    """The notes of the deck's hand-written cards."""
    cards = sources.cards.cards
    file, lines = sources.item_lines("cards.yaml", "cards", len(cards))
    return made_card_notes(str(file), cards, 0, lines)


def made_card_notes(name: str, cards: Sequence[Card], start: int,
                    lines: list[int]) -> list[NoteSpec]:
    """The notes of `cards`, the cards of the file `name` from index `start` on (`lines`:
    the line of each of the file's cards)."""
    return [NoteSpec(id=card.id, type=_CARD_TYPES[card.type], fields=card_fields(card),
                     tags=tuple(card.tags), source=card.source, file=name, line=line,
                     lint_disable=tuple(card.lint_disable), guid=card.guid)
            for card, line in zip(cards, lines[start:start + len(cards)], strict=True)]


def templates_by_kind(sources: DeckSources,
                      report: Report) -> dict[str, list[tuple[Template, str]]]:
    """The deck's templates that compile, by fact kind, each with its origin; an error in
    `report` for each that does not."""
    by_kind: dict[str, list[tuple[Template, str]]] = {}
    for template, template_origin in templates_for(sources):
        if _compiles(template, template_origin, report):
            by_kind.setdefault(template.kind, []).append((template, template_origin))
    return by_kind


def made_fact_notes(sources: DeckSources, name: str, facts: Sequence[Fact], start: int,
                    lines: list[int]) -> list[NoteSpec] | None:
    """The notes `expand` makes of `facts`, the facts of the file `name` from index `start`
    on (`lines`: as for `made_card_notes`); None when any of them is wrong (`expand` then
    says what, making them itself). `sources` needs only its config, templates and their
    documents."""
    report = Report()
    by_kind = templates_by_kind(sources, report)
    notes = [fact_note(facts[i - start], template, (name, lines[i]), fields)
             for i, template, fields in _rendered(sources, facts, start, by_kind, report)]
    return notes if report.ok else None


def _rendered(sources: DeckSources, facts: Sequence[Fact], start: int,
              by_kind: dict[str, list[tuple[Template, str]]],
              report: Report) -> Iterator[tuple[int, Template, dict[str, str]]]:
    """Each note of `facts` (the deck's from index `start` on) as (its fact's index, its
    template, its fields), in order; an error in `report` for each that fails."""
    from jinja2 import TemplateError

    for i, fact in enumerate(facts, start):
        chosen = _fact_templates(sources, fact, i, by_kind, report)
        if not chosen and fact.templates is None:
            report.add(_no_template(sources, fact, i, by_kind))
        values = fact_values(fact) if chosen else {}
        for template, template_origin in chosen:
            try:
                fields = fact_fields(fact, template, values)
            except TemplateError as exc:
                report.add(_template_error(sources, exc, fact, i, template, template_origin))
                continue
            except (ArithmeticError, ValueError, TypeError, LookupError, RecursionError,
                    MemoryError) as exc:  # e.g. {{ 1 / 0 }}
                report.add(_template_error(sources, TemplateError(f"{type(exc).__name__}: "
                                                                  f"{exc}"),
                                           fact, i, template, template_origin))
                continue
            yield i, template, fields


def _compiles(template: Template, origin: str, report: Report) -> bool:
    """Whether every text of `template` compiles; if not, one error at the template (not
    one per fact)."""
    from jinja2 import TemplateError

    for text in (template.question, template.answer, template.text, template.extra):
        try:
            if text:
                compiled(text)
        except TemplateError as exc:
            file, _, line = origin.rpartition(":")
            report.add(Diagnostic(
                Path(file) if line.isdigit() else Path(origin), f"template {template.id!r}: {exc}",
                "a template is text with {{ attribute }}, filters and {% if %}: see "
                "`templates.yaml` in the README", Position(int(line)) if line.isdigit() else None,
                code="template"))
            return False
    return True


def _fact_templates(sources: DeckSources, fact: Fact, index: int,
                    by_kind: dict[str, list[tuple[Template, str]]],
                    report: Report) -> list[tuple[Template, str]]:
    """The templates that make a fact's cards: those it names in `templates`, else every
    non-optional template of its kind; in library order either way."""
    of_kind = by_kind.get(fact.kind, [])
    if fact.templates is None:
        return [pair for pair in of_kind if not pair[0].optional]
    known = [template.id for template, _ in of_kind]
    doc = sources.documents.get("facts.yaml")
    for k, name in enumerate(fact.templates):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            report.add(Diagnostic(
                sources.root / "facts.yaml",
                f"fact {fact.id!r} asks for template {name!r}, which is not a template "
                f"of kind {fact.kind!r}",
                (f"did you mean {close[0]!r}? " if close else "")
                + f"{fact.kind} templates: {', '.join(known) or 'none'}",
                doc.position(("facts", index, "templates", k)) if doc else None,
                code="template"))
    return [pair for pair in of_kind if pair[0].id in fact.templates]


def _no_template(sources: DeckSources, fact: Fact, index: int,
                 by_kind: dict[str, list[tuple[Template, str]]]) -> Diagnostic:
    """A fact that would silently make no card: no template of its kind in the deck's
    language (or only optional ones)."""
    language = sources.config.language
    doc = sources.documents.get("facts.yaml")
    optional = [template.id for template, _ in by_kind.get(fact.kind, [])]
    if optional:
        why = f"the templates of kind {fact.kind!r} ({', '.join(optional)}) are all optional"
        fix = (f"name the ones to use in the fact, e.g. `templates: [{optional[0]}]`, or add "
               f"a template of kind {fact.kind!r} to templates.yaml")
    else:
        why = f"there are no templates for kind {fact.kind!r} in language {language!r}"
        if builtin_templates(language)[0] is None:
            why += (f" (flashcards has built-in templates for "
                    f"{' and '.join(builtin_languages())} only)")
        fix = (f"add templates.yaml to the deck with a template of kind {fact.kind!r} (see "
               "`templates.yaml` in the README), or write the fact as a card in cards.yaml")
    return Diagnostic(sources.root / "facts.yaml", f"fact {fact.id!r} makes no card: {why}",
                      fix, doc.position(("facts", index)) if doc else None, code="template")


def builtin_languages() -> list[str]:
    """The languages with a built-in template library: fr, en…"""
    folder = resources.files("flashcards") / "templates"
    return sorted(entry.name.removesuffix(".yaml") for entry in folder.iterdir()
                  if entry.name.endswith(".yaml"))


@lru_cache(maxsize=1024)
def compiled(text: str) -> JinjaTemplate:
    """A template's text compiled once, not once per fact."""
    try:
        return _compile(text)
    except (RecursionError, MemoryError, SyntaxError, ValueError):  # Jinja's or Python's
        from jinja2.exceptions import SecurityError

        raise SecurityError("the template is nested too deeply") from None


def _compile(text: str) -> JinjaTemplate:
    from jinja2 import nodes
    from jinja2.exceptions import SecurityError

    env = environment()
    tree = env.parse(text)
    for node in tree.find_all(_forbidden_nodes()):
        statement = type(node).__name__.lower().replace("assign", "set")
        raise SecurityError(f"{{% {statement} %}} is not allowed in templates (line "
                            f"{node.lineno}): use {{{{ attribute }}}}, filters and {{% if %}}")
    for node in tree.find_all(nodes.Filter):
        if node.name not in env.filters:
            raise SecurityError(f"unknown filter {node.name!r}; filters: "
                                f"{', '.join(sorted(env.filters))}")
    return env.from_string(tree)


def fact_values(fact: Fact) -> dict[str, Any]:
    """`fact.model_dump()`, ten times faster: a fact's fields are text, booleans and lists
    of text, no model to convert (the templates' sandbox cannot modify the lists)."""
    return dict(fact.__dict__)


def render_fact(fact: Fact, template: Template, origin: tuple[str, int],
                values: dict[str, Any] | None = None) -> NoteSpec:
    """The note `template` makes of `fact`; `values` is `fact_values(fact)`, when the caller
    has it already (one per fact, for all its templates)."""
    return fact_note(fact, template, origin, fact_fields(fact, template, values))


def fact_fields(fact: Fact, template: Template,
                values: dict[str, Any] | None = None) -> dict[str, str]:
    """The fields of the note `template` makes of `fact` (`values`: as for `render_fact`)."""
    values = fact_values(fact) if values is None else values

    def render(text: str | None) -> str:
        if not text:
            return ""
        output = _render(compiled(text), values).strip()
        if len(output) > MAX_OUTPUT:
            from jinja2.exceptions import SecurityError

            raise SecurityError(f"the template writes {len(output):,} characters (the limit "
                                f"is {MAX_OUTPUT:,})")
        return output

    extra = "\n\n".join(part for part in (render(template.extra), fact.extra or "") if part)
    if template.type is CardType.CLOZE:
        return {"Text": render(template.text), "Extra": extra}
    return {"Question": render(template.question), "Answer": render(template.answer),
            "Extra": extra}


def fact_note(fact: Fact, template: Template, origin: tuple[str, int],
              fields: dict[str, str]) -> NoteSpec:
    """The note `template` makes of `fact`, with its `fields` rendered (`fact_fields`)."""
    return NoteSpec(
        id=f"{fact.id}/{template.id}", type=template.type, fields=fields,
        tags=(*fact.tags, *template.tags, f"kind::{fact.kind}"), source=fact.source,
        file=origin[0], line=origin[1], fact_id=fact.id, template_id=template.id,
        lint_disable=tuple(fact.lint_disable))


@cache
def _new_context() -> Callable[..., Any]:
    from jinja2.runtime import new_context

    return new_context


def _render(template: JinjaTemplate, values: dict[str, Any]) -> str:
    """`template.render(values)`, without its copies of `values` and of the globals (there
    are none: `environment` clears them; templates cannot assign, so `values` is only read):
    half the time of a short template's render."""
    environment = template.environment
    context = _new_context()(environment, template.name, template.blocks, values, shared=True)
    try:
        return environment.concat(  # type: ignore[attr-defined,no-any-return]
            template.root_render_func(context))
    except Exception:  # as Template.render: the same error, its traceback the template's
        environment.handle_exception()


def _template_error(sources: DeckSources, exc: TemplateError, fact: Fact, index: int,
                    template: Template, template_origin: str) -> Diagnostic:
    file = sources.root / "facts.yaml"
    doc = sources.documents.get("facts.yaml")
    position = doc.position(("facts", index)) if doc else None
    return Diagnostic(
        file,
        f"template {template.id!r} ({template_origin}) fails on fact {fact.id!r}: {exc}",
        "use only the attributes of this fact kind in the template, e.g. {{ name }}; "
        "see `flashcards schema facts`",
        position, code="template")

