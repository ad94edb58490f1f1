"""Release notes and diffs tell students the truth: everything since the last release, in
the deck's language, and nothing about cards they never had."""

from __future__ import annotations

import json

import pytest

from flashcards import api
from flashcards.lock import lock_path
from flashcards.release import Part, release
from tests.helpers import STARTER_CARDS, run_cli

T1, T2, T3, T4 = 1_750_000_000, 1_760_000_000, 1_770_000_000, 1_780_000_000
DECK = "name: Demo\nlanguage: {language}\nversion: 1.0.0\nseed: tesla-dojo-2025-08-15.fr\n"
EXTRA = """  - id: extra
    question: Qui dirigeait le projet Dojo ?
    answer: Peter Bannon
"""


def at(monkeypatch, when: int) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))


def do_release(project, part: Part = Part.MINOR):
    return release(api.Project(project), "demo", part)


@pytest.fixture
def released_fr(project, write_deck, monkeypatch):
    """A French deck of the starter cards, released as 1.1.0 at T1."""
    deck = write_deck("demo", deck=DECK.format(language="fr"), cards=STARTER_CARDS)
    at(monkeypatch, T1)
    do_release(project)
    return deck


def test_first_release_after_builds_lists_every_card_as_added(project, write_deck, monkeypatch):
    deck = write_deck("demo", deck=DECK.format(language="fr"), cards=STARTER_CARDS)
    at(monkeypatch, T1)
    api.build(api.Project(project))
    api.build(api.Project(project))
    at(monkeypatch, T2)
    done = do_release(project)
    assert done.version == "1.1.0"
    assert done.summary == "4 added, 0 changed, 0 removed"
    assert "### Cartes ajoutées (4)" in done.notes_markdown
    assert "Aucune carte" not in done.notes_markdown
    lock = json.loads(lock_path(deck).read_text())
    assert {n["since"] for n in lock["notes"].values()} == {"1.1.0"}
    assert lock["deck"]["released"] == "1.1.0"
    result = run_cli("build", "--root", str(project))  # the release left the build record right
    assert "(up to date)" in result.output, result.output


def test_cards_students_never_had_leave_no_trace(project, released_fr, monkeypatch):
    deck = released_fr
    cards = deck / "cards.yaml"
    original = cards.read_text()
    cards.write_text(original + EXTRA)
    at(monkeypatch, T2)
    api.build(api.Project(project))
    cards.write_text(original.replace("answer: Dojo", "answer: le projet Dojo"))
    at(monkeypatch, T3)
    [built] = api.build(api.Project(project))
    assert built.summary == "0 added, 1 changed, 1 removed"  # against the last build
    assert "extra" not in json.loads(lock_path(deck).read_text())["notes"]
    diff = run_cli("diff", "demo", "--format", "md", "--root", str(project))
    assert "extra" not in diff.output and "nid:" not in diff.output
    done = do_release(project, Part.PATCH)
    assert done.summary == "0 added, 1 changed, 0 removed"
    result = run_cli("release", "demo", "--root", str(project))
    assert "(no change)" in result.output or "no change" in result.output.lower()
    changelog = (deck / "CHANGELOG.md").read_text()
    assert "extra" not in changelog and "Retirées" not in changelog and "nid:" not in changelog
    assert "- Answer: **le projet** Dojo" in changelog


def test_an_edit_diffs_against_the_released_wording(project, released_fr, monkeypatch):
    deck = released_fr
    cards = deck / "cards.yaml"
    text = cards.read_text()
    cards.write_text(text.replace("answer: Dojo", "answer: Dojo 1"))
    at(monkeypatch, T2)
    api.build(api.Project(project))
    cards.write_text(text.replace("answer: Dojo", "answer: le projet Dojo"))
    at(monkeypatch, T3)
    done = do_release(project)
    assert "  - Answer: **le projet** Dojo\n" in done.notes_markdown
    assert "changed::1.2.0" in done.notes_markdown
    assert '"was"' not in lock_path(deck).read_text()  # the release wording is the new one


def test_diff_names_the_next_release_and_keeps_gaps_whole(project, released_fr, monkeypatch):
    deck = released_fr
    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("{{c1::2021}}", "{{c1::l'an 2021}}"))
    diff = run_cli("diff", "demo", "--format", "md", "--root", str(project))
    assert diff.output.startswith("## Demo\u00a0: prochaine version (non publiée)\n"), \
        diff.output
    assert "1.1.0" not in diff.output
    assert "~~{{c1::2021}}~~**{{c1::l’an 2021}}**" in diff.output
    text = run_cli("diff", "demo", "--root", str(project))
    assert "[-{{c1::2021}}-]{+{{c1::l'an 2021}}+}" in text.output


def test_release_and_diff_warn_about_a_rename_and_tell_students(project, write_deck,
                                                                monkeypatch):
    deck = write_deck("demo", deck=DECK.format(language="fr"), cards=STARTER_CARDS)
    at(monkeypatch, T1)
    do_release(project)
    deck_yaml = deck / "deck.yaml"
    deck_yaml.write_text(deck_yaml.read_text().replace("name: Demo", "name: Dojo renommé"))
    diff = run_cli("diff", "demo", "--root", str(project))
    assert "deck.yaml:1:1: warning[deck-renamed]" in diff.output
    at(monkeypatch, T2)
    api.build(api.Project(project))  # built in between: the release still knows
    at(monkeypatch, T3)
    result = run_cli("release", "demo", "--root", str(project))
    assert result.exit_code == 0 and "warning[deck-renamed]" in result.output, result.output
    notes = (deck / "CHANGELOG.md").read_text().split("## Demo 1.1.0")[0]
    assert "renommé de «\u00a0Demo\u00a0» en «\u00a0Dojo renommé\u00a0»" in notes
    assert "Parcourir → clic droit sur «\u00a0Demo\u00a0» → Renommer" in notes
    at(monkeypatch, T4)
    later = run_cli("release", "demo", "--root", str(project))  # renamed once, told once
    assert "deck-renamed" not in later.output


def test_release_notes_speak_the_deck_language(project, write_deck, monkeypatch):
    deck = write_deck("demo", deck=DECK.format(language="en"), cards=STARTER_CARDS)
    at(monkeypatch, T1)
    do_release(project)
    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("answer: Dojo", "answer: the Dojo project"))
    at(monkeypatch, T2)
    notes = do_release(project).notes_markdown
    assert "### Changed (1)" in notes and "search `tag:changed::1.2.0`" in notes

    deck_yaml = deck / "deck.yaml"
    deck_yaml.write_text(deck_yaml.read_text().replace("language: en", "language: fr"))
    cards.write_text(cards.read_text().replace("the Dojo project", "Dojo"))
    at(monkeypatch, T3)
    notes = do_release(project).notes_markdown
    assert "### Cartes modifiées (" in notes  # typography changed another card too
    assert "Les notes modifiées portent l’étiquette `changed::1.3.0`\u00a0: cherchez " \
           "`tag:changed::1.3.0`" in notes
    assert "Changed" not in notes
