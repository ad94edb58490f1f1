"""Field text to the HTML Anki shows: Markdown, an allow-list of tags, typography, and
neutralised Anki markup. Nothing active (scripts, event handlers, remote URLs) survives."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

import nh3
import pyromark

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "s", "sub", "sup", "code", "pre", "br", "p", "ul", "ol",
    "li", "blockquote", "span", "div", "small", "mark", "hr", "table", "thead", "tbody", "tr",
    "th", "td", "img", "h3", "h4",
}
ALLOWED_ATTRIBUTES = {"img": {"src", "alt"}, "span": {"class"}, "div": {"class"},
                      "td": {"colspan"}, "th": {"colspan"}}

# Controls (U+001F separates Anki's fields: one in a text would shift every field after it).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CLOZE_OPEN = re.compile(r"\{\{(?!c\d+::)")

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"


_MARKDOWN_OPTIONS = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH
# Text without these characters renders to itself (escaped): no Markdown parse needed.
_MARKUP_CHARS = re.compile(r"[*_`\[\]<>&\\!#|~\n]")
_MARKUP_START = re.compile(r"\s*(?:[-+=]|\d+[.)])")
# Markdown without raw HTML, links or images yields only allow-listed tags.
_RAW_HTML = re.compile(r"[<&]")
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]*\]:", re.M)


_TYPOGRAPHY_CHARS = re.compile(r"[?!;:«»'%]")
_DIGITS_SPACE = re.compile(r"\d[ \u00a0]\d")  # searched apart: 2x faster than one alternation


# Spaces before ? ! ; (high) or % (`high` too, but a full no-break space), : (not ::), after
# « and before » (even none), an apostrophe between letters, the space between groups of
# digits (`3 000`: a group of 1-3 digits, then exactly 3; `16,5 milliards` and `2021 20` are
# not groups). Every branch starts with a character of one class, checked again behind it
# (the branches after a space share one check): the regex engine then skips other
# characters without trying each branch.
_FRENCH_SPACING = re.compile(
    r"[ \t\u00a0\u202f«»']"
    r"(?:(?<=[ \t\u00a0\u202f])(?:[ \t\u00a0\u202f]*(?:(?P<high>[?!;%])|:(?!:)|»)"
    r"|(?<=\d[ \u00a0\u202f])(?<!\d{4}[ \u00a0\u202f])(?P<digits>)(?=\d{3}(?!\d)))"
    r"|(?<=«)[ \t\u00a0\u202f]*"
    r"|(?<=»)"
    r"|(?<=\w')(?=\w))")


def _french_space(match: re.Match[str]) -> str:
    text = match.group(0)
    high = match.group("high")
    if high:
        return (NBSP if high == "%" else NARROW_NBSP) + high
    if match.group("digits") is not None:
        return NARROW_NBSP
    if text.endswith(":"):
        return NBSP + ":"
    if text.startswith("«"):
        return "«" + NBSP
    if text.endswith("»"):
        return NBSP + "»"
    return "’"


def french_typography(text: str) -> str:
    """Non-breaking spaces where French typography wants them (narrow between groups of
    digits), typographic apostrophes."""
    if not _TYPOGRAPHY_CHARS.search(text) and not _DIGITS_SPACE.search(text):
        return text
    return _FRENCH_SPACING.sub(_french_space, text)


def typography(text: str, language: str) -> str:
    return french_typography(text) if language.startswith("fr") else text


def local_url(url: str) -> bool:
    """A file name in the deck, not an address: no scheme, no host (`//host/…` is one, and
    browsers read backslashes as slashes)."""
    url = "".join(url.split())
    return not (url.startswith(("/", "\\")) or ":" in url.split("/")[0])


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    return value if attribute != "src" or local_url(value) else None


def sanitize(fragment: str) -> str:
    """Keep only the allow-listed tags and attributes; drop scripts and remote URLs."""
    return nh3.clean(fragment, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     attribute_filter=_keep_attribute, url_schemes=set(), link_rel=None,
                     strip_comments=True)


def neutralise_anki_markup(fragment: str, *, keep_cloze: bool = False) -> str:
    """Text must not be read by Anki as a field reference, a cloze or a sound."""
    fragment = fragment.replace("[sound:", "&#91;sound:")
    if keep_cloze:
        return _CLOZE_OPEN.sub("&#123;&#123;", fragment)
    return fragment.replace("{{", "&#123;&#123;")


def _clean(text: str) -> str:
    """No control characters, and Unicode in NFC: Anki normalises what it imports to NFC, so
    the package holds exactly what students' collections will."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


@lru_cache(maxsize=8192)  # texts repeated across notes (a fact's extra, a deck's boilerplate)
def markdown_field(text: str, language: str, *, cloze: bool = False) -> str:
    """A field written in Markdown (and allow-listed HTML) as safe HTML for Anki."""
    if not text:
        return ""
    text = _clean(text)
    text = typography(text, language)
    if not _MARKUP_CHARS.search(text) and not _MARKUP_START.match(text):
        return neutralise_anki_markup(html.escape(text, quote=False), keep_cloze=cloze)
    rendered = pyromark.html(text, options=_MARKDOWN_OPTIONS).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and "<p>" not in rendered[3:]:
        rendered = rendered[3:-4]  # a single paragraph: its text only
    if _RAW_HTML.search(text) or "](" in text or ("]:" in text and
                                                   _LINK_DEFINITION.search(text)):
        rendered = sanitize(rendered)
    return neutralise_anki_markup(rendered, keep_cloze=cloze)


def plain_field(text: str, language: str) -> str:
    """A passage quoted from an article: plain text, escaped, never interpreted."""
    if not text:
        return ""
    return neutralise_anki_markup(html.escape(typography(_clean(text), language), quote=False))
