"""`flashcards import`: cards from a spreadsheet (`import_csv`) or an Anki package
(`import_apkg`) appended to a deck's cards.yaml, the deck created when missing. Rows the deck
already has, or that the build would refuse, are skipped with their reason."""

from __future__ import annotations

import shutil
from pathlib import Path

from flashcards.authoring import checked_append, deck_ids
from flashcards.file_kinds import binary_kind
from flashcards.import_apkg import read_apkg
from flashcards.import_common import ImportResult, Seen, Skipped
from flashcards.import_csv import SAVE_AS_CSV, read_csv
from flashcards.load import load_yaml
from flashcards.project import Project, UsageError
from flashcards.scaffold import (
    check_slug,
    deck_named,
    deck_yaml,
    ensure_schemas,
    schema_line,
)
from flashcards.write import write_atomic, write_text_atomic

SPREADSHEETS = (".csv", ".tsv", ".tab", ".txt")
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".ods", ".numbers")


def check_kind(file: Path) -> None:
    """A UsageError saying how to get an importable file when `file` is none: a workbook, a
    package that is really a CSV, a backup of a whole collection…"""
    if file.is_dir():
        raise UsageError(f"{file} is a folder: give a spreadsheet saved as .csv or .tsv, or "
                         "an Anki package (.apkg)")
    if not file.is_file():
        raise UsageError(f"no file {file}")
    suffix = file.suffix.lower()
    if suffix == ".colpkg":
        raise UsageError(f"{file.name} is a whole Anki collection backup: export the deck "
                         "from Anki as an .apkg (File → Export → Anki Deck Package)")
    if suffix in WORKBOOKS:
        raise UsageError(f"{file.name} is a spreadsheet workbook: {SAVE_AS_CSV}")
    if suffix not in (*SPREADSHEETS, ".apkg"):
        raise UsageError(f"cannot import {file.name}: give a spreadsheet saved as .csv or "
                         ".tsv, or an Anki package (.apkg)")
    kind = binary_kind(file)
    package = kind in ("an Anki package (.apkg)", "a zip archive")
    if suffix == ".apkg" and kind is None and _is_text(file):
        raise UsageError(f"{file.name} is text, not an Anki package (.apkg files are zip "
                         "archives): if it is a spreadsheet, rename it .csv and import that")
    if suffix == ".apkg" and kind is not None and not package:
        raise UsageError(f"{file.name} is {kind}, not an Anki package: export the deck from "
                         "Anki (File → Export → Anki Deck Package)")
    if suffix != ".apkg" and kind == "an Anki package (.apkg)":
        raise UsageError(f"{file.name} is an Anki package: rename it .apkg and import that")
    if suffix != ".apkg" and kind is not None:
        raise UsageError(f"{file.name} is {kind}, not a spreadsheet saved as text: "
                         f"{SAVE_AS_CSV}")


def _is_text(file: Path) -> bool:
    with file.open("rb") as handle:
        head = handle.read(4096)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not a character cut at the end of the sample
            return False
    return b"\0" not in head


def _existing(deck_dir: Path) -> Seen:
    """What the deck already has (read leniently: the deck may not be valid yet)."""
    seen = Seen(deck_ids(deck_dir) if deck_dir.exists() else set())
    path = deck_dir / "cards.yaml"
    data = load_yaml(path).data if path.exists() else None
    items = data.get("cards") if isinstance(data, dict) else None
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            seen.add(item)
    return seen


def _new_deck(project: Project, slug: str, name: str, language: str) -> Path:
    clash = deck_named(project, name)
    if clash:
        raise UsageError(f"deck {clash[0]!r} is already named {clash[1]!r}, the name of the "
                         f"imported deck: import into it with --into {clash[0]} (Anki matches "
                         "decks by name: two decks of one name would be one for students)")
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
    check_kind(file)
    if not project.decks_dir.is_dir() or deck not in project.deck_slugs():
        check_slug(deck)  # a new deck: never a path such as `..`
    apkg = file.suffix.lower() == ".apkg"
    deck_dir = project.decks_dir / deck
    seen = _existing(deck_dir)
    result = ImportResult(file, deck, "apkg" if apkg else "csv")
    (read_apkg if apkg else read_csv)(file, result, seen)
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
        message = first.message.removeprefix(f"card {card_id!r}: ")
        result.skipped.append(Skipped(result.origins.get(card_id, f"card {card_id!r}"),
                                      f"{message} [{first.code}]"))
    result.cards = [r.card for r in added]
    warned = sum(bool(r.warnings) for r in added)
    if warned:
        result.notes.append(f"{warned} imported card{'s have' if warned > 1 else ' has'} "
                            f"warnings: run `flashcards lint {deck}` to see them")
    if dry_run or not result.cards:
        if created:  # every card was refused: leave no empty deck behind
            shutil.rmtree(deck_dir, ignore_errors=True)
        return result
    write_atomic(deck_dir / "cards.yaml", lambda handle: handle.write(data))
    result.created_deck = created
    result.written = True
    return result
