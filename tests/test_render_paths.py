"""The render's shortcuts give exactly what the whole chain gives (Markdown through pyromark,
nh3, typography, neutralised Anki markup), on generated text made of the characters each
shortcut keys on; the GUIDs and the card ordinals are genanki's own."""

from __future__ import annotations

import html
import re
import unicodedata

import genanki
import pyromark
from hypothesis import example, given, settings
from hypothesis import strategies as st

from flashcards import render
from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import (
    _cloze_ordinals,
    _front_back_ordinals,
    _Model,
    base91,
    card_ordinals,
    note_guid,
    pack_note,
    pack_notes,
)
from flashcards.render import FieldRenderer, french_typography, markdown_field, plain_field
from flashcards.tts import with_tts

# ---- the whole chain, step by step, as the render was before its shortcuts ---------------

_TYPOGRAPHY_CHARS = re.compile(r"[?!;:«»'%]")
_DIGITS_SPACE = re.compile(r"\d[ \u00a0]\d")
_MARKUP_CHARS = re.compile(r"[*_`\[\]<>&\\!#|~\n]")
_MARKUP_START = re.compile(r"\s*(?:[-+=]|\d+[.)])")
_RAW_HTML = re.compile(r"[<&]")
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]*\]:", re.M)
_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH


def chain_typography(text: str) -> str:
    if not _TYPOGRAPHY_CHARS.search(text) and not _DIGITS_SPACE.search(text):
        return text
    return render._FRENCH_SPACING.sub(render._french_space, text)


def chain_clean(text: str) -> str:
    text = render._CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def chain_neutralise(fragment: str, cloze: bool) -> str:
    fragment = fragment.replace("[sound:", "&#91;sound:")
    if cloze:
        return render._CLOZE_OPEN.sub("&#123;&#123;", fragment)
    return fragment.replace("{{", "&#123;&#123;")


def chain_markdown(text: str, language: str, cloze: bool) -> str:
    if not text:
        return ""
    text = chain_clean(text)
    if language.startswith("fr"):
        text = chain_typography(text)
    if not _MARKUP_CHARS.search(text) and not _MARKUP_START.match(text):
        return chain_neutralise(html.escape(text, quote=False), cloze)
    rendered = pyromark.html(text, options=_OPTIONS).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and "<p>" not in rendered[3:]:
        rendered = rendered[3:-4]
    if _RAW_HTML.search(text) or "](" in text or ("]:" in text and
                                                   _LINK_DEFINITION.search(text)):
        rendered = render.sanitize(rendered)
    return chain_neutralise(rendered, cloze)


def chain_plain(text: str, language: str) -> str:
    if not text:
        return ""
    text = chain_clean(text)
    if language.startswith("fr"):
        text = chain_typography(text)
    return chain_neutralise(html.escape(text, quote=False), False)


# ---- generated texts: the characters every shortcut looks for ---------------------------

SPACES = [" ", "  ", "\t", "\u00a0", "\u202f"]
PIECES = st.sampled_from([
    *SPACES, "a", "é", "e\u0301", "<\u0338", "Dojo", "1", "20", "000", "3 000", "3\u00a0000",
    "«", "»",
    "'", "l'", "?", "!", ";", ":", "::", "%", ",", ".", "*", "**", "_", "`", "[", "]", "<",
    ">", "&", "\\", "#", "|", "~", "\n", "\n\n", "- ", "1. ", "2) ", "= ", "+ ", "{", "}",
    "{{", "}}", "{{c1::", "{{c2::x}}", "[sound:a.mp3]", "&#91;sound:", "&#123;", "](x.png)",
    "![i](a.png)", "[r]: http://x", "<b>", "</b>", "<script>", "<img src=x>", "\x00", "\x01",
    "\x1f", "\x7f", "\r", "\u2028", "\u200b",
])
TEXTS = st.lists(PIECES, max_size=12).map("".join) | st.text(max_size=30)
LANGUAGES = st.sampled_from(["fr", "fr-CA", "en", "de"])


@settings(max_examples=4000, deadline=None)
@given(text=TEXTS, language=LANGUAGES, cloze=st.booleans())
@example(text="Quelle est la réponse numéro 3 sur *Dojo* ?", language="fr", cloze=False)
@example(text="La carte {{c1::le fait 3}} : 3 000 € ; 40 %", language="fr", cloze=True)
def test_markdown_field_is_the_whole_chain(text: str, language: str, cloze: bool) -> None:
    expected = chain_markdown(text, language, cloze)
    assert render._render_markdown(text, render._is_french(language), cloze) == expected
    assert markdown_field(text, language, cloze=cloze) == expected
    assert markdown_field(text, language, cloze=cloze) == expected  # from the cache


@settings(max_examples=3000, deadline=None)
@given(text=TEXTS, language=LANGUAGES)
@example(text="Il a recruté 20 des meilleurs ingénieurs : « Dojo » & <b>", language="fr")
def test_plain_field_is_the_whole_chain(text: str, language: str) -> None:
    expected = chain_plain(text, language)
    assert render._render_plain(text, render._is_french(language)) == expected
    assert plain_field(text, language) == expected
    assert plain_field(text, language) == expected


@settings(max_examples=5000, deadline=None)
@given(st.lists(st.sampled_from([*SPACES, "0", "12", "345", "3\u00a0000", "1\u202f500",
                                 "12 345", "a", "é", "?", "!", ";", ":", "%", "«", "»", "'",
                                 ",", "\n"]), max_size=14).map("".join))
@example("Quelle ? Oui : 3 000 ; non ! 40 %")
@example("a :: b  ?\t! 1 2")
@example("3\u00a0000 et 1\u202f500 000")
def test_typography_shortcuts_are_the_one_pass_regex(text: str) -> None:
    assert french_typography(text) == chain_typography(text)


def test_a_full_cache_starts_again_with_the_same_results() -> None:
    renderer = FieldRenderer("fr")
    renderer.CACHE_SIZE = 3
    texts = [f"Question {i} ?" for i in range(10)] * 2
    assert [renderer.markdown(t) for t in texts] == [chain_markdown(t, "fr", False)
                                                      for t in texts]
    assert len(renderer._markdown) <= 3


# ---- GUIDs --------------------------------------------------------------------------------

def genanki_base91(value: int) -> str:
    """genanki.guid_for's own base-91 loop."""
    table = genanki.util.BASE91_TABLE
    digits = []
    while value > 0:
        digits.append(table[value % len(table)])
        value //= len(table)
    return "".join(reversed(digits))


@settings(max_examples=3000, deadline=None)
@given(slug=st.text(max_size=20), note_id=st.text(max_size=40))
@example(slug="dojo", note_id="abandon")
@example(slug="", note_id="")
def test_note_guid_is_genankis(slug: str, note_id: str) -> None:
    assert note_guid(slug, note_id) == genanki.guid_for("flashcards", slug, note_id)


@given(st.integers(min_value=0, max_value=2**64 - 1))
@example(0)
@example(1)
@example(90)
@example(91)
@example(91**5 - 1)
@example(91**5)
@example(2**64 - 1)
def test_base91_is_genankis(value: int) -> None:
    assert base91(value) == genanki_base91(value)


def test_many_guids_are_genankis() -> None:
    for i in range(20_000):
        assert note_guid("synth", f"card-{i}") == genanki.guid_for("flashcards", "synth",
                                                                   f"card-{i}")


# ---- packing every note at once -----------------------------------------------------------

def test_pack_notes_is_pack_note_of_each() -> None:
    config = DeckConfig(name="Dojo", language="fr", tags=["dojo", "a::b"])
    notes = [
        NoteSpec(id="q", type=CardType.BASIC, file="cards.yaml",
                 fields={"Question": "Qui ?", "Answer": "**Musk**"}, tags=("z", "a"),
                 source="Il l'a dit : « oui »."),
        NoteSpec(id="c", type=CardType.CLOZE, file="cards.yaml",
                 fields={"Text": "{{c1::Tesla}} a fermé {{Dojo}}", "Extra": "3 000 puces"}),
        NoteSpec(id="r", type=CardType.REVERSE, file="cards.yaml", guid="kept",
                 fields={"Question": "AI6", "Answer": "Samsung"}, tags=("dojo",)),
    ]
    packed = pack_notes(notes, "dojo", config)
    assert packed == [pack_note(note, "dojo", config) for note in notes]
    assert packed[0].tags == ("a", "a::b", "dojo", "z")
    assert packed[1].fields[0] == "{{c1::Tesla}} a fermé &#123;&#123;Dojo}}"
    assert packed[2].guid == "kept"


# ---- card ordinals ------------------------------------------------------------------------

GAPS = st.lists(st.sampled_from(["{{c1::a}}", "{{c2::b}}", "{{c3::c::hint}}", "{{c0::z}}",
                                 "{{c12::d}}", "{{c1::}}", "{{c2::x\ny}}", "{{c", "}}", "::",
                                 "{{c9::e}}", "text ", "{{"]), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(text=GAPS, extra=GAPS, tts=st.booleans())
@example(text="{{c1::Tesla}} {{c3::Dojo}} {{c2::2025}} {{c1::Musk}}", extra="", tts=False)
def test_cloze_ordinals_are_genankis(text: str, extra: str, tts: bool) -> None:
    notetype = NOTETYPES[CardType.CLOZE]
    model = _Model(with_tts(notetype, "fr") if tts else notetype, 0)
    fields = (text, extra, "")
    assert _cloze_ordinals(model)(fields) == card_ordinals(model, fields)


@given(card_type=st.sampled_from([CardType.BASIC, CardType.REVERSE, CardType.TYPE_IN]),
       empty=st.lists(st.booleans(), min_size=4, max_size=4))
def test_front_back_ordinals_are_genankis(card_type: CardType, empty: list[bool]) -> None:
    model = _Model(NOTETYPES[card_type], 0)
    fields = tuple("" if blank else "x" for blank in empty)
    ordinals = _front_back_ordinals(model)
    assert ordinals(fields) == ordinals(fields) == card_ordinals(model, fields)
