"""`flashcards release`: bump a deck's version, build it, and record the changelog in
`decks/<slug>/CHANGELOG.md` (the deck description names the release too)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from flashcards import api
from flashcards.changelog import format_markdown
from flashcards.changes import pending_changes
from flashcards.diagnostics import Diagnostic, SourceError
from flashcards.load import read_text
from flashcards.lock import read_lock, write_lock
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
    summary: str  # what the release changed for students (every build since the last one)


def _set_version(deck_yaml_text: str, version: str) -> str:
    if _VERSION_LINE.search(deck_yaml_text):
        return _VERSION_LINE.sub(f"version: {version}", deck_yaml_text, count=1)
    return deck_yaml_text.rstrip("\n") + f"\nversion: {version}\n"


def release(project: api.Project, slug: str, part: Part = Part.MINOR,
            out_dir=None) -> ReleaseResult:
    """Bump the version of deck `slug`, build it, write its CHANGELOG.md section."""
    [deck_dir] = project.deck_dirs([slug])
    deck = api.prepare(project, deck_dir)
    config = deck.sources.config
    version = bump(config.version, part)
    lock = read_lock(deck_dir)
    if lock.released == version:
        raise SourceError([Diagnostic(deck_dir / "deck.yaml",
                                      f"version {version} was already released",
                                      "choose another part to bump", code="release")])
    deck_yaml = deck_dir / "deck.yaml"
    original = read_text(deck_yaml)
    write_text_atomic(deck_yaml, _set_version(original, version))
    try:
        def label(value: str) -> str:  # what builds since the last release did joins it
            return version if lock.is_pending(value) else value

        for note in lock.notes.values():
            note.since = label(note.since)
            note.changed_in = list(dict.fromkeys(label(v) for v in note.changed_in))
            note.removed = label(note.removed) if note.removed else None
        write_lock(deck_dir, lock)
        [result] = api.build(project, [slug], out_dir)
    except BaseException:
        write_text_atomic(deck_yaml, original)
        raise
    assert result.plan is not None  # the version changed: never up to date
    plan = replace(result.plan, changes=pending_changes(result.plan))
    notes = format_markdown(config.name, version, plan, config.language,
                            result.plan.renamed_from)
    final = read_lock(deck_dir)
    final.released = version
    final.released_name = None
    for note in final.notes.values():
        note.was = None
    write_lock(deck_dir, final)
    _rerecord(deck_dir, project.seeds_dir, result.package)
    path = deck_dir / CHANGELOG
    previous = read_text(path) if path.exists() else ""
    older = previous.removeprefix("# Changelog\n").lstrip("\n")
    write_text_atomic(path, "# Changelog\n\n" + notes + ("\n" + older if older else ""))
    return ReleaseResult(slug, version, notes, result, plan.summary())


def _rerecord(deck_dir: Path, seeds_dir: Path, package: Path) -> None:
    """The released lock differs from the built one only in what no package shows (the
    release marks): the build record follows it, so the next build is up to date."""
    from flashcards.fingerprint import inputs_digest, record_bytes, recorded, write_record

    record = recorded(package)
    if record:
        write_record(deck_dir, seeds_dir, package, record_bytes(
            inputs_digest(deck_dir, seeds_dir), record["package"], record["notes"],
            record["cards"]))
