"""check clears a deck from what all its notes tell at once (keys, sources, sides, gaps):
where it does, the one pass over the notes must find nothing either."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flashcards import check as checks
from flashcards.grounding import Seed
from flashcards.models import CardType, NoteSpec
from tests.conftest import SEED
from tests.test_lint_fast import SETTINGS, cloze_texts, texts
from tests.test_lint_suspects import gap_texts

sides = st.sampled_from(["", " ", "\t", "Quel ?", "a", "{{c1::a}}", "{{", "x\0y"]) | texts
clozes = gap_texts() | cloze_texts | st.sampled_from(
    ["{{c1::a}}", "{{c1::a}} b {{c2::c}}", "b", "", "{{c0::a}}", "{{c1:: }}", "\0{{c1::a}}",
     "{{c1::a\0}}", "{{c1::a}}}}", "{{c1::a}}{{", "{{c١::a}}", "{{c٠::a}}"])
SOURCES = ["Tesla a mis un terme", "D1 […] puce", "pas dans l'article", "", None]


@st.composite
def decks(draw: st.DrawFn) -> list[NoteSpec]:
    """Clean notes (each its own question, a gap, a source in the seed) where, now and then,
    one thing goes wrong."""
    def sometimes(clean: object, wrong: st.SearchStrategy) -> object:
        return draw(wrong) if draw(st.integers(0, 3)) == 3 else clean

    made = []
    for i in range(draw(st.integers(0, 8))):
        card_type = draw(st.sampled_from(list(CardType)))
        if card_type is CardType.CLOZE:
            fields = {"Text": sometimes(f"Le {{{{c1::fait {i}}}}} ?", clozes),
                      "Extra": sometimes("", sides)}
        else:
            fields = {"Question": sometimes(f"Q{i} ?", sides | st.just("Q ?")),
                      "Answer": sometimes("a", sides), "Extra": sometimes("", sides)}
        made.append(NoteSpec(id=f"n{i}", type=card_type, fields=fields, file="cards.yaml",
                             line=i + 1, source=sometimes(SOURCES[0], st.sampled_from(SOURCES))))
    return made


@SETTINGS
@given(decks(), st.booleans())
def test_a_deck_cleared_at_once_has_nothing_to_find(notes: list[NoteSpec], seeded: bool
                                                    ) -> None:
    seed = Seed("s", SEED, "Tesla a mis un terme à son ambitieux projet. La puce D1 d'Dojo.") \
        if seeded else None
    assert checks.check(notes, seed).diagnostics == \
        checks._check(notes, seed, checks._question_keys(notes)).diagnostics


def _card(i: int, question: str = "", answer: str = "a", **fields: str) -> NoteSpec:
    return NoteSpec(id=f"c{i}", type=CardType.BASIC, file="cards.yaml", line=i + 1,
                    source="Tesla a mis un terme",
                    fields={"Question": question or f"Q{i} ?", "Answer": answer, **fields})


def _cloze(i: int, text: str) -> NoteSpec:
    return NoteSpec(id=f"z{i}", type=CardType.CLOZE, file="cards.yaml", line=i + 1,
                    source="Tesla a mis un terme", fields={"Text": text, "Extra": ""})


GOOD = [_card(0), _cloze(1, "Le {{c1::fait}} ?"), _cloze(2, "{{c2::x::y}} et {{c1::z}}")]
# Each a clean deck but for one thing that only one of the pre-checks notices.
ONE_DEFECT = [
    [*GOOD, _cloze(3, "sans trou")],  # the last text without a gap
    [_cloze(3, "sans trou"), *GOOD],  # the first
    [GOOD[1], _cloze(3, "sans trou"), GOOD[2]],  # one in the middle
    [_cloze(3, "sans trou")],  # the only one
    [*GOOD, _cloze(3, "{{c1:: }}")],  # an empty answer
    [*GOOD, _cloze(3, "{{c0::a}}")],  # c0
    [*GOOD, _cloze(3, "{{c1::a}}{{")],  # braces left over
    [*GOOD, _cloze(3, "{{c1::a}}}}")],
    [*GOOD, _card(3, Extra="{{c1::a}}")],  # a gap in a card
    [*GOOD, _card(3, answer=" ")],  # an empty side
    [*GOOD, _card(3, question="Q0 ?")],  # a duplicate
    [*GOOD, NoteSpec(id="c3", type=CardType.BASIC, file="cards.yaml", line=4,
                     source="pas dans l'article", fields={"Question": "Q3 ?", "Answer": "a"})],
]


def test_one_defect_is_found() -> None:
    seed = Seed("s", SEED, "Tesla a mis un terme à son ambitieux projet.")
    assert not checks.check(GOOD, seed).diagnostics
    for notes in ONE_DEFECT:
        found = checks._check(notes, seed, checks._question_keys(notes)).diagnostics
        assert found, notes
        assert checks.check(notes, seed).diagnostics == found
