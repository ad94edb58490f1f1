"""Work done on a second core in a forked child: the outcome must be the one a single process
gets, a failed child must not change it, and no child may outlive its job. (A big deck's
build, checked and packed by a child: test_pack_child.py.)"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from flashcards import api, background
from flashcards.background import Background
from tests.helpers import STARTER_CARDS

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
