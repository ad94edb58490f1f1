"""Card quality: the rules of formulating knowledge, written as lint checks.

Each rule has a code, a severity, a message and the line of the card. A card or fact turns a
rule off with `lint_disable: [code]`; a deck with `lint_disable:` in deck.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from flashcards.check import CLOZE_GAP, note_diagnostic, question_key
from flashcards.diagnostics import Diagnostic, Severity
from flashcards.models import CardType, NoteSpec

MAX_ANSWER_WORDS = 20
MAX_ANSWER_CHARS = 150
MAX_GAP_WORDS = 6
NEAR_DUPLICATE = 0.8  # Jaccard similarity of question words
MAX_WORD_FREQUENCY = 50


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    summary: str


RULES = {rule.code: rule for rule in (
    Rule("answer-length", Severity.WARNING,
         f"one fact per card: an answer of at most {MAX_ANSWER_WORDS} words"),
    Rule("yes-no-question", Severity.ERROR,
         "no yes/no questions: they test recognition, not recall"),
    Rule("answer-in-question", Severity.ERROR, "the answer must not appear in the question"),
    Rule("near-duplicate", Severity.WARNING,
         "no two nearly identical questions with different answers"),
    Rule("cloze-gap-length", Severity.WARNING,
         f"cloze gaps of at most {MAX_GAP_WORDS} words"),
    Rule("ungrounded", Severity.WARNING,
         "every card of a deck with a seed quotes its source"),
    Rule("duplicate-source", Severity.WARNING,
         "two hand-written cards quoting the same passage probably teach the same fact"),
    Rule("typography", Severity.WARNING,
         "French typography: « » for quotes, … for ellipses, a space before ? ! : ;"),
    Rule("question-form", Severity.WARNING,
         "a basic or type-in question ends with ? or :"),
    Rule("fact-form", Severity.WARNING,  # checked on the facts: flashcards/lint_facts.py
         "French facts read well in the built-in questions: a role, a measure or a "
         "definition with its determiner, a date with its preposition"),
)}

_YES_NO_START = re.compile(
    r"^(est-ce\b|est-il\b|est-elle\b|sont-ils\b|sont-elles\b|"
    r"(a|ont|peut|peuvent|doit|doivent|faut|fallait|serait|était|avait|y a)-t?-?"
    r"(il|elle|ils|elles|on)\b|is |are |was |were |do |does |did |can |could |has |have )",
    re.IGNORECASE)
_YES_NO_ANSWERS = {"oui", "non", "yes", "no", "vrai", "faux", "true", "false"}
_TYPOGRAPHY_SUSPECTS = re.compile(r'["?!;:]|\.\.\.')
_WORD = re.compile(r"\w+", re.UNICODE)
_CODE_SPAN = re.compile(r"`[^`]*`")
_NO_SPACE_BEFORE = re.compile(r"\w(?:[?!;]|:(?!:|//)\s)")
_TAGS = re.compile(r"<[^>]+>|[*_`#>]")
_STOPWORDS = set("""le la les l un une des de du d à au aux en et ou que qu qui quoi quel
quelle quels quelles est a ont sont son sa ses leur leurs ce cet cette ces pour par sur dans
avec il elle ils elles on se s ne pas plus the of a an to in on is are""".split())


# Rules look at the same few texts of a note in turn; a big cache would only hold memory.
@lru_cache(maxsize=4096)
def plain(text: str) -> str:
    return " ".join(_TAGS.sub(" ", unicodedata.normalize("NFKC", text)).split())


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(plain(text).casefold()))


@dataclass(frozen=True)
class Finding:
    note: NoteSpec
    diagnostic: Diagnostic


def _diagnostic(note: NoteSpec, code: str, message: str, hint: str) -> Finding:
    return Finding(note, note_diagnostic(note, message, f"{hint}; or add `lint_disable: [{code}]`",
                                         code, RULES[code].severity))


def _answer_length(note: NoteSpec, language: str) -> Iterable[Finding]:
    answer = note.fields.get("Answer", "")
    count = len(words(answer))
    if count > MAX_ANSWER_WORDS or len(plain(answer)) > MAX_ANSWER_CHARS:
        yield _diagnostic(note, "answer-length", f"the answer has {count} words",
                          "split it into several cards, one fact each")


def _yes_no(note: NoteSpec, language: str) -> Iterable[Finding]:
    question = plain(note.fields.get("Question", ""))
    answer = plain(note.fields.get("Answer", "")).casefold().strip(" .!")
    if note.type is not CardType.REVERSE and question and (
            _YES_NO_START.match(question) or answer in _YES_NO_ANSWERS):
        yield _diagnostic(note, "yes-no-question", "this is a yes/no question",
                          "ask for the fact itself (qui, quoi, quand, combien, pourquoi…)")


def _answer_in_question(note: NoteSpec, language: str) -> Iterable[Finding]:
    question = " ".join(words(note.fields.get("Question", "")))
    answer = " ".join(words(note.fields.get("Answer", "")))
    if len(answer) >= 3 and f" {answer} " in f" {question} ":
        yield _diagnostic(note, "answer-in-question", "the answer appears in the question",
                          "reword the question so that it does not give the answer away")


def _gap_length(note: NoteSpec, language: str) -> Iterable[Finding]:
    for number, gap, _hint in CLOZE_GAP.findall(note.fields.get("Text", "")):
        hidden = gap.split("::")[0]
        if len(words(hidden)) > MAX_GAP_WORDS:
            yield _diagnostic(note, "cloze-gap-length",
                              f"gap c{number} hides {len(words(hidden))} words",
                              "hide a key word or two, not a whole clause")


def _gap_answer(match: re.Match[str]) -> str:
    return match.group(2)


def _typography(note: NoteSpec, language: str) -> Iterable[Finding]:
    if not language.startswith("fr"):
        return
    for name, value in note.fields.items():
        if not _TYPOGRAPHY_SUSPECTS.search(value):
            continue
        text = CLOZE_GAP.sub(_gap_answer, value) if "{{" in value else value
        if "`" in text:
            text = _CODE_SPAN.sub("", text)
        problem = None
        if '"' in text:
            problem = 'straight quotes "…"; use « … »'
        elif "..." in text:
            problem = "three dots; use the ellipsis …"
        elif _NO_SPACE_BEFORE.search(text):
            problem = "no space before ? ! : or ;"
        if problem:
            yield _diagnostic(note, "typography", f"{name}: {problem}",
                              "write French typography (the spaces become non-breaking)")


# An image or a sound may follow the question mark.
_MEDIA = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|\[sound:[^\]]*\]")


def _question_form(note: NoteSpec, language: str) -> Iterable[Finding]:
    if note.type in (CardType.BASIC, CardType.TYPE_IN):
        question = plain(_MEDIA.sub("", note.fields.get("Question", ""))).rstrip()
        if question and question[-1] not in "?:…":
            yield _diagnostic(note, "question-form", "the question does not end with ? or :",
                              "ask a question, or use a reverse or cloze card")


NoteRule = Callable[[NoteSpec, str], Iterable[Finding]]
NOTE_RULES: tuple[NoteRule, ...] = (_answer_length, _yes_no, _answer_in_question,
                                    _gap_length, _typography, _question_form)


def _ungrounded(notes: Sequence[NoteSpec], has_seed: bool) -> Iterable[Finding]:
    if has_seed:
        for note in notes:
            if not note.source:
                yield _diagnostic(note, "ungrounded", "no `source`",
                                  "quote the passage of the article this card teaches")


def _duplicate_sources(notes: Sequence[NoteSpec]) -> Iterable[Finding]:
    first: dict[str, NoteSpec] = {}
    for note in notes:
        if note.template_id or not note.source:
            continue
        key = " ".join(words(note.source))
        if key in first:
            yield _diagnostic(note, "duplicate-source",
                              f"same source as card {first[key].id!r} ({first[key].origin})",
                              "teach each fact once; quote the precise part this card is about")
        else:
            first[key] = note


def _near_duplicates(notes: Sequence[NoteSpec]) -> Iterable[Finding]:
    """Questions sharing most of their words but with different answers. Candidates come from
    an index of each question's rarest words, so the cost stays near-linear."""
    asked = [n for n in notes if n.type is not CardType.CLOZE]
    bags = [frozenset(w for w in words(n.fields.get("Question", "")) if w not in _STOPWORDS)
            for n in asked]
    frequency: dict[str, int] = defaultdict(int)
    for bag in bags:
        for word in bag:
            frequency[word] += 1
    index: dict[str, list[int]] = defaultdict(list)
    reported: set[int] = set()
    for i, bag in enumerate(bags):
        if len(bag) < 2:
            continue
        # Candidates share one of the question's two rarest words; a word found in many
        # questions says nothing about duplication and would make the search quadratic.
        rare = [w for w in sorted(bag, key=lambda w: (frequency[w], w))[:2]
                if frequency[w] <= MAX_WORD_FREQUENCY]
        candidates = {j for word in rare for j in index[word]}
        for j in sorted(candidates):
            other = bags[j]
            similarity = len(bag & other) / len(bag | other)
            same_answer = _answer_key(asked[i]) == _answer_key(asked[j])
            # The same question twice is the check's error (`duplicate`), not a near-duplicate.
            same_question = question_key(asked[i]) == question_key(asked[j])
            if similarity >= NEAR_DUPLICATE and not (same_answer or same_question) \
                    and i not in reported:
                reported.add(i)
                yield _diagnostic(asked[i], "near-duplicate",
                                  f"nearly the same question as {asked[j].id!r} "
                                  f"({asked[j].origin}) with another answer",
                                  "make the questions say what differs between them")
        for word in rare:
            index[word].append(i)


def _answer_key(note: NoteSpec) -> str:
    return " ".join(words(note.fields.get("Answer", "")))


def lint(notes: Sequence[NoteSpec], *, language: str, has_seed: bool,
         disabled: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding of every rule, except those a card, fact or the deck turned off."""
    deck_disabled = set(disabled)
    findings: list[Finding] = []
    for note in notes:
        for rule in NOTE_RULES:
            findings.extend(rule(note, language))
    if "ungrounded" not in deck_disabled:
        findings.extend(_ungrounded(notes, has_seed))
    if "duplicate-source" not in deck_disabled:
        findings.extend(_duplicate_sources(notes))
    if "near-duplicate" not in deck_disabled:
        findings.extend(_near_duplicates(notes))
    return [f.diagnostic for f in findings
            if f.diagnostic.code not in deck_disabled
            and f.diagnostic.code not in f.note.lint_disable]
