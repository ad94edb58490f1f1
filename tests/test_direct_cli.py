"""The direct commands: `build`, `validate` and `lint` parsed and run without Typer (cli.main) must
do exactly what the Typer app does with the same command line: same call, same output, same
exit code. And `say` prints exactly what Rich prints when it prints plain."""

from __future__ import annotations

import inspect
import io
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from flashcards import cli
from flashcards.cli_app import app
from tests.helpers import STARTER_CARDS, run_python

Outcome = tuple[int, str, str]


def _main(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
          *, direct: bool) -> Outcome:
    """`flashcards ARGV` in this process through cli.main, with or without the direct path:
    exit code, stdout, stderr."""
    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["flashcards", *argv])
        if not direct:
            patch.setattr(cli, "direct_command", lambda args: None)
        capsys.readouterr()
        try:
            cli.main()
            code: Any = 0
        except SystemExit as exc:
            code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out, err


COMMAND_LINES = [
    ["build"], ["build", "demo"], ["build", "demo", "--json"], ["build", "--json", "demo"],
    ["build", "nope"], ["build", "nope", "--json"], ["build", "--root", "."],
    ["build", "--root=.", "demo"], ["build", "--out", "out"], ["build", "--out=out", "--json"],
    ["build", "--new-notetype-version"], ["build", "demo", "--root", ".", "--out", "o", "--json"],
    ["build", "--root", "missing"], ["build", "--root", "decks"],
    ["validate"], ["validate", "demo"], ["validate", "--json"], ["validate", "nope"],
    ["validate", "--root", "."], ["validate", "nope", "--json"], ["--version"],
    ["lint"], ["lint", "demo", "--strict"], ["lint", "--json", "--strict"], ["lint", "--json"],
    ["lint", "--rules"], ["lint", "--rules", "--json"], ["lint", "nope"], ["lint", "--root=."],
]

DECKS = {
    "good": STARTER_CARDS,
    "invalid": "cards:\n  - id: a\n    questoin: Qui ?\n    answer: B\n",
    "refused": ("cards:\n  - id: a\n    question: Est-ce que Dojo est abandonné ?\n"
                "    answer: oui\n    source: Tesla a mis un terme à son ambitieux projet\n"),
    "warned": "cards:\n  - id: a\n    question: Quel projet Tesla a-t-il abandonné\n"
              "    answer: Dojo\n",
}


@pytest.mark.parametrize("deck", sorted(DECKS))
@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_direct_and_typer_print_the_same(argv, deck, project, write_deck, tmp_path, capsys,
                                         monkeypatch):
    """Each form the direct path takes, on a good deck, an invalid one, one the linter refuses
    and one with warnings, run from scratch then again (up to date): same exit code, stdout
    and stderr."""
    assert cli.direct_command(argv) is not None
    write_deck("demo", cards=DECKS[deck])
    outcomes = []
    for direct in (True, False):
        folder = tmp_path / "run"  # the same path for both: messages name it
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(project, folder)
        monkeypatch.chdir(folder)
        outcomes.append([_main(argv, capsys, monkeypatch, direct=direct) for _ in range(2)])
    assert outcomes[0] == outcomes[1]


def test_no_project_is_the_same_usage_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["build"], ["validate", "--json"]):
        direct, typer = (_main(argv, capsys, monkeypatch, direct=d) for d in (True, False))
        assert direct == typer and direct[0] == 2


# Everything else goes to Typer, which explains: help, errors, other commands…
@pytest.mark.parametrize("argv", [
    [], ["build", "--help"], ["build", "--bogus"], ["build", "--json=1"], ["build", "--root"],
    ["build", "--root", "--json"], ["build", "--json", "--json"], ["build", "--", "demo"],
    ["build", "-"], ["build", "--root="], ["validate", "--out", "x"], ["diff"], ["--help"],
    ["--version", "build"], ["build", "--root", "cards.yaml"], ["Build"],
])
def test_everything_else_goes_to_typer(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards.yaml").write_text("")
    assert cli.direct_command(argv) is None


def test_shell_completion_goes_to_typer(monkeypatch):
    monkeypatch.setenv("_FLASHCARDS_COMPLETE", "bash_complete")
    assert cli.direct_command(["build"]) is None


def _recorder(calls: list[tuple[str, dict[str, Any]]], name: str,
              signature: inspect.Signature) -> Callable[..., None]:
    def record(*args: Any, **kwargs: Any) -> None:
        calls.append((name, dict(signature.bind(*args, **kwargs).arguments)))
    return record


SIGNATURES = {name: inspect.signature(getattr(cli, name)) for name in cli._DIRECT}
TOKENS = st.sampled_from(["demo", "other", "", "--json", "--root", "--out", "--root=.",
                          "--out=out", "--root=a file", "--new-notetype-version", "x y",
                          ".", "a file", "missing", "--", "-", "--help", "=", "--root=",
                          "déjà", "--strict", "--rules"])


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(sorted(cli._DIRECT)), rest=st.lists(TOKENS, max_size=6))
def test_the_direct_parser_calls_what_typer_calls(command, rest, tmp_path, monkeypatch):
    """For any command line the direct parser takes, Typer makes the very same call (same
    decks, same options as the same types)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a file").write_text("")
    argv = [command, *rest]
    calls: list[tuple[str, dict[str, Any]]] = []
    with monkeypatch.context() as patch:
        for name, signature in SIGNATURES.items():
            patch.setattr(cli, name, _recorder(calls, name, signature))
            flags, options, _ = cli._DIRECT[name]
            patch.setitem(cli._DIRECT, name, (flags, options, _recorder(calls, name, signature)))
        call = cli.direct_command(argv)
        if call is None:
            return
        call()
        result = CliRunner().invoke(app, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert len(calls) == 2
    assert calls[0] == calls[1]
    assert all(isinstance(v, Path) for k, v in calls[0][1].items() if k in ("root", "out_dir")
               and v is not None)


def test_build_validate_and_lint_never_import_typer_or_rich(project, write_deck):
    """The point of the direct path: a plain build (validate, lint) loads neither."""
    write_deck("demo", cards=STARTER_CARDS)
    code = ("import sys; from flashcards.cli import main\n"
            "for argv in (['validate'], ['lint'], ['build'], ['build', '--json']):\n"
            "    sys.argv = ['flashcards', *argv]; main()\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'rich', 'click'}),"
            " file=sys.stderr)")
    run = run_python(code, project)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().splitlines()[-1] == "[]"


def test_a_usage_error_of_typer_is_json_with_json(project, capsys, monkeypatch):
    monkeypatch.chdir(project)
    code, out, err = _main(["build", "--json", "--bogus"], capsys, monkeypatch, direct=True)
    assert code == 2 and err == ""
    assert json.loads(out) == {"ok": False, "error": "No such option: --bogus (Possible "
                                                     "options: --out)"}
    code, out, err = _main(["build", "--bogus"], capsys, monkeypatch, direct=True)
    assert code == 2 and out == ""
    assert "Error: No such option: --bogus" in err and "Usage:" in err


class _Stream(io.StringIO):
    def __init__(self, terminal: bool = False) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"


def _rich(text: str | Text, *, terminal: bool, style: str | None = None) -> str:
    stream = _Stream(terminal)
    console = Console(file=stream, highlight=False, soft_wrap=True, color_system="auto",
                      force_terminal=terminal or None)
    if isinstance(text, Text):
        console.print(text)
    else:
        console.print(text, style=style, markup=False)
    return stream.getvalue()


TEXTS = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from([
    "demo: 1 notes, 1 cards → dist/demo.apkg (1 added)", "a :smile: b", "a:b:c", "x\ty",
    " trailing ", "wide 漢字 text", "é" * 200, ":", "e\u0301", "zero\u200bwidth"])


@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, styled=st.booleans())
def test_plain_output_is_what_rich_prints(text, styled, monkeypatch):
    """Whenever `say` writes plain, Rich would have written exactly the same."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    for terminal in (False, True):
        stream = _Stream(terminal)
        style = "red" if styled else None
        if cli._writes_plain(text, stream, styled=styled, emoji=True):
            assert _rich(text, terminal=terminal, style=style) == text + "\n"
        if cli._writes_plain(text, stream, styled=styled, emoji=False):
            line = Text(text[:3])
            line.append(text[3:], style=style)
            assert _rich(line, terminal=terminal) == text + "\n"


def test_say_falls_back_to_rich(capsys):
    cli.say("a :thumbs_up: b\tc")
    assert capsys.readouterr().out == _rich("a :thumbs_up: b\tc", terminal=False)


def test_a_diagnostic_prints_exactly_as_written(capsys, monkeypatch):
    """`cards.yaml:1234:1` and `:smile:` in a message are not emoji codes: a diagnostic is a
    Text to Rich, and the plain path must not hand it to Rich as a string."""
    from flashcards.diagnostics import Diagnostic, Position

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    cli.print_diagnostics([Diagnostic(Path("cards.yaml"), "say :smile: here", "hint :1234: too",
                                      Position(1234, 1), code="demo")])
    assert capsys.readouterr().err == ("cards.yaml:1234:1: error[demo]: say :smile: here\n"
                                       "  hint: hint :1234: too\n")
