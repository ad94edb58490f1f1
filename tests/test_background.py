"""A big deck is checked and linted in a forked child while it is packed: the package must be
byte for byte the one a single process builds, a failed child must not change the outcome, a
deck with errors must leave nothing behind, and no child may outlive a failed build."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest

from flashcards import api, background
from flashcards.background import Background
from tests.helpers import STARTER_CARDS, STARTER_FACTS

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the fork is Linux-only")


def _children() -> set[int]:
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


def _square_all(numbers: list[int]) -> list[int]:
    return [n * n for n in numbers]


def _only_here(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("the child fails")
    return "computed by the parent"


def test_the_child_computes_and_sends_the_result(monkeypatch):
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    job = Background(3, _square_all, list(range(50_000)))
    assert job.forked
    assert job.result() == [n * n for n in range(50_000)]
    assert _children() == set()


def test_a_failed_child_means_the_work_is_done_here(monkeypatch):
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    job = Background(1, _only_here, os.getpid())
    assert job.forked
    assert job.result() == "computed by the parent"


def test_small_jobs_do_not_fork():
    job = Background(10, _square_all, [2])
    assert not job.forked and job.result() == [4]


def test_a_cancelled_child_is_gone(monkeypatch):
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    job = Background(1, time.sleep, 60)
    assert _children()
    job.cancel()
    assert _children() == set()


def _package_digest(project: Path) -> str:
    results = api.build(api.Project(project))
    return hashlib.sha256(results[0].package.read_bytes()).hexdigest()


@pytest.fixture
def jobs(monkeypatch) -> list[tuple[str, bool]]:
    """The background jobs the pipeline starts (real ones, recorded): what each runs, and
    whether it was forked."""
    started: list[tuple[str, bool]] = []

    class Recorded(Background):
        def __init__(self, items, function, *args) -> None:
            super().__init__(items, function, *args)
            name = getattr(function, "__name__", None) or function.func.__name__
            started.append((name, self.forked))

    monkeypatch.setattr(api, "Background", Recorded)
    return started


def test_forked_build_is_byte_identical(project, write_deck, monkeypatch, jobs):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    monkeypatch.setattr(background, "MIN_ITEMS", 10**9)
    alone = _package_digest(project)
    assert jobs == [("check_and_render", False), ("lint", False)]
    alone_lock = (deck / "flashcards.lock").read_text(encoding="utf-8")
    (deck / "flashcards.lock").unlink()
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    assert _package_digest(project) == alone
    assert jobs[2:] == [("check_and_render", True)]  # the child lints it too: one child at a time
    assert (deck / "flashcards.lock").read_text(encoding="utf-8") == alone_lock
    assert _children() == set()


def test_a_deck_with_errors_leaves_no_child(project, write_deck, monkeypatch, jobs):
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    write_deck("demo", cards=STARTER_CARDS + """
  - id: yes-no
    question: Est-ce que Dojo est abandonné ?
    answer: oui
""")
    with pytest.raises(api.SourceError) as caught:
        api.build(api.Project(project))
    assert "yes-no-question" in str(caught.value.diagnostics)
    assert jobs == [("check_and_render", True)]
    assert _children() == set()
    assert not (project / "dist").exists()
    assert not (project / "decks" / "demo" / "flashcards.lock").exists()


def test_validate_lints_on_the_second_core_with_the_same_report(project, write_deck,
                                                                monkeypatch, jobs):
    write_deck("demo", cards=STARTER_CARDS + """
  - id: yes-no
    question: Est-ce que Dojo est abandonné ?
    answer: oui
  - id: long
    question: Que dit l'article ?
    answer: un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze
      quinze seize dix-sept dix-huit dix-neuf vingt vingt-et-un
""")
    monkeypatch.setattr(background, "MIN_ITEMS", 10**9)
    [alone] = api.validate(api.Project(project)).values()
    monkeypatch.setattr(background, "MIN_ITEMS", 0)
    [forked] = api.validate(api.Project(project)).values()
    assert jobs == [("lint", False), ("lint", True)]
    assert isinstance(forked, api.SourceError)
    assert forked.diagnostics == alone.diagnostics
    assert {d.code for d in forked.diagnostics} >= {"yes-no-question", "answer-length"}
    assert _children() == set()


def test_a_forked_build_reports_what_a_single_process_reports(project, write_deck,
                                                              monkeypatch, jobs):
    """Packing starts before the child's checks come back: a problem packing trips over (a
    missing image) must still be reported as the checks word it, at its line."""
    write_deck("demo", cards=STARTER_CARDS + """
  - id: picture
    question: Que montre l'image ? ![schéma](media/absente.png)
    answer: Le supercalculateur Dojo.
""")
    outcomes = []
    for min_items in (10**9, 0):
        monkeypatch.setattr(background, "MIN_ITEMS", min_items)
        with pytest.raises(api.SourceError) as caught:
            api.build(api.Project(project))
        outcomes.append(caught.value.diagnostics)
    assert jobs == [("check_and_render", False), ("lint", False), ("check_and_render", True)]
    assert outcomes[0] == outcomes[1]
    assert any("absente.png" in d.message for d in outcomes[1])
    assert _children() == set()
    assert not (project / "dist").exists()


def test_a_failed_child_still_reports_the_facts_warnings(project, write_deck, monkeypatch):
    """The build lets go of the card models once the child is forked; when the child fails,
    this process checks the deck itself and must still see the facts (a `fact-form`
    warning: a definition without its article)."""
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS + """
  - id: dojo-def
    kind: definition
    term: Dojo
    definition: supercalculateur de Tesla
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
""")
    parent = os.getpid()
    real = api.check_and_render

    def dies_in_the_child(*args):
        if os.getpid() != parent:
            os._exit(3)
        return real(*args)

    codes = []
    for min_items, function in ((10**9, real), (0, dies_in_the_child)):
        monkeypatch.setattr(background, "MIN_ITEMS", min_items)
        monkeypatch.setattr(api, "check_and_render", function)
        (project / "decks" / "demo" / "flashcards.lock").unlink(missing_ok=True)
        [result] = api.build(api.Project(project), new_notetype_version=True)
        codes.append([(d.code, d.message) for d in result.warnings])
    assert any(code == "fact-form" for code, _ in codes[0])
    assert codes[1] == codes[0]
    assert _children() == set()
