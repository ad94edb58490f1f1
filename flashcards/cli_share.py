"""Commands for sharing a deck: verify, export."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flashcards.cli import _project, emit_json, error_exit, exit_on_error, plural, say
from flashcards.cli_app import DecksArg, JsonOpt, RootOpt, app

if TYPE_CHECKING:
    from flashcards.verify import VerifyReport


@app.command(short_help="Check packages by importing them into Anki.")
def verify(
    packages: Annotated[list[Path], typer.Argument(
        help="Packages (.apkg) to check.", show_default=False, metavar="PACKAGE.apkg")],
    json_output: JsonOpt = False,
) -> None:
    """Import packages into a throwaway Anki collection, as a student would, and report
    notes, cards, decks, notetypes, media and problems (empty fronts, clozes without a gap,
    cards that do not render, missing media, active content). Exit 1 when there are findings
    or a file is not a package, 2 when a file is missing.

    Needs the Anki engine: pip install anki.

    Example: flashcards verify dist/dojo.apkg
    """
    from flashcards.project import UsageError
    from flashcards.verify import EngineMissing, PackageError, verify_package

    documents: list[dict[str, object]] = []
    exit_code = 0
    for package in packages:
        try:
            report = verify_package(package)
        except EngineMissing as exc:
            raise error_exit(str(exc)) from None
        except (UsageError, PackageError) as exc:  # this file only: the others are verified
            exit_code = max(exit_code, 2 if isinstance(exc, UsageError) else 1)
            documents.append({"package": str(package), "ok": False, "error": str(exc)})
            if not json_output:
                say(f"error: {exc}", stderr=True)
            continue
        documents.append(report.to_dict())
        if not report.ok:
            exit_code = max(exit_code, 1)
        if not json_output:
            _print_report(report)
    if json_output:
        emit_json(documents if len(documents) > 1 else documents[0])
    if exit_code:
        raise typer.Exit(exit_code)


def _print_report(report: VerifyReport) -> None:
    say(f"{report.package}: {report.notes} notes, {report.cards} cards, "
        f"{len(report.media)} media files")
    say(f"  decks: {', '.join(report.decks) or 'none'}")
    say(f"  notetypes: {', '.join(report.notetypes) or 'none'}")
    for finding in report.findings:
        say(f"  {finding}", stderr=True)
    count = len(report.findings)
    say("  ok: no finding" if report.ok else f"  {plural(count, 'finding')}")


# The same formats as flashcards.export.ExportFormat, which `--help` must not import (start-up
# stays lean).
class ExportFormatOpt(StrEnum):
    CSV = "csv"
    MD = "md"
    HTML = "html"


@app.command(short_help="Export decks as CSV, a Markdown sheet or an HTML page.")
def export(
    decks: DecksArg = None,
    format: Annotated[ExportFormatOpt, typer.Option(
        "--format", help="csv (other flashcard apps, Anki's text import), md (a study sheet) "
        "or html (one self-contained page, printable).")] = ExportFormatOpt.HTML,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Output folder (default: dist/).", file_okay=False)] = None,
    root: RootOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Export decks for students without Anki: dist/<slug>.csv, .md or .html.

    Example: flashcards export dojo --format html --out handouts/
    """
    from flashcards.export import ExportFormat
    from flashcards.export import export as export_decks

    project = _project(root)
    try:
        with exit_on_error():
            results = export_decks(project, decks or [], ExportFormat(format.value), out_dir)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise error_exit(f"cannot export: {where}{exc.strerror or exc} (check that the --out "
                         "folder can be written and the disk has space; no file was left "
                         "half-written)", 1) from None
    if json_output:
        emit_json([{"deck": r.slug, "path": str(r.path), "format": r.format.value,
                    "notes": r.notes, "cards": r.cards} for r in results])
        return
    for r in results:
        say(f"{r.slug}: {r.notes} notes, {r.cards} cards → {r.path}")
