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
from collections.abc import Iterable
from dataclasses import dataclass

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
    problems = []
    for i, fact in enumerate(sources.facts.facts):
        if CODE in fact.lint_disable:
            continue
        used = fact.templates if fact.templates is not None else defaults.get(fact.kind, [])
        problems.extend(_fact_problems(sources, i, fact, [
            template_id for template_id in used
            if template_id in _SLOTS and template_id not in replaced]))
    return problems


def _fact_problems(sources: DeckSources, index: int, fact: object,
                   template_ids: list[str]) -> Iterable[Diagnostic]:
    checked: set[str] = set()
    for template_id in template_ids:
        slot = _SLOTS[template_id]
        value = str(getattr(fact, slot.attribute, "") or "").strip()
        if slot.attribute in checked or not value or slot.form.match(value):
            continue
        checked.add(slot.attribute)
        yield Diagnostic(
            sources.root / "facts.yaml",
            f"fact {getattr(fact, 'id', '?')!r}: {slot.attribute} « {value} » lacks "
            f"{slot.needs}: template {template_id!r} makes « {slot.question.format(value)} »",
            f"write it as the question needs it, e.g. `{slot.example}`; or add "
            f"`lint_disable: [{CODE}]`",
            _position(sources, index, slot.attribute), CODE, RULES[CODE].severity)


def _position(sources: DeckSources, index: int, attribute: str) -> Position | None:
    doc = sources.documents.get("facts.yaml")
    position = doc.position(("facts", index, attribute)) if doc else None
    if position is None:
        _, line = sources.locate("facts.yaml", ("facts", index))
        position = Position(line) if line else None
    return position
