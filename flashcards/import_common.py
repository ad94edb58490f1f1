"""What both importers share: the result an import fills (cards kept, rows skipped and why,
notes for the teacher), what the deck already has (an import never repeats a card), and line
breaks as a card keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flashcards.check import question_text_key


@dataclass
class Seen:
    """What the deck already has: ids (cards and facts), GUIDs, and questions."""

    ids: set[str] = field(default_factory=set)
    guids: set[str] = field(default_factory=set)
    questions: dict[str, str] = field(default_factory=dict)  # normalised question → id

    def duplicate(self, card: dict[str, Any]) -> str | None:
        if card.get("guid") in self.guids:
            return f"already in the deck (GUID {card['guid']})"
        other = self.questions.get(_question_key(card))
        return f"already in the deck: same question as {other!r}" if other else None

    def add(self, card: dict[str, Any]) -> None:
        self.ids.add(card["id"])
        if card.get("guid"):
            self.guids.add(card["guid"])
        self.questions[_question_key(card)] = card["id"]


def _question_key(card: dict[str, Any]) -> str:
    return question_text_key(str(card.get("question") or card.get("text") or ""))


@dataclass
class Skipped:
    where: str  # `file.csv:12`, `note 1712345678`, `card 'id'`
    reason: str
    already_there: bool = False  # a re-run skips what it imported before: not a failure


@dataclass
class ImportResult:
    """What an import read, added and skipped, and why."""

    file: Path
    deck: str
    format: str
    details: dict[str, str] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)  # card id → `file.csv:12`, `note …`
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created_deck: bool = False
    written: bool = False

    def to_json(self) -> dict[str, object]:
        return {"file": str(self.file), "deck": self.deck, "format": self.format,
                **self.details, "created_deck": self.created_deck,
                "imported": [c["id"] for c in self.cards],
                "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
                "notes": self.notes}



def keep(result: ImportResult, where: str, card: dict[str, Any], seen: Seen) -> bool:
    """Keep `card` unless the deck (or the import) already has it; True when kept."""
    duplicate = seen.duplicate(card)
    if duplicate:
        result.skipped.append(Skipped(where, duplicate, already_there=True))
        return False
    seen.add(card)
    result.cards.append(card)
    result.origins[card["id"]] = where
    return True


def hard_breaks(text: str) -> str:
    """A line break inside a paragraph (a spreadsheet cell's, or Anki's `<br>`) stays one
    on the card: Markdown would join the lines. Lists and blank lines keep their meaning."""
    lines = text.split("\n")
    for i in range(len(lines) - 1):
        here, after = lines[i], lines[i + 1]
        if here.strip() and after.strip() and not (
                here.lstrip().startswith("- ") or after.lstrip().startswith("- ")):
            lines[i] = here + "<br>"
    return "\n".join(lines)
