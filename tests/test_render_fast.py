"""The render's fast paths give exactly what the general paths they short-cut give: French
typography pass by pass against the one-pass regex; many fields rendered at once (joined,
inline Markdown parsed as paragraphs of one document) against each field on its own; on
texts made of the characters each path keys on."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from flashcards import render
from flashcards.render import FieldRenderer, french_typography


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


# ---- many fields at once -------------------------------------------------------------------

FIELD_PIECES = st.sampled_from([
    " ", "  ", "    ", "\t", "\n", "\n\n", "\r", "\u00a0", "\u202f", "\u2028", "\x85", "a",
    "é", "e\u0301", "\u0301", "1", "12", "3 000", "12.", "3)", "- ", "+ ", "= ", "* ", "*",
    "**", "_", "`", "[", "]", "](x.png)", "[r]: x", "<", ">", "<b>", "&", "&amp;", "\\", "!",
    "#", "|", "~", "'", "l'", '"', "«", "»", "?", " ?", ":", "::", "%", "{{", "{{c1::", "}}",
    "[sound:a.mp3]", "\x00", "\x1e", "\x1f", "\x7f",
])
FIELD = st.lists(FIELD_PIECES, max_size=8).map("".join) | st.text(max_size=12)
FIELDS = st.lists(FIELD, max_size=8)


@settings(max_examples=1500, deadline=None)
@given(texts=FIELDS, language=st.sampled_from(["fr", "en"]))
@example(texts=["", "- a", "  ", "1. b", " *c*", "x\x1fy"], language="fr")
@example(texts=["a ?", "« b »", "3 000 l'c"], language="fr")
def test_many_fields_at_once_are_each_field(texts: list[str], language: str) -> None:
    french = render._is_french(language)
    renderer = FieldRenderer(language)
    for many, cloze in ((renderer.markdown_many, False), (renderer.cloze_many, True)):
        expected = [render._render_markdown(text, french, cloze) for text in texts]
        assert many(texts) == expected
        assert many(texts) == expected  # from the cache
    expected = [render._render_plain(text, french) for text in texts]
    assert renderer.plain_many(texts) == expected
    assert [renderer.plain(text) for text in texts] == expected


def test_many_fields_keep_the_cache_bounded() -> None:
    renderer = FieldRenderer("fr")
    renderer.CACHE_SIZE = 3
    texts = [f"Question {i} ?" for i in range(10)]
    for _ in range(3):
        assert renderer.markdown_many(texts) == [render._render_markdown(text, True, False)
                                                 for text in texts]
        assert len(renderer._markdown) <= 3 + len(texts)


INLINE_PIECES = st.sampled_from([
    "a", "Dojo", "é", "1", " ", "  ", "\t", "\u00a0", "\u202f", "*", "**", "***", "_", "__",
    "`", "``", "* ", " *", "*a*", "**b**", "_c_", "`d`", "(", ")", ".", ",", "'", '"', "’",
    "«", "»", "?", ":", "{{", "}}", "{{c1::", "\u2028", "\x85", "\r", "\n", "[", "]", "~",
    "<", "&", "|", "- ", "1. ", "#",
])
INLINE = st.builds(str.__add__, st.sampled_from(["a", "É", "Qu", "*", "_", "`", " ", "1"]),
                   st.lists(INLINE_PIECES, max_size=10).map("".join))


@settings(max_examples=1500, deadline=None)
@given(texts=st.lists(INLINE, max_size=10), cloze=st.booleans())
@example(texts=["Quelle est *Dojo* ?", "La **réponse**", "a `b` _c_", "a\n\n*b*"], cloze=False)
@example(texts=["*Dojo* a", "* a*", "*", "*\t*a*", "***", "* * *", "__*__", "```a`", "_a_",
                "«\u00a0*a*\u00a0»", "2021 *a*", "(*a*)", " *a*", "\u00a0*a*"], cloze=False)
def test_inline_markdown_shares_one_parse(texts: list[str], cloze: bool) -> None:
    expected = [render._render_markdown(text, True, cloze) for text in texts]
    assert render._render_markdown_all(texts, True, cloze) == expected


def test_latin_1_text_is_in_nfc() -> None:
    """What `_latin_1` stands on: no character below U+0100 changes under NFC, nor any pair."""
    latin_1 = [chr(code) for code in range(256)]
    assert all(unicodedata.is_normalized("NFC", first + second)
               for first in latin_1 for second in latin_1)
