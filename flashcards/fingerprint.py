"""An unchanged rebuild does no work: next to the package, the output folder keeps a record
of the build (`<out>/.flashcards/<slug>.build.json`: a digest of everything the build read
and of the package it wrote); when both still match, the package is already right.

The record lives with the output, not in the committed lock: the lock changes only when what
students get changes, never because the tool or another deck's seed did.

This module is on the start-up path of `flashcards build`: it imports nothing heavy."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path

DECK_INPUTS = ("deck.yaml", "cards.yaml", "facts.yaml", "templates.yaml", "style.css")
RECORD_DIR = ".flashcards"
_CODE = Path(__file__).resolve().parent
_SEED_LINE = re.compile(rb"""^seed:[ \t]*['"]?([^'"#\r\n]*?)['"]?[ \t]*(?:#[^\r\n]*)?\r?$""",
                        re.M)


def _feed(digest: hashlib._Hash, label: str, path: Path) -> None:
    digest.update(label.encode() + b"\0")
    try:
        if path.is_file():
            with path.open("rb") as handle:  # in pieces: a big deck's cards are 30 MB
                for piece in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(piece)
        else:
            digest.update(b"\0missing")
    except OSError:  # unreadable: not up to date; the build then says why
        digest.update(b"\0unreadable")
    digest.update(b"\0")


def seed_files(deck_dir: Path, seeds_dir: Path) -> list[Path]:
    """The deck's own seed (`seed:` in deck.yaml, read without YAML); every seed when the line
    cannot be read plainly, so that a seed edit is never missed."""
    if not seeds_dir.is_dir():
        return []
    try:
        found = _SEED_LINE.findall((deck_dir / "deck.yaml").read_bytes())
    except OSError:
        found = []
    seeds = sorted(p for p in seeds_dir.rglob("*") if p.is_file())
    if len(found) != 1:
        return seeds
    seed_id = found[0].decode("utf-8", "replace").strip()
    return [p for p in seeds if p.parent == seeds_dir and p.stem == seed_id]


def _inputs(deck_dir: Path, seeds_dir: Path) -> list[tuple[str, Path]]:
    """Every file a build of this deck reads but its lock, labelled: its files, media, seed
    and the tool's code."""
    files = [(name, deck_dir / name) for name in DECK_INPUTS]
    media = deck_dir / "media"
    if media.is_dir():
        files += [("media/" + path.relative_to(media).as_posix(), path)
                  for path in sorted(p for p in media.rglob("*") if p.is_file())]
    files += [("seeds/" + path.relative_to(seeds_dir).as_posix(), path)
              for path in seed_files(deck_dir, seeds_dir)]
    files += [("code/" + path.relative_to(_CODE).as_posix(), path)
              for path in sorted(_CODE.rglob("*"))
              if path.suffix in (".py", ".yaml") and path.is_file()]
    return files


def inputs_digest(deck_dir: Path, seeds_dir: Path, lock: bytes | None = None) -> str:
    """Every byte a build of this deck reads: its files, media, lock (`lock`: the bytes the
    build leaves, else the file's), its seed and the tool's code."""
    digest = hashlib.sha256()
    files = _inputs(deck_dir, seeds_dir)
    for label, path in files[:len(DECK_INPUTS)]:
        _feed(digest, label, path)
    digest.update(b"lock\0")
    if lock is None:
        try:
            lock = (deck_dir / "flashcards.lock").read_bytes()
        except OSError:
            lock = b"\0missing"
    digest.update(lock)  # not `lock + b"\0"`: a copy of a big deck's lock
    digest.update(b"\0")
    for label, path in files[len(DECK_INPUTS):]:
        _feed(digest, label, path)
    return digest.hexdigest()


def stats_digest(deck_dir: Path, seeds_dir: Path, package: Path) -> str | None:
    """The size, modification and change times, inode and mode of every input, the lock and
    the package: when they are what they were at the last build, so are the files (a
    changed mode or a forged mtime changes the change time), and nothing needs reading
    (a 100,000-card deck has 60 MB of sources and lock to hash). None on a filesystem whose
    timestamps are whole seconds, where an edit in the second of a build would go unseen:
    the contents are compared instead."""
    digest = hashlib.sha256()
    lock = deck_dir / "flashcards.lock"
    for label, path in [*_inputs(deck_dir, seeds_dir), ("lock", lock), ("package", package)]:
        try:
            stat = path.stat()
        except OSError:
            digest.update(f"{label}\0missing\0".encode())
            continue
        if stat.st_mtime_ns % 1_000_000_000 == 0:
            return None
        digest.update(f"{label}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0"
                      f"{stat.st_ino}\0{stat.st_mode}\0".encode())
    return digest.hexdigest()


def file_digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def record_path(package: Path) -> Path:
    """Where the build record of `<out>/<slug>.apkg` is kept."""
    return package.parent / RECORD_DIR / (package.stem + ".build.json")


def record_bytes(inputs: str, package: str, notes: int, cards: int,
                 stats: str | None = None) -> bytes:
    return json.dumps({"inputs": inputs, "package": package, "notes": notes,
                       "cards": cards, "stats": stats}).encode() + b"\n"


def write_record(deck_dir: Path, seeds_dir: Path, package: Path, record: bytes) -> None:
    """Keep `record` for `package`, with the stats of the files as they are now in place."""
    from flashcards.write import write_atomic

    value = json.loads(record)
    value["stats"] = stats_digest(deck_dir, seeds_dir, package)
    path = record_path(package)
    path.parent.mkdir(exist_ok=True)
    data = record_bytes(**value)
    write_atomic(path, lambda handle: handle.write(data))


def recorded(package: Path) -> dict:
    """The build record of `package`, or {} when there is none (or it is unreadable)."""
    try:
        value = json.loads(record_path(package).read_bytes())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def up_to_date(deck_dir: Path, seeds_dir: Path, package: Path) -> dict | None:
    """The build record when `package` is exactly what these inputs build, else None."""
    build = recorded(package)
    if not build:
        return None
    stats = stats_digest(deck_dir, seeds_dir, package)
    if stats is not None and build.get("stats") == stats:
        return build
    if build.get("inputs") == inputs_digest(deck_dir, seeds_dir) \
            and build.get("package") == file_digest(package):
        if stats is not None:  # same contents, touched files (a checkout): next time, stats
            with contextlib.suppress(OSError, ValueError, TypeError):
                write_record(deck_dir, seeds_dir, package, record_path(package).read_bytes())
        return build
    return None
