"""Memory savers must not change what the objects say: notes are slotted (no per-note
dictionary) and share one string for their file."""

from __future__ import annotations

from flashcards.expand import expand
from flashcards.validate import load_deck
from tests.helpers import STARTER_CARDS, STARTER_FACTS


def test_notes_are_slotted_and_share_their_file_name(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    notes = expand(load_deck(deck))
    cards = [n for n in notes if n.template_id is None]
    facts = [n for n in notes if n.template_id is not None]
    assert len(cards) == 4 and len(facts) == 3
    assert not any(hasattr(note, "__dict__") for note in notes)
    for group in (cards, facts):
        assert len({id(n.file) for n in group}) == 1
    assert cards[0].file == str(deck / "cards.yaml")
    assert facts[0].file == str(deck / "facts.yaml")
    assert cards[0].origin == f"{deck / 'cards.yaml'}:{cards[0].line}" and cards[0].line > 0
