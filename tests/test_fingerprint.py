"""An unchanged rebuild reads no source: the build record keeps the size, modification time
and inode of every input, and only when those differ are the contents hashed."""

from __future__ import annotations

import os

import pytest

from flashcards import api, fingerprint
from tests.helpers import STARTER_CARDS


@pytest.fixture
def built(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    return project, deck, result.package


def _never_hash(*_args, **_kwargs):
    raise AssertionError("the contents were hashed")


def test_unchanged_inputs_are_recognised_by_their_stats_alone(built, monkeypatch):
    project, deck, package = built
    assert fingerprint.recorded(package)["stats"]
    monkeypatch.setattr(fingerprint, "inputs_digest", _never_hash)
    monkeypatch.setattr(fingerprint, "file_digest", _never_hash)
    assert fingerprint.up_to_date(deck, project / "seeds", package)


def test_touched_files_are_compared_by_content_then_recorded_again(built, monkeypatch):
    project, deck, package = built
    cards = deck / "cards.yaml"
    os.utime(cards, ns=(cards.stat().st_atime_ns, cards.stat().st_mtime_ns + 1_234_567))
    before = fingerprint.recorded(package)["stats"]
    assert fingerprint.up_to_date(deck, project / "seeds", package)  # same bytes
    after = fingerprint.recorded(package)["stats"]
    assert after and after != before
    monkeypatch.setattr(fingerprint, "inputs_digest", _never_hash)
    assert fingerprint.up_to_date(deck, project / "seeds", package)  # stats again


def test_an_edit_is_never_missed(built):
    project, deck, package = built
    cards = deck / "cards.yaml"
    cards.write_text(cards.read_text().replace("answer: Dojo", "answer: Doja"))
    assert fingerprint.up_to_date(deck, project / "seeds", package) is None
    [again] = api.build(api.Project(project))
    assert again.summary != "up to date"


def test_whole_second_timestamps_are_not_trusted(built, monkeypatch):
    project, deck, package = built
    cards = deck / "cards.yaml"
    os.utime(cards, ns=(cards.stat().st_atime_ns, 1_700_000_000 * 10**9))
    assert fingerprint.stats_digest(deck, project / "seeds", package) is None
    assert fingerprint.up_to_date(deck, project / "seeds", package)  # by content
