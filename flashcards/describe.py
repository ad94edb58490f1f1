"""What a deck says about itself: its facts (version, note and card counts, the article and its
date, the licence), atop Anki's deck description and every export, and that description."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flashcards.changes import ChangeKind, Plan
from flashcards.labels import date_in_words, labels
from flashcards.render import markdown_field, typography

if TYPE_CHECKING:
    from flashcards.api import PreparedDeck
    from flashcards.models import DeckConfig

_DATE_IN_ID = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_escape(text: str) -> str:
    """`text` as Markdown that shows it literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def article_date(config: DeckConfig) -> str | None:
    """`published`, else a date in the seed's id (`tesla-dojo-2025-08-15.fr`), in words."""
    match = _DATE_IN_ID.search(config.published or config.seed or "")
    if not match:
        return None
    try:
        day = date(*(int(part) for part in match.groups()))
    except ValueError:  # digits that are no date, such as 2025-13-40
        return None
    return date_in_words(day.year, day.month, day.day, config.language)


@dataclass(frozen=True)
class DeckFacts:
    language: str
    version: str
    notes: int
    cards: int
    source: str | None  # the article's address (`source_url`), else its seed's file name
    source_is_address: bool
    published: str | None  # the article's date, in words
    licence: str | None

    @classmethod
    def of(cls, deck: PreparedDeck) -> DeckFacts:
        config = deck.sources.config
        seed_name = deck.seed.path.name if deck.seed is not None else None
        return cls(config.language, config.version, len(deck.notes), deck.card_count(),
                   config.source_url or seed_name, config.source_url is not None,
                   article_date(config), config.licence)

    def lines(self, *, markdown: bool = False) -> list[str]:
        """`Version 1.0.0 · 162 notes · 181 cartes`, `Source : tesla-dojo….txt, article du
        15 août 2025`, `Licence : CC BY-SA 4.0`. In Markdown, labels are bold and an address
        is code: shown as text, never a link to a remote address."""
        words = labels(self.language)

        def label(name: str) -> str:
            return f"**{words[name]}**" if markdown else words[name]

        lines = [f"{label('version')} {self.version} · {self.notes} {words['notes']} · "
                 f"{self.cards} {words['cards']}"]
        article = []
        if self.source:
            source = self.source
            if markdown:
                source = f"`{source}`" if self.source_is_address else markdown_escape(source)
            article.append(source)
        if self.published:
            article.append(f"{words['published']} {self.published}")
        if article:
            lines.append(f"{label('source')}{colon(self.language)} {', '.join(article)}")
        if self.licence:
            lines.append(f"{label('licence')}{colon(self.language)} {self.licence}")
        return lines


def colon(language: str) -> str:
    """` :` in French (the space becomes non-breaking), `:` in other languages."""
    return " :" if language.startswith("fr") else ":"


def facts_line(deck: PreparedDeck) -> str:
    """The deck's facts on one line of plain text, with the language's typography."""
    language = deck.sources.config.language
    return typography(" · ".join(DeckFacts.of(deck).lines()), language)


def _release_news(plan: Plan, version: str, language: str) -> str:
    """`3 modifiées, 1 retirées` when the release `version` changed or removed notes."""
    counts = dict.fromkeys(ChangeKind, 0)
    for note in plan.lock.notes.values():
        if note.removed == version:
            counts[ChangeKind.REMOVED] += 1
        elif version in note.changed_in:
            counts[ChangeKind.CHANGED] += 1
        elif note.since == version and not note.is_removed:
            counts[ChangeKind.ADDED] += 1
    if not (counts[ChangeKind.CHANGED] or counts[ChangeKind.REMOVED]):
        return ""
    words = labels(language)
    return ", ".join(f"{n} {words[kind.value]}" for kind, n in counts.items() if n)


def deck_description(deck: PreparedDeck, plan: Plan) -> str:
    """The HTML Anki shows before studying: the title, the author's description, the deck's
    facts and what the latest release changed."""
    config = deck.sources.config
    lines = [f"**{markdown_escape(config.name)}**", ""]
    if config.description.strip():
        lines += [config.description.strip(), ""]
    facts = DeckFacts.of(deck).lines(markdown=True)
    news = _release_news(plan, config.version, config.language)
    if news:
        facts.append(f"**{labels(config.language)['news']}** ({config.version})"
                     f"{colon(config.language)} {news}")
    lines.append("  \n".join(facts))
    return markdown_field("\n".join(lines), config.language)
