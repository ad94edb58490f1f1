"""The corpus of broken and hostile sources (`tests/cases/`), each run through `validate` and
`build`: a clear message naming file:line, the right exit code, never a traceback, nothing
written (or, for hostile content, nothing active in the package).

A case is a folder: the deck's files (a valid `deck.yaml` is supplied when the case has
none) and `expected.txt`, one directive a line:

    exit: 1                  both commands (validate-exit: / build-exit: for one)
    message: cards.yaml:3:5  a substring of the output of each command (warnings included)
    absent: <script          a string that must not reach the package (exit-0 cases)
    setup: unreadable        a generator below, for files a repository cannot hold
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED
from tests.helpers import package_rows, run_cli
from tests.test_properties import active_markup

CASES = Path(__file__).parent / "cases"
DEFAULT_DECK = "name: Cas d’essai\nlanguage: fr\nseed: tesla-dojo-2025-08-15.fr\n"


@dataclass
class Case:
    name: str
    folder: Path
    exits: dict[str, int] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, folder: Path) -> Case:
        case = cls(folder.name, folder)
        for raw in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            key, _, value = raw.partition(": ")
            if key == "exit":
                case.exits = {"validate": int(value), "build": int(value)}
            elif key in ("validate-exit", "build-exit"):
                case.exits[key.removesuffix("-exit")] = int(value)
            elif key == "message":
                case.messages.append(value)
            elif key == "absent":  # with \xNN escapes for control characters
                case.absent.append(value.encode("ascii", "backslashreplace")
                                   .decode("unicode_escape"))
            elif key == "setup":
                case.setup.append(value)
            else:
                raise ValueError(f"{folder}/expected.txt: unknown directive {raw!r}")
        assert set(case.exits) == {"validate", "build"}, f"{folder}: no exit code"
        return case


def all_cases() -> list[Case]:
    return [Case.read(folder) for folder in sorted(CASES.iterdir()) if folder.is_dir()]


# ---- files a repository cannot (or should not) hold -------------------------------------

def _huge(deck: Path) -> None:
    """A cards.yaml over the size limit: sparse, so it takes no disk space."""
    with open(deck / "cards.yaml", "wb") as handle:
        handle.truncate(65 * 1024 * 1024)


def _long_line(deck: Path) -> None:
    """A 2 MB line (under the size limit) as a question."""
    (deck / "cards.yaml").write_text(
        "cards:\n  - id: long\n    question: " + "très long " * 200_000 + "?\n"
        "    answer: Dojo\n", encoding="utf-8")


def _unreadable(deck: Path) -> None:
    (deck / "cards.yaml").chmod(0)


def _unreadable_folder(deck: Path) -> None:
    deck.chmod(0)


def _built(deck: Path) -> None:
    """Built once, so that dist/ holds a package and the deck a lock, both to keep."""
    result = run_cli("build", "--root", str(deck.parent.parent))
    assert result.exit_code == 0, result.output


def _link_out(deck: Path, name: str, text: str) -> None:
    """`name` becomes a link to a file outside the project (a secret of the user's)."""
    secret = deck.parent.parent.parent / f"secret-{name}"
    secret.write_text(text, encoding="utf-8")
    (deck / name).unlink(missing_ok=True)
    (deck / name).symlink_to(secret)


def _cards_link_out(deck: Path) -> None:
    _link_out(deck, "cards.yaml", "cards:\n  - id: secret\n    question: Quel secret ?\n"
              "    answer: SECRET-TOKEN-42\n")


def _style_link_out(deck: Path) -> None:
    _link_out(deck, "style.css", "/* SECRET-TOKEN-42 */\n")


def _cards_link_inside(deck: Path) -> None:
    """A link to a file elsewhere in the project is fine (cards shared by two decks)."""
    shared = deck.parent.parent / "shared-cards.yaml"
    shared.write_text((deck / "cards.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (deck / "cards.yaml").unlink()
    (deck / "cards.yaml").symlink_to(Path("..", "..", shared.name))


def _no_deck_yaml(deck: Path) -> None:
    (deck / "deck.yaml").unlink()


SETUPS: dict[str, Callable[[Path], None]] = {
    "huge": _huge, "long-line": _long_line, "unreadable": _unreadable,
    "unreadable-folder": _unreadable_folder, "built": _built, "no-deck-yaml": _no_deck_yaml,
    "cards-link-out": _cards_link_out, "style-link-out": _style_link_out,
    "cards-link-inside": _cards_link_inside,
}


def make_project(case: Case, root: Path) -> Path:
    (root / "seeds").mkdir(parents=True)
    shutil.copy(SEED, root / "seeds" / SEED.name)
    deck = root / "decks" / case.name
    shutil.copytree(case.folder, deck, ignore=shutil.ignore_patterns("expected.txt"))
    if not (deck / "deck.yaml").exists():
        (deck / "deck.yaml").write_text(DEFAULT_DECK, encoding="utf-8")
    for name in case.setup:
        SETUPS[name](deck)
    return root


def leftovers(root: Path) -> list[Path]:
    """Temporary files or folders our writers could leave behind."""
    return [p for p in root.rglob("*")
            if p.name.startswith(".flashcards-") or p.name.endswith((".tmp", ".anki2"))]


def package_text(package: Path) -> str:
    """Every text of the package that Anki shows as HTML: fields, card templates, style
    sheets, deck descriptions."""
    texts = [fields for (fields,) in package_rows(package, "SELECT flds FROM notes")]
    [(models, decks)] = package_rows(package, "SELECT models, decks FROM col")
    for model in json.loads(models).values():
        texts += [model["css"], *(t[side] for t in model["tmpls"] for side in ("qfmt", "afmt"))]
    texts += [deck.get("desc", "") for deck in json.loads(decks).values()]
    return "\n".join(texts)


def runs_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _drop_file_read_override() -> None:
    """Before exec: take CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH out of the bounding set
    (prctl PR_CAPBSET_DROP), so that the process, though root, obeys file modes."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_without_root_override(root: Path, command: str) -> tuple[int, str]:
    """Root reads any file whatever its mode: the command runs in a real process that lost
    the capabilities that let root ignore file modes."""
    done = subprocess.run([sys.executable, "-m", "flashcards", command, "--root", str(root)],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          preexec_fn=_drop_file_read_override)
    return done.returncode, done.stdout + done.stderr


def run_case(case: Case, root: Path, command: str) -> tuple[int, str]:
    if any(name.startswith("unreadable") for name in case.setup) and runs_as_root():
        return run_without_root_override(root, command)
    result = run_cli(command, "--root", str(root))
    return result.exit_code, result.output


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.name)
def test_case(case: Case, tmp_path: Path) -> None:
    root = make_project(case, tmp_path / "project")
    sources_before = {p: p.read_bytes() for p in (root / "decks").rglob("*")
                      if p.is_file() and os.access(p, os.R_OK) and p.stat().st_size < 1 << 24}
    dist_before = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    for command in ("validate", "build"):
        code, output = run_case(case, root, command)
        context = f"{case.name}: {command} said:\n{textwrap.indent(output, '  ')}"
        assert code == case.exits[command], context
        assert "Traceback" not in output, context
        for message in case.messages:
            if case.exits[command] or not case.exits["validate"] + case.exits["build"]:
                assert message in output, f"{context}\nexpected: {message}"
        if code:
            assert "error" in output and "hint:" in output, context
        assert not leftovers(root), leftovers(root)
    package = root / "dist" / f"{case.name}.apkg"
    if case.exits["build"]:  # dist/ as it was (absent, or the previous packages)
        dist_after = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
        assert dist_after == dist_before and (root / "dist").exists() == bool(dist_before)
        lock = root / "decks" / case.name / "flashcards.lock"
        assert lock in sources_before or not os.access(lock.parent, os.X_OK) or \
            not lock.exists()
    else:
        assert package.is_file()
        text = package_text(package)
        for needle in case.absent:
            assert needle.lower() not in text.lower(), f"{case.name}: {needle!r} in the package"
    for path, content in sources_before.items():
        if path.name != "flashcards.lock":
            assert path.read_bytes() == content, f"{path} was changed"


def test_the_corpus_covers_the_issue():
    """Every kind of bad input the issue names has a case (a guard against shrinking)."""
    names = {case.name for case in all_cases()}
    for prefix in ("yaml-", "schema-", "template-", "file-", "encoding-", "hostile-",
                   "style-", "cloze-"):
        assert any(n.startswith(prefix) for n in names), prefix
    assert len(names) >= 50


HOSTILE = [case for case in all_cases() if case.name.startswith("hostile-")]


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.name)
def test_hostile_content_never_reaches_a_student(case: Case, tmp_path: Path, anki) -> None:
    """Imported into the real Anki engine: every note has its fields (none shifted by a
    separator), and no field nor any card Anki renders holds anything active."""
    root = make_project(case, tmp_path / "project")
    assert run_cli("build", "--root", str(root)).exit_code == 0
    log = anki.import_package(root / "dist" / f"{case.name}.apkg")
    assert log.new >= 1 and log.conflicting == 0
    for note in anki.notes():
        assert len(note.fields) == len(note.note_type()["flds"])
    shown = [field for note in anki.notes() for field in note.fields]
    for card in anki.cards():
        shown += [card.question(), card.answer()]
    shown += [deck["desc"] for deck in anki.col.decks.all()]
    text = "\n".join(shown).lower()
    for needle in [*case.absent, "<script", "javascript:", "onerror=", "onload=", "https://"]:
        assert needle.lower() not in text, needle


# ---- no network during a build ----------------------------------------------------------

NETWORK_GUARD = '''
import os, sys

def _guard(event, args):
    if event.startswith(("socket.", "urllib.", "http.", "ftplib.", "smtplib.")):
        with open(os.environ["FLASHCARDS_NETWORK_LOG"], "a", encoding="utf-8") as log:
            log.write(f"{os.getpid()} {event} {args!r}\\n")
        raise OSError(f"network access during a test: {event}")

sys.addaudithook(_guard)
'''


def run_guarded(tmp_path: Path, *argv: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run Python with an audit hook that records (and refuses) any socket or URL access,
    in this process and in the worker processes it forks."""
    guard = tmp_path / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    log = tmp_path / "network.log"
    log.write_text("", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{guard}{os.pathsep}{REPO}",
           "FLASHCARDS_NETWORK_LOG": str(log)}
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)
    return done, log.read_text(encoding="utf-8")


def test_the_network_guard_sees_a_connection(tmp_path: Path) -> None:
    done, log = run_guarded(tmp_path, "-c", "import socket; socket.create_connection("
                            "('192.0.2.1', 80), timeout=1)")
    assert done.returncode != 0 and "socket.getaddrinfo" in log


def test_no_network_during_a_build(tmp_path: Path) -> None:
    """Two decks full of remote addresses (so that the build runs in worker processes too):
    the build succeeds without opening a single socket."""
    root = tmp_path / "project"
    for name in ("hostile-remote-image", "hostile-fact-attribute"):
        make_project(Case.read(CASES / name), root / name)
    shutil.move(str(root / "hostile-fact-attribute" / "decks" / "hostile-fact-attribute"),
                root / "hostile-remote-image" / "decks")
    project = root / "hostile-remote-image"
    (project / "decks" / "hostile-fact-attribute" / "deck.yaml").write_text(
        DEFAULT_DECK.replace("Cas d’essai", "Deuxième cas"), encoding="utf-8")
    done, log = run_guarded(tmp_path, "-m", "flashcards", "build", "--root", str(project))
    assert done.returncode == 0, done.stderr
    assert len(list((project / "dist").glob("*.apkg"))) == 2
    assert log == ""


@pytest.mark.parametrize("case", HOSTILE, ids=lambda case: case.name)
def test_hostile_content_never_reaches_an_export(case: Case, tmp_path: Path) -> None:
    """The same holds for what students read without Anki: the CSV (Anki's text import
    reads it as HTML), the HTML page, and the Markdown sheet as a Markdown viewer renders
    it (raw HTML included: the authors' text shows as text, never as markup)."""
    root = make_project(case, tmp_path / "project")
    for format in ("csv", "html"):
        result = run_cli("export", "--format", format, "--root", str(root))
        assert result.exit_code == 0, result.output
        [exported] = (root / "dist").glob(f"*.{format}")
        text = exported.read_text(encoding="utf-8").lower()
        for needle in [*case.absent, "<script", "javascript:", "onerror=", "onload=",
                       "tracker.example"]:
            assert needle.lower() not in text, (format, needle)
    assert run_cli("export", "--format", "md", "--root", str(root)).exit_code == 0
    [sheet] = (root / "dist").glob("*.md")
    import pyromark

    shown = pyromark.html(sheet.read_text(encoding="utf-8"))
    assert active_markup(shown) == [], shown
    assert "\x1f" not in shown and "\x00" not in shown
