"""A build plans its notes a chunk at a time (changes.Planner) while it renders the next ones:
the plan must be the one made of the whole deck at once, whatever the chunks (and for the
chunks the forked child renders, from their digests alone), through a first build, an edit,
a type change, a removal and a release."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flashcards import api
from flashcards.changes import Plan, Planner, plan_build
from flashcards.lock import lock_path, read_lock
from flashcards.pack import PackedNote, pack_notes
from flashcards.write import write_atomic

SHIPPED = Path(__file__).resolve().parent.parent / "decks" / "dojo"
NOW = 1_800_000_000


def _summary(plan: Plan) -> tuple:
    return (plan.lock.to_bytes(), plan.note_mods, plan.note_ids, plan.extra_tags, plan.guids,
            [(c.kind, c.id) for c in plan.changes], [d.message for d in plan.warnings])


def _plans(project: Path, now: int) -> tuple[tuple, list[tuple]]:
    deck = api.prepare(api.Project(project), project / "decks" / "dojo")
    root, config = deck.sources.root, deck.sources.config
    packed = pack_notes(deck.notes, deck.slug, config)
    whole = plan_build(deck.slug, root, config, deck.notes, packed, read_lock(root), now)
    chunked = []
    for size, from_digests in ((1, False), (7, False), (50, False), (7, True)):
        planner = Planner(deck.slug, root, config, {n.type for n in deck.notes},
                          read_lock(root), now)
        for start in range(0, len(deck.notes), size):
            notes, rendered = deck.notes[start:start + size], packed[start:start + size]
            if from_digests:  # as the forked child's chunks: no fields, their digests
                ids = {t: notetype.id for t, notetype in planner.plan.notetypes.items()}
                planner.add(notes, [PackedNote(n.id, n.guid, n.type, (), ()) for n in rendered],
                            [n.content_hash(ids[n.type]) for n in rendered])
            else:
                planner.add(notes, rendered)
        chunked.append(_summary(planner.finish()))
    lock = whole.lock.to_bytes()
    write_atomic(lock_path(root), lambda handle: handle.write(lock))
    return _summary(whole), chunked


@pytest.fixture
def shipped(project: Path) -> Path:
    shutil.copytree(SHIPPED, project / "decks" / "dojo")
    lock_path(project / "decks" / "dojo").unlink()
    return project


def _edit(project: Path, old: str, new: str) -> None:
    cards = project / "decks" / "dojo" / "cards.yaml"
    text = cards.read_text(encoding="utf-8")
    assert old in text
    cards.write_text(text.replace(old, new, 1), encoding="utf-8")


def _release(project: Path, monkeypatch) -> None:
    from flashcards.release import Part, release

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(NOW + 100))
    release(api.Project(project), "dojo", Part("minor"))


def test_planning_in_chunks_is_planning_at_once(shipped, monkeypatch):
    head, typed = "  - id: end-confirmed-by\n", "    type: type-in\n"
    steps = [
        lambda: None,  # a first build: every note new
        lambda: _edit(shipped, "Tesla", "La société Tesla"),  # an edit
        lambda: _release(shipped, monkeypatch),
        lambda: _edit(shipped, head + typed, head + "    type: reverse\n"),  # retired
        lambda: _edit(shipped, head + "    type: reverse\n", head + typed),  # revived
        lambda: _edit(shipped, head, "  - id: end-confirmed-by-bis\n"),  # removed, and added
    ]
    kinds = set()
    for number, step in enumerate(steps):
        step()
        whole, chunked = _plans(shipped, NOW + 1000 * number)
        assert chunked == [whole] * len(chunked), f"step {number}"
        kinds.update(kind for kind, _ in whole[5])
    assert kinds == {"added", "changed", "removed"}
