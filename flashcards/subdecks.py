"""Which (sub)deck each note's cards go to. (Notes made from facts are tagged `kind::<kind>`
by expand.)

Anki matches decks by name, so a subdeck is just a name under the deck's (`Deck::Personnes`).
An import never moves a student's existing cards: a changed subdeck reaches new students and
new cards only.
"""

from __future__ import annotations

from collections.abc import Sequence

from flashcards.models import DeckConfig, NoteSpec
from flashcards.validate import DeckSources

DEFAULT_NAMES = {
    "fr": {"person": "Personnes", "event": "Dates", "quantity": "Chiffres",
           "relation": "Relations", "definition": "Définitions", "quote": "Citations"},
    "en": {"person": "People", "event": "Dates", "quantity": "Figures",
           "relation": "Relations", "definition": "Definitions", "quote": "Quotes"},
}


def kind_names(config: DeckConfig) -> dict[str, str]:
    """The subdeck name of each fact kind: the language's defaults, then the deck's own."""
    defaults = DEFAULT_NAMES.get(config.language.split("-")[0], DEFAULT_NAMES["en"])
    return {**defaults, **(config.subdecks.names if config.subdecks else {})}


def _fact_kinds(sources: DeckSources) -> dict[str, tuple[str, str | None]]:
    return {fact.id: (fact.kind, fact.subdeck) for fact in sources.facts.facts}


def note_subdecks(sources: DeckSources, notes: Sequence[NoteSpec]) -> dict[str, str | None]:
    """Note id → its subdeck under the deck (None: the deck itself)."""
    config = sources.config
    layout = config.subdecks
    names = kind_names(config)
    cards = {card.id: card.subdeck for card in sources.cards.cards}
    facts = _fact_kinds(sources)
    result: dict[str, str | None] = {}
    for note in notes:
        if note.fact_id is not None and note.fact_id in facts:
            kind, own = facts[note.fact_id]
            by_kind = names.get(kind) if layout and layout.by == "kind" else None
            result[note.id] = own or by_kind
        else:
            result[note.id] = cards.get(note.id) or (layout.cards if layout else None)
    return result


def note_decks(sources: DeckSources, notes: Sequence[NoteSpec]) -> dict[str, str]:
    """Note id → the full Anki deck name its cards go to (`Deck::Subdeck`, or `Deck`)."""
    name = sources.config.name
    return {note_id: f"{name}::{sub}" if sub else name
            for note_id, sub in note_subdecks(sources, notes).items()}
