"""Commands for authoring: init, add, import, watch.

Only light modules at the top: the work is imported inside each command."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flashcards import cli
from flashcards.cli import emit_json, exit_on_error, plural, say
from flashcards.cli_app import DecksArg, JsonOpt, OutDirOpt, RootOpt, app
from flashcards.diagnostics import SourceError
from flashcards.project import Project, UsageError

if TYPE_CHECKING:
    from flashcards.grounding import Seed
    from flashcards.watch import Rebuild

shown = cli._relative  # paths as every command prints them


def _project_or_here(root: Path | None) -> Project:
    """The project for commands that may start one: --root, else the nearest project above,
    else the current folder."""
    if root is not None:
        return Project(root.resolve())
    try:
        return Project.find()
    except UsageError:
        return Project(Path.cwd())


@app.command(short_help="Start a deck from an article.")
def init(
    slug: Annotated[str, typer.Argument(
        help="The new deck's folder name, e.g. dojo.", metavar="SLUG")],
    seed: Annotated[Path, typer.Option("--seed", help="The article, a UTF-8 text file.")],
    language: Annotated[str, typer.Option("--language", help="Language of the cards.")] = "fr",
    name: Annotated[str | None, typer.Option(
        "--name", help="The Anki deck name (default: from the slug).")] = None,
    root: RootOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Start a deck from an article: copy it into seeds/ and create decks/SLUG/.

    Example: flashcards init dojo --seed ~/articles/dojo.txt
    """
    from flashcards.scaffold import init_deck

    with exit_on_error():
        result = init_deck(_project_or_here(root), slug, seed, language=language, name=name)
    if json_output:
        emit_json({"ok": True, **result.to_json()})
        return
    for path in result.written:
        say(f"created {shown(path)}")
    say("next steps:")
    for step in result.next_steps():
        say(f"  {step}")


def _ask_type(default: str) -> str:
    from flashcards.authoring import CARD_TYPES

    while True:
        answer = typer.prompt(f"type ({', '.join(CARD_TYPES)})", default=default, err=True)
        if answer.strip() in CARD_TYPES:
            return answer.strip()
        say(f"unknown type {answer!r}", stderr=True)


def _ask_source(seed: Seed | None, typed: str) -> str | None:
    """Ask again until the source is found in the seed, offering its closest sentences."""
    from flashcards.authoring import closest_sentences

    while typed and seed is not None and not seed.contains(typed):
        choices = closest_sentences(seed, typed)
        say(f"not found in the seed {seed.id!r}: «{typed}»", stderr=True)
        for number, sentence in enumerate(choices, start=1):
            say(f"  {number}. {sentence}", stderr=True)
        numbers = [str(n) for n in range(1, len(choices) + 1)]
        answer = typer.prompt(
            f"use a sentence ({'/'.join(numbers) or '-'}), r to retype, n for no source",
            default=(numbers or ["r"])[0], show_choices=False, err=True)
        if answer in numbers:
            typed = choices[int(answer) - 1]
        elif answer == "n":
            return None
        else:
            typed = typer.prompt("source", default="", show_default=False, err=True)
    return typed or None


def _ask_card(seed: Seed | None, card_type: str) -> tuple[str, str, str | None, str | None]:
    """Type, question (a cloze's text), answer and source, asked one by one."""
    card_type = _ask_type(card_type)
    cloze = card_type == "cloze"
    question = typer.prompt("text with {{c1::gaps}}" if cloze else "question", err=True)
    while cloze and "{{c" not in question:
        say("a cloze needs at least one gap, such as {{c1::2021}}", stderr=True)
        question = typer.prompt("text with {{c1::gaps}}", err=True)
    answer = None if cloze else typer.prompt("answer", err=True)
    typed = typer.prompt("source (a passage of the article; empty: none)", default="",
                         show_default=False, err=True)
    return card_type, question, answer, _ask_source(seed, typed.strip())


@app.command(short_help="Append a card to a deck's cards.yaml.")
def add(
    deck: Annotated[str, typer.Argument(help="The deck slug.", metavar="DECK")],
    question: Annotated[str | None, typer.Option(
        "--question", "-q", help="The question (for a cloze: the text with {{c1::gaps}}).")
    ] = None,
    answer: Annotated[str | None, typer.Option("--answer", "-a", help="The answer.")] = None,
    card_type: Annotated[str, typer.Option(
        "--type", "-t", help="basic, reverse, cloze or type-in.")] = "basic",
    source: Annotated[str | None, typer.Option(
        "--source", "-s", help="A passage quoted from the article.")] = None,
    card_id: Annotated[str | None, typer.Option(
        "--id", help="The card's id (default: made from the question).")] = None,
    tags: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeatable.")] = None,
    root: RootOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Add a card to a deck's cards.yaml, keeping the file's comments and layout.

    Without --question it asks for each field, and when the source is not in the article it
    offers the article's closest sentences.

    Example: flashcards add dojo -q "Qui dirige Tesla ?" -a "Elon Musk" -s "le PDG Elon Musk"
    """
    from flashcards import authoring

    project = cli._project(root)
    with exit_on_error("the card was not added (nothing was written): fix it and run the "
                       "command again"):
        [deck_dir] = project.deck_dirs([deck])
        seed = authoring.deck_seed(project, deck_dir)
        if question is None:
            card_type, question, answer, source = _ask_card(seed, card_type)
        else:
            authoring.require_in_seed(seed, source)
        cloze = card_type == "cloze"
        card = authoring.build_card(
            card_type=card_type, question=None if cloze else question, answer=answer,
            text=question if cloze else None, source=source, tags=tags, card_id=card_id,
            taken=authoring.deck_ids(deck_dir))
        result = authoring.add_card(project, deck, card)
    if json_output:
        emit_json({"ok": True, "id": result.id, "file": shown(result.file),
                   "line": result.line, "card": result.card,
                   "diagnostics": cli.diagnostics_json(result.warnings)})
        return
    cli.print_diagnostics(result.warnings)
    say(f"added {result.id!r} to {shown(result.file)}:{result.line}")


@app.command("import", short_help="Import cards from a CSV/TSV sheet or an .apkg.")
def import_command(
    file: Annotated[Path, typer.Argument(
        help="A .csv/.tsv spreadsheet or an .apkg package.", metavar="FILE")],
    into: Annotated[str, typer.Option("--into", help="The deck slug (created if missing).")],
    language: Annotated[str, typer.Option(
        "--language", help="Language of a deck created by the import.")] = "fr",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report what would be imported; write nothing.")] = False,
    root: RootOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Import cards from a spreadsheet (CSV/TSV) or an Anki package (.apkg), keeping notes'
    GUIDs so that students keep their progress.

    Example: flashcards import cartes.csv --into dojo
    """
    from flashcards.importers import import_file

    project = _project_or_here(root)
    # Reading, then checking the deck, can take seconds: a spinner on a terminal.
    err = cli.console(stderr=True)
    working = err.status(f"importing {file.name}…") if err.is_terminal and not json_output \
        else contextlib.nullcontext()
    with exit_on_error(), working:
        result = import_file(project, file, into, language=language, dry_run=dry_run)
    failed = not result.cards and any(not s.already_there for s in result.skipped)
    if json_output:
        emit_json({"ok": not failed, "written": result.written, **result.to_json()})
        raise typer.Exit(1 if failed else 0)
    details = ", ".join(f"{key.replace('_', ' ')} {value}"
                        for key, value in result.details.items())
    say(f"read {file.name} ({result.format}): {details}")
    verb = "would import" if dry_run else "imported"
    created = " (new deck)" if result.created_deck else ""
    say(f"{verb} {plural(len(result.cards), 'card')} into "
        f"{shown(project.decks_dir / into / 'cards.yaml')}{created}")
    if result.skipped:
        say(f"skipped {len(result.skipped)}:", stderr=True)
        for skipped in result.skipped:
            say(f"  {skipped.where}: {skipped.reason}", stderr=True)
    for note in result.notes:
        say(f"note: {note}", stderr=True)
    if failed:
        raise typer.Exit(1)


def _rebuild_json(rebuild: Rebuild) -> dict[str, object]:
    error = rebuild.error
    diagnostics = error.diagnostics if isinstance(error, SourceError) else \
        [d for r in rebuild.results for d in r.warnings]
    return {
        "build": rebuild.number, "changed": [shown(p) for p in rebuild.changed],
        "ok": error is None,
        "decks": [{"slug": r.slug, "package": shown(r.package), "notes": r.note_count,
                   "cards": r.card_count, "summary": r.summary} for r in rebuild.results],
        "diagnostics": cli.diagnostics_json(diagnostics),
        "error": str(error) if error and not isinstance(error, SourceError) else None,
    }


def _print_rebuild(rebuild: Rebuild) -> None:
    stamp = time.strftime("%H:%M:%S")
    changed = ", ".join(shown(p) for p in rebuild.changed)
    say(f"[{stamp}] build {rebuild.number}: "
        f"{f'{changed} changed' if changed else 'first build'}")
    if isinstance(rebuild.error, SourceError):
        cli.print_diagnostics(rebuild.error.diagnostics)
        say(f"[{stamp}] build {rebuild.number} failed: "
            f"{plural(len(rebuild.error.diagnostics), 'problem')}; the previous "
            "packages are unchanged", stderr=True)
    elif rebuild.error is not None:
        say(f"error: {rebuild.error}", stderr=True)
    for result in rebuild.results:
        cli.print_diagnostics(list(result.warnings))
        say(f"[{stamp}] {result.slug}: {result.note_count} notes, "
            f"{result.card_count} cards → {shown(result.package)} ({result.summary})")


@app.command(short_help="Build, then rebuild on every save.")
def watch(
    decks: DecksArg = None,
    root: RootOpt = None,
    out_dir: OutDirOpt = None,
    max_builds: Annotated[int | None, typer.Option(
        "--max-builds", min=1, help="Stop after this many builds (for scripts and tests).")
    ] = None,
    json_output: JsonOpt = False,
) -> None:
    """Build, then rebuild on every save; errors are printed as file:line:column lines.

    Stop with Ctrl-C. With --json, one JSON document per build, one per line.

    Example: flashcards watch dojo
    """
    from flashcards.watch import watch as watch_loop

    with exit_on_error():
        builds = watch_loop(cli._project(root), decks or [], out_dir, max_builds=max_builds)
    if not json_output:
        say(f"watching {', '.join(decks or ['every deck'])} (Ctrl-C to stop)", stderr=True)
    for rebuild in builds:
        if json_output:
            sys.stdout.write(json.dumps(_rebuild_json(rebuild), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _print_rebuild(rebuild)
