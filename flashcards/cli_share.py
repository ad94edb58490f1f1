"""Commands for sharing a deck: verify, export."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flashcards.cli import (
    DecksArg,
    JsonOpt,
    RootOpt,
    _fail_sources,
    _project,
    app,
    emit_json,
    err,
    out,
)


@app.command()
def verify(
    packages: Annotated[list[Path], typer.Argument(
        help="Packages (.apkg) to check.", show_default=False, dir_okay=False)],
    json_output: JsonOpt = False,
) -> None:
    """Import packages into a throwaway Anki collection, as a student would, and report
    notes, cards, decks, notetypes, media and problems (empty fronts, clozes without a gap,
    cards that do not render, missing media, active content). Exit 1 when there are findings.

    Needs the Anki engine: pip install 'flashcards[verify]'.

    Example: flashcards verify dist/dojo.apkg
    """
    from flashcards.project import UsageError
    from flashcards.verify import PackageError, verify_package

    reports = []
    for package in packages:
        try:
            reports.append(verify_package(package))
        except UsageError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None
        except PackageError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None
    if json_output:
        documents = [r.to_dict() for r in reports]
        emit_json(documents if len(documents) > 1 else documents[0])
    else:
        for r in reports:
            out.print(f"{r.package}: {r.notes} notes, {r.cards} cards, {len(r.media)} media "
                      f"files", markup=False)
            out.print(f"  decks: {', '.join(r.decks) or 'none'}", markup=False)
            out.print(f"  notetypes: {', '.join(r.notetypes) or 'none'}", markup=False)
            for finding in r.findings:
                err.print(f"  {finding}", markup=False)
            count = len(r.findings)
            out.print("  ok: no finding" if r.ok else
                      f"  {count} finding{'s' * (count != 1)}", markup=False)
    if not all(r.ok for r in reports):
        raise typer.Exit(1)


class ExportFormatOpt(StrEnum):
    CSV = "csv"
    MD = "md"
    HTML = "html"


@app.command()
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
    from flashcards.diagnostics import SourceError
    from flashcards.export import ExportFormat
    from flashcards.export import export as do_export
    from flashcards.project import UsageError

    project = _project(root)
    try:
        results = do_export(project, decks or [], ExportFormat(format.value), out_dir)
    except UsageError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    except SourceError as exc:
        raise _fail_sources(exc) from None
    except OSError as exc:
        err.print(f"error: cannot write the export: {exc}", markup=False)
        raise typer.Exit(1) from None
    if json_output:
        emit_json([{"deck": r.slug, "path": str(r.path), "format": r.format.value,
                    "notes": r.notes, "cards": r.cards} for r in results])
        return
    for r in results:
        out.print(f"{r.slug}: {r.notes} notes, {r.cards} cards → {r.path}", markup=False)
