"""Small helpers shared by tests."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from flashcards.cli import app

STARTER_CARDS = """
cards:
  - id: abandon
    question: Quel projet de supercalculateur Tesla a-t-il abandonné ?
    answer: Dojo
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
  - id: unveiled
    type: cloze
    text: "Le concept de Dojo fut dévoilé en {{c1::2021}}."
    source: En 2021, lorsque le concept fut dévoilé
  - id: ai5-maker
    type: reverse
    question: Puce AI5 de Tesla
    answer: fabriquée par TSMC
    source: ses puces AI5 et AI6, qui sont respectivement fabriquées par TSMC et Samsung
  - id: engineers
    type: type-in
    question: Combien d'ingénieurs de Dojo Ganesha Venkataramanan a-t-il recrutés ?
    answer: "20"
    source: Il a progressivement recruté 20 des meilleurs ingénieurs de Dojo
"""

STARTER_FACTS = """
facts:
  - id: bannon
    kind: person
    name: Peter Bannon
    role: l'architecte en chef des puces de Tesla
    source: "Peter Bannon, l'architecte en chef des puces"
  - id: first-mention
    kind: event
    date: en janvier 2021
    event: Musk évoque Dojo lors d'une conférence sur les résultats
    source: c'était en janvier 2021
"""

# A card with an image and a sound of the deck's media/ folder (see `add_media`).
MEDIA_CARDS = """
cards:
  - id: carte
    question: "Où se trouve Dojo ? ![la carte](media/carte.png)"
    answer: "En Californie [sound:media/lecture.mp3]"
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
"""


def add_media(deck: Path, files: dict[str, bytes]) -> Path:
    """Put `files` (name → bytes) into the deck folder's media/; returns that folder."""
    media = deck / "media"
    media.mkdir(exist_ok=True)
    for name, data in files.items():
        (media / name).write_bytes(data)
    return media


def run_python(code: str, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`code` run by a fresh interpreter in `cwd`, with `argv` as its arguments."""
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          cwd=cwd)


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def package_rows(package: Path, query: str) -> list[tuple]:
    """Rows of the SQLite database inside an .apkg (for byte-level facts only)."""
    with zipfile.ZipFile(package) as archive, tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.anki2"
        db.write_bytes(archive.read("collection.anki2"))
        connection = sqlite3.connect(db)
        try:
            return connection.execute(query).fetchall()
        finally:
            connection.close()
