"""Cards from the notes of an Anki package, with their GUIDs kept, so that students who
already have that deck keep their reviews when they import the rebuilt one. Fields are turned
back from HTML into Markdown; Basic, Basic (and reversed card), Basic (optional reversed card),
Basic (type in the answer) and Cloze notetypes, and any notetype shaped like them, map to
card types; anything else is skipped, with the reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

from flashcards.anki_package import PackagedNote, read_package
from flashcards.authoring import build_card
from flashcards.import_common import ImportResult, Seen, Skipped, hard_breaks, keep
from flashcards.project import UsageError

DROPPED_TAGS = re.compile(r"^(changed::.*|leech|marked)$", re.I)


class _Text(HTMLParser):
    """Anki field HTML → Markdown-ish text: line breaks kept, emphasis as * and **."""

    BLOCKS = frozenset({"div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote"})
    MARKS: ClassVar[dict[str, str]] = {"b": "**", "strong": "**", "i": "*", "em": "*"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCKS:
            if self.parts and not self.parts[-1].endswith("\n"):  # a block starts a line
                self.parts.append("\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag in self.MARKS:
            self.parts.append(self.MARKS[tag])
        elif tag == "img":
            self.media.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n" if tag == "p" else "\n")
        elif tag in self.MARKS:
            mark = self.MARKS[tag]
            if self.parts and self.parts[-1] == mark:
                self.parts.pop()  # an empty <b></b>
            else:
                self.parts.append(mark)

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


_SOUND = re.compile(r"\[sound:([^\]]+)\]")


def html_to_text(value: str) -> tuple[str, list[str]]:
    """A field's text and the media files it referenced (not imported)."""
    parser = _Text()
    parser.feed(value)
    parser.close()
    text = "".join(parser.parts)
    media = parser.media + _SOUND.findall(text)
    text = _SOUND.sub("", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, media


@dataclass(frozen=True)
class NoteShape:
    """How a notetype's fields map to a card: which field is the question, the answer…"""

    card_type: str
    question: int | None = None
    answer: int | None = None
    text: int | None = None
    extra: int | None = None
    source: int | None = None
    reverse_if: int | None = None  # "optional reversed": reversed when this field is set


_REF = re.compile(r"\{\{([^#/^!{}][^{}]*)\}\}")


def _referenced(template: str, names: list[str]) -> list[int]:
    """Indices of the fields a template shows, in order (`{{type:X}}`, `{{text:X}}`…)."""
    found = []
    for match in _REF.finditer(template):
        name = match[1].split(":")[-1].strip()
        if name in names and names.index(name) not in found:
            found.append(names.index(name))
    return found


def note_shape(kind: int, names: list[str], templates: list[tuple[str, str]]
               ) -> NoteShape | str:
    """The shape of a notetype (kind 1: cloze), or why it has none."""
    lowered = [n.casefold() for n in names]

    def named(*choices: str) -> int | None:
        return next((lowered.index(c) for c in choices if c in lowered), None)

    extra = named("extra", "back extra", "notes", "remarques")
    source = named("source")
    if kind == 1:
        cloze = re.search(r"\{\{cloze:([^}]+)\}\}", templates[0][0] if templates else "")
        text = names.index(cloze[1].strip()) if cloze and cloze[1].strip() in names else 0
        return NoteShape("cloze", text=text, extra=extra, source=source)
    if not templates:
        return "the notetype has no card template"
    front, back = templates[0]
    typed = re.search(r"\{\{type:([^}]+)\}\}", front)
    typed_field = names.index(typed[1].strip()) if typed and typed[1].strip() in names else None
    shown = [i for i in _referenced(front, names) if i != typed_field]
    revealed = [typed_field] if typed_field is not None else [
        i for i in _referenced(back, names) if i not in shown and i not in (extra, source)]
    if not shown or not revealed:
        return "its first card template does not show one field and reveal another"
    question, answer = shown[0], revealed[0]
    if len(templates) == 1:
        return NoteShape("type-in" if typed else "basic", question, answer, extra=extra,
                         source=source)
    if len(templates) == 2:
        second_front = templates[1][0]
        condition = re.match(r"\s*\{\{#([^}]+)\}\}", second_front)
        if _referenced(second_front, names)[:1] == [answer] or (
                condition and answer in _referenced(second_front, names)):
            flag = condition[1].strip() if condition else None
            if flag and flag in names and names.index(flag) not in (question, answer):
                return NoteShape("basic", question, answer, extra=extra, source=source,
                                 reverse_if=names.index(flag))
            return NoteShape("reverse", question, answer, extra=extra, source=source)
    return f"it has {len(templates)} card templates that are not a question and its reverse"


_OWN_NOTETYPE = re.compile(r"^flashcards · .+ \((?P<slug>[a-z0-9][a-z0-9_-]*)\)(?: v\d+)?$")


def notetype_notes(names: list[str], deck: str) -> list[str]:
    """What students who already have the package will see: Anki matches notes by GUID, but
    updates a note only within the same notetype; otherwise it reports it "conflicting",
    keeps the student's copy and its reviews, and drops the new wording (ANKI-NOTES.md)."""
    slugs = {m["slug"] for m in map(_OWN_NOTETYPE.match, names) if m}
    foreign = [n for n in names if not _OWN_NOTETYPE.match(n)]
    notes = []
    other = sorted(slugs - {deck})
    if other:
        notes.append(f"these notes were built by flashcards for the deck "
                     f"{', '.join(map(repr, other))}: import them with --into {other[0]} to "
                     "keep their notetypes; in another deck, students who have the package "
                     "keep their reviews but not later edits of these notes")
    if foreign:
        kinds = ", ".join(sorted(set(foreign)))
        notes.append(f"{len(foreign)} notes came with notetypes of their own ({kinds}): "
                     "students who have that package keep every card and review, but with "
                     "Anki's default options they keep the old wording of those notes (Anki "
                     "reports them 'conflicting'); ticking 'Merge note types' on import "
                     "brings the new wording, and must be ticked on every later import")
    return notes


def read_apkg(path: Path, result: ImportResult, seen: Seen) -> None:
    """Each note of the package `path` kept in `result` as a card, or skipped with why."""
    package = read_package(path)
    decks = [d for d in package.decks if d != "Default"] or package.decks
    result.details.update(collection=package.collection, decks=", ".join(sorted(decks)))
    if len(decks) == 1:
        result.details["deck_name"] = decks[0]
    with_media = 0
    kept_notetypes: list[str] = []
    for note in package.notes:
        where = f"note {note.id}"
        notetype = package.notetypes.get(note.notetype_id)
        if notetype is None:
            result.skipped.append(Skipped(where, f"its notetype {note.notetype_id} is missing"))
            continue
        shape = note_shape(notetype.kind, notetype.fields, notetype.templates)
        if isinstance(shape, str):
            result.skipped.append(Skipped(where, f"notetype {notetype.name!r}: {shape}"))
            continue
        texts = [html_to_text(value) for value in note.fields]
        with_media += any(media for _, media in texts)
        try:
            card = note_card(note, shape, [hard_breaks(text) for text, _ in texts], seen)
        except UsageError as exc:
            result.skipped.append(Skipped(where, f"notetype {notetype.name!r}: {exc}"))
            continue
        if keep(result, where, card, seen):
            kept_notetypes.append(notetype.name)
    if with_media:
        result.notes.append(f"{with_media} note{'s' * (with_media != 1)} referenced images "
                            "or sounds: media are not imported (the text was kept)")
    result.notes.extend(notetype_notes(kept_notetypes, result.deck))


def note_card(note: PackagedNote, shape: NoteShape, values: list[str], seen: Seen
              ) -> dict[str, Any]:
    """The card of a note whose fields' Markdown are `values`. Raises UsageError."""

    def value(index: int | None) -> str | None:
        return values[index] or None if index is not None and index < len(values) else None

    reversed_too = shape.reverse_if is not None and value(shape.reverse_if)
    return build_card(
        card_type="reverse" if reversed_too else shape.card_type,
        question=value(shape.question), answer=value(shape.answer), text=value(shape.text),
        extra=value(shape.extra), source=value(shape.source),
        tags=[t for t in note.tags if not DROPPED_TAGS.match(t)], guid=note.guid,
        taken=seen.ids)
