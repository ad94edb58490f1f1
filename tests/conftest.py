"""Shared fixtures: a throwaway project, and the real Anki engine to import packages into."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.anki_engine import AnkiCollection

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "tesla-dojo-2025-08-15.fr.txt"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder with the Dojo seed and a `decks/` folder."""
    (tmp_path / "seeds").mkdir()
    shutil.copy(SEED, tmp_path / "seeds" / SEED.name)
    (tmp_path / "decks").mkdir()
    return tmp_path


DeckWriter = Callable[..., Path]


@pytest.fixture
def write_deck(project: Path) -> DeckWriter:
    """write_deck("slug", deck=..., cards=..., facts=..., templates=...) with YAML texts
    (dedented); deck.yaml gets a valid default."""

    def write(slug: str = "demo", **files: str) -> Path:
        folder = project / "decks" / slug
        folder.mkdir(parents=True, exist_ok=True)
        files.setdefault("deck", f"name: Demo {slug}\nlanguage: fr\n"
                                 "seed: tesla-dojo-2025-08-15.fr\n")
        for name, text in files.items():
            (folder / f"{name}.yaml").write_text(textwrap.dedent(text).lstrip("\n"),
                                                 encoding="utf-8")
        return folder

    return write


@pytest.fixture
def anki(tmp_path: Path):
    """A fresh, empty collection of the real Anki engine."""
    collection = AnkiCollection.create(tmp_path / "anki-profile")
    yield collection
    collection.close()
