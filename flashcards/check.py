"""Stage 4, check: what only the expanded notes can tell: cloze syntax, empty sides,
duplicates, and grounding of every quoted source in the seed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from flashcards.diagnostics import Diagnostic, Position, Report, Severity
from flashcards.grounding import Seed, closest_sentences
from flashcards.models import CardType, NoteSpec

# A gap as Anki reads it: {{c1::answer}} or {{c1::answer::hint}} (groups: number, answer, hint).
CLOZE_GAP = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_LOOSE_CLOZE = re.compile(r"\{\{\s*c\d+\s*:|\{\{c\d+:[^:]")


def note_diagnostic(note: NoteSpec, message: str, hint: str, code: str,
                    severity: Severity = Severity.ERROR) -> Diagnostic:
    """A problem of `note`, at its file:line, the message naming it (`note_label`)."""
    return Diagnostic(_path(note.file), f"{note_label(note)}: {message}", hint,
                      Position(note.line) if note.line else None, code=code, severity=severity)


@lru_cache(maxsize=256)
def _path(file: str) -> Path:
    """A deck's notes come from a few files: one Path each, not one per diagnostic."""
    return Path(file)


def note_label(note: NoteSpec) -> str:
    """`card 'abandon'`, or `fact 'bannon' (template 'person-role')`: what a message names."""
    if note.template_id:
        return f"fact {note.fact_id!r} (template {note.template_id!r})"
    return f"card {note.id!r}"


def check_cloze(note: NoteSpec) -> list[Diagnostic]:
    problems = []
    if note.type is CardType.CLOZE:
        # Between the texts around the gaps, each gap's number, answer and hint (or None).
        parts = CLOZE_GAP.split(note.fields.get("Text", ""))
        if len(parts) == 1:
            problems.append(note_diagnostic(
                note, "a cloze text needs at least one gap",
                "mark a gap as {{c1::answer}}; each number makes a card", "cloze"))
        elif any(int(number) == 0 or not answer.strip()
                 for number, answer in zip(parts[1::4], parts[2::4], strict=True)):
            problems.append(note_diagnostic(
                note, "a cloze gap is empty or numbered c0",
                "number gaps from c1 and put the hidden words inside", "cloze"))
        stripped = "".join(parts[::4])  # CLOZE_GAP.sub("", text)
        if "{{" in stripped or "}}" in stripped:
            problems.append(note_diagnostic(
                note, "unbalanced or malformed cloze braces",
                "write gaps exactly as {{c1::answer}} (two colons)", "cloze"))
    else:
        for name, value in note.fields.items():
            if CLOZE_GAP.search(value) or _LOOSE_CLOZE.search(value):
                problems.append(note_diagnostic(
                    note, f"{name} contains a cloze gap but the card is of type "
                    f"{note.type.value}", "use `type: cloze` with `text:`", "cloze"))
    return problems


def check_sides(note: NoteSpec) -> list[Diagnostic]:
    required = ("Text",) if note.type is CardType.CLOZE else ("Question", "Answer")
    return [note_diagnostic(note, f"{name} is empty",
                            f"write the {name.lower()}, or remove the card", "empty")
            for name in required if not note.fields.get(name, "").strip()]


def question_key(note: NoteSpec) -> str:
    return question_text_key(note.fields.get("Text") or note.fields.get("Question", ""))


_KEY_PART = re.compile(r"[\w{}:]+")
# Frequent separators, replaced by a space before the text is split: the same runs.
_SEPARATORS = "?!.,;*\"'’()-/"
# For all texts at once, where a scan costs little: any other character that is no run's.
_MORE_SEPARATORS = "«»–—[]<>\n\t"


def question_text_key(text: str) -> str:
    """What two questions share when the build calls them the same: case, accents'
    encoding, punctuation and spacing aside (the runs of word characters, braces and colons,
    joined by a space)."""
    return _key_of(_separated(unicodedata.normalize("NFKC", text).casefold()))


def _separated(text: str, more: str = "") -> str:
    for separator in _SEPARATORS + more:
        if separator in text:
            text = text.replace(separator, " ")
    return text


def _key_of(text: str) -> str:
    """The key of a normalised, folded and separated text."""
    parts = text.split()  # a space is never in a run: each run is a token, or inside one
    if _runs_only("".join(parts)):  # every token is a run
        return " ".join(parts)
    return " ".join(_KEY_PART.findall(text))


def _runs_only(text: str) -> bool:
    """Whether `text` is made of the characters of `_KEY_PART` alone (and is not empty)."""
    for mark in "{}:_":  # the characters of a run that are not alphanumeric (`\w` has `_`)
        if mark in text:
            text = text.replace(mark, "")
    return text.isalnum()


_NUL = "\0"


def question_text_keys(texts: list[str]) -> list[str]:
    """`[question_text_key(text) for text in texts]`, normalised, folded and separated all
    at once, joined by NUL: neither NFKC nor case folding maps a character to or from NUL,
    nor combines one across it (a starter that composes with nothing)."""
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1:  # a text holds a NUL
        return [question_text_key(text) for text in texts]
    joined = _separated(unicodedata.normalize("NFKC", joined).casefold(), _MORE_SEPARATORS)
    if not _runs_only(joined.replace(" ", "").replace(_NUL, "")):
        return [_key_of(text) for text in joined.split(_NUL)]
    # Runs, spaces and NULs alone: a key is its text with its spaces collapsed and stripped.
    while "  " in joined:
        joined = joined.replace("  ", " ")
    return joined.replace(" \0", _NUL).replace("\0 ", _NUL).strip(" ").split(_NUL)


def _question_keys(notes: Sequence[NoteSpec]) -> list[str]:
    """`[question_key(note) for note in notes]`."""
    return question_text_keys([note.fields.get("Text") or note.fields.get("Question", "")
                               for note in notes])


def check_duplicates(notes: Sequence[NoteSpec]) -> list[Diagnostic]:
    first: dict[str, NoteSpec] = {}
    problems = []
    for note, key in zip(notes, _question_keys(notes), strict=True):
        if not key:
            continue
        if key in first:
            problems.append(_duplicate(note, first[key]))
        else:
            first[key] = note
    return problems


def _duplicate(note: NoteSpec, first: NoteSpec) -> Diagnostic:
    return note_diagnostic(
        note, f"same question as {note_label(first)} ({first.origin})",
        "merge the two cards, or make the questions say what differs", "duplicate")


MAX_SUGGESTIONS = 20  # sources given their closest sentence: each costs a pass over the seed


def check_grounding(note: NoteSpec, seed: Seed | None, *, suggest: bool = True
                    ) -> list[Diagnostic]:
    if seed is None or not note.source:
        return []
    if seed.contains(note.source):
        return []
    excerpt = note.source if len(note.source) < 70 else note.source[:67] + "…"
    closest = closest_sentences(seed, note.source, 1) if suggest else []
    hint = (f"the closest sentence of {seed.path.name} is «{closest[0]}»: quote it, or part "
            "of it, verbatim" if closest else f"copy the passage verbatim from {seed.path}")
    return [note_diagnostic(
        note, f"source not found in seed {seed.id!r}: «{excerpt}»",
        f"{hint} (apostrophes, case and spaces may differ; skip words with […])", "grounding")]


def check(notes: Sequence[NoteSpec], seed: Seed | None) -> Report:
    """check_sides and check_cloze, the grounding of each source, then check_duplicates:
    one pass over the notes, made only when what all notes at once tell does not clear them
    (no two keys alike, every source in the seed, `_sides_may_fail` false)."""
    keys = _question_keys(notes)
    present = [key for key in keys if key]
    sources = {note.source for note in notes} - {None, ""}
    if len(set(present)) == len(present) and (seed is None or all(
            seed.contains(source) for source in sources)) and not _sides_may_fail(notes):
        return Report()
    return _check(notes, seed, keys)


def _sides_may_fail(notes: Sequence[NoteSpec]) -> bool:
    """False where check_sides and check_cloze find nothing in any note: each card has a
    question, an answer and no `{{` (which every cloze pattern starts with) in its fields;
    each cloze note's text has gaps that are well-formed, numbered and not empty."""
    cloze = CardType.CLOZE
    cards = [note.fields for note in notes if note.type is not cloze]
    if "" in {fields.get(side, "").strip() for fields in cards for side in ("Question", "Answer")}:
        return True
    if "{{" in _NUL.join([value for fields in cards for value in fields.values()]):
        return True
    return _gaps_may_fail([note.fields.get("Text", "") for note in notes if note.type is cloze])


# CLOZE_GAP for texts joined by NUL: the gaps of each text, none across two.
GAPS_IN_TEXTS = re.compile(r"\{\{c(\d+)::([^\0]*?)(?:::([^\0]*?))?\}\}")


def _gaps_may_fail(texts: list[str]) -> bool:
    """False where check_cloze finds nothing in any of `texts`, split by their gaps at once."""
    if not texts:
        return False
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1:  # a text holds a NUL
        return True
    parts = GAPS_IN_TEXTS.split(joined)
    between = parts[::4]  # each text's pieces between its gaps, NUL-separated
    if len(between) == 1 or _NUL in between[0] or _NUL in between[-1] or any(
            piece.count(_NUL) > 1 for piece in between[1:-1]):  # a text without a gap
        return True
    rest = "".join(between)
    return "{{" in rest or "}}" in rest or any(
        int(number) == 0 or not answer.strip()
        for number, answer in zip(parts[1::4], parts[2::4], strict=True))


def _check(notes: Sequence[NoteSpec], seed: Seed | None, keys: list[str]) -> Report:
    """check as one pass over the notes, `keys` their question keys. A card with a question,
    an answer and no `{{` has nothing check_sides or check_cloze could find."""
    report = Report()
    in_seed: dict[str, bool] = {}  # decks quote a few passages many times
    reported: set[tuple[str, str]] = set()
    ungrounded = 0
    first: dict[str, NoteSpec] = {}
    duplicates: list[Diagnostic] = []
    for note, key in zip(notes, keys, strict=True):
        fields = note.fields
        question = fields.get("Question", "")
        if note.type is CardType.CLOZE or not (question.strip() and fields.get(
                "Answer", "").strip()) or "{{" in "".join(fields.values()):
            report.extend(check_sides(note))  # (a `{` ending a field is a false alarm only)
            report.extend(check_cloze(note))
        if key:
            if key in first:
                duplicates.append(_duplicate(note, first[key]))
            else:
                first[key] = note
        source = note.source
        if seed is None or not source:
            continue
        found = in_seed.get(source)
        if found is None:
            found = in_seed[source] = seed.contains(source)
        if found:
            continue
        grounding = (note.fact_id or note.id, source)
        if grounding not in reported:  # a fact's source once, not once per template
            reported.add(grounding)
            problems = check_grounding(note, seed, suggest=ungrounded < MAX_SUGGESTIONS)
            ungrounded += bool(problems)
            report.extend(problems)
    report.extend(duplicates)
    return report

