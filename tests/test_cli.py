"""The command line: exit codes, messages on stderr, help with examples, schemas."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers import STARTER_CARDS, STARTER_FACTS, run_cli


def test_build_validate_list_on_a_good_deck(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    assert run_cli("validate", "--root", str(project)).exit_code == 0
    built = run_cli("build", "--root", str(project))
    assert built.exit_code == 0
    assert "demo: 7 notes, 8 cards" in built.output and "7 added" in built.output
    again = run_cli("build", "--root", str(project))
    assert "(up to date)" in again.output
    listed = run_cli("list", "--root", str(project))
    assert "demo\tDemo demo\t7 notes\t8 cards" in listed.output


def test_unknown_deck_is_a_usage_error(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS)
    for command in ("build", "validate", "diff", "lint"):
        result = run_cli(command, "nope", "--root", str(project))
        assert result.exit_code == 2, command
        assert "no deck named 'nope'" in result.output and "decks: demo" in result.output


def test_no_project_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("build")
    assert result.exit_code == 2 and "no decks/ folder" in result.output


def test_invalid_sources_exit_1_with_every_error(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: a
            questoin: Qui ?
            answer: B
          - id: b
            type: flip
            question: Q ?
            answer: A
        """)
    result = run_cli("build", "--root", str(project))
    assert result.exit_code == 1
    assert "cards.yaml:3:5: error[schema]: unknown key 'questoin'" in result.output
    assert "hint: did you mean 'question'?" in result.output
    assert "cards.yaml:5:" in result.output and "unknown card type 'flip'" in result.output
    assert "nothing was written" in result.output
    assert not (project / "dist").exists()


@pytest.mark.parametrize("command", ["build", "validate", "diff", "release", "lint",
                                     "coverage", "list", "schema"])
def test_every_command_has_help_with_an_example(command):
    result = run_cli(command, "--help")
    assert result.exit_code == 0 and "Example: flashcards" in result.output


def test_schema_of_each_file(tmp_path):
    result = run_cli("schema", "cards")
    schema = json.loads(result.output)
    assert schema["title"] == "flashcards cards.yaml"
    assert "cards" in schema["properties"]
    out = run_cli("schema", "--out", str(tmp_path))
    assert out.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cards.schema.json", "deck.schema.json", "facts.schema.json", "templates.schema.json"]
    assert run_cli("schema", "nope").exit_code == 2


def test_real_process_reports_without_traceback(project, write_deck):
    write_deck("demo", cards="cards:\n  - id: x\n    question: [unclosed\n")
    done = subprocess.run([sys.executable, "-m", "flashcards", "build", "--root",
                           str(project)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cards.yaml:3:" in done.stderr and "hint:" in done.stderr


def test_version():
    done = subprocess.run([sys.executable, "-m", "flashcards", "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("flashcards ")


def test_two_decks_with_the_same_name_are_refused(project, write_deck):
    write_deck("one", deck="name: Dojo\nseed: tesla-dojo-2025-08-15.fr\n", cards=STARTER_CARDS)
    write_deck("two", deck="seed: tesla-dojo-2025-08-15.fr\nname: DOJO\n", cards=STARTER_CARDS)
    result = run_cli("build", "--root", str(project))
    assert result.exit_code == 1
    assert "two/deck.yaml:2:7: error[deck-name]: deck name 'DOJO' is already used by" \
        in result.output


def test_a_misspelt_required_key_is_one_error_not_two(project, write_deck):
    write_deck("demo", cards="cards:\n  - id: a\n    question: Quoi ?\n    answr: Rien\n")
    result = run_cli("validate", "demo", "--root", str(project))
    assert result.exit_code == 1
    assert "unknown key 'answr'" in result.output and "did you mean 'answer'?" in result.output
    assert "missing" not in result.output
    assert "1 error;" in result.output
