"""The Typer app of the `flashcards` command: every command's parameters, help and parsing.

`flashcards.cli.main` runs `build`, `validate` and `lint` in their usual forms without it (and
without importing Typer); anything else comes here. Commands that live in cli_author and
cli_share register themselves on `app` when imported (at the bottom)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from flashcards import cli
from flashcards.cli import (
    _project,
    _relative,
    _set_json_mode,
    api,
    diagnostics_json,
    emit_json,
    error_exit,
    exit_on_error,
    print_diagnostics,
    say,
    usage_exit,
)
from flashcards.project import UsageError

app = typer.Typer(
    name="flashcards",
    help="Turn an article into spaced-repetition decks for Anki.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

DecksArg = Annotated[list[str] | None, typer.Argument(
    help="Deck slugs (folders of decks/); all decks when omitted.", show_default=False,
    metavar="DECK")]
RootOpt = Annotated[Path | None, typer.Option(
    "--root", help="Project folder (default: the nearest folder above with decks/).",
    file_okay=False)]
OutDirOpt = Annotated[Path | None, typer.Option(
    "--out", help="Output folder (default: dist/).", file_okay=False)]
JsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print the result as JSON on stdout, for scripts.",
    callback=_set_json_mode)]


def run_typer() -> None:
    """The command line of this process, parsed and run by Typer as `app()` does; a usage
    error (unknown option, missing argument…) is `{"ok": false, "error": …}` on stdout when
    the command line asks for --json."""
    from typer import _click

    args = sys.argv[1:]
    try:
        result = typer.main.get_command(app).main(args, standalone_mode=False)
    except _click.ClickException as exc:
        if "--json" not in args[:args.index("--") if "--" in args else None]:
            exc.show()
            sys.exit(exc.exit_code)
        cli._set_json_mode(True)
        raise error_exit(exc.format_message(), exc.exit_code) from None
    except typer.Abort:
        _click.echo("Aborted!", file=sys.stderr)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


def _version(value: bool) -> None:
    if value:
        cli.show_version()
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Turn an article into spaced-repetition decks for Anki."""
    _set_json_mode(False)  # each command's own --json sets it again


@app.command(short_help="Check decks without writing anything.")
def validate(decks: DecksArg = None, root: RootOpt = None, json_output: JsonOpt = False
             ) -> None:
    """Check decks without writing anything.

    Example: flashcards validate dojo
    """
    cli.validate(decks or [], root, json_output)


@app.command(short_help="Build dist/<slug>.apkg for each deck and update its lock.")
def build(
    decks: DecksArg = None,
    root: RootOpt = None,
    out_dir: OutDirOpt = None,
    new_notetype_version: Annotated[bool, typer.Option(
        "--new-notetype-version",
        help="Accept a notetype field change by moving its cards to a new notetype.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Build decks into .apkg packages (dist/<slug>.apkg) and update each deck's lock.

    Example: flashcards build dojo --out dist/
    """
    cli.build(decks or [], root, out_dir, new_notetype_version, json_output)


class DiffFormat(StrEnum):
    TEXT = "text"
    MD = "md"


@app.command(short_help="What the next build changes: added, changed, removed.")
def diff(
    decks: DecksArg = None,
    root: RootOpt = None,
    format: Annotated[DiffFormat, typer.Option(
        "--format", help="text, or md for release notes to paste for the class.")
    ] = DiffFormat.TEXT,
    json_output: JsonOpt = False,
) -> None:
    """Show what the next build changes: added, changed (word diff) and removed cards.

    Example: flashcards diff dojo --format md
    """
    import dataclasses

    from flashcards.changelog import format_markdown, format_text
    from flashcards.changes import pending_changes
    from flashcards.lock import UNRELEASED

    project = _project(root)
    with exit_on_error():
        plans = api.diff(project, decks or [])
    if json_output:
        emit_json({"ok": True, "decks": {slug: {
            "summary": plan.summary(),
            "changes": [{"kind": c.kind.value, "id": c.id, "fields": c.field_diffs()}
                        for c in plan.changes]} for slug, plan in plans.items()},
            "diagnostics": diagnostics_json([w for p in plans.values() for w in p.warnings])})
        return
    for slug, plan in plans.items():
        print_diagnostics(plan.warnings)
        if format is DiffFormat.MD:  # release notes of everything the next release carries
            text = format_markdown(plan.lock.deck_name or slug, UNRELEASED,
                                   dataclasses.replace(plan, changes=pending_changes(plan)),
                                   plan.language, plan.renamed_from)
        else:
            text = format_text(slug, plan)
        say(text)


@app.command(short_help="Bump a deck's version, build it, write CHANGELOG.md.")
def release(
    deck: Annotated[str, typer.Argument(help="The deck slug.", metavar="DECK")],
    major: Annotated[bool, typer.Option("--major", help="Bump the major version.")] = False,
    minor: Annotated[bool, typer.Option("--minor", help="Bump the minor version (default).")
                     ] = False,
    patch: Annotated[bool, typer.Option("--patch", help="Bump the patch version.")] = False,
    root: RootOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Bump a deck's version, build it and record the changes in its CHANGELOG.md.

    Example: flashcards release dojo --patch
    """
    from flashcards.release import Part
    from flashcards.release import release as do_release

    if major + minor + patch > 1:
        raise usage_exit(UsageError("choose one of --major, --minor, --patch"))
    part = Part.MAJOR if major else Part.PATCH if patch else Part.MINOR
    project = _project(root)
    with exit_on_error():
        result = do_release(project, deck, part)
    if json_output:
        emit_json({"ok": True, "deck": deck, "version": result.version,
                   "summary": result.summary,
                   "package": _relative(result.build.package),
                   "notes_markdown": result.notes_markdown,
                   "diagnostics": diagnostics_json(list(result.build.warnings))})
        return
    print_diagnostics(list(result.build.warnings))
    say(f"{deck}: released {result.version} ({result.summary}) → "
        f"{_relative(result.build.package)}")
    say(result.notes_markdown)


@app.command("lint", short_help="Check card quality (one fact per card, no yes/no…).")
def lint_command(
    decks: DecksArg = None,
    root: RootOpt = None,
    rules: Annotated[bool, typer.Option("--rules", help="List the rules and exit.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Check card quality: one fact per card, no yes/no questions, no answer in the question…

    Example: flashcards lint dojo --strict
    """
    cli.lint(decks or [], root, rules, strict, json_output)


@app.command(short_help="Which sentences of the article the deck teaches.")
def coverage(
    deck: Annotated[str, typer.Argument(help="The deck slug.", metavar="DECK")],
    root: RootOpt = None,
    html_out: Annotated[Path | None, typer.Option(
        "--html", help="Write the article with covered sentences highlighted here.",
        dir_okay=False)] = None,
    minimum: Annotated[float | None, typer.Option(
        "--min", help="Fail (exit 1) below this percentage of factual sentences.")] = None,
    json_output: JsonOpt = False,
) -> None:
    """Show which sentences of the article the deck teaches, paragraph by paragraph.

    Example: flashcards coverage dojo --html dist/dojo-coverage.html --min 90
    """
    from rich.table import Table

    from flashcards.coverage import html_report, table

    project = _project(root)
    with exit_on_error():
        deck_data, report = api.coverage(project, deck)
    below = minimum is not None and 100 * report.ratio < minimum
    if html_out:
        from flashcards.write import write_text_atomic

        write_text_atomic(html_out, html_report(report, deck_data.sources.config.name,
                                                deck_data.notes))
    if json_output:
        emit_json({"ok": not below, "deck": deck, "ratio": round(report.ratio, 4),
                   "factual": len(report.factual),
                   "covered": sum(s.covered for s in report.factual),
                   "paragraphs": [{"paragraph": label, "factual": factual, "covered": covered}
                                  for label, factual, covered, _ in table(report)],
                   "uncovered": [s.text for s in report.factual if not s.covered],
                   "html": _relative(html_out) if html_out else None})
        if below:
            raise typer.Exit(1)
        return
    grid = Table("paragraph", "factual", "covered", "%", title=f"{deck}: coverage")
    for label, factual, covered, percent in table(report):
        grid.add_row(label, str(factual), str(covered), percent)
    grid.add_row("total", str(len(report.factual)),
                 str(sum(s.covered for s in report.factual)), f"{100 * report.ratio:.1f}%")
    cli.console().print(grid)
    if html_out:
        say(f"wrote {_relative(html_out)}")
    if below:
        say(f"coverage {100 * report.ratio:.1f}% is below {minimum}%", stderr=True)
        raise typer.Exit(1)


@app.command("list", short_help="List the decks with their note and card counts.")
def list_decks(root: RootOpt = None, json_output: JsonOpt = False) -> None:
    """List the decks with their note and card counts.

    Example: flashcards list
    """
    project = _project(root)
    results = api.validate(project)
    if json_output:
        emit_json([{"slug": slug, "name": deck.sources.config.name, "valid": True,
                    "notes": len(deck.notes), "cards": deck.card_count()}
                   if isinstance(deck, api.PreparedDeck) else
                   {"slug": slug, "valid": False, "problems": len(deck.diagnostics)}
                   for slug, deck in results.items()])
        return
    for slug, deck in results.items():
        if isinstance(deck, api.PreparedDeck):
            config = deck.sources.config
            typer.echo(f"{slug}\t{config.name}\t{len(deck.notes)} notes\t"
                       f"{deck.card_count()} cards")
        else:
            typer.echo(f"{slug}\tinvalid ({len(deck.diagnostics)} problems: run "
                       f"flashcards validate {slug})")


@app.command(short_help="Print the JSON Schemas of the source files.")
def schema(
    file: Annotated[str | None, typer.Argument(
        help="deck, cards, facts or templates; all of them when omitted.", metavar="FILE")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write <file>.schema.json files into this folder.", file_okay=False)
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Print the JSON Schema of the source files, for editors (JSON with or without --json).

    Example: flashcards schema cards --out schemas/
    """
    from flashcards.schema import json_schemas

    schemas = json_schemas()
    if file is not None and file not in schemas:
        raise usage_exit(UsageError(f"unknown file {file!r}; choose one of "
                                    f"{', '.join(schemas)}"))
    chosen = {file: schemas[file]} if file else schemas
    if out_dir:
        from flashcards.write import write_text_atomic

        written = []
        for name, value in chosen.items():
            target = out_dir / f"{name}.schema.json"
            write_text_atomic(target, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
            written.append(_relative(target))
        if json_output:
            emit_json({"ok": True, "written": written})
        else:
            for target_name in written:
                say(f"wrote {target_name}")
        return
    document = chosen[file] if file else chosen
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# Commands that live in their own modules register themselves on `app` when imported.
from flashcards import cli_author, cli_share  # noqa: E402, F401
