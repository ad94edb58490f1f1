"""Hostile content: say what the renderer strips from fields, and refuse a style sheet that
could run a script or fetch from the network.

Stripping itself happens in `render.sanitize`, for every field, whatever its origin (a card,
a fact, a template's output); this module only tells the author, with the note's file:line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

from flashcards.check import note_diagnostic
from flashcards.diagnostics import Diagnostic, Position, Severity
from flashcards.models import NoteSpec
from flashcards.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, local_url

# Markdown yields tags of its own only from raw HTML, links, images and link definitions.
_MAY_HOLD_HTML = re.compile(r"[<&]|\]\(|^\s*\[[^\]]*\]:", re.M)


class _Removed(HTMLParser):
    """Collects, in order and once each, the tags and attributes `sanitize` drops."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def _add(self, what: str) -> None:
        if what not in self.found:
            self.found.append(what)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._add(f"<{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self._add(f"the {name}= attribute of <{tag}>")
            elif name == "src" and not local_url(value or ""):
                self._add(f"the address {(value or '')[:60]!r} (only files of the deck)")

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self._add("an HTML comment")


def removed_markup(text: str) -> list[str]:
    """What rendering `text` (Markdown and HTML) drops as unsafe or unsupported."""
    if not _MAY_HOLD_HTML.search(text):
        return []
    import pyromark

    parser = _Removed()
    options = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH
    parser.feed(pyromark.html(text, options=options))
    parser.close()
    return parser.found


def _shown(removed: list[str]) -> str:
    return "; ".join(removed[:4]) + ("; …" if len(removed) > 4 else "")


_HINT = "scripts, event handlers, links and remote addresses never reach a package; " \
    f"allowed tags: {', '.join(sorted(ALLOWED_TAGS))}"


def check_description(deck_yaml: Path, description: str, position: Position | None
                      ) -> list[Diagnostic]:
    """A warning when the deck's description loses markup."""
    removed = removed_markup(description)
    if not removed:
        return []
    return [Diagnostic(deck_yaml, f"description: removed {_shown(removed)}", _HINT, position,
                       code="unsafe-html", severity=Severity.WARNING)]


def check_markup(notes: Iterable[NoteSpec]) -> list[Diagnostic]:
    """A warning for every note whose fields lose markup when rendered."""
    warnings: list[Diagnostic] = []
    notes = list(notes)
    # What every field below is asked first, asked of all fields at once (NUL-joined: no
    # field's `](` spans two).
    text = "\0".join([value for note in notes for value in note.fields.values()])
    if "<" not in text and "](" not in text:
        return warnings
    for note in notes:
        text = "".join(note.fields.values())
        if "<" not in text and "](" not in text:
            continue
        removed: list[str] = []
        for name, value in note.fields.items():
            if "<" in value or "](" in value:
                removed += [f"{what} in {name}" for what in removed_markup(value)]
        if removed:
            warnings.append(note_diagnostic(note, f"removed {_shown(removed)}", _HINT,
                                            "unsafe-html", Severity.WARNING))
    return warnings


# In a style sheet: leaving the <style> element, old IE script hooks, and anything that
# fetches (url(), @import) from an address with a scheme or a host (data: fetches nothing).
_CSS_DANGER = re.compile(
    r"</?\s*(?:style|script)|<!--|javascript:|expression\s*\(|behavior\s*:|-moz-binding"
    r"|@import|url\(\s*['\"]?\s*(?:(?!data:)[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)


_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t]?|\\(.)")


def _css_unescape(css: str) -> str:
    """CSS escapes decoded, as a browser reads them (`u\\72l(` is `url(`, `\\2f` a `/`)."""
    def decode(match: re.Match[str]) -> str:
        if match.group(2) is not None:
            return match.group(2)
        code = int(match.group(1), 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _CSS_ESCAPE.sub(decode, css) if "\\" in css else css


def check_css(path: Path, css: str) -> list[Diagnostic]:
    """Errors for what in the deck's style sheet could run code or reach the network."""
    problems = []
    css = _css_unescape(css)
    for match in _CSS_DANGER.finditer(css):
        problems.append(Diagnostic(
            path, f"not allowed in a deck's style sheet: {match.group().strip()!r}",
            "style sheets may not load anything from the network (url(https:…), @import) nor "
            "run code; put fonts and images in the deck's folder and refer to them by name",
            Position.of_offset(css, match.start()), code="unsafe-css"))
    return problems


def check_style(deck_dir: Path, name: str = "style.css") -> list[Diagnostic]:
    """The deck's style sheet, if it has one: readable UTF-8 text with nothing dangerous."""
    from flashcards.diagnostics import SourceError
    from flashcards.load import check_inside, read_text

    path = deck_dir / name
    if not path.exists() and not path.is_symlink():
        return []
    try:
        check_inside(path, deck_dir.resolve().parent.parent)
        return check_css(path, read_text(path))
    except SourceError as exc:
        return exc.diagnostics


# ---- the Markdown study sheet (export --format md): the authors' text, read by any viewer --

_SHEET_KEPT_TAGS = "b|strong|i|em|u|s|sub|sup|code|br|mark|small"
# `<` opening any tag but a bare formatting one (no attributes): shown as text.
_SHEET_TAG = re.compile(rf"<(?!/?(?:{_SHEET_KEPT_TAGS})\s*/?>)(?=[A-Za-z/!?])", re.I)
# [text](target) and ![alt](target): a target that is an address keeps only the text.
_SHEET_LINK = re.compile(r"!?\[([^\]\n]*)\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?[^)\n]*\)")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sheet_markdown(text: str) -> str:
    """Authors' Markdown made safe for a study sheet that any Markdown viewer may render:
    raw HTML beyond bare formatting tags shows as text, links and images that point to
    an address (a scheme, `//host`) keep only their text, no control characters."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if "<" in text:
        text = _SHEET_TAG.sub("&lt;", text)
    if "](" in text:
        text = _SHEET_LINK.sub(
            lambda m: m.group(0) if local_url(m.group(2)) else m.group(1), text)
    return text
