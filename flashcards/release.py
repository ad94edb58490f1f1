"""`flashcards release`: bump a deck's version, build it, and record the changelog in
`decks/<slug>/CHANGELOG.md` (the deck description names the release too)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from flashcards import api
from flashcards.changelog import format_markdown
from flashcards.changes import ChangeKind, NoteChange, Plan
from flashcards.diagnostics import Diagnostic, SourceError
from flashcards.load import read_text
from flashcards.lock import UNRELEASED, read_lock, write_lock
from flashcards.write import write_text_atomic

CHANGELOG = "CHANGELOG.md"
_VERSION_LINE = re.compile(r"^version:[ \t]*['\"]?[^\s'\"#]*['\"]?", re.M)


class Part(StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"


def bump(version: str, part: Part) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    if part is Part.MAJOR:
        return f"{major + 1}.0.0"
    if part is Part.MINOR:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@dataclass(frozen=True)
class ReleaseResult:
    slug: str
    version: str
    notes_markdown: str
    build: api.BuildResult


def _set_version(deck_yaml_text: str, version: str) -> str:
    if _VERSION_LINE.search(deck_yaml_text):
        return _VERSION_LINE.sub(f"version: {version}", deck_yaml_text, count=1)
    return deck_yaml_text.rstrip("\n") + f"\nversion: {version}\n"


def release(project: api.Project, slug: str, part: Part = Part.MINOR,
            out_dir=None) -> ReleaseResult:
    """Bump the version of deck `slug`, build it, write its CHANGELOG.md section."""
    [deck_dir] = project.deck_dirs([slug])
    deck = api.prepare(project, deck_dir)
    version = bump(deck.sources.config.version, part)
    lock = read_lock(deck_dir)
    if lock.released == version:
        raise SourceError([Diagnostic(deck_dir / "deck.yaml",
                                      f"version {version} was already released",
                                      "choose another part to bump", code="release")])
    deck_yaml = deck_dir / "deck.yaml"
    original = read_text(deck_yaml)
    write_text_atomic(deck_yaml, _set_version(original, version))
    try:
        for note in lock.notes.values():  # changes built since the last release join it
            note.since = version if note.since == UNRELEASED else note.since
            note.changed_in = [version if v == UNRELEASED else v for v in note.changed_in]
            note.removed = version if note.removed == UNRELEASED else note.removed
        write_lock(deck_dir, lock)
        [result] = api.build(project, [slug], out_dir)
    except BaseException:
        write_text_atomic(deck_yaml, original)
        raise
    final = read_lock(deck_dir)
    final.released = version
    write_lock(deck_dir, final)
    notes = format_markdown(deck.sources.config.name, version,
                            _release_plan(result.plan, version))
    path = deck_dir / CHANGELOG
    previous = read_text(path) if path.exists() else ""
    older = previous.removeprefix("# Changelog\n").lstrip("\n")
    write_text_atomic(path, "# Changelog\n\n" + notes + ("\n" + older if older else ""))
    return ReleaseResult(slug, version, notes, result)


def _release_plan(plan: Plan, version: str) -> Plan:
    """Every change that belongs to `version`: this build's and earlier unreleased builds'."""
    built = {c.id: c for c in plan.changes}
    changes = []
    for note_id, note in sorted(plan.lock.notes.items()):
        if note.removed == version:
            kind = ChangeKind.REMOVED
        elif version in note.changed_in:
            kind = ChangeKind.CHANGED
        elif note.since == version:
            kind = ChangeKind.ADDED
        else:
            continue
        changes.append(built.get(note_id) or NoteChange(kind, note_id, note, None))
    return replace(plan, changes=changes)
