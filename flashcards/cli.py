"""The `flashcards` command: a thin layer over `flashcards.api`."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from flashcards import __version__
from flashcards.diagnostics import Diagnostic, Severity, SourceError
from flashcards.diagnostics import shown_path as _relative
from flashcards.project import Project, UsageError


class _Lazy:
    """A module imported on first use: `flashcards --version` and an up-to-date build never
    pay for the pipeline's imports (pydantic models, Jinja2, genanki…)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(importlib.import_module(self._name), attribute)


api = _Lazy("flashcards.api")

app = typer.Typer(
    name="flashcards",
    help="Turn an article into spaced-repetition decks for Anki.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
# NO_COLOR: no ANSI escape at all, even with FORCE_COLOR (Rich alone keeps bold/italic).
_COLOR_SYSTEM = None if os.environ.get("NO_COLOR") else "auto"
out = Console(highlight=False, soft_wrap=True, color_system=_COLOR_SYSTEM)
err = Console(stderr=True, highlight=False, soft_wrap=True, color_system=_COLOR_SYSTEM)

DecksArg = Annotated[list[str] | None, typer.Argument(
    help="Deck slugs (folders of decks/); all decks when omitted.", show_default=False,
    metavar="DECK")]
RootOpt = Annotated[Path | None, typer.Option(
    "--root", help="Project folder (default: the nearest folder above with decks/).",
    file_okay=False)]
OutDirOpt = Annotated[Path | None, typer.Option(
    "--out", help="Output folder (default: dist/).", file_okay=False)]
_json_mode = False


def _set_json_mode(value: bool) -> bool:
    """`--json` also turns errors into JSON: `_fail_sources` and `usage_exit` read this."""
    global _json_mode
    _json_mode = bool(value)
    return value


JsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print the result as JSON on stdout, for scripts.",
    callback=_set_json_mode)]


def emit_json(document: object) -> None:
    """One JSON document on stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def plural(count: int, noun: str) -> str:
    """`1 card`, `2 cards`."""
    return f"{count} {noun}{'s' * (count != 1)}"


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """`file:line:column: severity[code]: message` then `  hint: …`, as editors link them."""
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        location = _relative(d.file)
        if d.position:
            location += f":{d.position.line}:{d.position.column}"
        style = "red" if d.severity is Severity.ERROR else "yellow"
        line = Text(f"{location}: ")
        line.append(d.severity.value, style=style)
        line.append(f"[{d.code}]: {d.message}")
        err.print(line)
        if d.hint:
            err.print(Text(f"  hint: {d.hint}"))


def diagnostics_json(diagnostics: list[Diagnostic]) -> list[dict[str, object]]:
    """Diagnostics as `--json` reports them: file, line, column, severity, code, message,
    hint (line and column are null when unknown)."""
    return [{"file": _relative(d.file),
             "line": d.position.line if d.position else None,
             "column": d.position.column if d.position else None,
             "severity": d.severity.value, "code": d.code, "message": d.message,
             "hint": d.hint}
            for d in sorted(diagnostics, key=Diagnostic.sort_key)]


def _fail_sources(exc: SourceError, outcome: str = "nothing was written") -> typer.Exit:
    if _json_mode:
        emit_json({"ok": False, "diagnostics": diagnostics_json(exc.diagnostics)})
        return typer.Exit(1)
    print_diagnostics(exc.diagnostics)
    errors = sum(d.severity is Severity.ERROR for d in exc.diagnostics)
    err.print(f"{plural(errors, 'error')}; {outcome}.",
              style="red", markup=False)
    return typer.Exit(1)


def error_exit(message: str, code: int = 2) -> typer.Exit:
    """An error that is not in a source file: on stderr, or as `{"ok": false, "error": …}`
    with --json."""
    if _json_mode:
        emit_json({"ok": False, "error": message})
    else:
        err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def usage_exit(exc: UsageError) -> typer.Exit:
    """A usage error: exit 2 (see `error_exit`)."""
    return error_exit(str(exc))


@contextlib.contextmanager
def exit_on_error(outcome: str = "nothing was written") -> Iterator[None]:
    """Around an API call: a UsageError exits 2, a SourceError exits 1 with its diagnostics
    and `outcome` ("nothing was written"); both as JSON with --json."""
    try:
        yield
    except UsageError as exc:
        raise usage_exit(exc) from None
    except SourceError as exc:
        raise _fail_sources(exc, outcome) from None


def _project(root: Path | None) -> Project:
    try:
        return Project(root.resolve()) if root else Project.find()
    except UsageError as exc:
        raise usage_exit(exc) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"flashcards {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Turn an article into spaced-repetition decks for Anki."""
    _set_json_mode(False)  # each command's own --json sets it again


def _validated(project: Project, decks: list[str]
               ) -> tuple[dict[str, api.PreparedDeck], list[Diagnostic]]:
    """Every deck checked, and their warnings; exit 1 on any error (shown with the warnings)."""
    try:
        results = api.validate(project, decks)
    except UsageError as exc:
        raise usage_exit(exc) from None
    problems = [d for r in results.values() if isinstance(r, SourceError) for d in r.diagnostics]
    prepared = {slug: r for slug, r in results.items() if isinstance(r, api.PreparedDeck)}
    warnings = [d for deck in prepared.values() for d in deck.report.warnings]
    if problems:
        raise _fail_sources(SourceError(problems + warnings))
    return prepared, warnings


@app.command(short_help="Check decks without writing anything.")
def validate(decks: DecksArg = None, root: RootOpt = None, json_output: JsonOpt = False
             ) -> None:
    """Check decks without writing anything.

    Example: flashcards validate dojo
    """
    results, warnings = _validated(_project(root), decks or [])
    if json_output:
        emit_json({"ok": True, "decks": [
            {"slug": slug, "notes": len(deck.notes), "cards": deck.card_count()}
            for slug, deck in results.items()],
            "diagnostics": diagnostics_json(warnings)})
        return
    print_diagnostics(warnings)
    for slug, deck in results.items():
        out.print(f"{slug}: ok, {len(deck.notes)} notes, {deck.card_count()} cards",
                  markup=False)


@contextlib.contextmanager
def _deck_progress(verb: str) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on a terminal (none when piped): one step per deck."""
    if not err.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn(f"{verb} decks… {{task.completed}} done"),
                  TextColumn("{task.description}"), console=err, transient=True) as bar:
        task = bar.add_task("", total=None)
        yield lambda slug: bar.update(task, advance=1, description=slug)


def _all_up_to_date(project: Project, decks: list[str], out_dir: Path | None) -> bool:
    """When every package is already what its inputs build, say so without loading the
    pipeline at all."""
    from flashcards.fingerprint import up_to_date

    out_dir = out_dir or project.root / "dist"
    try:
        deck_dirs = project.deck_dirs(decks)
    except UsageError:
        return False
    records = [(d, up_to_date(d, project.seeds_dir, out_dir / f"{d.name}.apkg"))
               for d in deck_dirs]
    if not deck_dirs or not all(record for _, record in records):
        return False
    for deck_dir, record in records:
        assert record is not None
        out.print(f"{deck_dir.name}: {record.get('notes')} notes, {record.get('cards')} cards → "
                  f"{_relative(out_dir / (deck_dir.name + '.apkg'))} (up to date)", markup=False)
    return True


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
    project = _project(root)
    if not (new_notetype_version or json_output) and \
            _all_up_to_date(project, decks or [], out_dir):
        return
    try:
        with _deck_progress("building") as advance:
            results = api.build(project, decks or [], out_dir,
                                new_notetype_version=new_notetype_version, progress=advance)
    except UsageError as exc:
        raise usage_exit(exc) from None
    except SourceError as exc:
        raise _fail_sources(exc) from None
    except OSError as exc:
        err.print(f"error: cannot write the package: {exc}", markup=False)
        err.print("  hint: free some disk space or check the folder's permissions; the previous "
                  "packages and locks are unchanged", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted: every package and lock is either the previous one or the new "
                  "one, whole; no temporary file is left", markup=False)
        raise typer.Exit(130) from None
    if json_output:
        emit_json({"ok": True, "decks": [
            {"slug": r.slug, "package": _relative(r.package), "notes": r.note_count,
             "cards": r.card_count, "summary": r.summary, "up_to_date": r.plan is None}
            for r in results],
            "diagnostics": diagnostics_json([d for r in results for d in r.warnings])})
        return
    for result in results:
        print_diagnostics(list(result.warnings))
        out.print(f"{result.slug}: {result.note_count} notes, {result.card_count} cards → "
                  f"{_relative(result.package)} ({result.summary})", markup=False)


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
        out.print(text, markup=False, highlight=False, soft_wrap=True)


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
    out.print(f"{deck}: released {result.version} ({result.summary}) → "
              f"{_relative(result.build.package)}", markup=False)
    out.print(result.notes_markdown, markup=False)


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
    from flashcards.lint import RULES

    if rules:
        if json_output:
            emit_json([{"code": r.code, "severity": r.severity.value, "summary": r.summary}
                       for r in RULES.values()])
            return
        for rule in RULES.values():
            out.print(f"{rule.code:<20} {rule.severity.value:<8} {rule.summary}", markup=False)
        return
    results, warnings = _validated(_project(root), decks or [])
    if json_output:
        emit_json({"ok": not (strict and warnings), "decks": [
            {"slug": slug, "notes": len(deck.notes), "warnings": len(deck.report.warnings)}
            for slug, deck in results.items()],
            "diagnostics": diagnostics_json(warnings)})
        if strict and warnings:
            raise typer.Exit(1)
        return
    print_diagnostics(warnings)
    for slug, deck in results.items():
        count = len(deck.report.warnings)
        out.print(f"{slug}: {len(deck.notes)} notes, {plural(count, 'warning')}",
                  markup=False)
    if strict and warnings:
        raise typer.Exit(1)


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
    out.print(grid)
    if html_out:
        out.print(f"wrote {_relative(html_out)}", markup=False)
    if below:
        err.print(f"coverage {100 * report.ratio:.1f}% is below {minimum}%", markup=False)
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
                out.print(f"wrote {target_name}", markup=False)
        return
    document = chosen[file] if file else chosen
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


# Commands that live in their own modules register themselves on `app` when imported.
from flashcards import cli_author, cli_share  # noqa: E402, F401


def _up_to_date_fast_path(args: list[str]) -> bool:
    """`flashcards build [DECK…]` with every package up to date answers before Typer parses
    the command line: Typer's parameter coercion alone (it builds pydantic adapters) costs
    more than the check of the locks."""
    if not args or args[0] != "build" or any(a.startswith("-") for a in args[1:]):
        return False
    try:
        return _all_up_to_date(Project.find(), args[1:], None)
    except UsageError:
        return False


def main() -> None:
    if _up_to_date_fast_path(sys.argv[1:]):
        return
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted; nothing was written.", markup=False)
        sys.exit(130)
