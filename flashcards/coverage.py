"""Coverage: which sentences of the seed are taught by at least one card.

How sentences are counted:
- the seed is split into paragraphs (its lines) and each paragraph into sentences;
- a sentence is *factual* unless it is a heading (a one-sentence line with no final
  punctuation), a
  question (ends with `?`), shorter than five words, or comes after the article's closing
  reader questions (a paragraph `Et vous ?`) or a `Sources :` line;
- a sentence is *covered* when the `source` of a card or fact overlaps it by at least
  half of its length or by at least 40 characters (compared as in grounding: case, spaces,
  quotes and apostrophes ignored).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from flashcards.grounding import Seed, normalise, quote_parts
from flashcards.models import NoteSpec

_SENTENCE_END = re.compile(r"(?<=[.!?…»])\s+(?=[«A-ZÀ-ÖØ-Þ0-9\"“-])")
MIN_WORDS = 5
MIN_OVERLAP = 40
_END_MARKERS = ("Et vous ?", "Sources :", "Sources:")


@dataclass
class Sentence:
    paragraph: int
    text: str
    start: int  # offsets in the seed's normalised text
    end: int
    factual: bool
    notes: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.notes)


@dataclass
class Coverage:
    seed: Seed
    sentences: list[Sentence]

    @property
    def factual(self) -> list[Sentence]:
        return [s for s in self.sentences if s.factual]

    @property
    def ratio(self) -> float:
        factual = self.factual
        return sum(s.covered for s in factual) / len(factual) if factual else 1.0

    def paragraphs(self) -> list[tuple[int, list[Sentence]]]:
        grouped: dict[int, list[Sentence]] = {}
        for sentence in self.sentences:
            grouped.setdefault(sentence.paragraph, []).append(sentence)
        return sorted(grouped.items())


def normalised_offsets(text: str) -> list[int]:
    """For each character of `text`, the length of the normalised text before it."""
    offsets, total = [], 0
    for char in text:
        offsets.append(total)
        total += len(normalise(char))
    offsets.append(total)
    return offsets


def split_sentences(seed: Seed) -> list[Sentence]:
    offsets = normalised_offsets(seed.text)
    sentences: list[Sentence] = []
    position = 0
    ended = False
    for number, line in enumerate(seed.text.split("\n"), start=1):
        line_start = position
        position += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(_END_MARKERS):
            ended = True
        parts = _SENTENCE_END.split(line)
        heading = len(parts) == 1 and stripped[-1] not in ".!?…»\"”"
        cursor = 0
        for part in parts:
            index = line.index(part, cursor)
            cursor = index + len(part)
            text = part.strip()
            if not text:
                continue
            start = offsets[line_start + index]
            end = offsets[line_start + index + len(part)]
            factual = not (ended or heading or text.endswith("?")
                           or len(text.split()) < MIN_WORDS)
            sentences.append(Sentence(number, text, start, end, factual))
    return sentences


def source_spans(seed: Seed, source: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for part in quote_parts(source):
        key = normalise(part)
        found = seed.normalised.find(key, start)
        if found < 0:
            return []
        spans.append((found, found + len(key)))
        start = found + len(key)
    return spans


def measure(seed: Seed, notes: Sequence[NoteSpec]) -> Coverage:
    sentences = split_sentences(seed)
    for note in notes:
        if not note.source:
            continue
        for start, end in source_spans(seed, note.source):
            for sentence in sentences:
                overlap = min(end, sentence.end) - max(start, sentence.start)
                length = sentence.end - sentence.start
                if overlap > 0 and (overlap * 2 >= length or overlap >= MIN_OVERLAP) \
                        and note.id not in sentence.notes:
                    sentence.notes.append(note.id)
    return Coverage(seed, sentences)


def table(coverage: Coverage) -> list[tuple[str, int, int, str]]:
    """Rows: paragraph (line and first words), factual sentences, covered, percent."""
    rows = []
    for number, sentences in coverage.paragraphs():
        factual = [s for s in sentences if s.factual]
        if not factual:
            continue
        covered = sum(s.covered for s in factual)
        label = f"{number:>3} {' '.join(sentences[0].text.split()[:6])}…"
        rows.append((label, len(factual), covered, f"{100 * covered / len(factual):.0f}%"))
    return rows


def _card_label(note: NoteSpec) -> str:
    return (note.fields.get("Question") or note.fields.get("Text") or "").strip()


def html_report(coverage: Coverage, title: str, notes: Sequence[NoteSpec]) -> str:
    """The article with covered sentences highlighted, each linked to its cards."""
    parts = [
        "<!doctype html><html lang='fr'><meta charset='utf-8'>",
        f"<title>{html.escape(title)} — couverture</title>",
        "<style>body{font:17px/1.6 system-ui,sans-serif;max-width:46em;margin:2em auto;"
        "padding:0 1em;color:#222}.covered{background:#d9f2d9}.missing{background:#ffe0e0}"
        ".other{color:#888}.cards{font-size:.7em;vertical-align:super}"
        ".cards a{color:#246;margin-left:.2em}li:target{background:#fff3b0}</style>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p><strong>{100 * coverage.ratio:.1f} %</strong> des phrases factuelles "
        f"({sum(s.covered for s in coverage.factual)} / {len(coverage.factual)}) sont "
        "enseignées par au moins une carte. <span class='covered'>Couverte</span> · "
        "<span class='missing'>non couverte</span> · <span class='other'>non factuelle"
        "</span></p>",
    ]
    anchors = {note.id: f"card-{i}" for i, note in enumerate(notes)}
    for _, sentences in coverage.paragraphs():
        spans = []
        for sentence in sentences:
            css = "covered" if sentence.covered else "missing" if sentence.factual else "other"
            links = "".join(f"<a href='#{anchors[i]}' title='{html.escape(i)}'>{n}</a>"
                            for n, i in enumerate(sentence.notes, start=1) if i in anchors)
            cards = f"<span class='cards'>{links}</span>" if links else ""
            spans.append(f"<span class='{css}'>{html.escape(sentence.text)}</span>{cards}")
        parts.append("<p>" + " ".join(spans) + "</p>")
    parts.append("<h2>Cartes</h2><ol>")
    for note in notes:
        parts.append(f"<li id='{anchors[note.id]}'><code>{html.escape(note.id)}</code> "
                     f"{html.escape(_card_label(note))}</li>")
    parts.append("</ol></html>")
    return "\n".join(parts)
