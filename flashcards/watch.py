"""`flashcards watch`: rebuild on every save.

watchfiles (Rust `notify`: inotify on Linux, FSEvents on macOS, polling elsewhere) reports
changes in the decks' folders and in `seeds/`; a burst of writes (an editor's save, a
`git checkout`) is one rebuild. The build's own writes (the lock, temporary files) are not
changes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards.diagnostics import SourceError
from flashcards.project import Project, UsageError

if TYPE_CHECKING:
    from flashcards.api import BuildResult

IGNORED_NAMES = {"flashcards.lock", "CHANGELOG.md"}
DEBOUNCE_MS = 300


@dataclass
class Rebuild:
    """One build of the watch loop: what changed, and what the build gave."""

    number: int
    changed: list[Path] = field(default_factory=list)
    results: list[BuildResult] = field(default_factory=list)
    error: SourceError | UsageError | OSError | None = None


def watched_paths(project: Project, decks: Sequence[str]) -> list[Path]:
    paths = [project.decks_dir / d for d in decks] if decks else [project.decks_dir]
    if project.seeds_dir.is_dir():
        paths.append(project.seeds_dir)
    return paths


def relevant(path: Path) -> bool:
    """A change worth a rebuild: not the build's own outputs, not editors' temporary files."""
    name = path.name
    if name in IGNORED_NAMES or name.startswith((".", "#")) or name.endswith(
            ("~", ".swp", ".swx", ".tmp")):
        return False
    # What a build reads: the deck's YAML and style sheet, its media, the articles. Anything
    # else (`sed -i`'s `sedAb12Cd`, an editor's backup) is somebody's temporary file.
    return (path.suffix in (".yaml", ".yml", ".css")
            or bool({"media", "seeds"} & {p.name for p in path.parents}))


def build_once(project: Project, decks: Sequence[str], out_dir: Path | None,
               number: int, changed: list[Path]) -> Rebuild:
    from flashcards import api

    rebuild = Rebuild(number, changed)
    try:
        rebuild.results = api.build(project, decks, out_dir)
    except (SourceError, UsageError, OSError) as exc:
        rebuild.error = exc
    return rebuild


def watch(project: Project, decks: Sequence[str] = (), out_dir: Path | None = None, *,
          max_builds: int | None = None, stop: threading.Event | None = None,
          debounce_ms: int = DEBOUNCE_MS) -> Iterator[Rebuild]:
    """Build now, then again after every change, yielding each build; ends after
    `max_builds` builds, when `stop` is set, or on Ctrl-C. Raises UsageError at once (before
    any build) for an unknown deck or a project without decks."""
    if not project.deck_dirs(decks):
        raise UsageError(f"no deck in {project.decks_dir} to watch: start one with "
                         "`flashcards init SLUG --seed ARTICLE`")
    return _rebuilds(project, decks, out_dir, max_builds, stop, debounce_ms)


def _rebuilds(project: Project, decks: Sequence[str], out_dir: Path | None,
              max_builds: int | None, stop: threading.Event | None,
              debounce_ms: int) -> Iterator[Rebuild]:
    import watchfiles

    number = 1
    yield build_once(project, decks, out_dir, number, [])
    if max_builds is not None and number >= max_builds:
        return
    out = (out_dir or project.root / "dist").resolve()
    for changes in watchfiles.watch(
            *watched_paths(project, decks), debounce=debounce_ms, stop_event=stop,
            raise_interrupt=False,
            watch_filter=lambda _change, path: relevant(Path(path))
            and out not in Path(path).resolve().parents):
        changed = sorted({Path(path) for _, path in changes})
        number += 1
        yield build_once(project, decks, out_dir, number, changed)
        if max_builds is not None and number >= max_builds:
            return
