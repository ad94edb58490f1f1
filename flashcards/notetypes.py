"""The four notetypes every deck uses. Their ids, and the ids of their fields and templates,
are fixed forever: Anki matches notetypes by id and fields by id, and a changed id or field
list makes students' copies conflict (see ANKI-NOTES.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from flashcards.models import CardType

CSS = """\
.card { font-family: "Source Sans 3", "Segoe UI", system-ui, sans-serif; font-size: 22px;
  line-height: 1.45; text-align: center; color: #1d1d1f; background: #fdfdfb;
  max-width: 40em; margin: 0 auto; padding: 0 .5em; }
.nightMode.card, .night_mode .card { color: #ececec; background: #1e1e1e; }
.question { font-weight: 600; }
.answer { margin-top: .4em; }
.extra { margin-top: 1em; font-size: .8em; color: #555; }
.source { margin: 1.2em auto 0; padding: .5em .9em; max-width: 34em; font-size: .7em;
  text-align: left; font-style: italic; color: #555; border-left: 3px solid #b8b8b8; }
.nightMode .extra, .nightMode .source { color: #aaa; }
.source-label { display: block; font-style: normal; font-weight: 600; font-size: .85em; }
.cloze { font-weight: 700; color: #0b63c5; }
.nightMode .cloze { color: #7fb8ff; }
ul, ol { text-align: left; display: inline-block; }
"""

BACK_MATTER = (
    '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}'
    '{{#Source}}<div class="source"><span class="source-label">Source</span>{{Source}}</div>'
    "{{/Source}}"
)


@dataclass(frozen=True)
class FieldDef:
    name: str
    id: int


@dataclass(frozen=True)
class TemplateDef:
    name: str
    id: int
    front: str
    back: str


@dataclass(frozen=True)
class Notetype:
    """A notetype as shipped: genanki's model is built from this."""

    card_type: CardType
    id: int
    name: str
    fields: tuple[FieldDef, ...]
    templates: tuple[TemplateDef, ...]
    is_cloze: bool = False
    css: str = CSS

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def schema_hash(self) -> str:
        """Changes only when a field is added or removed: what Anki cannot update in place."""
        return _digest([f.id for f in self.fields])

    def content_hash(self) -> str:
        """Changes with anything students would see: names, templates, CSS."""
        return _digest([self.name, [(f.id, f.name) for f in self.fields],
                        [(t.id, t.name, t.front, t.back) for t in self.templates], self.css])


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def _qa_fields(base: int) -> tuple[FieldDef, ...]:
    return (FieldDef("Question", base + 1), FieldDef("Answer", base + 2),
            FieldDef("Extra", base + 3), FieldDef("Source", base + 4))


_QUESTION = '<div class="question">{{Question}}</div>'
_ANSWER = '<div class="answer">{{Answer}}</div>'

BASIC = Notetype(
    CardType.BASIC, 1_733_001_000, "flashcards · Basic", _qa_fields(7_301_001_000),
    (TemplateDef("Card 1", 7_301_001_101, _QUESTION,
                 _QUESTION + '<hr id="answer">' + _ANSWER + BACK_MATTER),),
)

REVERSE = Notetype(
    CardType.REVERSE, 1_733_002_000, "flashcards · Basic and reversed",
    _qa_fields(7_301_002_000),
    (TemplateDef("Card 1", 7_301_002_101, _QUESTION,
                 _QUESTION + '<hr id="answer">' + _ANSWER + BACK_MATTER),
     TemplateDef("Card 2", 7_301_002_102, _ANSWER,
                 _ANSWER + '<hr id="answer">' + _QUESTION + BACK_MATTER)),
)

TYPE_IN = Notetype(
    CardType.TYPE_IN, 1_733_003_000, "flashcards · Type the answer", _qa_fields(7_301_003_000),
    (TemplateDef("Card 1", 7_301_003_101, _QUESTION + "{{type:Answer}}",
                 _QUESTION + '<hr id="answer">{{type:Answer}}' + BACK_MATTER),),
)

CLOZE = Notetype(
    CardType.CLOZE, 1_733_004_000, "flashcards · Cloze",
    (FieldDef("Text", 7_301_004_001), FieldDef("Extra", 7_301_004_003),
     FieldDef("Source", 7_301_004_004)),
    (TemplateDef("Cloze", 7_301_004_101, '<div class="question">{{cloze:Text}}</div>',
                 '<div class="question">{{cloze:Text}}</div>' + BACK_MATTER),),
    is_cloze=True,
)

NOTETYPES: dict[CardType, Notetype] = {n.card_type: n for n in (BASIC, REVERSE, TYPE_IN, CLOZE)}
