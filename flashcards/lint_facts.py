"""Lint rule `fact-form`: a French fact's attribute must read well inside the built-in
question it fills.

The built-in templates put `role`, `measure`, `definition` after « Qui est », « À combien
s'élève », « Quel nom désigne », and `date` after « Quel événement l'article situe-t-il »:
written without its article or preposition (`role: association`, `date: 2028`), the
attribute makes « Qui est association ? ». Only the built-in templates a fact really uses
are considered (a deck's template of the same id replaces the built-in one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from flashcards.diagnostics import Diagnostic, Position
from flashcards.lint import RULES
from flashcards.validate import DeckSources

CODE = "fact-form"
_ELIDED = r"(?:l|d|qu|jusqu|lorsqu)['’]"
# A noun phrase starts with a determiner (or a number: « 20 ingénieurs »).
_DETERMINER = re.compile(
    rf"^(?:{_ELIDED}|\d|(?:le|la|les|un|une|des|du|de|au|aux|son|sa|ses|leur|leurs|ce|cet|"
    r"cette|ces|mon|ma|mes|ton|ta|tes|notre|nos|votre|vos|quelques|plusieurs|certains|"
    r"certaines|chaque|tout|toute|tous|toutes|aucun|aucune|deux|trois|quatre|cinq|six|sept|"
    r"huit|neuf|dix|cent|mille|quel|quelle)\b)", re.IGNORECASE)
# A date is an adverbial phrase: a preposition or a time adverb first.
_PREPOSITION = re.compile(
    rf"^(?:{_ELIDED}|(?:en|le|les|au|aux|à|a|dans|depuis|vers|entre|dès|des|avant|après|lors|"
    r"pendant|durant|jusque|il y a|d['’]ici|cette|ce|cet|ces|début|fin|mi|courant|hier|"
    r"aujourd['’]hui|demain|autrefois|bientôt|désormais|alors|puis|plus tard|peu|"
    r"quelques|un|une|sous|par|pour|à partir)\b)", re.IGNORECASE)


@dataclass(frozen=True)
class _Slot:
    attribute: str
    form: re.Pattern[str]
    question: str  # where the attribute goes in the built-in template
    needs: str
    example: str


_DETERMINER_NEEDS = "its determiner (le, la, l’, les, un, une, des, son, sa, ses…)"
_SLOTS = {
    "person-name": _Slot("role", _DETERMINER, "Qui est {} ?", _DETERMINER_NEEDS,
                         "role: l’architecte en chef des puces de Tesla"),
    "quantity-value": _Slot("measure", _DETERMINER, "À combien s’élève {} ?",
                            _DETERMINER_NEEDS, "measure: le nombre d’ingénieurs recrutés"),
    "definition-term": _Slot("definition", _DETERMINER, "Quel nom désigne {} ?",
                             _DETERMINER_NEEDS,
                             "definition: le superordinateur conçu par Tesla"),
    "event-what": _Slot("date", _PREPOSITION, "Quel événement l’article situe-t-il {} ?",
                        "its preposition (en, le, au, dans, à, depuis, vers…)",
                        "date: en janvier 2021"),
    "event-date": _Slot("date", _PREPOSITION, "{}, …",
                        "its preposition (en, le, au, dans, à, depuis, vers…)",
                        "date: en janvier 2021"),
}


def lint_facts(sources: DeckSources) -> list[Diagnostic]:
    """`fact-form` warnings for the deck's facts (French decks only), except where the deck
    or the fact turned the rule off."""
    if not sources.config.language.startswith("fr") or \
            CODE in sources.config.lint_disable or not sources.facts.facts:
        return []
    from flashcards.expand import builtin_templates

    builtins = builtin_templates(sources.config.language)[1]
    replaced = {template.id for template in sources.templates.templates}
    defaults: dict[str, list[str]] = {}
    for template in builtins:
        if not template.optional:
            defaults.setdefault(template.kind, []).append(template.id)
    checked = {kind: _checked(ids, replaced) for kind, ids in defaults.items()}
    problems: list[Diagnostic] = []
    for i, fact in enumerate(sources.facts.facts):
        if CODE in fact.lint_disable:
            continue
        used = checked.get(fact.kind, []) if fact.templates is None else \
            _checked(fact.templates, replaced)
        reported: set[str] = set()
        for template_id in used:
            slot = _SLOTS[template_id]
            value = str(getattr(fact, slot.attribute, "") or "").strip()
            if value and not _has_form(slot.form, value[:_FORM_SPAN]) and \
                    slot.attribute not in reported:
                reported.add(slot.attribute)
                problems.append(_problem(sources, i, fact, template_id, value))
    return problems


def _checked(template_ids: list[str], replaced: set[str]) -> list[str]:
    """The built-in templates of `template_ids` that have a slot to check."""
    return [template_id for template_id in template_ids
            if template_id in _SLOTS and template_id not in replaced]


def _problem(sources: DeckSources, index: int, fact: object, template_id: str,
             value: str) -> Diagnostic:
    slot = _SLOTS[template_id]
    return Diagnostic(
        sources.root / "facts.yaml",
        f"fact {getattr(fact, 'id', '?')!r}: {slot.attribute} « {value} » lacks "
        f"{slot.needs}: template {template_id!r} makes « {slot.question.format(value)} »",
        f"write it as the question needs it, e.g. `{slot.example}`; or add "
        f"`lint_disable: [{CODE}]`",
        _position(sources, index, slot.attribute), CODE, RULES[CODE].severity)


# The forms' alternatives are at most 11 characters long (`aujourd’hui`), and `\b` after one
# looks at the next: whether a value has its form is told by its first characters (tested).
_FORM_SPAN = 16


def _has_form(form: re.Pattern[str], start: str) -> bool:
    return _FORM_TESTS[id(form)](start)


def _form_test(form: re.Pattern[str]) -> Callable[[str], bool]:
    @lru_cache(maxsize=4096)  # (keyed by the text: hashing a pattern hashes its code)
    def has_form(start: str) -> bool:
        return form.match(start) is not None
    return has_form


_FORM_TESTS = {id(form): _form_test(form) for form in (_DETERMINER, _PREPOSITION)}


def _position(sources: DeckSources, index: int, attribute: str) -> Position | None:
    doc = sources.documents.get("facts.yaml")
    position = doc.position(("facts", index, attribute)) if doc else None
    if position is None:
        _, line = sources.locate("facts.yaml", ("facts", index))
        position = Position(line) if line else None
    return position
