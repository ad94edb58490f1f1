"""Check a package as a student receives it: import it into a throwaway collection of the real
Anki engine (the `anki` package, extra `flashcards[verify]`) and look at every card."""

from __future__ import annotations

import html
import json
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flashcards.file_kinds import ANKI_COLLECTIONS
from flashcards.project import UsageError

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.notes import Note

# What a collection inside a package starts with: SQLite, or zstd-compressed SQLite (anki21b).
_COLLECTION_MAGIC = {"collection.anki21b": b"\x28\xb5\x2f\xfd",
                     "collection.anki21": b"SQLite format 3\x00",
                     "collection.anki2": b"SQLite format 3\x00"}
# Anki renders a template problem as a message linking to this page of its manual.
_ANKI_ERROR_PAGE = "docs.ankiweb.net/templates/errors.html"
_BLANK_FRONT = "#front-of-card-is-blank"
_STYLE = re.compile(r"<style\b.*?</style>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_VISIBLE_ELEMENT = re.compile(r"<(img|audio|video|svg|object)\b|\[sound:|\[anki:tts", re.I)
_CLOZE = re.compile(r"\{\{c\d+::")
_CLOZE_NOTETYPE = 1  # a notetype's "type" in Anki: 0 standard, 1 cloze
# What a shared deck must not carry: Anki's reviewer runs scripts, and remote URLs leak
# students' addresses.
_ACTIVE = {
    "a <script>": re.compile(r"<script\b|javascript:", re.I),
    "an event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a remote URL": re.compile(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                               r"|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.I),
}
_TEMPLATE_REF = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)|\ssrc\s*=\s*(['"])([^'"{}]+)\3""",
                           re.I)
_NOT_A_FILE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//|^#")  # an address, data:, a fragment


def active_content(text: str) -> list[str]:
    """What in `text` would run or call out in Anki's reviewer."""
    return [what for what, pattern in _ACTIVE.items() if pattern.search(text)]


def template_references(text: str) -> set[str]:
    """Local files a template or its CSS loads (not remote, not data:, not field content)."""
    names = set()
    for match in _TEMPLATE_REF.finditer(text):
        ref = (match.group(2) or match.group(4) or "").strip()
        if ref and not _NOT_A_FILE.match(ref):
            names.add(html.unescape(ref))
    return names


class EngineMissing(UsageError):
    """The optional Anki engine is not installed."""


class PackageError(Exception):
    """The file is not a package Anki can import."""


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    note: str = ""  # the note's first field, shortened, for a human to find it
    guid: str = ""
    card_ord: int | None = None

    def __str__(self) -> str:
        where = f" (note {self.guid!r}: {self.note})" if self.guid else ""
        return f"{self.code}: {self.message}{where}"


@dataclass
class VerifyReport:
    package: Path
    notes: int = 0
    cards: int = 0
    decks: list[str] = field(default_factory=list)
    notetypes: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)  # deck name → HTML
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["package"] = str(self.package)
        data["ok"] = self.ok
        return data


def verify_package(path: Path) -> VerifyReport:
    """Import `path` as a student would (default options) into a fresh collection and report
    what arrived and every problem a student would meet. Raises UsageError for a missing file,
    PackageError for a file that is not an importable package, EngineMissing without the Anki
    engine."""
    path = Path(path)
    engine = _anki()
    unpacked = read_archive(path)
    from anki.errors import AnkiException

    with tempfile.TemporaryDirectory(prefix="flashcards-verify-") as tmp:
        col = engine.Collection(str(Path(tmp) / "collection.anki2"))
        try:
            request = engine.ImportAnkiPackageRequest(
                package_path=str(path),
                options=engine.ImportAnkiPackageOptions(with_scheduling=False))
            try:
                col.import_anki_package(request)
            except AnkiException as exc:
                raise PackageError(f"{path}: Anki cannot import it ({exc}); build it "
                                   "again") from None
            report = _inspect(col, path)
        finally:
            col.close()
    report.findings[:0] = unpacked
    return report


def _anki() -> Any:
    try:
        import anki.collection
    except ImportError:
        raise EngineMissing(
            "verify needs the Anki engine, which is not installed: "
            "pip install anki (or, from a clone of this repository, pip install '.[verify]')"
        ) from None
    return anki.collection


def read_archive(path: Path) -> list[Finding]:
    """Refuse what is not an .apkg before handing it to Anki, with a message that says why.
    Returns what Anki would skip without a word: media the package lists but does not hold."""
    if path.is_dir():
        raise UsageError(f"{path}: a folder, not a package (.apkg)")
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise PackageError(f"{path}: an empty file, not an Anki package; build it again")
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path}: not an Anki package (an .apkg is a zip archive; this file "
                           "is not one, or it is truncated)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            collections = [name for name in ANKI_COLLECTIONS if name in names]
            if not collections:
                raise PackageError(f"{path}: a zip archive but not an Anki package (no "
                                   "collection.anki2 inside)")
            for name in collections:
                with archive.open(name) as collection:
                    if collection.read(16)[:len(_COLLECTION_MAGIC[name])] \
                            != _COLLECTION_MAGIC[name]:
                        raise PackageError(f"{path}: damaged package ({name} is not an Anki "
                                           "collection); build it again")
            broken = archive.testzip()
            listed = _media_map(archive) if "media" in names else {}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackageError(f"{path}: damaged package ({exc}); build it again") from None
    if broken is not None:
        raise PackageError(f"{path}: damaged package ({broken} is corrupt); build it again")
    return [Finding("missing-media", f"the package lists {name!r} among its media but does "
                    "not hold it") for entry, name in sorted(listed.items()) if entry not in names]


def _media_map(archive: zipfile.ZipFile) -> dict[str, str]:
    """The legacy JSON media map (entry → file name); {} for another format, which Anki reads
    and reports itself."""
    try:
        listed = json.loads(archive.read("media").decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return {str(k): str(v) for k, v in listed.items()} if isinstance(listed, dict) else {}


def _text(rendered: str) -> str:
    return html.unescape(_TAG.sub("", _STYLE.sub("", rendered))).strip()


def _short(value: str, limit: int = 60) -> str:
    text = " ".join(_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _inspect(col: Collection, path: Path) -> VerifyReport:
    """What the import left in `col`, and every finding in it."""
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    card_ids = col.find_cards("")
    notetypes = {mid: col.models.get(mid) for mid in {note.mid for note in notes}}
    decks = _decks_with_parents({col.decks.name(col.get_card(cid).did) for cid in card_ids})
    descriptions = {}
    for name in decks:
        deck = col.decks.by_name(name)
        if deck and deck.get("desc"):
            descriptions[name] = deck["desc"]
    media = sorted(p.name for p in Path(col.media.dir()).iterdir() if p.is_file())
    report = VerifyReport(path, len(notes), len(card_ids), decks,
                          sorted(n["name"] for n in notetypes.values()), media, descriptions)
    if not notes:
        report.findings.append(Finding("empty-package", "the package holds no note: students "
                                       "would import nothing"))
    for note in notes:
        report.findings += _note_findings(note, notetypes[note.mid])
    for notetype in notetypes.values():
        report.findings += _notetype_findings(notetype, set(media))
    report.findings += [Finding("missing-media", f"a field references {name!r}, which the "
                                "package does not carry") for name in col.media.check().missing]
    return report


def _decks_with_parents(holding: set[str]) -> list[str]:
    """The decks that hold cards, with their parents: a parent carries the description."""
    return sorted({"::".join(name.split("::")[:depth]) for name in holding
                   for depth in range(1, name.count("::") + 2)})


def _note_findings(note: Note, notetype: dict[str, Any]) -> list[Finding]:
    label = _short(note.fields[0]) if note.fields else ""

    def finding(code: str, message: str, card_ord: int | None = None) -> Finding:
        return Finding(code, message, label, note.guid, card_ord)

    findings = []
    active = active_content("\n".join(note.fields))
    if active:
        findings.append(finding("active-content", f"a field holds {' and '.join(active)}"))
    cards = note.cards()
    if not cards:
        if notetype["type"] == _CLOZE_NOTETYPE and not any(_CLOZE.search(v) for v in note.fields):
            findings.append(finding("cloze-without-gap",
                                    "a cloze note without any {{c1::…}} gap has no card"))
        else:
            findings.append(finding("no-card", "the note has no card"))
    for card in cards:
        question, answer = card.question(), card.answer()
        if _BLANK_FRONT in question or (not _text(question)
                                        and not _VISIBLE_ELEMENT.search(question)):
            findings.append(finding("empty-front", "the front of the card is blank", card.ord))
        elif _ANKI_ERROR_PAGE in question or _ANKI_ERROR_PAGE in answer:
            problem = _text(question if _ANKI_ERROR_PAGE in question else answer)
            findings.append(finding("render-error", "Anki cannot render the card: "
                                    + problem.replace("More information", "").strip(),
                                    card.ord))
    return findings


def _notetype_findings(notetype: dict[str, Any], present: set[str]) -> list[Finding]:
    """Active content in a notetype's templates or CSS, and the files they load that did not
    reach the collection (Anki drops a template-only file whose name lacks a leading `_`)."""
    name = notetype["name"]
    texts = [notetype["css"]] + [t[side] for t in notetype["tmpls"] for side in ("qfmt", "afmt")]
    findings = []
    active = active_content("\n".join(texts))
    if active:
        findings.append(Finding("active-content", f"notetype {name!r} has "
                                f"{' and '.join(active)} in its templates or CSS"))
    for ref in sorted({ref for text in texts for ref in template_references(text)}):
        if ref not in present:
            why = ("Anki keeps a file used only by templates when its name starts with _"
                   if not ref.startswith("_") else "the package does not carry it")
            findings.append(Finding("missing-media", f"notetype {name!r} refers to {ref!r}, "
                                    f"which did not reach the collection ({why})"))
    return findings
