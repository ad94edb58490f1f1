"""The shipped Dojo deck: valid, lint-clean, grounded, covering the article, and every card
renders in the real Anki engine."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from flashcards import api
from flashcards.models import CardType
from tests.conftest import REPO


@pytest.fixture(scope="module")
def dojo() -> api.PreparedDeck:
    project = api.Project(REPO)
    return api.prepare(project, project.decks_dir / "dojo")


def test_valid_lint_clean_and_grounded(dojo):
    assert dojo.report.diagnostics == []  # no error, no lint warning
    assert all(note.source for note in dojo.notes)
    assert all(dojo.seed.contains(note.source) for note in dojo.notes)


def test_size_and_every_card_type(dojo):
    types = {note.type for note in dojo.notes}
    assert types == set(CardType)
    assert len(dojo.notes) >= 150
    assert sum(n.type is CardType.CLOZE for n in dojo.notes) >= 5
    assert sum(n.type is CardType.REVERSE for n in dojo.notes) >= 3
    assert len(dojo.sources.facts.facts) >= 15 and len(dojo.sources.cards.cards) >= 20


def test_covers_the_article():
    _, coverage = api.coverage(api.Project(REPO), "dojo")
    assert coverage.ratio >= 0.9


def test_imports_into_anki_and_every_card_renders(tmp_path, anki):
    project = tmp_path / "copy"
    shutil.copytree(REPO / "decks", project / "decks")
    shutil.copytree(REPO / "seeds", project / "seeds")
    [result] = api.build(api.Project(project), ["dojo"])
    log = anki.import_package(result.package)
    assert log.new == result.note_count and log.conflicting == 0
    cards = anki.cards()
    assert len(cards) == result.card_count
    for card in cards:
        front = re.sub(r"<style>.*?</style>|<[^>]+>", "", card.question(), flags=re.S).strip()
        back = re.sub(r"<style>.*?</style>|<[^>]+>", "", card.answer(), flags=re.S).strip()
        assert front, f"empty front on card {card.id}"
        assert len(back) > len(front)
        assert "Source" in back


def test_shipped_lock_matches_sources():
    """The committed lock is what a build of the committed sources produces: nobody forgot to
    commit it after an edit (students would otherwise get edits without newer times)."""
    plans = api.diff(api.Project(REPO), ["dojo"])
    assert plans["dojo"].changes == []


def test_french_typography_in_every_field(dojo):
    for note in dojo.notes:
        for value in note.fields.values():
            assert '"' not in value and "..." not in value
            assert not re.search(r"\w[?!;]", value), value
    assert Path(dojo.seed.path).name == "tesla-dojo-2025-08-15.fr.txt"
