"""`flashcards watch`: a real process rebuilds on save and reports errors as file:line:col."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time

from flashcards.watch import relevant
from tests.helpers import STARTER_CARDS, run_cli

EXTRA_CARD = """\
  - id: extra
    question: Qui a confirmé la fin de Dojo ?
    answer: Elon Musk
    source: confirmée par le PDG Elon Musk
"""


class Process:
    """A `flashcards watch` process whose output lines are read as they come."""

    def __init__(self, *args: str, cwd) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "flashcards", "watch", *args],
                                     cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.seen))

    def stop(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def test_watch_rebuilds_on_save_and_reports_errors(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS)
    watcher = Process("demo", "--max-builds", "3", cwd=project)
    try:
        watcher.wait_for(r"build 1: first build")
        watcher.wait_for(r"demo: 4 notes, 5 cards → dist/demo\.apkg \(4 added")
        time.sleep(0.5)  # the watcher starts once the first build is printed

        cards = deck / "cards.yaml"
        cards.write_text(cards.read_text(encoding="utf-8") + EXTRA_CARD, encoding="utf-8")
        watcher.wait_for(r"build 2: decks/demo/cards\.yaml changed")
        watcher.wait_for(r"demo: 5 notes, 6 cards → dist/demo\.apkg \(1 added")

        cards.write_text(cards.read_text(encoding="utf-8") + "  - id: [broken\n",
                         encoding="utf-8")
        error = watcher.wait_for(r"error\[")
        assert re.match(r"^decks/demo/cards\.yaml:\d+:\d+: error\[yaml\]: ", error), error
        watcher.wait_for(r"build 3 failed: 1 problem; the previous packages are unchanged")
    finally:
        code = watcher.stop()
    assert code == 0  # --max-builds reached
    assert "Traceback" not in "\n".join(watcher.seen)
    assert (project / "dist" / "demo.apkg").is_file()


def test_watch_json_and_ignores_its_own_lock(project, write_deck):
    deck = write_deck("demo", cards=STARTER_CARDS)
    watcher = Process("--max-builds", "2", "--json", cwd=project)
    try:
        first = json.loads(watcher.wait_for(r'^\{"build": 1'))
        assert first["ok"] and first["decks"][0]["notes"] == 4
        assert (deck / "flashcards.lock").exists()  # written by the build: not a change
        time.sleep(0.5)
        (deck / "cards.yaml").write_text("cards:\n  - id: x\n    questoin: Q ?\n",
                                         encoding="utf-8")
        second = json.loads(watcher.wait_for(r'^\{"build": 2'))
    finally:
        watcher.stop()
    assert second["changed"] == ["decks/demo/cards.yaml"]
    assert second["ok"] is False
    [problem] = [d for d in second["diagnostics"] if "questoin" in d["message"]]
    assert (problem["file"], problem["line"], problem["column"]) == \
        ("decks/demo/cards.yaml", 3, 5)
    assert problem["severity"] == "error" and problem["hint"] == "did you mean 'question'?"


def test_watch_of_a_deck_that_does_not_exist_stops_at_once(project, write_deck):
    root = ("--root", str(project))
    nothing = run_cli("watch", *root)
    assert nothing.exit_code == 2
    assert "no deck in" in nothing.output and "flashcards init SLUG" in nothing.output
    write_deck("demo", cards=STARTER_CARDS)
    unknown = run_cli("watch", "dmeo", *root)
    assert unknown.exit_code == 2
    assert unknown.output.startswith("error: no deck named 'dmeo'")  # no "watching…" first
    assert "(decks: demo)" in unknown.output
    as_json = run_cli("watch", "dmeo", *root, "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout)["ok"] is False
    assert not (project / "dist").exists()


def test_only_what_a_build_reads_triggers_a_rebuild(tmp_path):
    deck = tmp_path / "decks" / "demo"
    assert relevant(deck / "cards.yaml") and relevant(deck / "style.css")
    assert relevant(deck / "media" / "carte.png") and relevant(tmp_path / "seeds" / "a.txt")
    for temporary in ("sed1AS8bP", "cards.yaml~", ".cards.yaml.swp", "#cards.yaml#",
                      "flashcards.lock", "4913"):
        assert not relevant(deck / temporary), temporary
