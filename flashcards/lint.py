"""Card quality: the rules of formulating knowledge, written as lint checks.

Each rule has a code, a severity, a message and the line of the card. A card or fact turns a
rule off with `lint_disable: [code]`; a deck with `lint_disable:` in deck.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from flashcards.check import CLOZE_GAP, GAPS_IN_TEXTS, note_diagnostic, question_key
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
# The characters a yes/no question can start with, as _YES_NO_START reads them (ignoring
# case: `İ`, `ı` and `ſ` too); tested against the pattern.
_YES_NO_FIRST = frozenset("acdefhiopswyéACDEFHIOPSWYÉİıſ")
_YES_NO_ANSWERS = {"oui", "non", "yes", "no", "vrai", "faux", "true", "false"}
# The definition `_typography_suspect` implements without a regex scan (tests/test_lint_fast.py
# holds it to this pattern), as `_space_missing` does `_NO_SPACE_BEFORE`.
_TYPOGRAPHY_SUSPECTS = re.compile(r'["?!;:]|\.\.\.')
_WORD = re.compile(r"\w+", re.UNICODE)
_CODE_SPAN = re.compile(r"`[^`]*`")
_NO_SPACE_BEFORE = re.compile(r"\w(?:[?!;]|:(?!:|//)\s)")
_TAGS = re.compile(r"<[^>]+>|[*_`#>]")
_MARKS = "*_`#>"
_STOPWORDS = set("""le la les l un une des de du d à au aux en et ou que qu qui quoi quel
quelle quels quelles est a ont sont son sa ses leur leurs ce cet cette ces pour par sur dans
avec il elle ils elles on se s ne pas plus the of a an to in on is are""".split())


def plain(text: str) -> str:
    """`text` as read: compatibility characters folded, tags and Markdown marks removed,
    spaces collapsed."""
    return " ".join(_untagged(text).split())


def _untagged(text: str) -> str:
    """`plain(text)` before its spaces are collapsed: enough for its words, its first and its
    last characters."""
    text = unicodedata.normalize("NFKC", text)
    if "<" in text:
        return _TAGS.sub(" ", text)
    for mark in _MARKS:  # the same as _TAGS without a tag, at a fraction of the cost
        if mark in text:
            text = text.replace(mark, " ")
    return text


def words(text: str) -> list[str]:
    return _words_of(plain(text).casefold())


def _words_of(text: str) -> list[str]:
    """`_WORD.findall(text)`: spaces never belong to a word, so a word is a whole token of
    `text.split()` or lies inside one; most tokens are words themselves."""
    found: list[str] = []
    for token in text.split():
        if token.isalnum():
            found.append(token)
        else:
            found += _WORD.findall(token)
    return found


def _space_missing(text: str) -> bool:
    """`_NO_SPACE_BEFORE.search(text)`: a word character right before ? ! ; or before a : that
    a space follows (`\\w` is `isalnum()` or `_`, `\\s` is `isspace()`), without scanning
    the text with the pattern."""
    for mark in "?!;:":
        at = text.find(mark, 1) if mark in text else -1
        while at > 0:
            before = text[at - 1]
            if (before.isalnum() or before == "_") and (
                    mark != ":" or text[at + 1:at + 2].isspace()):
                return True
            at = text.find(mark, at + 1)
    return False


# What a rule found: code, message, hint. Diagnostics are made only for what is not disabled.
Problem = tuple[str, str, str]


def _answer_problems(card_type: CardType, question: str, answer: str) -> list[Problem]:
    """`answer-length`, `yes-no-question` and `answer-in-question`, in this order, for the
    untagged question and the plain answer."""
    problems: list[Problem] = []
    folded = answer.casefold()
    # Words are separated: MAX_ANSWER_WORDS + 1 of them take 2 * MAX_ANSWER_WORDS + 1 letters.
    if len(answer) > MAX_ANSWER_CHARS or (
            len(folded) > 2 * MAX_ANSWER_WORDS and len(_words_of(folded)) > MAX_ANSWER_WORDS):
        problems.append(("answer-length", f"the answer has {len(_words_of(folded))} words",
                         "split it into several cards, one fact each"))
    if card_type is not CardType.REVERSE and _asks_yes_no(question, folded):
        problems.append(("yes-no-question", "this is a yes/no question",
                         "ask for the fact itself (qui, quoi, quand, combien, pourquoi…)"))
    if folded and _gives_answer(question.casefold(), folded):
        problems.append(("answer-in-question", "the answer appears in the question",
                         "reword the question so that it does not give the answer away"))
    return problems


def _asks_yes_no(question: str, answer: str) -> bool:
    """For the untagged question and the folded plain answer."""
    start = question.lstrip()[:1]
    if not start:
        return False
    if start in _YES_NO_FIRST and _YES_NO_START.match(" ".join(question.split())):
        return True
    return answer.strip(" .!") in _YES_NO_ANSWERS


def _gives_answer(question: str, answer: str) -> bool:
    """The words of `answer`, in order, are words of `question` (both casefolded; words
    hold no spaces, so the question's need not be collapsed)."""
    tokens = answer.split()
    for token in reversed(tokens):  # a word the question lacks, the telling ones first
        if token.isalnum() and token not in question:
            return False
    answer = " ".join(_words_of(answer))
    return len(answer) >= 3 and f" {answer} " in f" {' '.join(_words_of(question))} "


def _gap_length(text: str) -> list[Problem]:
    problems = []
    for number, gap, _hint in CLOZE_GAP.findall(text):
        hidden = words(gap.split("::")[0])
        if len(hidden) > MAX_GAP_WORDS:
            problems.append(("cloze-gap-length", f"gap c{number} hides {len(hidden)} words",
                             "hide a key word or two, not a whole clause"))
    return problems


def _gap_answer(match: re.Match[str]) -> str:
    return match.group(2)


def _typography(fields: dict[str, str]) -> list[Problem]:
    # Most notes have none of the problems: tell it from all fields at once. The separator
    # is no word character, no space and no mark: nothing found spans two fields.
    text = "\0".join(fields.values())
    if '"' not in text and "..." not in text and "{{" not in text and "`" not in text \
            and not _space_missing(text):
        return []
    problems = []
    for name, value in fields.items():
        if "{{" in value or "`" in value:
            problem = _typography_problem(value)
        elif '"' in value:  # what _typography_problem finds, cloze and code aside
            problem = 'straight quotes "…"; use « … »'
        elif "..." in value:
            problem = "three dots; use the ellipsis …"
        elif _space_missing(value):
            problem = "no space before ? ! : or ;"
        else:
            continue
        if problem:
            problems.append(("typography", f"{name}: {problem}",
                             "write French typography (the spaces become non-breaking)"))
    return problems


def _typography_suspect(value: str) -> bool:
    """`_TYPOGRAPHY_SUSPECTS.search(value)`, without the pattern."""
    return '"' in value or "?" in value or "!" in value or ";" in value or ":" in value \
        or "..." in value


def _typography_problem(value: str) -> str | None:
    if not _typography_suspect(value):
        return None
    text = CLOZE_GAP.sub(_gap_answer, value) if "{{" in value else value
    if "`" in text:
        text = _CODE_SPAN.sub("", text)
    if '"' in text:
        return 'straight quotes "…"; use « … »'
    if "..." in text:
        return "three dots; use the ellipsis …"
    if _space_missing(text):
        return "no space before ? ! : or ;"
    return None


# An image or a sound may follow the question mark.
_MEDIA = re.compile(r"!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>|\[sound:[^\]]*\]")


def _question_form(question: str, asked: str) -> list[Problem]:
    """`asked` is the untagged question (its last character is plain's); a media reference
    needs a `[` or a `<`."""
    if "[" in question or "<" in question:
        asked = plain(_MEDIA.sub("", question))
    asked = asked.rstrip()
    if asked and asked[-1] not in "?:…":
        return [("question-form", "the question does not end with ? or :",
                 "ask a question, or use a reverse or cloze card")]
    return []


_ASKED = (CardType.BASIC, CardType.TYPE_IN)


def _note_problems(note: NoteSpec, french: bool) -> list[Problem]:
    """What the rules of a single note find, in the order of RULES."""
    problems: list[Problem] = []
    fields = note.fields
    question = fields.get("Question", "")
    answer = fields.get("Answer", "")
    asked = _untagged(question) if question else ""
    if answer or asked:
        problems += _answer_problems(note.type, asked, plain(answer) if answer else "")
    text = fields.get("Text", "")
    if "{{c" in text:
        problems += _gap_length(text)
    if french:
        problems += _typography(fields)
    if question and note.type in _ASKED:
        problems += _question_form(question, asked)
    return problems


# What a rule of the whole deck found, and in which note.
Finding = tuple[NoteSpec, Problem]


def _notes_problems(notes: Sequence[NoteSpec], french: bool) -> Iterable[Finding]:
    """`_note_problems` of every note, in order: asked only of the notes `_suspects` names."""
    for i in _suspects(notes, french):
        note = notes[i]
        for problem in _note_problems(note, french):
            yield note, problem


# What `str.strip` and `str.split` take for spaces (tested), with the marks `_asks_yes_no`
# strips.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004" \
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACES_DOTS = _SPACES + ".!"


def _suspects(notes: Sequence[NoteSpec], french: bool) -> list[int]:
    """The indices, in order, of the notes in which `_note_problems` may find something (the
    others have nothing to find), told from the texts of all notes untagged and folded at
    once, with the pre-checks of each rule."""
    fields = [note.fields for note in notes]
    questions = [f.get("Question", "") for f in fields]
    asked = _untagged_many(questions)
    answers = _untagged_many([f.get("Answer", "") for f in fields], fold=True)
    texts = [f.get("Text", "") for f in fields]
    found = _gap_suspects(texts)
    if french:
        found |= _typography_suspects(fields, texts)
    reverse, forms = CardType.REVERSE, _ASKED
    for i, (kind, question, asked_folded, answer, written) in enumerate(zip(
            [note.type for note in notes], asked, _casefolded(asked), answers, questions,
            strict=True)):
        if answer or question:
            if (len(answer) > 2 * MAX_ANSWER_WORDS and _may_be_long(answer)) or (
                    kind is not reverse and (question.lstrip()[:1] in _YES_NO_FIRST
                                             or answer.strip(_SPACES_DOTS) in _YES_NO_ANSWERS)):
                found.add(i)
                continue
            if answer and _may_give_answer(asked_folded, answer):
                found.add(i)
                continue
        if written and kind in forms and (  # `_question_form`
                "[" in written or "<" in written or question.rstrip()[-1:] not in _ENDS):
            found.add(i)
    return sorted(found)


_ENDS = ("", "?", ":", "…")


def _may_give_answer(question: str, answer: str) -> bool:
    """False where `_gives_answer(question, answer)` is: a word of the answer is no part of
    the question (its last word first: the one most often telling)."""
    last = answer.rsplit(None, 1)[-1:]
    if last and last[0].isalnum() and last[0] not in question:
        return False
    return all(not token.isalnum() or token in question for token in answer.split())


def _may_be_long(answer: str) -> bool:
    """False where `answer-length` finds nothing in the folded, untagged `answer` (spaces
    not collapsed: casefolding never shortens a text, collapsing never lengthens one)."""
    return len(answer) > MAX_ANSWER_CHARS or len(_words_of(answer)) > MAX_ANSWER_WORDS




def _gap_suspects(texts: list[str]) -> set[int]:
    """The indices of the notes in which `_gap_length` finds something, or more: the gaps
    of all texts found and their words counted at once."""
    joined = _NUL.join(texts)
    if "{{c" not in joined:
        return set()
    if joined.count(_NUL) == len(texts) - 1 and all(  # no text holds a NUL
            len(hidden) <= MAX_GAP_WORDS for hidden in _texts_words(
                [gap.split("::")[0] for _number, gap, _hint in GAPS_IN_TEXTS.findall(joined)])):
        return set()
    return {i for i, text in enumerate(texts) if "{{c" in text}


def _untagged_many(texts: list[str], *, fold: bool = False) -> list[str]:
    """`[_untagged(text) for text in texts]` (casefolded with `fold`), normalised and
    untagged as one NUL-joined text, as `_texts_words` does."""
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1:  # a text holds a NUL
        untagged = [_untagged(text) for text in texts]
        return [text.casefold() for text in untagged] if fold else untagged
    joined = unicodedata.normalize("NFKC", joined)
    if "<" in joined:  # a tag may span two texts
        joined = _NUL.join(_TAGS.sub(" ", text) if "<" in text else _unmarked(text)
                           for text in joined.split(_NUL))
    else:
        joined = _unmarked(joined)
    return (joined.casefold() if fold else joined).split(_NUL)


def _casefolded(texts: list[str]) -> list[str]:
    """`[text.casefold() for text in texts]`, NUL-joined where no text holds a NUL."""
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1:
        return [text.casefold() for text in texts]
    return joined.casefold().split(_NUL)


def _unmarked(text: str) -> str:
    for mark in _MARKS:
        if mark in text:
            text = text.replace(mark, " ")
    return text


# Where a gap's delimiters, once `_typography_problem` takes them away, may bring together
# what it looks for: a `.` before them (three dots), a `:` before them (`x:{{c1:: y}}`), a
# mark after them (`x{{c1::?}}`, `{{c1::x}}?`).
_GAP_JOINS = (".{{", ".::", ".}}", ":{{", ":::", ":}}", "::?", "::!", "::;", "}}?", "}}!",
              "}};", "}}:")


def _typography_suspects(fields: list[dict[str, str]], texts: list[str]) -> set[int]:
    """The indices of the notes `_typography` may find something in (`texts`: their `Text`):
    those its own pre-check does not clear, or, for a text with a gap, where the gap's
    delimiters join what it looks for. Found in all fields at once: NUL-joined, as it joins
    a note's, nothing it looks for spans two of them."""
    whole = _NUL.join([value for note in fields for value in note.values()])
    joined: list[str] = []  # each note's fields, when needed

    def notes_with(mark: str) -> Iterable[int]:
        if not joined:
            joined.extend(_NUL.join(note.values()) for note in fields)
        return (i for i, text in enumerate(joined) if mark in text)

    found: set[int] = set()
    for mark in ('"', "...", "`"):
        if mark in whole:
            found.update(notes_with(mark))
    if _space_missing(whole):
        found.update(i for i in notes_with("") if _space_missing(joined[i]))
    if "{{" in whole:
        if whole.count("{{") != _NUL.join(texts).count("{{"):  # a gap's `{{` in another field
            texts = joined or [_NUL.join(note.values()) for note in fields]
        gapped = _NUL.join([text for text in texts if "{{" in text])
        if any(join in gapped for join in _GAP_JOINS):
            found.update(i for i, text in enumerate(texts) if "{{" in text and any(
                join in text for join in _GAP_JOINS))
    return found


def _ungrounded(notes: Sequence[NoteSpec], has_seed: bool) -> Iterable[Finding]:
    if has_seed:
        for note in notes:
            if not note.source:
                yield note, ("ungrounded", "no `source`",
                             "quote the passage of the article this card teaches")


def _duplicate_sources(notes: Sequence[NoteSpec]) -> Iterable[Finding]:
    first: dict[str, NoteSpec] = {}
    keys: dict[str, str] = {}  # decks quote a few passages many times
    for note in notes:
        if note.template_id or not note.source:
            continue
        key = keys.get(note.source)
        if key is None:
            key = keys[note.source] = " ".join(words(note.source))
        if key in first:
            yield note, ("duplicate-source",
                         f"same source as card {first[key].id!r} ({first[key].origin})",
                         "teach each fact once; quote the precise part this card is about")
        else:
            first[key] = note


_NUL = "\0"
# Frequent characters of no word, replaced by a space in the text of all questions: the
# same words.
_NOT_WORDS = "?!.,;:\"'’()-/«»"


def _texts_words(texts: list[str]) -> list[list[str]]:
    """`[words(text) for text in texts]`, untagged, folded and separated as one NUL-joined
    text (neither NFKC nor case folding maps a character to or from NUL, nor combines one
    across it); a text's words are its tokens when the whole holds only words and spaces."""
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1:  # a text holds a NUL
        return [words(text) for text in texts]
    joined = unicodedata.normalize("NFKC", joined)
    if "<" in joined:  # a tag may span two texts
        return [words(text) for text in texts]
    for mark in _MARKS:  # as _untagged
        if mark in joined:
            joined = joined.replace(mark, " ")
    joined = joined.casefold()
    for separator in _NOT_WORDS:
        if separator in joined:
            joined = joined.replace(separator, " ")
    if joined.replace(" ", "").replace(_NUL, "").isalnum():
        return [text.split() for text in joined.split(_NUL)]
    return [_words_of(text) for text in joined.split(_NUL)]


def _near_duplicates(notes: Sequence[NoteSpec]) -> Iterable[Finding]:
    """Questions sharing most of their words but with different answers. Candidates come from
    an index of each question's rarest words, so the cost stays near-linear."""
    asked = [n for n in notes if n.type is not CardType.CLOZE]
    bags = [frozenset(found) - _STOPWORDS
            for found in _texts_words([n.fields.get("Question", "") for n in asked])]
    frequency = Counter(chain.from_iterable(bags))
    index: dict[str, list[int]] = defaultdict(list)
    for i, bag in enumerate(bags):
        if len(bag) < 2:
            continue
        # Candidates share one of the question's two rarest words; a word found in many
        # questions says nothing about duplication and would make the search quadratic.
        rare = [w for w in bag if frequency[w] <= MAX_WORD_FREQUENCY]
        if len(rare) > 2:  # (their order does not matter)
            rare = sorted(rare, key=lambda w: (frequency[w], w))[:2]
        candidates = {j for word in rare for j in index[word]}
        for j in sorted(candidates):
            other = bags[j]
            if len(bag & other) / len(bag | other) >= NEAR_DUPLICATE \
                    and _answer_key(asked[i]) != _answer_key(asked[j]) \
                    and question_key(asked[i]) != question_key(asked[j]):
                # (The same question twice is the check's error, `duplicate`.)
                yield asked[i], ("near-duplicate",
                                 f"nearly the same question as {asked[j].id!r} "
                                 f"({asked[j].origin}) with another answer",
                                 "make the questions say what differs between them")
                break  # one report per question
        for word in rare:
            index[word].append(i)


def _answer_key(note: NoteSpec) -> str:
    return " ".join(words(note.fields.get("Answer", "")))


def lint(notes: Sequence[NoteSpec], *, language: str, has_seed: bool,
         disabled: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding of every rule, except those a card, fact or the deck turned off."""
    deck_disabled = set(disabled)
    french = language.startswith("fr")
    found: list[Diagnostic] = []

    def report(note: NoteSpec, problem: Problem) -> None:
        code, message, hint = problem
        if code not in deck_disabled and code not in note.lint_disable:
            found.append(note_diagnostic(note, message,
                                         f"{hint}; or add `lint_disable: [{code}]`",
                                         code, RULES[code].severity))

    for note, problem in _notes_problems(notes, french):
        report(note, problem)
    deck_rules = (("ungrounded", lambda: _ungrounded(notes, has_seed)),
                  ("duplicate-source", lambda: _duplicate_sources(notes)),
                  ("near-duplicate", lambda: _near_duplicates(notes)))
    for code, rule in deck_rules:
        if code not in deck_disabled:
            for note, problem in rule():
                report(note, problem)
    return found
