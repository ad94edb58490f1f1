"""The words the tool itself writes into decks and exports, in the deck's language (English
for a language it has no words for)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

_LABELS = {
    "fr": {"version": "Version", "notes": "notes", "cards": "cartes", "source": "Source",
           "published": "article du", "licence": "Licence", "news": "Dernière mise à jour",
           "added": "ajoutées", "changed": "modifiées", "removed": "retirées",
           "question": "Question", "answer": "Réponse"},
    "en": {"version": "Version", "notes": "notes", "cards": "cards", "source": "Source",
           "published": "article of", "licence": "Licence", "news": "Latest update",
           "added": "added", "changed": "changed", "removed": "removed",
           "question": "Question", "answer": "Answer"},
}

# The default subdeck of each fact kind (`subdecks: {by: kind}` in deck.yaml).
_KIND_SUBDECKS = {
    "fr": {"person": "Personnes", "event": "Dates", "quantity": "Chiffres",
           "relation": "Relations", "definition": "Définitions", "quote": "Citations"},
    "en": {"person": "People", "event": "Dates", "quantity": "Figures",
           "relation": "Relations", "definition": "Definitions", "quote": "Quotes"},
}

_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def _base(language: str) -> str:
    """`fr-CA` → `fr`; `en` for a language without words here."""
    base = language.split("-")[0]
    return base if base in _LABELS else "en"


def in_language(table: Mapping[str, T], language: str) -> T:
    """`table`'s entry for `language` (`fr-CA` → `fr`); English for a language it lacks."""
    return table.get(language.split("-")[0], table["en"])


def labels(language: str) -> dict[str, str]:
    return in_language(_LABELS, language)


def kind_subdecks(language: str) -> dict[str, str]:
    return in_language(_KIND_SUBDECKS, language)


def date_in_words(year: int, month: int, day: int, language: str) -> str:
    """`15 août 2025`, `1er septembre 2025`; `August 15, 2025`."""
    base = _base(language)
    name = _MONTHS[base][month - 1]
    if base == "fr":
        return f"{'1er' if day == 1 else day} {name} {year}"
    return f"{name} {day}, {year}"
