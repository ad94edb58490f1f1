"""Exports for students without Anki: a CSV for other flashcard apps (and Anki's own text
import), a Markdown study sheet, a self-contained HTML page (`export_html.py`).

The CSV and the page show the notes exactly as `pack` renders them for Anki; the study sheet
shows the Markdown they were written in."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flashcards.api import PreparedDeck, prepared_or_raise
from flashcards.check import CLOZE_GAP
from flashcards.describe import facts_line, markdown_escape
from flashcards.lock import read_lock
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import pack_note
from flashcards.project import Project
from flashcards.render import typography
from flashcards.safety import sheet_markdown
from flashcards.subdecks import note_decks
from flashcards.write import write_text_atomic


class ExportFormat(StrEnum):
    CSV = "csv"
    MD = "md"
    HTML = "html"


@dataclass(frozen=True)
class CardView:
    """One card as Anki shows it: the question side, the answer side (HTML)."""

    front: str
    back: str


@dataclass(frozen=True)
class NoteView:
    """One note, rendered: what every export shows of it."""

    id: str
    guid: str
    deck: str
    type: CardType
    fields: dict[str, str]  # field name → HTML, as packed for Anki
    tags: tuple[str, ...]
    cards: tuple[CardView, ...]
    spec: NoteSpec

    @property
    def front(self) -> str:
        return self.cards[0].front if self.cards else ""

    @property
    def back(self) -> str:
        return self.cards[0].back if self.cards else ""

    @property
    def extra(self) -> str:
        return self.fields.get("Extra", "")

    @property
    def source(self) -> str:
        return self.fields.get("Source", "")


def cloze_side(text: str, number: int, *, answer: bool) -> str:
    """Anki's cloze rendering: gap `number` hidden (question) or shown highlighted (answer);
    the other gaps show their text."""

    def replace(match: re.Match[str]) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        if answer:
            return f'<span class="cloze">{match.group(2)}</span>'
        hint = match.group(3)
        return f'<span class="cloze">[{hint or "…"}]</span>'

    return CLOZE_GAP.sub(replace, text)


def card_views(card_type: CardType, fields: dict[str, str]) -> tuple[CardView, ...]:
    """The cards Anki makes of a note: one per gap number of a cloze, two for a reverse note,
    else one."""
    if card_type is CardType.CLOZE:
        text = fields.get("Text", "")
        numbers = sorted({int(n) for n, _, _ in CLOZE_GAP.findall(text)})
        return tuple(CardView(cloze_side(text, n, answer=False), cloze_side(text, n, answer=True))
                     for n in numbers)
    question, answer = fields.get("Question", ""), fields.get("Answer", "")
    views = [CardView(question, answer)]
    if card_type is CardType.REVERSE:
        views.append(CardView(answer, question))
    return tuple(views)


def note_views(deck: PreparedDeck) -> list[NoteView]:
    config = deck.sources.config
    decks = note_decks(deck.sources, deck.notes)
    # A note re-created by a type change has the GUID the last build gave it, in the lock.
    locked = read_lock(deck.sources.root).notes
    views = []
    for note in deck.notes:
        packed = pack_note(note, deck.slug, config)
        guid = (locked[note.id].guid if note.id in locked else None) or packed.guid
        fields = dict(zip(NOTETYPES[note.type].field_names, packed.fields, strict=True))
        views.append(NoteView(note.id, guid, decks.get(note.id, config.name), note.type,
                              fields, packed.tags, card_views(note.type, fields), note))
    return views


@dataclass(frozen=True)
class Group:
    """The notes of one (sub)deck, in the deck's order."""

    deck: str  # the Anki deck name: `Deck::Personnes`
    heading: str | None  # `Personnes`, `Puces › TSMC`; None when no note is in a subdeck
    views: list[NoteView]


def subdeck_groups(deck: PreparedDeck) -> list[Group]:
    """The deck's notes, grouped by the (sub)deck their cards go to."""
    name = deck.sources.config.name
    groups: dict[str, list[NoteView]] = {}
    for view in note_views(deck):
        groups.setdefault(view.deck, []).append(view)
    if list(groups) == [name]:
        return [Group(name, None, groups[name])]
    return [Group(full, full.removeprefix(name + "::").replace("::", " › "), views)
            for full, views in groups.items()]


# ---- CSV -----------------------------------------------------------------------------------

# Field columns carry the names of the fields of Anki's stock Basic notetype (Front, Back), so
# Anki's import maps them by itself.
CSV_COLUMNS = ("id", "guid", "deck", "type", "Front", "Back", "Extra", "Source", "tags")


def export_csv(deck: PreparedDeck) -> str:
    """One row per note: id, guid, deck, type, Front, Back, Extra, Source, tags (HTML fields,
    tags separated by spaces). The header is Anki's: `#` lines that Anki's text import reads
    (separator, HTML, which columns hold the GUID, deck and tags) and a `#columns:` line that
    other apps and spreadsheets read as the header row. A cloze note's front shows its gaps
    as […], its back shows them filled in."""
    buffer = io.StringIO()
    for line in ("#separator:Comma", "#html:true",
                 f"#guid column:{CSV_COLUMNS.index('guid') + 1}",
                 f"#deck column:{CSV_COLUMNS.index('deck') + 1}",
                 f"#tags column:{CSV_COLUMNS.index('tags') + 1}"):
        buffer.write(line + "\n")
    writer = csv.writer(buffer, lineterminator="\n")
    buffer.write("#columns:")
    writer.writerow(CSV_COLUMNS)
    for view in note_views(deck):
        front, back = view.front, view.back
        if view.type is CardType.CLOZE:
            text = view.fields.get("Text", "")
            front = CLOZE_GAP.sub(lambda m: f"[{m.group(3) or '…'}]", text)
            back = CLOZE_GAP.sub(lambda m: f"<b>{m.group(2)}</b>", text)
        writer.writerow((view.id, view.guid, view.deck, view.type.value, front, back,
                         view.extra, view.source, " ".join(view.tags)))
    return buffer.getvalue()


# ---- Markdown ------------------------------------------------------------------------------

def _md_block(text: str, indent: str) -> str:
    lines = sheet_markdown(text).strip().splitlines() or [""]
    return ("\n" + indent).join(line.rstrip() for line in lines)


_MD_MEDIA = re.compile(r"(\]\()media/([^)\s]+)(\))|\[sound:media/([^\]\s]+)\]")


def _md_media(text: str, media_dir: Path, out_dir: Path | None) -> str:
    """Images and sounds of the deck's media/ folder, linked from where the sheet is written
    (a sound becomes a link to the file)."""
    if "media/" not in text:
        return text
    base = (out_dir or media_dir.parent).resolve()

    def link(name: str) -> str:
        return Path(os.path.relpath(media_dir.resolve() / name, base)).as_posix()

    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return f"{match.group(1)}{link(match.group(2))}{match.group(3)}"
        return f"[🔊 {match.group(4)}]({link(match.group(4))})"

    return _MD_MEDIA.sub(replace, text)


def export_markdown(deck: PreparedDeck, out_dir: Path | None = None) -> str:
    """A study sheet: the deck's header, then every note grouped by subdeck, question in bold
    and its answer below, the source passage quoted. Images and sounds link to the deck's
    media/ folder from `out_dir`, where the sheet is written."""
    config = deck.sources.config
    language = config.language
    title = typography(config.name, language)
    parts = [f"# {markdown_escape(title)}", "", markdown_escape(facts_line(deck)), ""]
    if config.description.strip():
        parts += [sheet_markdown(typography(config.description.strip(), language)), ""]
    for group in subdeck_groups(deck):
        if group.heading:
            parts += [f"## {markdown_escape(group.heading)}", ""]
        for view in group.views:
            parts += _md_note(view, language)
    text = "\n".join(parts).rstrip() + "\n"
    return _md_media(text, deck.sources.root / "media", out_dir)


def _md_note(view: NoteView, language: str) -> list[str]:
    spec = view.spec
    if view.type is CardType.CLOZE:
        text = CLOZE_GAP.sub(lambda m: f"**{m.group(2)}**", spec.fields.get("Text", ""))
        lines = [f"- {_md_block(typography(text, language), '  ')}"]
    else:
        question = typography(spec.fields.get("Question", ""), language)
        answer = typography(spec.fields.get("Answer", ""), language)
        lines = [f"- **{_md_block(question, '  ')}**  ", f"  {_md_block(answer, '  ')}"]
    if spec.fields.get("Extra"):
        lines.append(f"  \n  *{_md_block(typography(spec.fields['Extra'], language), '  ')}*")
    if spec.source:
        quoted = markdown_escape(typography(spec.source, language))
        lines += ["", f"  > {_md_block(quoted, '  > ')}"]
    return [*lines, ""]


# ---- writing -------------------------------------------------------------------------------

def export_text(deck: PreparedDeck, format: ExportFormat, out_dir: Path | None = None) -> str:
    """The text of `deck`'s export; `out_dir`, where it will be written, anchors the Markdown
    sheet's links to media."""
    if format is ExportFormat.CSV:
        return export_csv(deck)
    if format is ExportFormat.MD:
        return export_markdown(deck, out_dir)
    from flashcards.export_html import export_html

    return export_html(deck)


@dataclass(frozen=True)
class ExportResult:
    slug: str
    path: Path
    format: ExportFormat
    notes: int
    cards: int


def export(project: Project, decks: Sequence[str] = (), format: ExportFormat = ExportFormat.CSV,
           out_dir: Path | None = None) -> list[ExportResult]:
    """Write `<out_dir>/<slug>.<csv|md|html>` for every named deck (all by default; `out_dir`
    defaults to `dist/`). Every deck is validated first: nothing is written unless all are
    valid (SourceError with every problem). Each file is written atomically."""
    format = ExportFormat(format)
    out_dir = out_dir or project.root / "dist"
    texts = [(deck, export_text(deck, format, out_dir))
             for deck in prepared_or_raise(project, decks)]
    written = []
    for deck, text in texts:
        path = out_dir / f"{deck.slug}.{format.value}"
        write_text_atomic(path, text)
        written.append(ExportResult(deck.slug, path, format, len(deck.notes), deck.card_count()))
    return written
