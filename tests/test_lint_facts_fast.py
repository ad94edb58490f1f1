"""`fact-form` tells whether a value has its form from the value's first characters
(`lint_facts._FORM_SPAN`): the same as matching the whole value."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from flashcards import lint_facts
from tests.test_lint_fast import SETTINGS


def _alternatives(form: re.Pattern[str]) -> list[str]:
    """The words of a form's alternation, as written in its pattern."""
    return [word.replace("['’]", "’") for word in re.findall(r"[\w' ’\[\]]+", form.pattern)
            if word.strip()]


WORDS = sorted({word for slot in lint_facts._SLOTS.values()
                for word in _alternatives(slot.form)} | {"l’", "d'", "qu’", "aujourd’hui"})
values = st.tuples(st.sampled_from(["", " ", "L", "Qu"]), st.sampled_from(WORDS),
                   st.text(alphabet="aé ’'-0x_.\u0301", max_size=6),
                   st.text(max_size=20)).map("".join)


@SETTINGS
@given(values | st.text(max_size=30), st.sampled_from([slot.form for slot in
                                                        lint_facts._SLOTS.values()]))
def test_a_form_is_told_by_the_first_characters(value: str, form: re.Pattern[str]) -> None:
    assert lint_facts._has_form(form, value[:lint_facts._FORM_SPAN]) == \
        (form.match(value) is not None)
    assert len(max(WORDS, key=len)) < lint_facts._FORM_SPAN
