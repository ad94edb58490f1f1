"""French language helpers for templates: elision, capitals, sentences."""

from __future__ import annotations

import unicodedata

_VOWELS = set("aeiouyàâäéèêëîïôöùûüœæh")
_APOSTROPHE = "’"


def starts_with_vowel_sound(word: str) -> bool:
    first = unicodedata.normalize("NFC", word.strip()[:1]).lower()
    return bool(first) and first in _VOWELS


def elide(particle: str, word: str) -> str:
    """`que` + `Optimus` → `qu’Optimus`; `de` + `Tesla` → `de Tesla`."""
    word = word.strip()
    if particle in {"que", "de", "le", "la", "je", "me", "te", "se", "ne"} and \
            starts_with_vowel_sound(word):
        return f"{particle[:-1]}{_APOSTROPHE}{word}"
    return f"{particle} {word}"


def de(word: str) -> str:
    """Contract `de` with the article that starts `word`: `de le` → `du`, `de les` → `des`."""
    word = word.strip()
    lower = word.lower()
    if lower.startswith("le "):
        return "du " + word[3:]
    if lower.startswith("les "):
        return "des " + word[4:]
    return elide("de", word)


def capfirst(text: str) -> str:
    """Capitalise the first letter only (Jinja's `capitalize` lowercases the rest)."""
    text = str(text)
    return text[:1].upper() + text[1:]


def sentence(text: str) -> str:
    """End `text` with exactly one final punctuation mark."""
    text = str(text).rstrip()
    return text if text[-1:] in ".!?…" else text + "."
