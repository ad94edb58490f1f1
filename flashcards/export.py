"""Exports for students without Anki: a CSV for other flashcard apps (and Anki's own text
import), a Markdown study sheet, a self-contained HTML page (`export_html.py`).

Everything works from the prepared notes, rendered exactly as `pack` renders them for Anki."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flashcards.api import PreparedDeck, validate
from flashcards.diagnostics import SourceError
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import pack_note
from flashcards.project import Project
from flashcards.render import typography
from flashcards.write import write_text_atomic


class ExportFormat(StrEnum):
    CSV = "csv"
    MD = "md"
    HTML = "html"


EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.MD: "md", ExportFormat.HTML: "html"}

# A gap as it reaches Anki: {{c1::answer}} or {{c1::answer::hint}} (no nesting in our decks).
CLOZE_GAP = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)


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
    from flashcards.subdecks import note_decks

    config = deck.sources.config
    decks = note_decks(deck.sources, deck.notes)
    views = []
    for note in deck.notes:
        packed = pack_note(note, deck.slug, config)
        fields = dict(zip(NOTETYPES[note.type].field_names, packed.fields, strict=True))
        views.append(NoteView(note.id, packed.guid, decks.get(note.id, config.name), note.type,
                              fields, packed.tags, card_views(note.type, fields), note))
    return views


def subdeck_label(deck_name: str, name: str) -> str:
    """`Deck::Personnes` → `Personnes`; nested subdecks read `A › B`."""
    part = name.removeprefix(deck_name + "::") if name != deck_name else name
    return part.replace("::", " › ")


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

_MD_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::.*?)?\}\}", re.S)


def _md_block(text: str, indent: str) -> str:
    lines = text.strip().splitlines() or [""]
    return ("\n" + indent).join(line.rstrip() for line in lines)


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


_MD_MEDIA = re.compile(r"(\]\()media/([^)\s]+)(\))|\[sound:media/([^\]\s]+)\]")


def _md_media(text: str, media_dir: Path, out_dir: Path | None) -> str:
    """Images and sounds of the deck's media/ folder, linked from where the sheet is written
    (a sound becomes a link to the file)."""
    if "media/" not in text:
        return text
    base = out_dir.resolve() if out_dir else media_dir.parent

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
    views = note_views(deck)
    parts = [f"# {_md_escape(config.name)}", "", _md_escape(deck_facts(deck)), ""]
    if config.description.strip():
        parts += [typography(config.description.strip(), language), ""]
    groups: dict[str, list[NoteView]] = {}
    for view in views:
        groups.setdefault(view.deck, []).append(view)
    for name, members in groups.items():
        if len(groups) > 1 or name != config.name:
            parts += [f"## {_md_escape(subdeck_label(config.name, name))}", ""]
        for view in members:
            parts += _md_note(view, language)
    text = "\n".join(parts).rstrip() + "\n"
    return _md_media(text, deck.sources.root / "media", out_dir)


def _md_note(view: NoteView, language: str) -> list[str]:
    spec = view.spec
    if view.type is CardType.CLOZE:
        text = _MD_CLOZE.sub(lambda m: f"**{m.group(1)}**", spec.fields.get("Text", ""))
        lines = [f"- {_md_block(typography(text, language), '  ')}"]
    else:
        question = typography(spec.fields.get("Question", ""), language)
        answer = typography(spec.fields.get("Answer", ""), language)
        lines = [f"- **{_md_block(question, '  ')}**  ", f"  {_md_block(answer, '  ')}"]
    if spec.fields.get("Extra"):
        lines.append(f"  \n  *{_md_block(typography(spec.fields['Extra'], language), '  ')}*")
    if spec.source:
        quoted = _md_escape(typography(spec.source, language))
        lines += ["", f"  > {_md_block(quoted, '  > ')}"]
    return [*lines, ""]


_LABELS = {
    "fr": {"version": "Version", "notes": "notes", "cards": "cartes", "source": "Source",
           "licence": "Licence", "published": "article du"},
    "en": {"version": "Version", "notes": "notes", "cards": "cards", "source": "Source",
           "licence": "Licence", "published": "article of"},
}


def deck_facts(deck: PreparedDeck) -> str:
    """`Version 1.0.0 · 162 notes · 181 cartes · Source : …, article du 15 août 2025 ·
    Licence : …`, plain text with the language's typography."""
    from flashcards.describe import article_date

    config = deck.sources.config
    labels = _LABELS.get(config.language.split("-")[0], _LABELS["en"])
    facts = [f"{labels['version']} {config.version}", f"{len(deck.notes)} {labels['notes']}",
             f"{deck.card_count()} {labels['cards']}"]
    source = [deck.seed.path.name] if deck.seed is not None else []
    if getattr(config, "source_url", None):
        source = [str(config.source_url)]
    date = article_date(config)
    if date:
        source.append(f"{labels['published']} {date}")
    if source:
        facts.append(f"{labels['source']} : {', '.join(source)}")
    if config.licence:
        facts.append(f"{labels['licence']} : {config.licence}")
    return typography(" · ".join(facts), config.language)


# ---- writing -------------------------------------------------------------------------------

def render(deck: PreparedDeck, format: ExportFormat, out_dir: Path | None = None) -> str:
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
           out_dir: Path | None = None, *,
           progress: Callable[[str], None] | None = None) -> list[ExportResult]:
    """Write `<out_dir>/<slug>.<csv|md|html>` for every named deck (all by default; `out_dir`
    defaults to `dist/`). Every deck is validated first: nothing is written unless all are
    valid (SourceError with every problem). Each file is written atomically."""
    format = ExportFormat(format)
    out_dir = out_dir or project.root / "dist"
    results = validate(project, decks)
    problems = [d for r in results.values() if isinstance(r, SourceError) for d in r.diagnostics]
    if problems:
        raise SourceError(problems)
    prepared = [deck for deck in results.values() if isinstance(deck, PreparedDeck)]
    texts = [(deck, render(deck, format, out_dir)) for deck in prepared]
    written = []
    for deck, text in texts:
        path = out_dir / f"{deck.slug}.{EXTENSIONS[format]}"
        write_text_atomic(path, text)
        written.append(ExportResult(deck.slug, path, format, len(deck.notes), deck.card_count()))
        if progress:
            progress(deck.slug)
    return written
