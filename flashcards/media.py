"""Media: images and sounds referenced from cards, fonts and images from the deck's CSS.

A card refers to a file of the deck's `media/` folder by its path (`![](media/carte.png)`,
`[sound:media/lecture.mp3]`, `url(media/police.woff2)` in `style.css`). The package carries
it under a content-hashed name, and the reference is rewritten to that name: two decks (or two
versions of one file) never overwrite each other in a student's collection. Files used only by
the CSS get a `_` prefix, or Anki drops them; Anki never replaces an existing `_` file, so the
hash in the name is what delivers a new version (see ANKI-NOTES.md).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from flashcards.check import note_diagnostic
from flashcards.diagnostics import Diagnostic, Position, Severity, SourceError
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import PackedNote, note_fields

MEDIA_DIR = "media"
QUOTED_FIELD = "Source"
# References as they appear in rendered fields: Markdown images become <img src="…">, and
# render.neutralise_anki_markup turns the author's `[sound:` into `&#91;sound:`. Only a sound
# naming a path (`[sound:media/x.mp3]`) is one: a bare `[sound:x]` stays text, as it may come
# from an article.
_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
_SOUND = re.compile(r"&#91;sound:([^\]<>\n]*[/\\][^\]<>\n]*)\]")
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class MediaProblem(Exception):
    """A reference that names no usable file of the deck; `hint` says how to fix it."""

    def __init__(self, message: str, hint: str, *, severity: Severity = Severity.ERROR
                 ) -> None:
        super().__init__(message)
        self.hint = hint
        self.severity = severity


@dataclass(frozen=True)
class DeckMedia:
    """What a deck's package carries: notes and CSS with rewritten references, the files."""

    notes: list[PackedNote]
    css: str
    files: list[tuple[str, Path]]  # (name in the package, file), sorted by name


def resolve(deck_dir: Path, reference: str) -> Path:
    """The file of `deck_dir/media/` that `reference` names; MediaProblem when it is missing
    or not inside the deck's media folder (`..`, an absolute path, a symlink out)."""
    ref = html.unescape(reference).strip()
    if "%" in ref and not (deck_dir / ref).exists():
        ref = unquote(ref)  # Markdown percent-encodes what it puts in a URL: `vélo` → `v%C3%A9lo`
    where = f"put the file in {deck_dir / MEDIA_DIR} and refer to it as media/<name>"
    if not ref:
        raise MediaProblem("an empty media reference", where)
    if ref.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", ref):
        raise MediaProblem(f"media {ref!r} is an absolute path", where)
    if _SCHEME.match(ref) or ref.startswith("//"):
        raise MediaProblem(f"media {ref!r} is an address, not a file of the deck", where)
    parts = PurePosixPath(ref.replace("\\", "/")).parts
    if len(parts) == 1 and ref not in ("..", "."):
        # A bare name: a file of media/ by that name, else text Anki will not find (a
        # warning: article text may hold such names).
        if not (deck_dir / MEDIA_DIR / ref).exists():
            raise MediaProblem(f"media {ref!r} is not a file of the deck's {MEDIA_DIR}/ "
                               "folder: students would see nothing", where,
                               severity=Severity.WARNING)
        parts = (MEDIA_DIR, ref)
    if ".." in parts:
        raise MediaProblem(f"media {ref!r} points outside the deck folder", where)
    if not parts or parts[0] != MEDIA_DIR or len(parts) < 2:
        raise MediaProblem(f"media {ref!r} is not in the deck's {MEDIA_DIR}/ folder", where)
    path = deck_dir.joinpath(*parts)
    if not path.exists():
        raise MediaProblem(f"media file {ref!r} not found",
                           f"{where}; files there: {_some_media_files(deck_dir)}")
    real = path.resolve()
    if not real.is_relative_to((deck_dir / MEDIA_DIR).resolve()):
        raise MediaProblem(f"media {ref!r} is a link to a file outside the deck's "
                           f"{MEDIA_DIR}/ folder ({real})",
                           f"copy the file into {deck_dir / MEDIA_DIR}")
    if not real.is_file():
        raise MediaProblem(f"media {ref!r} is not a file", where)
    return real


def _some_media_files(deck_dir: Path, shown: int = 8) -> str:
    folder = deck_dir / MEDIA_DIR
    if not folder.is_dir():
        return "none"
    names = sorted(p.relative_to(deck_dir).as_posix() for p in folder.rglob("*") if p.is_file())
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "") or "none"


# Keyed on size and modification time too: a file edited between two builds of one process
# (`flashcards watch`) is hashed again.
@lru_cache(maxsize=4096)
def _digest(path: Path, size: int, mtime: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def packed_name(path: Path, *, template_only: bool = False) -> str:
    """`carte.png` → `carte-<hash>.png`; `_police-<hash>.woff2` for a template-only file. The
    name keeps to characters Anki never rewrites."""
    stat = path.stat()
    digest = _digest(path, stat.st_size, stat.st_mtime_ns)
    stem = _UNSAFE_NAME.sub("-", path.stem).strip("-_")[:60] or "media"
    suffix = re.sub(r"[^A-Za-z0-9.]", "", path.suffix)[:12].lower()
    return f"{'_' if template_only else ''}{stem}-{digest}{suffix}"


def _author_fields(card_type: CardType, values: Sequence[str]) -> list[str]:
    """The fields an author wrote: not the passage quoted from the article, whose text is
    never read as markup."""
    names = NOTETYPES[card_type].field_names
    return [v for n, v in zip(names, values, strict=True) if n != QUOTED_FIELD]


def field_references(value: str) -> list[str]:
    """The media a rendered field refers to, in order."""
    return [m.group(2) for m in _IMG_SRC.finditer(value)] + _SOUND.findall(value)


def replace_references(value: str, image: Callable[[str], str],
                       sound: Callable[[str], str]) -> str:
    """`value` with each image's source replaced by `image(reference)` (HTML-escaped) and each
    sound, `[sound:…]` included, by `sound(reference)`."""
    value = _IMG_SRC.sub(lambda m: m.group(1) + html.escape(image(m.group(2))) + m.group(3),
                         value)
    return _SOUND.sub(lambda m: sound(m.group(1)), value)


def _names_a_file(css_url: str) -> bool:
    return not css_url.startswith(("data:", "#"))  # not inline data, not an SVG fragment


def css_references(css: str) -> Iterable[tuple[str, int]]:
    """`url(…)` references of a style sheet to local files, with their offsets."""
    for match in _CSS_URL.finditer(css):
        ref = match.group(2).strip()
        if _names_a_file(ref):
            yield ref, match.start(2)


def replace_css_references(css: str, replace: Callable[[str], str]) -> str:
    """`css` with each `url(…)` naming a file replaced by `url("<replace(reference)>")`."""

    def url(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        return f'url("{replace(ref)}")' if _names_a_file(ref) else match.group(0)

    return _CSS_URL.sub(url, css)


def check_media(deck_dir: Path, notes: Sequence[NoteSpec], language: str, css: str = "",
                css_file: Path | None = None) -> list[Diagnostic]:
    """A diagnostic at the note's file:line (or the CSS's line:column) for every media
    reference that does not resolve: an error, or a warning for a bare name that may be text."""
    problems = []
    for note in notes:
        # An image needs `![` or `<img`, a sound `[sound:`; an entity (`&#91;`) may spell
        # either. Without them, nothing could render to an image or a sound: skip rendering.
        text = "".join(note.fields.values())
        if "<" not in text and "[" not in text and "&" not in text:
            continue
        for value in _author_fields(note.type, note_fields(note, language)):
            for ref in field_references(value):
                try:
                    resolve(deck_dir, ref)
                except MediaProblem as exc:
                    problems.append(note_diagnostic(note, str(exc), exc.hint, "media",
                                                    exc.severity))
    for ref, offset in css_references(css):
        try:
            resolve(deck_dir, ref)
        except MediaProblem as exc:
            problems.append(Diagnostic(css_file or deck_dir / "style.css", str(exc), exc.hint,
                                       Position.of_offset(css, offset), code="media",
                                       severity=exc.severity))
    return problems


def pack_media(deck_dir: Path, notes: Sequence[PackedNote], css: str = "") -> DeckMedia:
    """Rewrite every reference to its content-hashed name and list the files to carry."""
    packer = MediaPacker(deck_dir, css)
    rewritten = packer.rewrite(notes)
    packer.raise_problems()
    return DeckMedia(rewritten, packer.css, packer.files())


class MediaPacker:
    """`pack_media` a chunk of notes at a time: the style sheet first (the notetypes need
    it), then each chunk; `raise_problems` once every note is rewritten."""

    def __init__(self, deck_dir: Path, css: str = "") -> None:
        self.deck_dir = deck_dir
        self._files: dict[str, Path] = {}
        self._problems: list[str] = []
        self.css = replace_css_references(css, lambda ref: self._rename(ref, template_only=True))
        self._css_problems, self._problems = self._problems, []  # reported after the notes'

    def _rename(self, ref: str, *, template_only: bool = False) -> str:
        try:
            path = resolve(self.deck_dir, ref)
        except MediaProblem as exc:  # check_media reports these with file:line first
            if exc.severity is Severity.ERROR:
                self._problems.append(str(exc))
            return ref
        name = packed_name(path, template_only=template_only)
        self._files[name] = path
        return name

    def _rewrite(self, value: str) -> str:
        return replace_references(value, self._rename,
                                  lambda ref: f"[sound:{self._rename(ref)}]")

    def rewrite(self, notes: Sequence[PackedNote]) -> list[PackedNote]:
        rewritten = []
        for note in notes:
            text = "".join(note.fields)
            if "<img" not in text and "&#91;sound:" not in text:
                rewritten.append(note)
                continue
            names = NOTETYPES[note.type].field_names
            fields = tuple(value if name == QUOTED_FIELD else self._rewrite(value)
                           for name, value in zip(names, note.fields, strict=True))
            rewritten.append(replace(note, fields=fields))
        return rewritten

    def problems(self) -> list[str]:
        """The notes' unresolved references so far (not the style sheet's)."""
        return list(self._problems)

    def merge(self, files: list[tuple[str, Path]], problems: list[str]) -> None:
        """What another packer found in other notes (a forked child's)."""
        self._files.update(files)
        self._problems.extend(problems)

    def files(self) -> list[tuple[str, Path]]:
        """The files to carry, under their names in the package."""
        return sorted(self._files.items())

    def raise_problems(self) -> None:
        problems = self._problems + self._css_problems
        if problems:
            raise SourceError([Diagnostic(self.deck_dir, p, code="media") for p in problems])
