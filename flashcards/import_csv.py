"""Cards from a spreadsheet export (CSV/TSV): the encoding detected and reported (UTF-8, UTF-8
with BOM, UTF-16 as Excel's "Unicode text", else Windows-1252), the delimiter sniffed, the
columns mapped by header (`Front`/`Back`, `Recto`/`Verso`, `Question`/`Réponse`…)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from flashcards.authoring import build_card, fold
from flashcards.import_common import ImportResult, Seen, Skipped, hard_breaks, keep
from flashcards.project import UsageError

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
Row = tuple[int, list[str]]  # the line a record starts on, and its cells
SAVE_AS_CSV = ("save it as CSV (Excel: File → Save As → CSV UTF-8; LibreOffice: File → Save "
               "As → Text CSV, character set UTF-8) and import the .csv file")


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


def _rows(text: str, delimiter: str) -> Iterator[Row]:
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
    """Each row of the spreadsheet `path` kept in `result` as a card, or skipped with why.
    Raises UsageError for a file with no card row, or whose columns cannot be told apart."""
    text, encoding = decode(path.read_bytes())
    if not text.strip():
        raise UsageError(f"{path} is empty: export the spreadsheet again with its cards, one "
                         "per row, under a header row such as question, answer, source")
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise UsageError(f"{path}:{line}: a NUL byte: this is not a spreadsheet saved as "
                         f"text; {SAVE_AS_CSV}")
    delimiter = sniff_delimiter(text, path.suffix.lower())
    result.details.update(encoding=encoding, delimiter=_delimiter_name(delimiter))
    rows = [(line, row) for line, row in _rows(text, delimiter)
            if any(cell.strip() for cell in row)]
    mapping, cards = _columns(path, rows, result)
    for line, row in cards:
        values = {mapping[i]: hard_breaks(cell.strip().replace("\r\n", "\n"))
                  for i, cell in enumerate(row) if mapping.get(i) and cell.strip()}
        _add_row(result, f"{path.name}:{line}", values, seen)


def _columns(path: Path, rows: list[Row], result: ImportResult
             ) -> tuple[dict[int, str], list[Row]]:
    """What each column holds (by index), and the rows that are cards: all of them when the
    first row is not a header, which only a two-column file may lack."""
    header_line, header = rows[0]
    mapping = {i: key for i, name in enumerate(header) if (key := header_key(name))}
    if "question" in mapping.values() or "text" in mapping.values():
        if len(rows) == 1:
            raise UsageError(f"{path}:{header_line}: only a header row "
                             f"({', '.join(c for c in header if c.strip())}), no card: add "
                             "one row per card below it")
        ignored = [name for i, name in enumerate(header) if i not in mapping and name.strip()]
        if ignored:
            result.notes.append(f"columns ignored: {', '.join(ignored)} (known: "
                                f"{', '.join(COLUMN_ALIASES)})")
        result.details["columns"] = ", ".join(f"{header[i]}→{key}" for i, key in mapping.items())
        return mapping, rows[1:]
    width = max(max(i for i, cell in enumerate(row) if cell.strip()) + 1 for _, row in rows)
    if width != 2:
        raise UsageError(
            f"{path}:{header_line}: no column is named as a question, and the file has "
            f"{width} column{'s' * (width != 1)}: name the columns in a first row (question, "
            f"answer, source, tags, id, type, extra; or Front, Back, Recto, Verso…), or keep "
            "two columns, the question then the answer")
    result.notes.append("no header row: columns 1 and 2 read as question and answer")
    result.details["columns"] = "1→question, 2→answer"
    return {0: "question", 1: "answer"}, rows


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
    keep(result, where, card, seen)
