"""The `flashcards` command: a thin layer over `flashcards.api`.

Start-up stays lean: `build`, `validate` and `lint` in their usual forms (decks and their own
options) and `--version` are parsed here and run without importing Typer or Rich (`main`);
every other command line goes to the Typer app of `flashcards.cli_app`. Output is written
plain where Rich would print it unchanged, through Rich otherwise (`say`)."""

from __future__ import annotations

import contextlib
import errno
import gc
import importlib
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flashcards import __version__
from flashcards.gcpause import paused_gc
from flashcards.project import Project, UsageError
from flashcards.project import shown_path as _relative

if TYPE_CHECKING:
    from types import ModuleType

    from rich.console import Console

    from flashcards.diagnostics import Diagnostic, SourceError


class _Lazy:
    """A module imported on first use: `flashcards --version` and an up-to-date build never
    pay for the pipeline's imports (pydantic models, Jinja2, genanki…), nor for diagnostics'
    (dataclasses and inspect: a fifth of `--version`)."""

    def __init__(self, name: str,
                 importer: Callable[[str], ModuleType] = importlib.import_module) -> None:
        self._name = name
        self._import = importer

    def __getattr__(self, attribute: str) -> Any:
        module = sys.modules.get(self._name)
        if module is None:
            module = self._import(self._name)
        return getattr(module, attribute)


def _import_for_good(name: str) -> ModuleType:
    """Import `name` (the pipeline: ~30,000 objects, classes, functions, that live until the
    process ends) with the cyclic collector paused, then out of its sight (`gc.freeze`): it
    would find no garbage there, at every full collection of the build (~6% of a small
    deck's build), and in the forked check child, touching every page of them."""
    with paused_gc():
        module = importlib.import_module(name)
        gc.freeze()
    return module


api = _Lazy("flashcards.api", _import_for_good)
_diagnostics = _Lazy("flashcards.diagnostics")

# The Typer app and its parameter types live in cli_app; `from flashcards.cli import app`
# still works (module __getattr__ below).
_TYPER_NAMES = {"app", "DecksArg", "RootOpt", "OutDirOpt", "JsonOpt"}


def __getattr__(name: str) -> Any:
    """`out` and `err` (Rich consoles) and the Typer app, made on first use."""
    if name in ("out", "err"):
        return console(stderr=name == "err")
    if name in _TYPER_NAMES:
        from flashcards import cli_app

        return getattr(cli_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Exit(SystemExit):
    """Ends the command with this exit code, as `typer.Exit` does (Typer lets a SystemExit
    through; the direct commands run without Typer)."""


_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """The Rich console of stdout (stderr), made on first use."""
    if stderr not in _consoles:
        from rich.console import Console

        # NO_COLOR: no ANSI escape at all, even with FORCE_COLOR (Rich alone keeps bold/italic).
        color_system = None if os.environ.get("NO_COLOR") else "auto"
        _consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=True,
                                    color_system=color_system)
    return _consoles[stderr]


def _may_be_terminal(stream: TextIO) -> bool:
    """Whether Rich could take `stream` for a terminal (and then style or animate it)."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return True  # let Rich decide


# Rich replaces `:name:` by an emoji in printed strings (not in Text objects).
_EMOJI_CODE = re.compile(r":\S*:")


def _writes_plain(text: str, stream: TextIO, *, styled: bool, emoji: bool) -> bool:
    """Whether Rich (markup and highlighting off, soft wrap) prints `text` unchanged on
    `stream`: printable characters only (Rich expands tabs and drops control codes), no
    emoji code, nothing Rich could encode differently, no style a terminal would show."""
    if not text.isprintable() or (emoji and _EMOJI_CODE.search(text)):
        return False
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if not (text.isascii() or encoding == "utf8"):
        return False
    return not (styled and _may_be_terminal(stream))


def say(text: str, *, stderr: bool = False, style: str | None = None) -> None:
    """`text` and a newline on stdout (stderr) as `console().print(text, markup=False)`
    prints it, without importing Rich when it would print the text unchanged."""
    stream = sys.stderr if stderr else sys.stdout
    if _writes_plain(text, stream, styled=style is not None, emoji=True):
        _write_line(text, stream)
    else:
        console(stderr).print(text, style=style, markup=False)


def _write_line(text: str, stream: TextIO) -> None:
    stream.write(text + "\n")
    stream.flush()  # as Rich does: stdout and stderr lines stay in order


_json_mode = False


def _set_json_mode(value: bool) -> bool:
    """`--json` also turns errors into JSON: `_fail_sources` and `usage_exit` read this."""
    global _json_mode
    _json_mode = bool(value)
    return value


def emit_json(document: object) -> None:
    """One JSON document on stdout (UTF-8, not ASCII-escaped)."""
    import json  # not at the top: `--version` has no use for it

    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


def plural(count: int, noun: str) -> str:
    """`1 card`, `2 cards`."""
    return f"{count} {noun}{'s' * (count != 1)}"


def print_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """`file:line:column: severity[code]: message` then `  hint: …`, as editors link them."""
    for d in sorted(diagnostics, key=_diagnostics.Diagnostic.sort_key):
        location = _relative(d.file)
        if d.position:
            location += f":{d.position.line}:{d.position.column}"
        _print_diagnostic(location, d)
        if d.hint:
            hint = f"  hint: {d.hint}"
            if _writes_plain(hint, sys.stderr, styled=False, emoji=False):
                _write_line(hint, sys.stderr)  # not `say`: a Text, so no emoji codes
            else:
                from rich.text import Text

                console(stderr=True).print(Text(hint))


def _print_diagnostic(location: str, d: Diagnostic) -> None:
    """`location: severity[code]: message`, the severity in red or yellow on a terminal."""
    plain = f"{location}: {d.severity.value}[{d.code}]: {d.message}"
    if _writes_plain(plain, sys.stderr, styled=True, emoji=False):
        _write_line(plain, sys.stderr)  # not `say`: `cards.yaml:1234:1` is no emoji code
        return
    from rich.text import Text

    line = Text(f"{location}: ")
    error = d.severity is _diagnostics.Severity.ERROR
    line.append(d.severity.value, style="red" if error else "yellow")
    line.append(f"[{d.code}]: {d.message}")
    console(stderr=True).print(line)


def diagnostics_json(diagnostics: list[Diagnostic]) -> list[dict[str, object]]:
    """Diagnostics as `--json` reports them: file, line, column, severity, code, message,
    hint (line and column are null when unknown)."""
    return [{"file": _relative(d.file),
             "line": d.position.line if d.position else None,
             "column": d.position.column if d.position else None,
             "severity": d.severity.value, "code": d.code, "message": d.message,
             "hint": d.hint}
            for d in sorted(diagnostics, key=_diagnostics.Diagnostic.sort_key)]


def _fail_sources(exc: SourceError, outcome: str = "nothing was written") -> Exit:
    if _json_mode:
        emit_json({"ok": False, "diagnostics": diagnostics_json(exc.diagnostics)})
        return Exit(1)
    print_diagnostics(exc.diagnostics)
    errors = sum(d.severity is _diagnostics.Severity.ERROR for d in exc.diagnostics)
    say(f"{plural(errors, 'error')}; {outcome}.", stderr=True, style="red")
    return Exit(1)


def error_exit(message: str, code: int = 2) -> Exit:
    """An error that is not in a source file: on stderr, or as `{"ok": false, "error": …}`
    with --json."""
    if _json_mode:
        emit_json({"ok": False, "error": message})
    else:
        say(f"error: {message}", stderr=True)
    return Exit(code)


def usage_exit(exc: UsageError) -> Exit:
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
    except _diagnostics.SourceError as exc:
        raise _fail_sources(exc, outcome) from None


def _project(root: Path | None) -> Project:
    try:
        return Project(root.resolve()) if root else Project.find()
    except UsageError as exc:
        raise usage_exit(exc) from None


def _validated(project: Project, decks: list[str]
               ) -> tuple[dict[str, api.PreparedDeck], list[Diagnostic]]:
    """Every deck checked, and their warnings; exit 1 on any error (shown with the warnings)."""
    try:
        results = api.validate(project, decks)
    except UsageError as exc:
        raise usage_exit(exc) from None
    problems = [d for r in results.values() if isinstance(r, _diagnostics.SourceError)
                for d in r.diagnostics]
    prepared = {slug: r for slug, r in results.items() if isinstance(r, api.PreparedDeck)}
    warnings = [d for deck in prepared.values() for d in deck.report.warnings]
    if problems:
        raise _fail_sources(_diagnostics.SourceError(problems + warnings))
    return prepared, warnings


def validate(decks: list[str], root: Path | None, json_output: bool) -> None:
    """`flashcards validate`: every deck checked, nothing written."""
    results, warnings = _validated(_project(root), decks)
    if json_output:
        emit_json({"ok": True, "decks": [
            {"slug": slug, "notes": len(deck.notes), "cards": deck.card_count()}
            for slug, deck in results.items()],
            "diagnostics": diagnostics_json(warnings)})
        return
    print_diagnostics(warnings)
    for slug, deck in results.items():
        say(f"{slug}: ok, {len(deck.notes)} notes, {deck.card_count()} cards")


@contextlib.contextmanager
def _deck_progress(verb: str) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on a terminal (none when piped): one step per deck."""
    if not (_may_be_terminal(sys.stderr) and console(stderr=True).is_terminal):
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

    with Progress(SpinnerColumn(), TextColumn(f"{verb} decks… {{task.completed}} done"),
                  TextColumn("{task.description}"), console=console(stderr=True),
                  transient=True) as bar:
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
        say(f"{deck_dir.name}: {record.get('notes')} notes, {record.get('cards')} cards → "
            f"{_relative(out_dir / (deck_dir.name + '.apkg'))} (up to date)")
    return True


def build(decks: list[str], root: Path | None, out_dir: Path | None,
          new_notetype_version: bool, json_output: bool) -> None:
    """`flashcards build`: every deck packed and its lock updated."""
    project = _project(root)
    if not (new_notetype_version or json_output) and _all_up_to_date(project, decks, out_dir):
        return
    try:
        with _deck_progress("building") as advance:
            results = api.build(project, decks, out_dir,
                                new_notetype_version=new_notetype_version, progress=advance)
    except UsageError as exc:
        raise usage_exit(exc) from None
    except _diagnostics.SourceError as exc:
        raise _fail_sources(exc) from None
    except OSError as exc:
        say(f"error: cannot write the package: {exc}", stderr=True)
        say("  hint: free some disk space or check the folder's permissions; the previous "
            "packages and locks are unchanged", stderr=True)
        raise Exit(1) from None
    except KeyboardInterrupt:
        say("interrupted: every package and lock is either the previous one or the new "
            "one, whole; no temporary file is left", stderr=True)
        raise Exit(130) from None
    if json_output:
        emit_json({"ok": True, "decks": [
            {"slug": r.slug, "package": _relative(r.package), "notes": r.note_count,
             "cards": r.card_count, "summary": r.summary, "up_to_date": r.plan is None}
            for r in results],
            "diagnostics": diagnostics_json([d for r in results for d in r.warnings])})
        return
    for result in results:
        print_diagnostics(list(result.warnings))
        say(f"{result.slug}: {result.note_count} notes, {result.card_count} cards → "
            f"{_relative(result.package)} ({result.summary})")


def lint(decks: list[str], root: Path | None, rules: bool, strict: bool,
         json_output: bool) -> None:
    """`flashcards lint`: the card-quality warnings of every deck (`--rules`: the rules)."""
    from flashcards.lint import RULES

    if rules:
        if json_output:
            emit_json([{"code": r.code, "severity": r.severity.value, "summary": r.summary}
                       for r in RULES.values()])
            return
        for rule in RULES.values():
            say(f"{rule.code:<20} {rule.severity.value:<8} {rule.summary}")
        return
    results, warnings = _validated(_project(root), decks)
    if json_output:
        emit_json({"ok": not (strict and warnings), "decks": [
            {"slug": slug, "notes": len(deck.notes), "warnings": len(deck.report.warnings)}
            for slug, deck in results.items()],
            "diagnostics": diagnostics_json(warnings)})
        if strict and warnings:
            raise Exit(1)
        return
    print_diagnostics(warnings)
    for slug, deck in results.items():
        count = len(deck.report.warnings)
        say(f"{slug}: {len(deck.notes)} notes, {plural(count, 'warning')}")
    if strict and warnings:
        raise Exit(1)


def show_version() -> None:
    say(f"flashcards {__version__}")


# The direct commands: for each, its flags and its folder options (`--root`, `--out`), as
# cli_app declares them.
_DIRECT: dict[str, tuple[set[str], dict[str, str], Callable[..., None]]] = {
    "build": ({"--new-notetype-version", "--json"}, {"--root": "root", "--out": "out_dir"},
              build),
    "validate": ({"--json"}, {"--root": "root"}, validate),
    "lint": ({"--rules", "--strict", "--json"}, {"--root": "root"}, lint),
}


def direct_command(args: list[str]) -> Callable[[], None] | None:
    """The call that Typer would make for `args` when they are a direct command in a form
    that Typer accepts as it is; None for anything else (help, errors, completion, other
    commands, a repeated option, `--`…), which Typer then handles, and explains."""
    if args == ["--version"]:
        return show_version
    if not args or args[0] not in _DIRECT or _completing():
        return None
    flags, folder_options, run = _DIRECT[args[0]]
    decks: list[str] = []
    given: dict[str, Any] = {}
    rest = iter(args[1:])
    for arg in rest:
        if not arg.startswith("-"):
            decks.append(arg)
            continue
        name, equals, value = arg.partition("=")
        if name in given:
            return None
        if name in flags and not equals:
            given[name] = True
        elif name in folder_options:
            folder = _folder_option(value if equals else next(rest, None))
            if folder is None:
                return None
            given[name] = folder
        else:
            return None
    options = {name.removeprefix("--").replace("-", "_"): given.get(name, False)
               for name in flags}
    options |= {parameter: given.get(name) for name, parameter in folder_options.items()}
    options["json_output"] = options.pop("json")
    return partial(_run_direct, run, decks, **options)


def _completing() -> bool:
    """Whether a shell asks for completions (`_FLASHCARDS_COMPLETE=…`): Typer answers."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def _folder_option(value: str | None) -> Path | None:
    """A `--root`/`--out` value as Typer gives it (a folder that need not exist); None when
    Typer could refuse it (a file, unreadable, empty, like an option…) or read it otherwise."""
    if not value or value.startswith("-") or "\0" in value:
        return None
    try:
        status = os.stat(value)
    except OSError:
        return Path(value)
    except ValueError:
        return None
    if stat.S_ISREG(status.st_mode) or not os.access(value, os.R_OK):
        return None
    return Path(value)


def _run_direct(run: Callable[..., None], decks: list[str], *, json_output: bool,
                **options: Any) -> None:
    """`run` as Typer runs a command: --json set first; an interrupt exits 130, end of input
    'Aborted!', a closed pipe exits 1 quietly."""
    _set_json_mode(json_output)
    try:
        run(decks, json_output=json_output, **options)
    except KeyboardInterrupt:
        raise Exit(130) from None
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        raise Exit(1) from None
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        from typer._click.utils import PacifyFlushWrapper

        sys.stdout = PacifyFlushWrapper(sys.stdout)  # type: ignore[assignment]
        sys.stderr = PacifyFlushWrapper(sys.stderr)  # type: ignore[assignment]
        raise Exit(1) from None


def run() -> None:
    """The `flashcards` command: `main`, then, once it has succeeded, the process ends
    without tearing the interpreter down (module by module, every object freed one at a
    time: ~10 ms of a small build, ~15 ms after a big one), as a short-lived command can."""
    main()
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        return  # the interpreter's end waits for them
    import atexit

    atexit._run_exitfuncs()  # what the interpreter's end runs first (pools' shutdowns)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return  # the interpreter's end reports it, as it would have
    os._exit(0)


def main() -> None:
    call = direct_command(sys.argv[1:])
    if call is not None:
        # One command, then the process ends, having made no garbage cycles worth collecting
        # (`gcpause`): after a paused stage, the collector would walk everything the stage
        # made and left alive (~250 ms at 100,000 cards, finding nothing).
        with paused_gc():
            call()
        return
    try:
        from flashcards.cli_app import run_typer

        run_typer()
    except KeyboardInterrupt:
        say("interrupted; nothing was written.", stderr=True)
        sys.exit(130)
