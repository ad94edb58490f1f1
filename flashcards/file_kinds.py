"""What a file given to `init` or `import` really is, from its first bytes: teachers pick a
Word document for an article, or an Excel workbook for a spreadsheet, and deserve better than
"invalid character U+0003"."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

# The collection entries of an Anki package, the one Anki prefers first: zstd-compressed
# SQLite (Anki ≥ 2.1.50), then the legacy SQLite ones.
ANKI_COLLECTIONS = ("collection.anki21b", "collection.anki21", "collection.anki2")
# Where a zip's entries say which program wrote it.
_ZIP_MARKERS = (
    ("word/", "a Word document (.docx)"),
    ("xl/", "an Excel workbook (.xlsx)"),
    ("ppt/", "a PowerPoint presentation (.pptx)"),
    ("collection.anki", "an Anki package (.apkg)"),
)
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "a LibreOffice document (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "a LibreOffice spreadsheet (.ods)",
}
_MAGIC = (
    (b"%PDF", "a PDF"),
    (b"{\\rtf", "an RTF document (.rtf)"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc or .xls)"),
    (b"SQLite format 3\0", "an SQLite database"),
)


def binary_kind(path: Path) -> str | None:
    """`path`'s kind when it is a document or an archive rather than text, e.g. "a Word
    document (.docx)"; None for anything else."""
    with path.open("rb") as handle:
        head = handle.read(16)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype").decode(errors="replace").strip() \
                if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, EOFError, zlib.error):
        return "a zip archive"
    if mimetype in _OPENDOCUMENT:
        return _OPENDOCUMENT[mimetype]
    for prefix, kind in _ZIP_MARKERS:
        if any(name.startswith(prefix) for name in names):
            return kind
    return "a zip archive"
