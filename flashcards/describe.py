"""The deck description Anki shows before studying: title, source, version, counts, licence,
and what the latest release changed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flashcards.changes import ChangeKind, Plan
from flashcards.render import markdown_field

if TYPE_CHECKING:
    from flashcards.api import PreparedDeck
    from flashcards.models import DeckConfig

_LABELS = {
    "fr": {"source": "Source", "version": "Version", "cards": "cartes", "notes": "notes",
           "licence": "Licence", "added": "ajoutées", "changed": "modifiées",
           "published": "article du",
           "removed": "retirées", "news": "Dernière mise à jour"},
    "en": {"source": "Source", "version": "Version", "cards": "cards", "notes": "notes",
           "licence": "Licence", "added": "added", "changed": "changed",
           "published": "article of",
           "removed": "removed", "news": "Latest update"},
}


_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
_DATE_IN_ID = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def article_date(config: DeckConfig) -> str | None:
    """`published`, else a date in the seed's id (`tesla-dojo-2025-08-15.fr`), in words."""
    match = _DATE_IN_ID.search(config.published or config.seed or "")
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return None
    language = config.language.split("-")[0]
    months = _MONTHS.get(language, _MONTHS["en"])
    if language == "fr":
        return f"{'1er' if day == 1 else day} {months[month - 1]} {year}"
    return f"{months[month - 1]} {day}, {year}"


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~])", r"\\\1", text)


def deck_description(deck: PreparedDeck, plan: Plan) -> str:
    config = deck.sources.config
    labels = _LABELS.get(config.language.split("-")[0], _LABELS["en"])
    lines = [f"**{_markdown_escape(config.name)}**", ""]
    if config.description.strip():
        lines += [config.description.strip(), ""]
    facts = [f"**{labels['version']}** {config.version} · {len(deck.notes)} "
             f"{labels['notes']} · {deck.card_count()} {labels['cards']}"]
    source = [_markdown_escape(deck.seed.path.name)] if deck.seed is not None else []
    if config.source_url:
        source = [f"`{config.source_url}`"]
    date = article_date(config)
    if date:
        source.append(f"{labels['published']} {date}")
    if source:
        facts.append(f"**{labels['source']}** : {', '.join(source)}")
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
