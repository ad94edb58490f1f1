"""A note read line by line from a lock keeps its fields, tags and source encoded until asked
for (`lock._ReadNote`): every attribute must then be what the whole-document parse gives,
whatever the texts hold, and a note whose line is not as the tool writes it is read whole."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards import lock
from flashcards.diagnostics import SourceError
from flashcards.lock import Lock, NoteLock

ATTRIBUTES = [f.name for f in dataclasses.fields(NoteLock)]
TRICKY = ['"', "\\", ',"fields":', '},"tags":["x"]}', "\n", "\u2028", "é", "🙂", "{{c1::a}}",
          "\x00", "\t"]


def _whole(path) -> Lock:
    data = json.loads(path.read_text(encoding="utf-8"))
    return lock._lock_from(data, data["notes"].items())


def _is_lazy(note: NoteLock) -> bool:
    """Whether the note's texts are still encoded (its slots for them unset)."""
    try:
        NoteLock.__dict__["fields"].__get__(note, NoteLock)
    except AttributeError:
        return True
    return False


def _write(tmp_path, notes: dict[str, NoteLock]):
    path = tmp_path / lock.LOCK_NAME
    path.write_bytes(Lock(deck_name="Démo", version="1.1.0", released="1.0.0",
                          notes=notes).to_bytes())
    return path


def _assert_same(read: Lock, whole: Lock) -> None:
    assert read.notes.keys() == whole.notes.keys()
    for key, note in read.notes.items():
        expected = whole.notes[key]
        for name in ATTRIBUTES:
            assert getattr(note, name) == getattr(expected, name), (key, name)
            assert type(getattr(note, name)) is type(getattr(expected, name)), (key, name)
    assert read == whole


NOTES = {
    "plain": NoteLock("basic", "aa11", 1_750_000_000, 1_750_000_000_000, "1.0.0",
                      {"Question": "Q ?", "Answer": "A", "Extra": ""}, ["t1", "t2"], "src"),
    "no-tags-no-source": NoteLock("cloze", "bb22", 1_750_000_001, 1_750_000_000_100,
                                  "unreleased", {"Text": "{{c1::x}}"}),
    "changed": NoteLock("basic", "cc33", 1_760_000_000, 1_750_000_000_200, "1.0.0",
                        {"Question": ",\"fields\":{}", "Answer": "\\\"}"}, ["t"], "s\n2",
                        ["1.1.0", "unreleased"],
                        was={"fields": {"Question": "old", "Answer": "a"}, "source": None}),
    "removed": NoteLock("reverse", "dd44", 1_750_000_000, 1_750_000_000_300, "0.9.0",
                        {"Question": "q", "Answer": "a"}, [], None, [], "1.0.0"),
    "retyped~1750000000400": NoteLock(
        "basic", "ee55", 1_750_000_000, 1_750_000_000_400, "1.0.0",
        {"Question": "q", "Answer": "a"}, ["x"], "s", ["1.0.0"], "unreleased",
        guid="Ab1+/~", was={"fields": {"Question": "before"}, "source": "old source"}),
    "retyped": NoteLock("type-in", "ff66", 1_760_000_000, 1_760_000_000_000, "unreleased",
                        {"Question": "q", "Answer": "a"}, guid="new-guid"),
}


def test_every_attribute_is_the_whole_parse(tmp_path):
    path = _write(tmp_path, NOTES)
    read = lock._read_by_line(path)
    assert read is not None
    assert all(isinstance(n, lock._ReadNote) and _is_lazy(n) for n in read.notes.values())
    _assert_same(read, _whole(path))
    assert not any(_is_lazy(n) for n in read.notes.values())  # decoded once asked for
    assert read.to_bytes() == path.read_bytes()


def test_texts_are_decoded_only_when_asked_for(tmp_path):
    read = lock._read_by_line(_write(tmp_path, NOTES))
    assert read is not None
    note = read.notes["changed"]
    assert (note.hash, note.mod, note.changed_in, note.was) == (
        "cc33", 1_760_000_000, ["1.1.0", "unreleased"], NOTES["changed"].was)
    assert _is_lazy(note)
    assert note.source == "s\n2" and not _is_lazy(note)


def test_a_text_set_before_it_is_read_is_kept(tmp_path):
    read = lock._read_by_line(_write(tmp_path, NOTES))
    assert read is not None
    note = read.notes["plain"]
    note.fields = {"Question": "new"}
    assert note.tags == ["t1", "t2"] and note.source == "src"
    assert note.fields == {"Question": "new"}
    other = read.notes["removed"]
    other.tags = ["set"]
    assert other.fields == {"Question": "q", "Answer": "a"} and other.tags == ["set"]


def test_replace_copy_and_pickle_give_equal_notes(tmp_path):
    read = lock._read_by_line(_write(tmp_path, NOTES))
    assert read is not None
    for key, note in read.notes.items():
        assert dataclasses.replace(note) == NOTES[key]
        assert dataclasses.replace(note, removed="2.0.0") == dataclasses.replace(
            NOTES[key], removed="2.0.0")
    for key, note in lock._read_by_line(_write(tmp_path, NOTES)).notes.items():
        assert copy.copy(note) == NOTES[key] == pickle.loads(pickle.dumps(note))
        assert dataclasses.asdict(note) == dataclasses.asdict(NOTES[key])


def test_a_line_not_as_the_tool_writes_it_is_read_whole(tmp_path):
    path = _write(tmp_path, NOTES)
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  "plain"'))
    key, value = next(iter(json.loads("{" + lines[at].rstrip(",") + "}").items()))
    reordered = {"fields": value.pop("fields"), **value}
    lines[at] = f"  {json.dumps(key)}: {json.dumps(reordered)},"  # other order, spaces
    path.write_text("\n".join(lines), encoding="utf-8")
    read = lock._read_by_line(path)
    assert read is not None
    assert not isinstance(read.notes["plain"], lock._ReadNote)
    _assert_same(read, _whole(path))


def test_a_fields_key_inside_the_fields_is_not_taken_for_the_notes(tmp_path):
    path = _write(tmp_path, NOTES)
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  "plain"'))
    lines[at] = ('  "plain": {"type":"basic","hash":"aa11","mod":1,"nid":2,"since":"1.0.0", '
                 '"fields": {"Question":"q","fields":"x"},"tags":["t"]},')
    path.write_text("\n".join(lines), encoding="utf-8")
    read = lock._read_by_line(path)
    assert read is not None
    _assert_same(read, _whole(path))
    assert read.notes["plain"].fields == {"Question": "q", "fields": "x"}


@pytest.mark.parametrize("edit", [
    lambda value: value.pop("fields"),  # a required attribute missing
    lambda value: value.update(colour="red"),  # an unknown one
])
def test_a_note_the_whole_parse_refuses_is_refused(tmp_path, edit):
    path = _write(tmp_path, NOTES)
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith('  "removed"'))
    key, value = next(iter(json.loads("{" + lines[at].rstrip(",") + "}").items()))
    edit(value)
    lines[at] = f"  {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))},"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert lock._read_by_line(path) is None
    with pytest.raises(SourceError):
        lock.read_lock(tmp_path)


_text = st.lists(st.one_of(st.sampled_from(TRICKY),
                          st.characters(blacklist_categories=["Cs"])), max_size=8).map("".join)
_label = st.sampled_from(["1.0.0", "1.1.0", "unreleased"])
_note = st.builds(
    NoteLock,
    type=st.sampled_from(["basic", "cloze", "reverse", "type-in"]),
    hash=st.text(string.hexdigits, min_size=1, max_size=20),
    mod=st.integers(0, 2**40), nid=st.integers(0, 2**52), since=_label,
    fields=st.dictionaries(st.sampled_from(["Question", "Answer", "Text", "Extra", "x\"y"]),
                           _text, min_size=1),
    tags=st.lists(_text, max_size=3), source=st.none() | _text,
    changed_in=st.lists(_label, max_size=2), removed=st.none() | _label,
    guid=st.none() | _text,
    was=st.none() | st.fixed_dictionaries({"fields": st.dictionaries(_text, _text),
                                           "source": st.none() | _text}))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.dictionaries(st.text("abc~1-é", min_size=1, max_size=6), _note, max_size=6))
def test_any_notes_read_as_the_whole_parse(tmp_path, notes):
    path = _write(tmp_path, notes)
    read = lock._read_by_line(path)
    assert read is not None
    assert all(isinstance(n, lock._ReadNote) for n in read.notes.values())
    _assert_same(read, _whole(path))
    assert read.to_bytes() == path.read_bytes()


def _stored(objects) -> list[NoteLock]:
    return [n for n in objects if isinstance(n, lock._ReadNote) and _is_lazy(n)]


def test_a_plan_keeps_no_old_note_encoded(project, write_deck, monkeypatch):
    """The old notes a plan keeps (changed, removed, removed before) have their texts: the
    old lock's text store is let go of with the old lock."""
    from flashcards import api
    from tests.helpers import STARTER_CARDS, STARTER_FACTS

    deck = write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    path = deck / lock.LOCK_NAME
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1750000000")
    api.build(api.Project(project))
    version = json.loads(path.read_text(encoding="utf-8"))["deck"]["version"]
    path.write_text(path.read_text(encoding="utf-8").replace(
        '"released":null', f'"released":"{version}"'), encoding="utf-8")
    cards = deck / "cards.yaml"
    text = cards.read_text(encoding="utf-8")
    start = text.index("  - id: unveiled")
    cards.write_text(text[:start] + text[text.index("  - id:", start + 1):], encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1760000000")
    api.build(api.Project(project))
    cards.write_text(cards.read_text(encoding="utf-8").replace("answer: Dojo",
                                                               "answer: Dojo !"),
                     encoding="utf-8")

    prepared = api.prepare(api.Project(project), deck)
    _, plan = api.plan_deck(prepared, 1_770_000_000)
    assert plan.summary() == "0 added, 1 changed, 0 removed"
    assert plan.lock.notes["unveiled"].is_removed
    assert not _stored(plan.lock.notes.values())
    assert not _stored(c.before for c in plan.changes)
    assert [c.before.fields["Answer"] for c in plan.changes] == ["Dojo"]
