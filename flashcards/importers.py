"""`flashcards import`: cards from a spreadsheet (CSV/TSV) or an existing Anki package.

Spreadsheets: the encoding is detected and reported (UTF-8, UTF-8 with BOM, UTF-16 as Excel's
"Unicode text", else Windows-1252), the delimiter sniffed, the columns mapped by header
(`Front`/`Back`, `Recto`/`Verso`, `Question`/`Réponse`…).

Anki packages: the notes of `collection.anki2`/`.anki21`, or of `collection.anki21b`
(zstd-compressed, the format of Anki ≥ 2.1.50), with their GUIDs kept, so that students who
already have that deck keep their reviews when they import the rebuilt one. Fields are turned
back from HTML into Markdown; Basic, Basic (and reversed card), Basic (optional reversed card),
Basic (type in the answer) and Cloze notetypes, and any notetype shaped like them, map to
card types; anything else is skipped, with the reason.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import zstandard

from flashcards.authoring import build_card, checked_append, fold
from flashcards.project import Project, UsageError
from flashcards.write import write_atomic

MAX_PACKAGE_BYTES = 2 * 1024 * 1024 * 1024
DROPPED_TAGS = re.compile(r"^(changed::.*|leech|marked)$", re.I)

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "question": ("question", "questions", "front", "recto", "q", "avant", "face", "prompt",
                 "term", "terme", "mot"),
    "answer": ("answer", "answers", "back", "verso", "reponse", "reponses", "a", "arriere",
               "definition", "solution"),
    "text": ("text", "texte", "cloze", "texte a trous"),
    "source": ("source", "sources", "citation", "passage", "quote", "extrait"),
    "tags": ("tags", "tag", "etiquettes", "etiquette", "mots-cles"),
    "id": ("id", "identifiant", "key", "cle"),
    "type": ("type", "kind", "card type", "type de carte"),
    "extra": ("extra", "back extra", "notes", "note", "remarque", "remarques", "commentaire",
              "explication"),
    "guid": ("guid",),
}
TYPE_ALIASES = {
    "basic": "basic", "basique": "basic", "simple": "basic", "": "basic",
    "reverse": "reverse", "reversed": "reverse", "inverse": "reverse",
    "basic and reversed": "reverse", "both": "reverse",
    "cloze": "cloze", "texte a trous": "cloze", "trous": "cloze",
    "type-in": "type-in", "typein": "type-in", "type in": "type-in", "saisie": "type-in",
}
_CLOZE = re.compile(r"\{\{c\d+::")


@dataclass
class Seen:
    """What the deck already has: ids (cards and facts), GUIDs, and questions."""

    ids: set[str] = field(default_factory=set)
    guids: set[str] = field(default_factory=set)
    questions: dict[str, str] = field(default_factory=dict)  # normalised question → id

    def duplicate(self, card: dict[str, Any]) -> str | None:
        if card.get("guid") in self.guids:
            return f"already in the deck (GUID {card['guid']})"
        other = self.questions.get(_question_key(card))
        return f"already in the deck: same question as {other!r}" if other else None

    def add(self, card: dict[str, Any]) -> None:
        self.ids.add(card["id"])
        if card.get("guid"):
            self.guids.add(card["guid"])
        self.questions[_question_key(card)] = card["id"]


def _question_key(card: dict[str, Any]) -> str:
    from flashcards.grounding import normalise

    return normalise(str(card.get("question") or card.get("text") or ""))


@dataclass
class Skipped:
    where: str
    reason: str


@dataclass
class ImportResult:
    """What an import read, added and skipped, and why."""

    file: Path
    deck: str
    format: str
    details: dict[str, str] = field(default_factory=dict)
    cards: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created_deck: bool = False
    written: bool = False

    def to_json(self) -> dict[str, object]:
        return {"file": str(self.file), "deck": self.deck, "format": self.format,
                **self.details, "created_deck": self.created_deck,
                "imported": [c["id"] for c in self.cards],
                "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
                "notes": self.notes}


# ---- spreadsheets ----------------------------------------------------------------------------

def decode(raw: bytes) -> tuple[str, str]:
    """The text of a spreadsheet export and the name of its encoding."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16 (Excel's Unicode text)"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows; every byte decodes, so say it loudly.
        return raw.decode("cp1252", errors="replace"), \
            "Windows-1252 (not UTF-8: check the accents, or save as 'CSV UTF-8')"


def sniff_delimiter(text: str, suffix: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        if suffix in (".tsv", ".tab", ".txt"):
            return "\t"
        counts = {d: sample.count(d) for d in ",;\t"}
        return max(counts, key=lambda d: counts[d])


def header_key(name: str) -> str | None:
    key = re.sub(r"[\s_]+", " ", fold(name)).strip(" :*")
    for column, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return column
    return None


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for row in reader:
        yield start, row
        start = reader.line_num + 1


def _delimiter_name(delimiter: str) -> str:
    return {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter,
                                                                          repr(delimiter))


def read_csv(path: Path, result: ImportResult, seen: Seen) -> None:
    raw = path.read_bytes()
    text, encoding = decode(raw)
    delimiter = sniff_delimiter(text, path.suffix.lower())
    result.details.update(encoding=encoding, delimiter=_delimiter_name(delimiter))
    rows = list(_rows(text, delimiter))
    if not rows:
        raise UsageError(f"{path} is empty")
    _, header = rows[0]
    mapping = {i: header_key(name) for i, name in enumerate(header)}
    if not any(key in ("question", "text") for key in mapping.values()):
        if len(header) < 2:
            raise UsageError(f"{path}: no column is a question: name the first row's columns "
                             "question, answer, source, tags (or Front, Back…)")
        mapping = {0: "question", 1: "answer"}
        result.notes.append("no header row: columns 1 and 2 read as question and answer")
    else:
        rows = rows[1:]
        ignored = [name for i, name in enumerate(header) if mapping[i] is None and name.strip()]
        if ignored:
            result.notes.append(f"columns ignored: {', '.join(ignored)} (known: "
                                f"{', '.join(COLUMN_ALIASES)})")
    result.details["columns"] = ", ".join(
        f"{header[i] if i < len(header) else i + 1}→{key}"
        for i, key in mapping.items() if key)
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        values: dict[str, str] = {}
        for i, cell in enumerate(row):
            key = mapping.get(i)
            if key and cell.strip():
                values[key] = hard_breaks(cell.strip().replace("\r\n", "\n"))
        _add_row(result, f"{path.name}:{line}", values, seen)


def _add_row(result: ImportResult, where: str, values: dict[str, str], seen: Seen) -> None:
    raw_type = fold(values.get("type", "")).strip()
    card_type = TYPE_ALIASES.get(raw_type)
    text = values.get("text")
    if card_type is None:
        result.skipped.append(Skipped(where, f"unknown card type {values['type']!r}"))
        return
    if text is None and _CLOZE.search(values.get("question", "")) and "answer" not in values:
        card_type, text = "cloze", values.get("question")
    elif text is not None and card_type == "basic" and "question" not in values:
        card_type = "cloze"
    tags = [t for t in re.split(r"[\s,;]+", values.get("tags", "")) if t]
    try:
        card = build_card(
            card_type=card_type, question=values.get("question"), answer=values.get("answer"),
            text=text, source=values.get("source"), extra=values.get("extra"), tags=tags,
            card_id=values.get("id"), guid=values.get("guid"), taken=seen.ids)
    except UsageError as exc:
        result.skipped.append(Skipped(where, str(exc)))
        return
    _keep(result, where, card, seen)


def _keep(result: ImportResult, where: str, card: dict[str, Any], seen: Seen) -> None:
    duplicate = seen.duplicate(card)
    if duplicate:
        result.skipped.append(Skipped(where, duplicate))
        return
    seen.add(card)
    result.cards.append(card)


# ---- Anki packages ---------------------------------------------------------------------------

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
            if "".join(self.parts[-1:])[-1:] not in ("", "\n"):
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


def hard_breaks(text: str) -> str:
    """A line break inside a paragraph (a spreadsheet cell's, or Anki's `<br>`) stays one
    on the card: Markdown would join the lines. Lists and blank lines keep their meaning."""
    lines = text.split("\n")
    for i in range(len(lines) - 1):
        here, after = lines[i], lines[i + 1]
        if here.strip() and after.strip() and not (
                here.lstrip().startswith("- ") or after.lstrip().startswith("- ")):
            lines[i] = here + "<br>"
    return "\n".join(lines)


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


def _protobuf_fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Top-level fields of a protobuf message: enough to read Anki's notetype configs (the
    message classes ship only with the `anki` package, not a runtime dependency). A
    truncated message raises IndexError."""
    fields: dict[int, list[bytes | int]] = {}
    position = 0

    def varint() -> int:
        nonlocal position
        shift = value = 0
        while True:
            byte = data[position]
            position += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while position < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields.setdefault(number, []).append(varint())
        elif wire == 2:
            length = varint()
            fields.setdefault(number, []).append(data[position:position + length])
            position += length
        elif wire == 5:
            position += 4
        elif wire == 1:
            position += 8
        else:
            break
    return fields


@dataclass
class Notetype:
    name: str
    kind: int
    fields: list[str]
    templates: list[tuple[str, str]]


def _legacy_notetypes(db: sqlite3.Connection) -> tuple[dict[int, Notetype], list[str]]:
    models, decks = db.execute("SELECT models, decks FROM col").fetchone()
    notetypes = {}
    for model in json.loads(models or "{}").values():
        fields = [f["name"] for f in sorted(model["flds"], key=lambda f: f["ord"])]
        templates = [(t["qfmt"], t["afmt"])
                     for t in sorted(model["tmpls"], key=lambda t: t["ord"])]
        notetypes[int(model["id"])] = Notetype(model["name"], int(model.get("type", 0)),
                                               fields, templates)
    names = [d["name"] for d in json.loads(decks or "{}").values()]
    return notetypes, names


def _v18_notetypes(db: sqlite3.Connection) -> tuple[dict[int, Notetype], list[str]]:
    notetypes = {}
    for ntid, name, config in db.execute("SELECT id, name, config FROM notetypes"):
        kind = _protobuf_fields(config).get(1, [0])[0]
        fields = [n for (n,) in db.execute(
            "SELECT name FROM fields WHERE ntid = ? ORDER BY ord", (ntid,))]
        templates = []
        for (template_config,) in db.execute(
                "SELECT config FROM templates WHERE ntid = ? ORDER BY ord", (ntid,)):
            parts = _protobuf_fields(template_config)
            front, back = parts.get(1, [b""])[0], parts.get(2, [b""])[0]
            templates.append((bytes(front).decode(errors="replace"),  # type: ignore[arg-type]
                              bytes(back).decode(errors="replace")))  # type: ignore[arg-type]
        notetypes[ntid] = Notetype(name, int(kind), fields, templates)  # type: ignore[arg-type]
    names = [n.replace("\x1f", "::") for (n,) in db.execute("SELECT name FROM decks")]
    return notetypes, names


def _collection(archive: zipfile.ZipFile, folder: Path) -> tuple[Path, str]:
    names = set(archive.namelist())
    if "collection.anki21b" in names:
        target = folder / "collection.sqlite"
        with archive.open("collection.anki21b") as source, target.open("wb") as sink:
            zstandard.ZstdDecompressor().copy_stream(source, sink)
        return target, "collection.anki21b (zstd)"
    for name in ("collection.anki21", "collection.anki2"):
        if name in names:
            target = folder / "collection.sqlite"
            with archive.open(name) as source, target.open("wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            return target, name
    raise UsageError("no collection in this .apkg (no collection.anki2, .anki21 or .anki21b): "
                     "is it an Anki package?")


def read_apkg(path: Path, result: ImportResult, seen: Seen) -> None:
    if path.stat().st_size > MAX_PACKAGE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_PACKAGE_BYTES // 2**30} GiB")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise UsageError(f"{path} is not an Anki package (.apkg files are zip archives)"
                         ) from None
    with archive, tempfile.TemporaryDirectory() as folder:
        try:
            database, entry = _collection(archive, Path(folder))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
            raise UsageError(f"{path}: its collection cannot be unpacked ({exc}); export "
                             "it again from Anki") from None
        db = sqlite3.connect(database)
        try:
            tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master")}
            notetypes, decks = (_v18_notetypes(db) if "notetypes" in tables
                                else _legacy_notetypes(db))
            notes = db.execute("SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"
                               ).fetchall()
        except (sqlite3.DatabaseError, ValueError, LookupError, TypeError) as exc:
            # LookupError: a missing key or a truncated notetype config
            raise UsageError(f"{path}: cannot read its collection ({exc}); is the package "
                             "complete? Export it again from Anki") from None
        finally:
            db.close()
    decks = [d for d in decks if d != "Default"] or decks
    result.details.update(collection=entry, decks=", ".join(sorted(decks)))
    if len(decks) == 1:
        result.details["deck_name"] = decks[0]
    media_notes = 0
    kept_types: list[str] = []
    for nid, guid, mid, tags, flds in notes:
        where = f"note {nid}"
        notetype = notetypes.get(mid)
        if notetype is None:
            result.skipped.append(Skipped(where, f"its notetype {mid} is missing"))
            continue
        shape = note_shape(notetype.kind, notetype.fields, notetype.templates)
        if isinstance(shape, str):
            result.skipped.append(Skipped(where, f"notetype {notetype.name!r}: {shape}"))
            continue
        values: list[str] = []
        media = False
        for value in flds.split("\x1f"):
            text, files = html_to_text(value)
            values.append(hard_breaks(text))
            media = media or bool(files)
        media_notes += media

        def field(index: int | None, values: list[str] = values) -> str | None:
            return values[index] or None if index is not None and index < len(values) else None

        card_type = shape.card_type
        if shape.reverse_if is not None and field(shape.reverse_if):
            card_type = "reverse"
        card_tags = [t for t in tags.split() if not DROPPED_TAGS.match(t)]
        try:
            card = build_card(
                card_type=card_type, question=field(shape.question),
                answer=field(shape.answer), text=field(shape.text), extra=field(shape.extra),
                source=field(shape.source), tags=card_tags, guid=guid, taken=seen.ids)
        except UsageError as exc:
            result.skipped.append(Skipped(where, f"notetype {notetype.name!r}: {exc}"))
            continue
        before = len(result.cards)
        _keep(result, where, card, seen)
        if len(result.cards) > before:
            kept_types.append(notetype.name)
    if media_notes:
        result.notes.append(f"{media_notes} notes referenced images or sounds: media are not "
                            "imported (the text was kept)")
    result.notes.extend(notetype_notes(kept_types, result.deck))


# ---- into a deck -----------------------------------------------------------------------------

def _existing(deck_dir: Path) -> Seen:
    """What the deck already has (read leniently: the deck may not be valid yet)."""
    from flashcards.authoring import deck_ids
    from flashcards.load import load_yaml

    seen = Seen(deck_ids(deck_dir) if deck_dir.exists() else set())
    path = deck_dir / "cards.yaml"
    data = load_yaml(path).data if path.exists() else None
    items = data.get("cards") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            seen.add(item)
    return seen


def _new_deck(project: Project, slug: str, name: str, language: str) -> Path:
    from flashcards.scaffold import (
        check_slug,
        deck_yaml,
        ensure_schemas,
        refuse_name_clash,
        schema_line,
    )
    from flashcards.write import write_text_atomic

    check_slug(slug)
    refuse_name_clash(project, name)
    deck_dir = project.decks_dir / slug
    schemas, _ = ensure_schemas(project)
    write_text_atomic(deck_dir / "deck.yaml",
                      deck_yaml(name, language, None, schema_line(deck_dir, schemas, "deck")))
    return deck_dir


def import_file(project: Project, file: Path, deck: str, *, language: str = "fr",
                dry_run: bool = False) -> ImportResult:
    """Import the cards of `file` (.csv, .tsv, .txt or .apkg) into `decks/<deck>/cards.yaml`,
    creating the deck when it does not exist (named as the package's deck, so that students'
    Anki finds it). Nothing is written when no card could be imported. Raises UsageError or
    SourceError."""
    if not file.is_file():
        raise UsageError(f"no file {file}")
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".tsv", ".tab", ".txt", ".apkg", ".colpkg"):
        raise UsageError(f"cannot import {file.name}: give a .csv, .tsv or .apkg file")
    if suffix == ".colpkg":
        raise UsageError(f"{file.name} is a whole Anki collection backup: export the deck "
                         "from Anki as an .apkg (File → Export → Anki Deck Package)")
    deck_dir = project.decks_dir / deck
    seen = _existing(deck_dir)
    result = ImportResult(file, deck, "apkg" if suffix == ".apkg" else "csv")
    if suffix == ".apkg":
        read_apkg(file, result, seen)
    else:
        read_csv(file, result, seen)
    if not result.cards or (dry_run and not deck_dir.exists()):
        return result  # a dry run writes nothing, not even a deck to check the cards in
    created = not deck_dir.exists()
    if created:
        name = result.details.get("deck_name") or deck.replace("-", " ").capitalize()
        _new_deck(project, deck, name, language)
    try:
        data, added, rejected = checked_append(project, deck_dir, result.cards)
    except BaseException:
        if created:
            shutil.rmtree(deck_dir, ignore_errors=True)
        raise
    for card_id, problems in rejected.items():
        first = problems[0]
        result.skipped.append(Skipped(f"card {card_id!r}", f"{first.code}: {first.message}"))
    result.cards = [r.card for r in added]
    warned = sum(bool(r.warnings) for r in added)
    if warned:
        result.notes.append(f"{warned} imported cards have warnings: run `flashcards lint "
                            f"{deck}` to see them")
    if dry_run or not result.cards:
        if created:  # every card was refused: leave no empty deck behind
            shutil.rmtree(deck_dir, ignore_errors=True)
        return result
    write_atomic(deck_dir / "cards.yaml", lambda handle: handle.write(data))
    result.created_deck = created
    result.written = True
    return result
