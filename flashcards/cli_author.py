"""Commands for authoring: init, add, import, watch.

Only light modules at the top: the work is imported inside each command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flashcards.cli import JsonOpt, RootOpt, _fail_sources, app, emit_json, err, out
from flashcards.diagnostics import SourceError
from flashcards.project import Project, UsageError


def _usage(exc: UsageError, json_output: bool) -> typer.Exit:
    if json_output:
        emit_json({"ok": False, "error": str(exc)})
    else:
        err.print(f"error: {exc}", markup=False)
    return typer.Exit(2)


def _sources(exc: SourceError, json_output: bool) -> typer.Exit:
    if json_output:
        from flashcards.cli import diagnostics_json

        emit_json({"ok": False, "diagnostics": diagnostics_json(exc.diagnostics)})
        return typer.Exit(1)
    return _fail_sources(exc)


def _project_or_here(root: Path | None) -> Project:
    """The project for commands that may start one: --root, else the nearest project above,
    else the current folder."""
    if root is not None:
        return Project(root.resolve())
    try:
        return Project.find()
    except UsageError:
        return Project(Path.cwd())


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@app.command()
def init(
    slug: Annotated[str, typer.Argument(help="The new deck's folder name, e.g. dojo.")],
    seed: Annotated[Path, typer.Option("--seed", help="The article, a UTF-8 text file.",
                                       dir_okay=False)],
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

    project = _project_or_here(root)
    try:
        result = init_deck(project, slug, seed, language=language, name=name)
    except UsageError as exc:
        raise _usage(exc, json_output) from None
    except SourceError as exc:
        raise _sources(exc, json_output) from None
    if json_output:
        emit_json({"ok": True, **result.to_json()})
        return
    for path in result.written:
        out.print(f"created {_shown(path)}", markup=False)
    out.print("next steps:", markup=False)
    for step in result.next_steps():
        out.print(f"  {step}", markup=False)
