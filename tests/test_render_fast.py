"""The render's fast paths give exactly what the general paths they short-cut give: French
typography pass by pass against the one-pass regex, on texts made of the characters each
pass keys on."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flashcards import render
from flashcards.render import french_typography


def one_pass_typography(text: str) -> str:
    """The definition: one regex, a Python call per match."""
    return render._FRENCH_SPACING.sub(render._french_space, text)


TYPOGRAPHY_PIECES = st.sampled_from([
    " ", "  ", "\t", "\u00a0", "\u202f", "\n", "a", "é", "_", "1", "12", "345", "2021", "«",
    "»", "« ", " »", "'", "l'", "?", "!", ";", ":", "::", "%", ",", "’", "\x1f",
])


@settings(max_examples=6000, deadline=None)
@given(st.lists(TYPOGRAPHY_PIECES, max_size=16).map("".join))
@example("« ? » : «\u00a0» ;«» 1 000 l'a")
@example("«  ?")
@example("a ::  : b")
@example("» ! 12 345 678 % 1\u00a0234")
def test_typography_passes_are_the_one_pass_regex(text: str) -> None:
    assert french_typography(text) == one_pass_typography(text)
