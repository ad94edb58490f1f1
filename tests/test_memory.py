"""Memory savers must not change what the objects say: notes share one `fields set` (as
pydantic would compute it for each) and one string for their file."""

from __future__ import annotations

from flashcards.expand import expand
from flashcards.models import NoteSpec
from flashcards.validate import load_deck
from tests.helpers import STARTER_CARDS, STARTER_FACTS


def test_notes_share_what_pydantic_would_compute_for_each(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    notes = expand(load_deck(deck))
    cards = [n for n in notes if n.template_id is None]
    facts = [n for n in notes if n.template_id is not None]
    assert len(cards) == 4 and len(facts) == 3
    for group in (cards, facts):
        for note in group:
            values = dict(note.__dict__)
            if note.template_id is not None:
                del values["guid"]  # a generated note never sets it
            assert note.model_fields_set == NoteSpec.model_construct(**values).model_fields_set
        assert len({id(n.model_fields_set) for n in group}) == 1
    assert len({id(n.file) for n in cards}) == 1
    assert cards[0].file == str(deck / "cards.yaml")
