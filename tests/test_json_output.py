"""`--json` on every command (results and errors), and plain output with NO_COLOR or a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flashcards.cli import app
from tests.conftest import SEED
from tests.helpers import STARTER_CARDS, STARTER_FACTS

DIAGNOSTIC_KEYS = {"file", "line", "column", "severity", "code", "message", "hint"}


def run_json(*args: str, code: int = 0):
    result = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def test_every_command_answers_in_json(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    root = ("--root", str(project))

    validated = run_json("validate", *root)
    assert validated == {"ok": True, "decks": [{"slug": "demo", "notes": 7, "cards": 8}],
                         "diagnostics": []}
    planned = run_json("diff", *root)["decks"]["demo"]
    assert planned["summary"] == "7 added, 0 changed, 0 removed"
    first = planned["changes"][0]
    assert (first["kind"], first["id"]) == ("added", "abandon")
    built = run_json("build", *root)["decks"][0]
    assert (built["slug"], built["notes"], built["cards"], built["up_to_date"]) == \
        ("demo", 7, 8, False)
    assert built["package"].endswith("dist/demo.apkg")
    assert run_json("build", *root)["decks"][0]["up_to_date"] is True
    linted = run_json("lint", *root)
    assert linted["decks"][0]["slug"] == "demo" and isinstance(linted["diagnostics"], list)
    assert {r["code"] for r in run_json("lint", "--rules")} >= {"answer-length"}
    covered = run_json("coverage", "demo", *root)
    assert covered["deck"] == "demo" and 0 < covered["ratio"] < 1
    assert covered["factual"] == covered["covered"] + len(covered["uncovered"])
    assert run_json("coverage", "demo", *root, "--min", "99", code=1)["ok"] is False
    assert run_json("list", *root) == [{"slug": "demo", "name": "Demo demo", "valid": True,
                                        "notes": 7, "cards": 8}]
    assert run_json("schema", "cards")["title"] == "flashcards cards.yaml"
    assert run_json("schema", "--out", str(tmp_path / "s"))["written"][0].endswith(
        "deck.schema.json")
    released = run_json("release", "demo", *root, "--patch")
    assert released["version"] == "0.1.1" and "notes_markdown" in released
    assert run_json("init", "other", "--seed", str(SEED), *root)["slug"] == "other"
    assert run_json("add", "other", *root, "-q", "Qui dirige Tesla ?", "-a", "Elon Musk")[
        "id"] == "qui-dirige-tesla"


def test_errors_are_json_diagnostics(project, write_deck):
    write_deck("demo", cards="cards:\n  - id: a\n    questoin: Qui ?\n    answer: B\n")
    root = ("--root", str(project))
    for command in ("validate", "build", "diff", "lint"):
        document = run_json(command, *root, code=1)
        assert document["ok"] is False, command
        problem = next(d for d in document["diagnostics"] if "questoin" in d["message"])
        assert set(problem) == DIAGNOSTIC_KEYS
        assert problem["file"].endswith("decks/demo/cards.yaml")
        assert (problem["line"], problem["column"]) == (3, 5)
        assert (problem["severity"], problem["code"]) == ("error", "schema")
        assert problem["hint"] == "did you mean 'question'?"
    unknown = run_json("validate", "nope", *root, code=2)
    assert unknown["ok"] is False and "no deck named 'nope'" in unknown["error"]
    assert run_json("schema", "nope", code=2)["ok"] is False

    # --json does not stick: the next command in the same process prints text again.
    plain = CliRunner().invoke(app, ["validate", "nope", *root])
    assert plain.exit_code == 2 and plain.stdout == ""
    assert plain.output.startswith("error: no deck named 'nope'")


ANSI = "\x1b["


def run_process(project, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "flashcards", *args, "--root", str(project)],
                          capture_output=True, text=True, env=environment)


@pytest.mark.parametrize("command", [["coverage", "demo"], ["validate"], ["lint"]])
def test_no_color_means_no_escape_even_when_colour_is_forced(project, write_deck, command):
    write_deck("demo", cards=STARTER_CARDS + "  - id: bad\n    question: Est-ce Dojo ?\n"
               "    answer: Oui\n")
    if command[0] == "coverage":
        write_deck("demo", cards=STARTER_CARDS)
    forced = run_process(project, *command, FORCE_COLOR="1", TERM="xterm-256color")
    assert ANSI in forced.stdout + forced.stderr  # the test can see colour when there is
    plain = run_process(project, *command, FORCE_COLOR="1", TERM="xterm-256color",
                        NO_COLOR="1")
    assert plain.stdout + plain.stderr
    assert ANSI not in plain.stdout + plain.stderr
    piped = run_process(project, *command)
    assert ANSI not in piped.stdout + piped.stderr
    assert plain.stdout == piped.stdout


@pytest.mark.parametrize("command", ["init", "add", "import", "watch"])
def test_authoring_commands_have_help_with_an_example_and_json(command):
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Example: flashcards {command}" in result.output and "--json" in result.output
