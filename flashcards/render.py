"""Field text to the HTML Anki shows: Markdown, an allow-list of tags, typography, and
neutralised Anki markup. Nothing active (scripts, event handlers, remote URLs) survives."""

from __future__ import annotations

import bisect
import html
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable

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
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]*\]:", re.M)


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


# The passes below give what `_FRENCH_SPACING.sub(_french_space, text)` gives, one rule at a
# time, each a regex with a fixed replacement (no Python call per match), run only when `in`
# (a memchr) finds its characters. They commute, as no rule changes what another looks at,
# but for the spaces after «: the opening pass leaves one no-break space there, which the
# later ones must leave alone. A pattern that starts with a character class costs 15 to 20
# instructions a character scanned, one that starts with a literal a few: hence the literals.
_APOSTROPHE = re.compile(r"'(?<=\w')(?=\w)")
_OPENING_QUOTE = re.compile("«[ \t\u00a0\u202f]*")
_CLOSING_QUOTE = re.compile("[» \t\u00a0\u202f](?:(?<=»)|(?<!«.)[ \t\u00a0\u202f]*»)")
# A mark, then the spaces before it, in the reversed text (not those after «, one no-break
# space once the opening pass has run).
_SPACES_BEHIND = "[ \t\u00a0\u202f]+(?!«)"
_REVERSED_MARKS = (
    ("?", re.compile(r"\?" + _SPACES_BEHIND), "?" + NARROW_NBSP),
    ("!", re.compile("!" + _SPACES_BEHIND), "!" + NARROW_NBSP),
    (";", re.compile(";" + _SPACES_BEHIND), ";" + NARROW_NBSP),
    ("%", re.compile("%" + _SPACES_BEHIND), "%" + NBSP),
    (":", re.compile(":(?<!::)" + _SPACES_BEHIND), ":" + NBSP),  # not `::`
)
# A space between a group of 1-3 digits and a group of exactly 3 (a narrow no-break space
# there already stays as it is); the first pattern for a text without no-break spaces.
_DIGIT_GROUP = re.compile(r" (?<=\d.)(?<!\d{4}.)(?=\d{3}(?!\d))")
_DIGIT_GROUP_NBSP = re.compile(r"[ \u00a0](?<=\d.)(?<!\d{4}.)(?=\d{3}(?!\d))")
# `\d \d` from each space (a literal first: the engine jumps from one to the next).
_DIGITS_AROUND_SPACE = re.compile(r" (?<=\d )(?=\d)")
_DIGITS_AROUND_NBSP = re.compile(r"\d[ \u00a0]\d")


def _digit_groups(text: str) -> str:
    if "\u00a0" in text:
        if _DIGITS_AROUND_NBSP.search(text) is None:
            return text
        return _DIGIT_GROUP_NBSP.sub(NARROW_NBSP, text)
    if _DIGITS_AROUND_SPACE.search(text) is None:
        return text
    return _DIGIT_GROUP.sub(NARROW_NBSP, text)


def _spaces_before_marks(text: str) -> str:
    """Each run of spaces before one of ? ! ; % and : (not ::) becomes one no-break space,
    narrow before ? ! ;. Reversed, the run comes after its mark, a literal."""
    reversed_text = text[::-1]
    for mark, pattern, replacement in _REVERSED_MARKS:
        if mark in text:
            reversed_text = pattern.sub(replacement, reversed_text)
    return reversed_text[::-1]


def french_typography(text: str) -> str:
    """Non-breaking spaces where French typography wants them (narrow between groups of
    digits), typographic apostrophes."""
    text = _digit_groups(text)
    if "'" in text:
        text = _APOSTROPHE.sub("’", text)
    if "«" in text:
        text = _OPENING_QUOTE.sub("«" + NBSP, text)
    if "»" in text:
        text = _CLOSING_QUOTE.sub(NBSP + "»", text)
    if "?" in text or ":" in text or "!" in text or ";" in text or "%" in text:
        text = _spaces_before_marks(text)
    return text


def typography(text: str, language: str) -> str:
    return french_typography(text) if _is_french(language) else text


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
    return _neutralise(fragment, keep_cloze)


def _clean(text: str) -> str:
    """No control characters, and Unicode in NFC: Anki normalises what it imports to NFC, so
    the package holds exactly what students' collections will."""
    if not text.isprintable() and _CONTROL.search(text):  # isprintable: a quick "none"
        text = _CONTROL.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def _is_french(language: str) -> bool:
    return language.startswith("fr")


def _neutralise(fragment: str, cloze: bool) -> str:
    if "[sound:" in fragment:
        fragment = fragment.replace("[sound:", "&#91;sound:")
    if "{{" not in fragment:
        return fragment
    if cloze:
        return _CLOZE_OPEN.sub("&#123;&#123;", fragment)
    return fragment.replace("{{", "&#123;&#123;")


def _render_markdown(text: str, french: bool, cloze: bool) -> str:
    """`markdown_field` without its cache."""
    if not text:
        return ""
    text = _clean(text)
    if french:
        text = french_typography(text)
    if not _MARKUP_CHARS.search(text) and not _MARKUP_START.match(text):
        # `&<>[` are markup characters: nothing to escape, no `[sound:`
        return _neutralise(text, cloze) if "{{" in text else text
    return _markdown_html(text, cloze)


def _markdown_html(text: str, cloze: bool) -> str:
    """A cleaned, typeset text with Markdown in it as HTML."""
    rendered = pyromark.html(text, options=_MARKDOWN_OPTIONS).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and "<p>" not in rendered[3:]:
        rendered = rendered[3:-4]  # a single paragraph: its text only
    if "<" in text or "&" in text or "](" in text or ("]:" in text and
                                                      _LINK_DEFINITION.search(text)):
        rendered = sanitize(rendered)  # raw HTML, links or images
    return _neutralise(rendered, cloze)


def _render_plain(text: str, french: bool) -> str:
    """`plain_field` without its cache."""
    if not text:
        return ""
    text = _clean(text)
    if french:
        text = french_typography(text)
    if "&" in text or "<" in text or ">" in text:
        text = html.escape(text, quote=False)
    return _neutralise(text, False)


# Many texts at once: joined by a separator, cleaned, typeset, escaped and neutralised in one
# pass each (a text costs its characters, not a dozen Python calls); only the texts with
# Markdown in them are rendered one by one. The separator is a control character, which no
# cleaned text holds; no rule (nor NFC) reaches across it, as none reaches across a text's
# ends: not a letter, a digit, a space, a mark nor a quote, and a starter that composes with
# nothing.
_SEPARATOR = "\x1f"
_CONTROL_BUT_SEPARATOR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1e\x7f]")
# each looked for with `in` (a memchr): cheaper than one scan with a character class
_CONTROLS_BUT_SEPARATOR = tuple(map(chr, (*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x1f), 0x7f)))
# From a markup character to the end of its text, one pattern a character: each starts with
# a literal (a few instructions a character scanned), and is run only if `in` finds it.
_MARKUP_TO_END = {character: re.compile(f"{re.escape(character)}[^\x1f]*")
                  for character in "*_`[]<>&\\!#|~\n"}
# a text's start that makes a block
_MARKUP_START_AFTER_SEPARATOR = re.compile(r"\x1f[^\S\x1f]*(?:[-+=]|\d+[.)])")


def _prepare_all(texts: list[str], french: bool) -> str | None:
    """The texts cleaned and typeset, joined by the separator; None if one holds it."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:
        return None
    if any(control in joined for control in _CONTROLS_BUT_SEPARATOR):
        joined = _CONTROL_BUT_SEPARATOR.sub("", joined)
    if (not joined.isascii() and not _latin_1(joined)
            and not unicodedata.is_normalized("NFC", joined)):
        joined = unicodedata.normalize("NFC", joined)
    return french_typography(joined) if french else joined


def _latin_1(text: str) -> bool:
    """Whether `text` is all Latin-1, so in NFC: no character below U+0100 decomposes, none
    composes with another (tested); encoding a one-byte string is a copy, the NFC check a
    table lookup a character."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# A text whose Markdown is inline only (one paragraph: no block syntax, no reference
# definition, no raw HTML) shares one pyromark call with the others, each a paragraph of one
# document: inline syntax never reaches across a blank line. Such a text holds none of these
# characters (nor a line break) and starts a paragraph.
_NOT_INLINE = "[]<>&\\!#|~\n\r"
_NOT_INLINE_TO_END = re.compile(f"[{re.escape(_NOT_INLINE)}][^\x1f]*")


def _pieces_matching(pattern: re.Pattern[str], text: str, ends: list[int]) -> set[int]:
    """The indices of the pieces where `pattern` matches; `ends[i]`: where piece i ends."""
    return {bisect.bisect_left(ends, match.start()) for match in pattern.finditer(text)}


def _render_markdown_all(texts: list[str], french: bool, cloze: bool) -> list[str]:
    """`[_render_markdown(text, french, cloze) for text in texts]`."""
    joined = _prepare_all(texts, french)
    if joined is None:
        return [_render_markdown(text, french, cloze) for text in texts]
    pieces = joined.split(_SEPARATOR)
    rendered = _neutralise(joined, cloze).split(_SEPARATOR) if "{{" in joined else pieces
    ends = list(map(operator.add, itertools.accumulate(map(len, pieces)), itertools.count()))
    # where a piece starts in `joined`: where its match starts in separator + `joined`
    blocks = _pieces_matching(_MARKUP_START_AFTER_SEPARATOR, _SEPARATOR + joined, ends)
    marked = set(blocks)
    for character, pattern in _MARKUP_TO_END.items():
        if character in joined:
            marked |= _pieces_matching(pattern, joined, ends)
    if not marked:
        return rendered
    if any(character in joined for character in _NOT_INLINE):
        blocks |= _pieces_matching(_NOT_INLINE_TO_END, joined, ends)
    inline = [index for index in sorted(marked)
              if index not in blocks and _starts_a_paragraph(pieces[index])]
    paragraphs = _paragraphs([pieces[index] for index in inline]) if inline else None
    if paragraphs is not None:
        marked.difference_update(inline)
        for index, paragraph in zip(inline, paragraphs, strict=True):
            rendered[index] = _neutralise(paragraph, cloze)
    for index in marked:
        rendered[index] = _markdown_html(pieces[index], cloze)
    return rendered


def _starts_a_paragraph(text: str) -> bool:
    """Whether a text without the `_NOT_INLINE` characters and whose start is not a list's
    (`_MARKUP_START`) is a paragraph: no indent, no `*` list item, thematic break nor code
    fence."""
    first = text[:1]
    if first.isalpha():
        return True
    if not first or first.isspace() or text.startswith("```"):
        return False
    if first == "*" and text[1:2] in (" ", "\t"):
        return False
    return text.strip(" \t*_-") != ""


def _paragraphs(texts: list[str]) -> list[str] | None:
    """The HTML of each text, one paragraph each, from one pyromark call (None if it does not
    give one paragraph a text)."""
    document = pyromark.html("\n\n".join(texts), options=_MARKDOWN_OPTIONS)
    if not (document.startswith("<p>") and document.endswith("</p>\n")):
        return None
    paragraphs = document[3:-5].split("</p>\n<p>")
    return paragraphs if len(paragraphs) == len(texts) else None


def _render_plain_all(texts: list[str], french: bool) -> list[str]:
    """`[_render_plain(text, french) for text in texts]`."""
    joined = _prepare_all(texts, french)
    if joined is None:
        return [_render_plain(text, french) for text in texts]
    if "&" in joined or "<" in joined or ">" in joined:
        joined = html.escape(joined, quote=False)
    return _neutralise(joined, False).split(_SEPARATOR)


class FieldRenderer:
    """`markdown_field` and `plain_field` for one language, with a cache of the texts met
    before (cleared whenever it has reached `CACHE_SIZE` texts, the ones of a batch all kept
    till then: bounded, cheaper than an LRU). A build renders through the `*_many` methods;
    the one-text methods serve single notes, exports and descriptions."""

    CACHE_SIZE = 8192

    def __init__(self, language: str) -> None:
        self.french = _is_french(language)
        self._markdown: dict[str, str] = {}
        self._cloze: dict[str, str] = {}
        self._plain: dict[str, str] = {}

    def markdown(self, text: str) -> str:
        return self._cached(self._markdown, text, _render_markdown, self.french, False)

    def cloze(self, text: str) -> str:
        """A cloze note's `Text`: its `{{c1::…}}` gaps kept."""
        return self._cached(self._cloze, text, _render_markdown, self.french, True)

    def plain(self, text: str) -> str:
        return self._cached(self._plain, text, _render_plain, self.french)

    def _cached(self, cache: dict[str, str], text: str, render: Callable[..., str],
                *options: bool) -> str:
        found = cache.get(text)
        if found is None:
            if len(cache) >= self.CACHE_SIZE:
                cache.clear()
            found = cache[text] = render(text, *options)
        return found

    def markdown_many(self, texts: list[str]) -> list[str]:
        """`[self.markdown(text) for text in texts]`, rendered together: cheaper."""
        french = self.french
        return self._many(texts, self._markdown,
                          lambda new: _render_markdown_all(new, french, False))

    def cloze_many(self, texts: list[str]) -> list[str]:
        french = self.french
        return self._many(texts, self._cloze, lambda new: _render_markdown_all(new, french, True))

    def plain_many(self, texts: list[str]) -> list[str]:
        french = self.french
        return self._many(texts, self._plain, lambda new: _render_plain_all(new, french))

    def _many(self, texts: list[str], cache: dict[str, str],
              render: Callable[[list[str]], list[str]]) -> list[str]:
        if len(cache) >= self.CACHE_SIZE:
            cache.clear()
        new = [text for text in dict.fromkeys(texts) if text not in cache]
        if new:
            cache.update(zip(new, render(new), strict=True))
        return list(map(cache.__getitem__, texts))


_renderers: dict[str, FieldRenderer] = {}


def field_renderer(language: str) -> FieldRenderer:
    """The renderer of `language`, shared (with its cache) by every caller."""
    renderer = _renderers.get(language)
    if renderer is None:
        renderer = _renderers[language] = FieldRenderer(language)
    return renderer


def markdown_field(text: str, language: str, *, cloze: bool = False) -> str:
    """A field written in Markdown (and allow-listed HTML) as safe HTML for Anki."""
    renderer = field_renderer(language)
    return renderer.cloze(text) if cloze else renderer.markdown(text)


def plain_field(text: str, language: str) -> str:
    """A passage quoted from an article: plain text, escaped, never interpreted."""
    return field_renderer(language).plain(text)
