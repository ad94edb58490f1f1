"""pack_notes renders a notetype's field for all its notes at once: the notes must come back
in their order, each exactly as pack_note renders it alone, whatever the mix of types."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import pack_note, pack_notes

TEXT = st.text(alphabet=st.sampled_from("ab é*_`[]<>&!#\\\n{}:c1«»'?\u00a0"),
               max_size=30)


@st.composite
def notes(draw) -> list[NoteSpec]:
    made = []
    for index in range(draw(st.integers(0, 12))):
        card_type = draw(st.sampled_from(list(CardType)))
        names = [n for n in NOTETYPES[card_type].field_names if n != "Source"]
        fields = {name: draw(TEXT) for name in names if draw(st.booleans())}
        if card_type is CardType.CLOZE:
            fields["Text"] = fields.get("Text", "") + "{{c1::" + draw(TEXT) + "}}"
        made.append(NoteSpec(id=f"n{index}", type=card_type, file="cards.yaml", fields=fields,
                             tags=tuple(draw(st.lists(st.sampled_from(["a", "b::c"])))),
                             source=draw(st.none() | TEXT)))
    return made


@settings(max_examples=150, deadline=None)
@given(notes(), st.sampled_from(["fr", "en"]))
def test_pack_notes_is_pack_note_of_each(batch: list[NoteSpec], language: str) -> None:
    config = DeckConfig(name="Dojo", language=language, tags=["dojo"])
    assert pack_notes(batch, "dojo", config) == [pack_note(n, "dojo", config) for n in batch]
