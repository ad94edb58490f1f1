"""Field text to the HTML Anki shows: Markdown, an allow-list of tags, typography, and
neutralised Anki markup. Nothing active (scripts, event handlers, remote URLs) survives."""

from __future__ import annotations

import html
import re
import unicodedata

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


class FieldRenderer:
    """`markdown_field` and `plain_field` for one language, with a cache of the texts met
    before (cleared whenever it reaches `CACHE_SIZE` texts: bounded, cheaper than an LRU).
    Each method spells the lookup out: a shared helper would cost a call per field."""

    CACHE_SIZE = 8192

    def __init__(self, language: str) -> None:
        self.french = _is_french(language)
        self._markdown: dict[str, str] = {}
        self._cloze: dict[str, str] = {}
        self._plain: dict[str, str] = {}

    def markdown(self, text: str) -> str:
        cache = self._markdown
        found = cache.get(text)
        if found is None:
            if len(cache) >= self.CACHE_SIZE:
                cache.clear()
            found = cache[text] = _render_markdown(text, self.french, False)
        return found

    def cloze(self, text: str) -> str:
        """A cloze note's `Text`: its `{{c1::…}}` gaps kept."""
        cache = self._cloze
        found = cache.get(text)
        if found is None:
            if len(cache) >= self.CACHE_SIZE:
                cache.clear()
            found = cache[text] = _render_markdown(text, self.french, True)
        return found

    def plain(self, text: str) -> str:
        cache = self._plain
        found = cache.get(text)
        if found is None:
            if len(cache) >= self.CACHE_SIZE:
                cache.clear()
            found = cache[text] = _render_plain(text, self.french)
        return found


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
