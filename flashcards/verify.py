"""Check a package as a student receives it: import it into a throwaway collection of the real
Anki engine (the `anki` package, extra `flashcards[verify]`) and look at every card."""

from __future__ import annotations

import html
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flashcards.project import UsageError

COLLECTION_NAMES = ("collection.anki21b", "collection.anki21", "collection.anki2")
# Anki renders a template problem as a message linking to this page of its manual.
_ANKI_ERROR_PAGE = "docs.ankiweb.net/templates/errors.html"
_BLANK_FRONT = "#front-of-card-is-blank"
_STYLE = re.compile(r"<style\b.*?</style>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_VISIBLE_ELEMENT = re.compile(r"<(img|audio|video|svg|object)\b|\[sound:|\[anki:tts", re.I)
_CLOZE = re.compile(r"\{\{c\d+::")
# What a shared deck must not carry: Anki's reviewer runs scripts, and remote URLs leak
# students' addresses.
_ACTIVE = {
    "a <script>": re.compile(r"<script\b|javascript:", re.I),
    "an event-handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "a remote URL": re.compile(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//"
                               r"|url\(\s*[\"']?\s*(?:https?:)?//|@import", re.I),
}


def active_content(text: str) -> list[str]:
    """What in `text` would run or call out in Anki's reviewer."""
    return [what for what, pattern in _ACTIVE.items() if pattern.search(text)]


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

    def to_dict(self) -> dict:
        data = asdict(self)
        data["package"] = str(self.package)
        data["ok"] = self.ok
        return data


def _anki():
    try:
        import anki.collection
    except ImportError:
        raise EngineMissing(
            "verify needs the Anki engine, which is not installed: "
            "pip install 'flashcards[verify]'") from None
    return anki.collection


def check_archive(path: Path) -> list[Finding]:
    """Refuse what is not an .apkg before handing it to Anki, with a message that says why.
    Returns what Anki would silently skip: media listed by the package but not in it."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path}: not an Anki package (an .apkg is a zip archive; this file "
                           "is not one, or it is truncated)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if not names & set(COLLECTION_NAMES):
                raise PackageError(f"{path}: a zip archive but not an Anki package (no "
                                   "collection.anki2 inside)")
            broken = archive.testzip()
            listed = _media_map(archive) if "media" in names else {}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackageError(f"{path}: damaged package ({exc})") from None
    if broken is not None:
        raise PackageError(f"{path}: damaged package ({broken} is corrupt); build it again")
    return [Finding("missing-media", f"the package lists {name!r} among its media but does "
                    "not hold it") for entry, name in sorted(listed.items()) if entry not in names]


def _media_map(archive: zipfile.ZipFile) -> dict[str, str]:
    """The legacy JSON media map (entry → file name); {} for another format, which Anki reads
    and reports itself."""
    import json

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


def verify_package(path: Path) -> VerifyReport:
    """Import `path` as a student would (default options) into a fresh collection and report
    what arrived and every problem a student would meet. Raises PackageError for a file that
    is not an importable package, EngineMissing without the Anki engine."""
    path = Path(path)
    collection_module = _anki()
    unpacked = check_archive(path)
    from anki.errors import AnkiException

    with tempfile.TemporaryDirectory(prefix="flashcards-verify-") as tmp:
        col = collection_module.Collection(str(Path(tmp) / "collection.anki2"))
        try:
            request = collection_module.ImportAnkiPackageRequest(
                package_path=str(path),
                options=collection_module.ImportAnkiPackageOptions(with_scheduling=False))
            try:
                col.import_anki_package(request)
            except AnkiException as exc:
                raise PackageError(f"{path}: Anki cannot import it: {exc}") from None
            report = _inspect(col, path)
            report.findings[:0] = unpacked
            return report
        finally:
            col.close()


def _inspect(col, path: Path) -> VerifyReport:
    report = VerifyReport(path)
    note_ids = col.find_notes("")
    report.notes = len(note_ids)
    report.cards = len(col.find_cards(""))
    holding = {col.decks.name(col.get_card(cid).did) for cid in col.find_cards("")}
    # With the parents of the decks that hold cards: a parent carries the description.
    report.decks = sorted({"::".join(name.split("::")[:i]) for name in holding
                           for i in range(1, name.count("::") + 2)})
    for name in report.decks:
        deck = col.decks.by_name(name)
        if deck and deck.get("desc"):
            report.descriptions[name] = deck["desc"]
    notetypes: dict[int, dict] = {}
    for nid in note_ids:
        note = col.get_note(nid)
        notetype = notetypes.setdefault(note.mid, note.note_type())
        label = _short(note.fields[0]) if note.fields else ""

        def find(code: str, message: str, ord: int | None = None, *, _n=note, _l=label) -> None:
            report.findings.append(Finding(code, message, _l, _n.guid, ord))

        active = active_content("\n".join(note.fields))
        if active:
            find("active-content", f"a field holds {' and '.join(active)}")
        cards = note.cards()
        if not cards:
            if notetype["type"] == 1 and not any(_CLOZE.search(v) for v in note.fields):
                find("cloze-without-gap", "a cloze note without any {{c1::…}} gap has no card")
            else:
                find("no-card", "the note has no card")
        for card in cards:
            question, answer = card.question(), card.answer()
            if _BLANK_FRONT in question or (not _text(question)
                                            and not _VISIBLE_ELEMENT.search(question)):
                find("empty-front", "the front of the card is blank", card.ord)
            elif _ANKI_ERROR_PAGE in question or _ANKI_ERROR_PAGE in answer:
                problem = _text(question if _ANKI_ERROR_PAGE in question else answer)
                find("render-error", "Anki cannot render the card: "
                     + problem.replace("More information", "").strip(), card.ord)
    for notetype in notetypes.values():
        templates = [notetype["css"]] + [t[k] for t in notetype["tmpls"] for k in ("qfmt", "afmt")]
        active = active_content("\n".join(templates))
        if active:
            report.findings.append(Finding(
                "active-content", f"notetype {notetype['name']!r} has {' and '.join(active)} "
                "in its templates or CSS"))
    report.notetypes = sorted(n["name"] for n in notetypes.values())
    media_dir = Path(col.media.dir())
    report.media = sorted(p.name for p in media_dir.iterdir() if p.is_file())
    check = col.media.check()
    for name in check.missing:
        report.findings.append(Finding("missing-media", f"a field references {name!r}, which "
                                       "the package does not carry"))
    present = set(report.media)
    for notetype in notetypes.values():
        texts = [notetype["css"]] + [t[k] for t in notetype["tmpls"] for k in ("qfmt", "afmt")]
        for name in sorted({ref for text in texts for ref in template_references(text)}):
            if name not in present:
                hint = ("Anki keeps a file used only by templates when its name starts with _"
                        if not name.startswith("_") else "the package does not carry it")
                report.findings.append(Finding(
                    "missing-media", f"notetype {notetype['name']!r} refers to {name!r}, which "
                    f"did not reach the collection ({hint})"))
    return report


_TEMPLATE_REF = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)|\ssrc\s*=\s*(['"])([^'"{}]+)\3""",
                           re.I)


def template_references(text: str) -> set[str]:
    """Local files a template or its CSS loads (not remote, not data:, not field content)."""
    names = set()
    for match in _TEMPLATE_REF.finditer(text):
        ref = (match.group(2) or match.group(4) or "").strip()
        if ref and not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//|^#", ref):
            names.add(html.unescape(ref))
    return names
