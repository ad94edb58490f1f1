"""The deck description Anki shows before studying: title, source, version, counts, licence,
and what the latest release changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flashcards.changes import ChangeKind, Plan
from flashcards.render import markdown_field

if TYPE_CHECKING:
    from flashcards.api import PreparedDeck

_LABELS = {
    "fr": {"source": "Source", "version": "Version", "cards": "cartes", "notes": "notes",
           "licence": "Licence", "added": "ajoutées", "changed": "modifiées",
           "removed": "retirées", "news": "Dernière mise à jour"},
    "en": {"source": "Source", "version": "Version", "cards": "cards", "notes": "notes",
           "licence": "Licence", "added": "added", "changed": "changed",
           "removed": "removed", "news": "Latest update"},
}


def deck_description(deck: PreparedDeck, plan: Plan) -> str:
    config = deck.sources.config
    labels = _LABELS.get(config.language.split("-")[0], _LABELS["en"])
    lines = [config.description.strip(), ""] if config.description.strip() else []
    facts = [f"**{labels['version']}** {config.version} · {len(deck.notes)} "
             f"{labels['notes']} · {deck.card_count()} {labels['cards']}"]
    if deck.seed is not None:
        facts.append(f"**{labels['source']}** : {deck.seed.path.name}")
    if config.licence:
        facts.append(f"**{labels['licence']}** : {config.licence}")
    counts = {kind: 0 for kind in ChangeKind}
    for note in plan.lock.notes.values():
        if note.removed == config.version:
            counts[ChangeKind.REMOVED] += 1
        elif config.version in note.changed_in:
            counts[ChangeKind.CHANGED] += 1
        elif note.since == config.version and not note.is_removed:
            counts[ChangeKind.ADDED] += 1
    if counts[ChangeKind.CHANGED] or counts[ChangeKind.REMOVED]:
        news = ", ".join(f"{n} {labels[kind.value]}" for kind, n in counts.items() if n)
        facts.append(f"**{labels['news']}** ({config.version}) : {news}")
    lines.append("  \n".join(facts))
    return markdown_field("\n".join(lines), config.language)
