"""A big deck is checked in a forked child while this process renders and plans it; once the
checks pass, the child writes the collection database from the rows it is sent and zips the
package. The package must be byte for byte the one a single process builds (with subdecks,
several notetypes and many chunks), a failed child must not change the outcome, a deck with
errors must leave nothing behind, and no child may outlive a build."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flashcards import api, background, pack, pack_child
from tests.helpers import STARTER_CARDS, STARTER_FACTS, add_media

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the fork is Linux-only")

SUBDECKS = """name: Demo
language: fr
seed: tesla-dojo-2025-08-15.fr
subdecks:
  by: kind
  cards: Questions
"""
CLOZE = """
  - id: trou
    type: cloze
    text: Dojo devait entraîner les modèles de {{c1::conduite autonome}}.
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
"""
# The last notes: in the child's share, which it renders itself.
PICTURE = """
  - id: carte
    question: "Où se trouve Dojo ? ![la carte](media/carte.png)"
    answer: "En Californie [sound:media/lecture.mp3]"
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
"""
PNG = b"\x89PNG\r\n\x1a\n not really, but a file"


def _children() -> set[int]:
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


@pytest.fixture
def forks(monkeypatch) -> list[bool]:
    """Whether each build's packer was forked (real packers, recorded)."""
    started: list[bool] = []

    class Recorded(pack_child.Packer):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            started.append(self.forked)

    monkeypatch.setattr(api, "Packer", Recorded)
    return started


def _fork(monkeypatch, fork: bool) -> None:
    monkeypatch.setattr(background, "MIN_ITEMS", 0 if fork else 10**9)


def _small_chunks(monkeypatch) -> None:
    """Two notes a chunk: many chunks, on both the streamed and the one-go way."""
    monkeypatch.setattr(api, "CHUNK", 2)
    monkeypatch.setattr(pack, "CHUNK", 2)


def _slow_here(monkeypatch) -> None:
    """This process renders slowly: the child, done with its checks, takes a share."""
    parent, real = os.getpid(), api.pack_notes

    def slow(notes, *args):
        if os.getpid() == parent:
            time.sleep(0.3)
        return real(notes, *args)

    monkeypatch.setattr(api, "pack_notes", slow)


def _build(project: Path) -> tuple[str, str]:
    """The package's digest and the lock's text, from a first build."""
    lock = project / "decks" / "demo" / "flashcards.lock"
    lock.unlink(missing_ok=True)
    [result] = api.build(api.Project(project))
    return (hashlib.sha256(result.package.read_bytes()).hexdigest(),
            lock.read_text(encoding="utf-8"))


def _full_deck(write_deck) -> None:
    """Subdecks, three notetypes, media in the last notes."""
    folder = write_deck("demo", deck=SUBDECKS, cards=STARTER_CARDS + CLOZE + PICTURE,
                        facts=STARTER_FACTS)
    add_media(folder, {"carte.png": PNG, "lecture.mp3": b"ID3 fake"})


def _built_alone(project: Path, monkeypatch, write: Callable[[], object]) -> tuple[str, str]:
    """Write the deck (`write`), build it in one process with small chunks, and leave forks
    on: the digest and lock every forked build must give."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    write()
    _small_chunks(monkeypatch)
    _fork(monkeypatch, False)
    alone = _build(project)
    _fork(monkeypatch, True)
    return alone


def test_a_forked_build_is_byte_identical(project, write_deck, monkeypatch, forks, tmp_path):
    alone = _built_alone(project, monkeypatch, lambda: _full_deck(write_deck))
    parent, calls = os.getpid(), tmp_path / "render-calls"
    real_render = api.render_notes

    def recorded(deck, start, stop):
        with calls.open("a") as log:  # the child's own memory is gone with it
            log.write(f"{os.getpid() != parent} {start}\n")
        return real_render(deck, start, stop)

    monkeypatch.setattr(api, "render_notes", recorded)
    _slow_here(monkeypatch)
    opened = _opened_here(monkeypatch)
    assert _build(project) == alone
    assert opened == []  # the child's package was kept
    assert forks == [False, True]
    assert _children() == set()
    # the child rendered chunks itself, from the last one (the picture's) back
    [deck] = api.validate(api.Project(project)).values()
    calls_made = [line.split() for line in calls.read_text().splitlines()]
    assert {flag for flag, _ in calls_made} == {"True"}
    starts = [int(start) for _, start in calls_made]
    assert starts[0] == (len(deck.notes) - 1) // 2 * 2
    assert starts == sorted(starts, reverse=True) and len(starts) >= 2


def _dies_in_the_child(parent: int, function):
    def dies(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)
        return function(*args, **kwargs)
    return dies


def test_a_child_that_fails_while_packing_leaves_the_packing_here(project, write_deck,
                                                                  monkeypatch, forks):
    """The child dies after its checks, while it writes the database or zips: this process
    packs the deck itself (rendering again the notes the child rendered), with the same
    bytes."""
    alone = _built_alone(project, monkeypatch, lambda: _full_deck(write_deck))
    _slow_here(monkeypatch)
    parent = os.getpid()
    for name in ("write_apkg", "CollectionWriter"):
        with monkeypatch.context() as patch:
            patch.setattr(pack, name, _dies_in_the_child(parent, getattr(pack, name)))
            assert _build(project) == alone
    assert forks == [False, True, True]
    assert _children() == set()


def test_a_failed_child_still_reports_the_facts_warnings(project, write_deck, monkeypatch):
    """When the child fails before it reports, this process checks the deck itself, and must
    still see the facts (a `fact-form` warning: a definition without its article), though it
    let go of the card models."""
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS + """
  - id: dojo-def
    kind: definition
    term: Dojo
    definition: supercalculateur de Tesla
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
""")
    real = api.check_and_count
    codes = []
    for fork, function in ((False, real), (True, _dies_in_the_child(os.getpid(), real))):
        _fork(monkeypatch, fork)
        monkeypatch.setattr(api, "check_and_count", function)
        (project / "decks" / "demo" / "flashcards.lock").unlink(missing_ok=True)
        [result] = api.build(api.Project(project), new_notetype_version=True)
        codes.append([(d.code, d.message) for d in result.warnings])
    assert any(code == "fact-form" for code, _ in codes[0])
    assert codes[1] == codes[0]
    assert _children() == set()


def test_a_deck_with_errors_leaves_no_child_and_nothing_built(project, write_deck,
                                                               monkeypatch, forks):
    _fork(monkeypatch, True)
    write_deck("demo", cards=STARTER_CARDS + """
  - id: yes-no
    question: Est-ce que Dojo est abandonné ?
    answer: oui
""")
    with pytest.raises(api.SourceError) as caught:
        api.build(api.Project(project))
    assert "yes-no-question" in str(caught.value.diagnostics)
    assert forks == [True]
    assert _children() == set()
    assert not (project / "dist").exists()
    assert not (project / "decks" / "demo" / "flashcards.lock").exists()


MISSING_PICTURE = """
  - id: picture
    question: Que montre l'image ? ![schéma](media/absente.png)
    answer: Le supercalculateur Dojo.
"""


def _errors_alone_and_forked(project: Path, monkeypatch) -> list[list]:
    """The diagnostics of a failed build in one process, then forked."""
    outcomes = []
    for fork in (False, True):
        _fork(monkeypatch, fork)
        with pytest.raises(api.SourceError) as caught:
            api.build(api.Project(project))
        outcomes.append(caught.value.diagnostics)
    return outcomes


def test_a_forked_build_reports_what_a_single_process_reports(project, write_deck,
                                                              monkeypatch, forks):
    """Rendering starts before the child's checks come back: a problem rendering trips over
    (a missing image) must still be reported as the checks word it, at its line."""
    write_deck("demo", cards=STARTER_CARDS + MISSING_PICTURE)
    outcomes = _errors_alone_and_forked(project, monkeypatch)
    assert forks == [False, True]
    assert outcomes[0] == outcomes[1]
    assert any("absente.png" in d.message for d in outcomes[1])
    assert _children() == set()
    assert not (project / "dist").exists()


def test_rendering_stops_once_the_child_reports_errors(project, write_deck, monkeypatch):
    """A deck with errors is not rendered to its end: each chunk looks for the child's
    report."""
    cards = "".join(f"""
  - id: carte-{i}
    question: Quelle est la réponse numéro {i} ?
    answer: La réponse {i}.
""" for i in range(40))
    write_deck("demo", cards=STARTER_CARDS + cards + """
  - id: yes-no
    question: Est-ce que Dojo est abandonné ?
    answer: oui
""")
    _fork(monkeypatch, True)
    monkeypatch.setattr(api, "CHUNK", 1)
    rendered = []
    real = api.pack_notes

    def slow(notes, *args):
        rendered.append(len(notes))
        time.sleep(0.05)
        return real(notes, *args)

    monkeypatch.setattr(api, "pack_notes", slow)
    with pytest.raises(api.SourceError) as caught:
        api.build(api.Project(project))
    assert "yes-no-question" in str(caught.value.diagnostics)
    assert 0 < len(rendered) < 20  # of 45 notes, one a chunk
    assert _children() == set()


def _opened_here(monkeypatch) -> list[int]:
    """Each DeckPacker opened in this process (none in a forked build whose child packed)."""
    parent, opened, real = os.getpid(), [], pack.DeckPacker.open

    def recorded(self, *args):
        if os.getpid() == parent:
            opened.append(1)
        return real(self, *args)

    monkeypatch.setattr(pack.DeckPacker, "open", recorded)
    return opened


def test_the_child_packs_even_when_both_sides_render_where_they_meet(project, write_deck,
                                                                    monkeypatch):
    """The child finishes rendering a chunk this process has rendered too: its late
    rendering is skipped, and the child's package is the one kept (not packed again here)."""
    alone = _built_alone(project, monkeypatch,
                         lambda: write_deck("demo", cards=STARTER_CARDS + MANY))
    parent, real = os.getpid(), api.pack_notes

    def paced(notes, *args):  # the child renders four times slower: they meet mid-deck
        time.sleep(0.05 if os.getpid() == parent else 0.2)
        return real(notes, *args)

    monkeypatch.setattr(api, "pack_notes", paced)
    opened = _opened_here(monkeypatch)
    assert _build(project) == alone
    assert opened == []
    assert _children() == set()


MANY = "".join(f"""
  - id: carte-{i}
    question: Quelle est la réponse numéro {i} ?
    answer: La réponse {i}.
""" for i in range(30))


def test_a_child_dead_before_its_report_leaves_the_errors_as_one_process_words_them(
        project, write_deck, monkeypatch):
    write_deck("demo", cards=STARTER_CARDS + MISSING_PICTURE)
    monkeypatch.setattr(api, "check_and_count",
                        _dies_in_the_child(os.getpid(), api.check_and_count))
    _slow_here(monkeypatch)  # this process sees the child gone before rendering fails
    outcomes = _errors_alone_and_forked(project, monkeypatch)
    assert outcomes[0] == outcomes[1]
    assert any(d.file.name == "cards.yaml" and d.position and "absente.png" in d.message
               for d in outcomes[0])  # the checks' words, at the card's line
    assert _children() == set()


def test_a_full_disk_under_the_spool_leaves_no_child(project, write_deck, monkeypatch):
    """The spool cannot grow (a full disk; here a file size limit set once the child is
    forked): the build fails with the disk's error, and the child is gone."""
    write_deck("demo", cards=STARTER_CARDS + MANY)
    _small_chunks(monkeypatch)
    _fork(monkeypatch, True)
    real_open, limits = pack_child.Packer.open, resource.getrlimit(resource.RLIMIT_FSIZE)

    def open_then_fill_the_disk(self, *args):
        resource.setrlimit(resource.RLIMIT_FSIZE, (4000, limits[1]))
        return real_open(self, *args)

    monkeypatch.setattr(pack_child.Packer, "open", open_then_fill_the_disk)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        with pytest.raises(OSError):
            api.build(api.Project(project))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)
    assert _children() == set()
    assert not list((project / "dist").glob(".*staging*"))


@pytest.mark.parametrize("at", [1, 4, 9])
def test_a_child_killed_at_any_chunk_changes_nothing(project, write_deck, monkeypatch, at):
    alone = _built_alone(project, monkeypatch, lambda: _full_deck(write_deck))
    packers: list[pack_child.Packer] = []

    class Kept(pack_child.Packer):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            packers.append(self)

    monkeypatch.setattr(api, "Packer", Kept)
    parent, real, calls = os.getpid(), api.pack_notes, []

    def killing(notes, *args):
        if os.getpid() == parent:
            calls.append(1)
            time.sleep(0.05)
            if len(calls) == at and packers[-1].alive:
                os.kill(packers[-1]._pid, signal.SIGKILL)
        return real(notes, *args)

    monkeypatch.setattr(api, "pack_notes", killing)
    assert _build(project) == alone
    assert _children() == set()


def test_a_type_change_in_the_childs_share(project, monkeypatch, tmp_path):
    """A released note changes type in the last chunk, which the child renders: the retired
    note and the new GUID give the same package, lock and warning as one process."""
    from tests.test_plan_chunks import SHIPPED, _edit, _release

    shutil.copytree(SHIPPED, project / "decks" / "dojo")
    lock = project / "decks" / "dojo" / "flashcards.lock"
    lock.unlink()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    _small_chunks(monkeypatch)
    _fork(monkeypatch, False)
    api.build(api.Project(project))
    _release(project, monkeypatch)
    _edit(project, "  - id: robotaxi-city\n    type: type-in\n",
          "  - id: robotaxi-city\n    type: reverse\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800005000")
    saved, outcomes, log = lock.read_bytes(), [], tmp_path / "rendered-by-child"
    real = api.render_notes

    def recorded(deck, start, stop):
        with log.open("a") as out:
            out.write(" ".join(n.id for n in deck.notes[start:stop]) + "\n")
        return real(deck, start, stop)

    for fork in (False, True):
        lock.write_bytes(saved)
        _fork(monkeypatch, fork)
        if fork:
            _slow_here(monkeypatch)
            monkeypatch.setattr(api, "render_notes", recorded)
        [result] = api.build(api.Project(project))
        outcomes.append((hashlib.sha256(result.package.read_bytes()).hexdigest(),
                         lock.read_bytes(), [w.message for w in result.warnings]))
    assert any("robotaxi-city" in message for message in outcomes[0][2])
    assert outcomes[0] == outcomes[1]
    assert "robotaxi-city" in log.read_text()


def test_decks_built_side_by_side_do_not_fork_again(project, write_deck, monkeypatch,
                                                    tmp_path):
    """One process per deck already keeps every core busy."""
    _fork(monkeypatch, True)
    log, real = tmp_path / "forked", pack_child.Packer.__init__

    def recorded(self, *args) -> None:
        real(self, *args)
        with log.open("a") as out:
            out.write(f"{self.forked}\n")

    monkeypatch.setattr(pack_child.Packer, "__init__", recorded)
    for slug in ("one", "two"):
        write_deck(slug, deck=f"name: Deck {slug}\nlanguage: fr\n"
                              "seed: tesla-dojo-2025-08-15.fr\n", cards=STARTER_CARDS)
    api.build(api.Project(project), workers=2)
    assert log.read_text().split() == ["False", "False"]
    api.build(api.Project(project), ["one"], workers=1, new_notetype_version=True)
    assert log.read_text().split() == ["False", "False", "True"]


def test_the_child_is_forked_without_the_cards_models(project, write_deck, monkeypatch,
                                                       forks, tmp_path):
    """The cards' models (not needed to check) are let go before the fork, where freeing
    them does not copy the pages it writes; their subdecks were read first."""
    alone = _built_alone(project, monkeypatch, lambda: _full_deck(write_deck))
    seen, real = tmp_path / "seen", api.check_and_count

    def recorded(deck):
        seen.write_text(f"{len(deck.sources.cards.cards)} {len(deck.sources.facts.facts)}")
        return real(deck)

    monkeypatch.setattr(api, "check_and_count", recorded)
    assert _build(project) == alone  # subdecks by kind included
    assert forks == [False, True]
    cards, facts = map(int, seen.read_text().split())
    assert cards == 0 and facts > 0
