"""Grounding: is a quoted passage really in the seed article?

Compared after normalising Unicode, case, whitespace, quotes and apostrophes: the seed lost
many apostrophes (`dindépendance`), and a quote written `d'indépendance` must still match.
A quote may skip words with `[…]`; each part must then be found, in order.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from flashcards.load import read_text

_IGNORED = re.compile(r"[\s'’‘ʼ`´\"“”«»]+")
_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "…": "..."})
_ELLIPSIS = re.compile(r"\s*[\[(](?:…|\.\.\.)[\])]\s*")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_DASHES)
    return _IGNORED.sub("", text)


def quote_parts(quote: str) -> list[str]:
    return [part for part in _ELLIPSIS.split(quote) if normalise(part)]


@dataclass(frozen=True)
class Seed:
    """A source document in `seeds/`; its id is the file stem."""

    id: str
    path: Path
    text: str

    @classmethod
    def read(cls, path: Path) -> Seed:
        return cls(path.stem, path, read_text(path))

    @cached_property
    def normalised(self) -> str:
        return normalise(self.text)

    def contains(self, quote: str) -> bool:
        return _contains(self.normalised, quote)


@lru_cache(maxsize=65536)
def _contains(normalised_seed: str, quote: str) -> bool:
    start = 0
    parts = [normalise(part) for part in quote_parts(quote)]
    for part in parts:
        found = normalised_seed.find(part, start)
        if found < 0:
            return False
        start = found + len(part)
    return bool(parts)


def fold(text: str) -> str:
    """ASCII, lowercase: `Élan où` → `elan ou`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if len(w) > 2}


def closest_sentences(seed: Seed, text: str, count: int = 3) -> list[str]:
    """The seed's sentences closest to `text`: most of its words, then most alike."""
    from flashcards.coverage import split_sentences

    wanted = _words(text)
    key = normalise(text)

    def score(sentence: str) -> tuple[float, float]:
        shared = len(wanted & _words(sentence)) / len(wanted) if wanted else 0.0
        alike = difflib.SequenceMatcher(None, key, normalise(sentence)).ratio()
        return shared, alike

    sentences = list(dict.fromkeys(s.text for s in split_sentences(seed)))
    ranked = sorted(sentences, key=score, reverse=True)
    return [s for s in ranked[:count] if score(s)[0] > 0 or score(s)[1] > 0.3]
