"""The lock is read one note line at a time when it is laid out as the tool writes it: the
result must be the whole-document parse's, and anything else must still be read (or refused
with its line) by the whole-document parse."""

from __future__ import annotations

import json

import pytest

from flashcards import api, lock
from flashcards.diagnostics import SourceError
from tests.helpers import STARTER_CARDS, STARTER_FACTS


def _whole(path) -> lock.Lock:
    return lock._lock_from(json.loads(path.read_text(encoding="utf-8")),
                           json.loads(path.read_text(encoding="utf-8"))["notes"].items())


@pytest.fixture
def built(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    api.build(api.Project(project))
    return deck / lock.LOCK_NAME


def test_line_by_line_gives_the_whole_parse(built):
    by_line = lock._read_by_line(built)
    assert by_line is not None and len(by_line.notes) == 7
    assert by_line == _whole(built) == lock.read_lock(built.parent)


def test_crlf_is_read_line_by_line_too(built):
    built.write_bytes(built.read_bytes().replace(b"\n", b"\r\n"))
    assert lock._read_by_line(built) == _whole(built)


@pytest.mark.parametrize("layout", [
    lambda data: json.dumps(data, indent=2),             # reformatted by hand
    lambda data: json.dumps(data),                       # one line
    lambda data: json.dumps({"notes": data.pop("notes"), **data}),  # notes first
])
def test_other_layouts_fall_back_to_the_whole_parse(built, layout):
    expected = _whole(built)
    built.write_text(layout(json.loads(built.read_text(encoding="utf-8"))), encoding="utf-8")
    assert lock._read_by_line(built) is None
    assert lock.read_lock(built.parent) == expected


def test_a_damaged_note_line_is_reported_at_its_line(built):
    lines = built.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  "abandon"'))
    lines[at] = lines[at].replace('"mod":', '"mod" ')
    built.write_text("\n".join(lines), encoding="utf-8")
    assert lock._read_by_line(built) is None
    with pytest.raises(SourceError) as caught:
        lock.read_lock(built.parent)
    [problem] = caught.value.diagnostics
    assert "damaged" in problem.message and problem.position.line == at + 1


def test_a_lock_bigger_than_the_source_limit_is_still_read(built, monkeypatch):
    """Sources are refused above a size limit; the lock the tool wrote for a big deck (about
    350 bytes a note) must not be, or a deck of 200,000 notes could never be rebuilt."""
    from flashcards import load

    size = built.stat().st_size
    sources = [p.stat().st_size for p in built.parent.glob("*.yaml")]
    assert max(sources) < size // 2
    monkeypatch.setattr(load, "MAX_FILE_BYTES", size // 2)
    monkeypatch.setattr(lock, "MAX_FILE_BYTES", size // 2, raising=False)  # had its own copy
    assert lock.read_lock(built.parent) == _whole(built)
