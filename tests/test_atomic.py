"""Nothing is lost: a build killed, interrupted or out of disk space leaves the previous
package and lock byte for byte, and the next build leaves no temporary file behind.

The build runs in a real process. `FLASHCARDS_TEST_PAUSE_BEFORE_RENAME=<s>@<n>` (a test hook
in flashcards/write.py) makes it announce and wait before its n-th rename into place; the
test sends the signal then. Renames, in order: 1 the staged package (inside the staging
folder), 2 the package into dist/, 3 the lock into the deck's folder.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flashcards.write import sweep_stale
from tests.conftest import REPO
from tests.helpers import STARTER_CARDS, run_cli

EDITED_CARDS = STARTER_CARDS.replace("answer: Dojo", "answer: Le projet Dojo")


def start_build(project: Path, pause: str | None = None, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if pause:
        env["FLASHCARDS_TEST_PAUSE_BEFORE_RENAME"] = pause
    return subprocess.Popen([sys.executable, "-m", "flashcards", "build", "--root",
                             str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=project, **popen)


def wait_for_pause(process: subprocess.Popen) -> str:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "paused before rename" in line:
            return line
    process.wait()
    raise AssertionError(f"the build never paused: {''.join(seen)}")


def leftovers(project: Path) -> list[Path]:
    return [p for p in project.rglob("*")
            if p.name.startswith(".flashcards-") or p.name.endswith(".tmp")]


@pytest.fixture
def built(project, write_deck):
    """A deck built once; its sources then edited, so that the next build changes it."""
    deck = write_deck("demo", cards=STARTER_CARDS)
    assert run_cli("build", "--root", str(project)).exit_code == 0
    package, lock = project / "dist" / "demo.apkg", deck / "flashcards.lock"
    before = {package: package.read_bytes(), lock: lock.read_bytes()}
    (deck / "cards.yaml").write_text(EDITED_CARDS, encoding="utf-8")
    return before


def lock_matches_package(project: Path) -> bool:
    """The next build finds the lock in step with the package: nothing to do ("no change"
    rather than "up to date" when the tool's own code changed in between)."""
    output = run_cli("build", "--root", str(project)).output
    return "(up to date)" in output or "(no change)" in output


def assert_intact(before: dict[Path, bytes]) -> None:
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path.name} changed"


@pytest.mark.parametrize("rename", [1, 2])
def test_sigkill_before_a_rename_leaves_the_previous_files(project, built, rename):
    process = start_build(project, f"60@{rename}")
    wait_for_pause(process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert_intact(built)
    # SIGKILL cannot be cleaned up after: the dead run's staging folder is still there...
    stale = leftovers(project)
    assert stale and all(str(process.pid) in p.name or str(process.pid) in p.parent.name
                         for p in stale if p.parent.name != "dist" or p.is_dir())
    # ...and the next build sweeps it, then builds the edit.
    result = run_cli("build", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert not leftovers(project)
    assert (project / "dist" / "demo.apkg").read_bytes() != built[project / "dist" /
                                                                  "demo.apkg"]


def test_sigkill_between_package_and_lock_recovers(project, built):
    """The one window with no single rename: the new package is in place, the lock is the
    old one. Nothing is lost (the lock still knows every note's id); the next build
    brings the lock up to date, and the one after finds nothing to do."""
    process = start_build(project, "60@3")
    wait_for_pause(process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    lock = project / "decks" / "demo" / "flashcards.lock"
    assert lock.read_bytes() == built[lock]
    assert run_cli("build", "--root", str(project)).exit_code == 0
    assert not leftovers(project)
    assert lock_matches_package(project)


def test_ctrl_c_leaves_the_previous_files_and_no_temporary_file(project, built):
    process = start_build(project, "60@1")
    wait_for_pause(process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert_intact(built)
    assert not leftovers(project)


def test_ctrl_c_while_committing_completes_the_commit(project, built):
    """Once every deck is staged, Ctrl-C waits for the renames: package and lock both land,
    then the command stops with 130 — never a package without its lock."""
    process = start_build(project, "3@2")
    wait_for_pause(process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert not leftovers(project)
    assert lock_matches_package(project)


def _small_disk() -> None:
    """A file-size limit of 64 KiB: writes beyond it fail with EFBIG, as on a full disk
    (SIGXFSZ, which would kill the process, is ignored as most shells do not)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_full_disk_is_a_clear_error_and_changes_nothing(project, built, write_deck):
    many = "cards:\n" + "".join(
        f"  - id: c{i}\n    question: Question numéro {i} sur Dojo ?\n    answer: Réponse "
        f"{i} {'mot ' * 40}\n    lint_disable: [answer-length, ungrounded]\n"
        for i in range(400))
    (project / "decks" / "demo" / "cards.yaml").write_text(many, encoding="utf-8")
    process = start_build(project, preexec_fn=_small_disk)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert "cannot write" in stderr
    assert "disk I/O error" in stderr or "File too large" in stderr  # SQLite's, or the zip's
    assert "previous" in stderr  # says what was kept
    assert_intact(built)
    assert not leftovers(project)


def test_sweep_removes_only_what_dead_runs_of_ours_left(tmp_path):
    dead = 2**22 + 12345  # above the default pid_max: no such process
    ours = [tmp_path / f".demo.apkg.{dead}.abcd_123.tmp",
            tmp_path / f".flashcards-staging-{dead}-k2j4h5g6"]
    ours[1].mkdir()
    kept = [tmp_path / f".demo.apkg.{os.getpid()}.abcd_123.tmp",  # a live run's
            tmp_path / f".other.apkg.{dead}.abcd_123.tmp",  # not a file we were asked about
            tmp_path / "notes.tmp", tmp_path / ".demo.apkg.1.tmp"]
    for path in [ours[0], *kept]:
        path.write_text("x")
    assert sorted(sweep_stale(tmp_path, ["demo.apkg"])) == sorted(ours)
    assert all(path.exists() for path in kept)
