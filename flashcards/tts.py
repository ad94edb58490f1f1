"""Anki's built-in text-to-speech on the question side (`tts: true` in deck.yaml).

Only the front templates change ({{tts fr_FR:Question}} after the question): the notetype
keeps its id and its fields, so the change reaches students as a template update, like a CSS
change, and their reviews stay."""

from __future__ import annotations

import re
from dataclasses import replace

from flashcards.notetypes import Notetype

_FRONT_FIELD = re.compile(r"\{\{(cloze:|type:)?(\w+)\}\}")
_REGIONS = {"fr": "FR", "en": "US", "de": "DE", "es": "ES", "it": "IT", "pt": "PT",
            "nl": "NL", "ja": "JP", "zh": "CN", "ru": "RU", "pl": "PL", "sv": "SE"}


def voice(language: str) -> str:
    """`fr` → `fr_FR`, `fr-CA` → `fr_CA`: the language code Anki's TTS tag takes."""
    base, _, region = language.partition("-")
    region = region.upper() or _REGIONS.get(base, base.upper())
    return f"{base}_{region}"


def with_tts(notetype: Notetype, language: str) -> Notetype:
    """The notetype whose question side also reads its main field aloud."""
    lang = voice(language)
    templates = []
    for template in notetype.templates:
        match = next((m for m in _FRONT_FIELD.finditer(template.front)
                      if m.group(1) != "type:"), None)
        if match is None:
            templates.append(template)
            continue
        spoken = ("cloze:" if match.group(1) == "cloze:" else "") + match.group(2)
        templates.append(replace(template,
                                 front=f"{template.front}{{{{tts {lang}:{spoken}}}}}"))
    return replace(notetype, templates=tuple(templates))
