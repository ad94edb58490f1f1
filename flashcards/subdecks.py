"""Which (sub)deck each note's cards go to: a card's or fact's own `subdeck`, else the
subdeck of the fact's kind (`subdecks: {by: kind}`), else `subdecks.cards` for hand-written
cards, else the deck itself.

Anki matches decks by name, so a subdeck is just a name under the deck's (`Deck::Personnes`).
An import never moves a student's existing cards: a changed subdeck reaches new students and
new cards only.
"""

from __future__ import annotations

from collections.abc import Sequence

from flashcards.labels import kind_subdecks
from flashcards.models import DeckConfig, NoteSpec
from flashcards.validate import DeckSources


def kind_names(config: DeckConfig) -> dict[str, str]:
    """The subdeck name of each fact kind: the language's defaults, then the deck's own."""
    return {**kind_subdecks(config.language),
            **(config.subdecks.names if config.subdecks else {})}


def note_subdecks(sources: DeckSources, notes: Sequence[NoteSpec]) -> dict[str, str | None]:
    """Note id → its subdeck under the deck (None: the deck itself)."""
    config = sources.config
    layout = config.subdecks
    names = kind_names(config)
    cards = {card.id: card.subdeck for card in sources.cards.cards}
    facts = {fact.id: (fact.kind, fact.subdeck) for fact in sources.facts.facts}
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
