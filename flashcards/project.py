"""A project: a folder with `decks/<slug>/` and `seeds/`. Light to import (start-up path: no
dataclasses, whose import of inspect is a fifth of `flashcards --version`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from flashcards.load import Document


class UsageError(Exception):
    """The command was asked for something that does not exist (exit code 2)."""


def shown_path(path: Path) -> str:
    """`path` as messages show it: relative to the current folder when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def deck_name_key(name: str) -> str:
    """A deck name as Anki compares it: case ignored (two names with the same key would be
    one deck in students' collections)."""
    return name.strip().casefold()


class Project(NamedTuple):
    """A folder with `decks/<slug>/` and `seeds/`."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        start = (start or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / "decks").is_dir():
                return cls(folder)
        raise UsageError(f"no decks/ folder in {start} or above: run flashcards from a project "
                         "folder (one with decks/<slug>/deck.yaml), or pass --root")

    @property
    def decks_dir(self) -> Path:
        return self.root / "decks"

    @property
    def seeds_dir(self) -> Path:
        return self.root / "seeds"

    def deck_slugs(self) -> list[str]:
        try:
            return sorted(p.name for p in self.decks_dir.iterdir()
                          if p.is_dir() and not p.name.startswith("."))
        except OSError as exc:
            raise UsageError(f"cannot read {self.decks_dir}: {exc.strerror or exc}") from None

    def deck_dirs(self, names: Sequence[str] = ()) -> list[Path]:
        """The deck folders named (all when none is named); unknown names are a UsageError."""
        available = self.deck_slugs()
        if not names:
            return [self.decks_dir / slug for slug in available]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise UsageError(f"no deck named {', '.join(map(repr, unknown))} in "
                             f"{self.decks_dir} (decks: {', '.join(available) or 'none'})")
        return [self.decks_dir / n for n in names]

    def deck_names(self) -> Iterator[tuple[Path, Document, str]]:
        """Each deck's folder, deck.yaml and `name:`, read leniently: a deck whose deck.yaml
        cannot be read or names nothing is left to its own validation."""
        from flashcards.diagnostics import SourceError
        from flashcards.load import load_yaml

        for deck_dir in self.deck_dirs():
            try:
                doc = load_yaml(deck_dir / "deck.yaml")
            except SourceError:
                continue
            name = doc.data.get("name") if isinstance(doc.data, dict) else None
            if isinstance(name, str):
                yield deck_dir, doc, name

    def seed_path(self, seed_id: str) -> Path | None:
        if not self.seeds_dir.is_dir():
            return None
        matches = sorted(p for p in self.seeds_dir.iterdir() if p.is_file() and p.stem == seed_id)
        return matches[0] if matches else None
