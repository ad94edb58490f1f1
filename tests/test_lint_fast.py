"""The lint, check, media and markup rules take shortcuts (pre-checks that skip a regex, words
computed once per note, Diagnostics made only for what is not disabled): their findings must
be those of the plain definitions below, kept here as they were written before the speed
work, on generated notes built from pieces that trigger, or nearly trigger, every rule."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashcards import check as checks
from flashcards import lint as fast
from flashcards.check import CLOZE_GAP, note_diagnostic, question_key
from flashcards.diagnostics import Diagnostic, Report, Severity
from flashcards.grounding import Seed
from flashcards.media import _author_fields, check_media, field_references, resolve
from flashcards.models import CardType, NoteSpec
from flashcards.pack import note_fields
from flashcards.safety import _HINT, _shown, check_markup, removed_markup
from tests.conftest import SEED

SETTINGS = settings(deadline=None, max_examples=300, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

PIECES = ["Quelle", "est", "la", "réponse", "Est-ce", "est-il", "A-t-il", "y a-t-il", "Is ",
          "does ", "oui", "Non.", "vrai!", " yes ", "FALSE", "puce", "D1", "Dojo", "?", " ?",
          "!", " !", ";", " ;", ":", " :", "::", "://", "...", "…", '"', "« ", " »", "`c?`",
          "`", "{{c1::", "}}", "{{c2::un deux trois quatre cinq six sept}}", "{{c1::a::b}}",
          "{{", "*", "**", "_", "#", ">", "<b>", "</b>", '<img src="media/x.png">',
          "![](media/x.png)", "[sound:media/x.mp3]", "&amp;",
          "&#91;sound:media/x.mp3]", "&#60;img src=y.png>", "{{ c1:x}}", "{{c1:y}}",
          "ﬁn", "ſ", "K", "ß", "ǰ", "Ⅻ",
          "①", "ﷺ", "\u00a0", "\t", "\n", " ", "x_y", "Tesla", "a", "un", "terme", "l’article",
          "é", "e\u0301", "2021", "12", "’", "'", "Qu’est-ce que", "Bannon", "ı", "İ"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=14).map("".join)
# Gaps, nearly gaps and their pieces, which few of `texts` put together.
cloze_texts = st.lists(st.sampled_from(["{{c1::", "{{c2::", "{{c0::", "{{", "}}", "::", ":", "}",
                                        "{", "a", "b c", " ", "?", '"']), max_size=10).map("".join)
VOCABULARY = ["puce", "Puce", "dojo", "tesla", "Bannon", "vingt", "le", "quel", "Musk", "AI5"]
near_questions = st.lists(st.sampled_from(VOCABULARY), min_size=3, max_size=5, unique=True) \
    .map(" ".join)
CODES = list(fast.RULES)


@st.composite
def notes(draw: st.DrawFn) -> list[NoteSpec]:
    made = []
    for i in range(draw(st.integers(1, 12))):
        card_type = draw(st.sampled_from(list(CardType)))
        if card_type is CardType.CLOZE:
            fields = {"Text": draw(texts | cloze_texts), "Extra": draw(texts)}
        else:
            fields = {"Question": draw(texts | near_questions), "Answer": draw(texts),
                      "Extra": draw(texts)}
        fact = draw(st.booleans())
        made.append(NoteSpec(
            id=f"n{i}", type=card_type, fields=fields,
            source=draw(st.none() | st.sampled_from(["Tesla a mis un terme", "D1 […] puce"])
                        | texts),
            file="cards.yaml", line=i + 1, fact_id=f"f{i // 2}" if fact else None,
            template_id="t" if fact else None,
            lint_disable=tuple(draw(st.lists(st.sampled_from(CODES), max_size=2)))))
    return made


@SETTINGS
@given(notes(), st.sampled_from(["fr", "en"]), st.booleans(),
       st.lists(st.sampled_from(CODES), max_size=2))
def test_lint_finds_what_the_plain_rules_find(notes: list[NoteSpec], language: str,
                                              has_seed: bool, disabled: list[str]) -> None:
    assert fast.lint(notes, language=language, has_seed=has_seed, disabled=disabled) == \
        reference_lint(notes, language=language, has_seed=has_seed, disabled=disabled)


@SETTINGS
@given(texts)
def test_shortcuts_equal_their_patterns(text: str) -> None:
    assert fast.plain(text) == reference_plain(text)
    assert fast.words(text) == list(reference_words(text))
    assert fast._words_of(text) == fast._WORD.findall(text)
    assert fast._space_missing(text) == bool(fast._NO_SPACE_BEFORE.search(text))
    assert fast._typography_suspect(text) == bool(fast._TYPOGRAPHY_SUSPECTS.search(text))


# Words, the separators question_text_key replaces, and characters it must not take for
# either: most texts are made of these alone (few of `texts` are).
KEY_PIECES = ["a", "Quel", "é", "e\u0301", "12", "Ⅻ", "ﬁ", "İ", "ß", "x_y", "_", "{{c1::", "}}",
              "::", ":", "{", " ", "\u00a0", "\n", "?", "!", ".", ",", "’", "'", "-", "/", "(",
              "*", '"', "«", "»", "…", "·", "–", "\u0301", "²", "½"]


@SETTINGS
@given(texts | st.lists(st.sampled_from(KEY_PIECES), max_size=10).map("".join))
def test_question_text_key_is_its_pattern(text: str) -> None:
    assert checks.question_text_key(text) == reference_question_text_key(text)


@SETTINGS
@given(st.lists(texts | st.lists(st.sampled_from([*KEY_PIECES, "\0", "Σ", "\t", "  "]),
                                 max_size=6).map("".join), max_size=6))
def test_question_text_keys_are_each_texts_key(texts: list[str]) -> None:
    """All at once (normalised, folded and separated as one text) as one by one."""
    assert checks.question_text_keys(texts) == [reference_question_text_key(text)
                                                for text in texts]


@SETTINGS
@given(st.lists(texts | st.lists(st.sampled_from([*KEY_PIECES, "\0", "Σ", "\t", "  ", "*", "#",
                                                  "＜", "<b>", ">", "`"]),
                                 max_size=6).map("".join), max_size=6))
def test_texts_words_are_each_texts_words(texts: list[str]) -> None:
    """All at once (untagged, folded and separated as one text) as one by one."""
    assert fast._texts_words(texts) == [list(reference_words(text)) for text in texts]


@SETTINGS
@given(notes())
def test_check_finds_what_the_plain_checks_find(notes: list[NoteSpec]) -> None:
    seed = Seed("s", SEED, "Tesla a mis un terme à son ambitieux projet. La puce D1 d'Dojo.")
    assert checks.check(notes, seed).diagnostics == reference_check(notes, seed).diagnostics
    assert checks.check(notes, None).diagnostics == reference_check(notes, None).diagnostics


@settings(SETTINGS, max_examples=60)
@given(notes())
def test_media_and_markup_find_what_every_field_shows(tmp_path_factory, notes: list[NoteSpec]
                                                      ) -> None:
    deck = tmp_path_factory.mktemp("deck")
    (deck / "media").mkdir()
    (deck / "media" / "x.png").write_bytes(b"\x89PNG")
    assert check_media(deck, notes, "fr") == reference_media(deck, notes)
    assert check_markup(notes) == reference_markup(notes)


def test_yes_no_questions_start_with_one_of_the_listed_characters() -> None:
    """Every alternative of the pattern starts with one of `firsts` (or is inside a group that
    does, like `(il|elle)`), and what matches one of them, ignoring case as `re` does, is
    exactly the set the rule looks a question's first character up in."""
    firsts = "eésaopdfyiwch"
    pattern = fast._YES_NO_START.pattern.removeprefix("^(")
    assert all(part.lstrip("(")[0] in firsts for part in pattern.split("|"))
    first = re.compile(f"[{firsts}]", re.IGNORECASE)
    assert {c for c in map(chr, range(sys.maxunicode + 1)) if first.match(c)} == \
        fast._YES_NO_FIRST


# ---- the rules as written before the speed work ----

_TAGS = re.compile(r"<[^>]+>|[*_`#>]")


def reference_plain(text: str) -> str:
    return " ".join(_TAGS.sub(" ", unicodedata.normalize("NFKC", text)).split())


def reference_words(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\w+", reference_plain(text).casefold()))


Finding = tuple[NoteSpec, Diagnostic]


def _diagnostic(note: NoteSpec, code: str, message: str, hint: str) -> Finding:
    return note, note_diagnostic(note, message, f"{hint}; or add `lint_disable: [{code}]`",
                                 code, fast.RULES[code].severity)


def _answer_length(note: NoteSpec, language: str) -> Iterable[Finding]:
    answer = note.fields.get("Answer", "")
    count = len(reference_words(answer))
    if count > fast.MAX_ANSWER_WORDS or len(reference_plain(answer)) > fast.MAX_ANSWER_CHARS:
        yield _diagnostic(note, "answer-length", f"the answer has {count} words",
                          "split it into several cards, one fact each")


def _yes_no(note: NoteSpec, language: str) -> Iterable[Finding]:
    question = reference_plain(note.fields.get("Question", ""))
    answer = reference_plain(note.fields.get("Answer", "")).casefold().strip(" .!")
    if note.type is not CardType.REVERSE and question and (
            fast._YES_NO_START.match(question) or answer in fast._YES_NO_ANSWERS):
        yield _diagnostic(note, "yes-no-question", "this is a yes/no question",
                          "ask for the fact itself (qui, quoi, quand, combien, pourquoi…)")


def _answer_in_question(note: NoteSpec, language: str) -> Iterable[Finding]:
    question = " ".join(reference_words(note.fields.get("Question", "")))
    answer = " ".join(reference_words(note.fields.get("Answer", "")))
    if len(answer) >= 3 and f" {answer} " in f" {question} ":
        yield _diagnostic(note, "answer-in-question", "the answer appears in the question",
                          "reword the question so that it does not give the answer away")


def _gap_length(note: NoteSpec, language: str) -> Iterable[Finding]:
    for number, gap, _hint in CLOZE_GAP.findall(note.fields.get("Text", "")):
        hidden = gap.split("::")[0]
        if len(reference_words(hidden)) > fast.MAX_GAP_WORDS:
            yield _diagnostic(note, "cloze-gap-length",
                              f"gap c{number} hides {len(reference_words(hidden))} words",
                              "hide a key word or two, not a whole clause")


def _typography(note: NoteSpec, language: str) -> Iterable[Finding]:
    if not language.startswith("fr"):
        return
    for name, value in note.fields.items():
        if not re.search(r'["?!;:]|\.\.\.', value):
            continue
        text = CLOZE_GAP.sub(lambda m: m.group(2), value) if "{{" in value else value
        if "`" in text:
            text = re.sub(r"`[^`]*`", "", text)
        problem = None
        if '"' in text:
            problem = 'straight quotes "…"; use « … »'
        elif "..." in text:
            problem = "three dots; use the ellipsis …"
        elif re.search(r"\w(?:[?!;]|:(?!:|//)\s)", text):
            problem = "no space before ? ! : or ;"
        if problem:
            yield _diagnostic(note, "typography", f"{name}: {problem}",
                              "write French typography (the spaces become non-breaking)")


def _question_form(note: NoteSpec, language: str) -> Iterable[Finding]:
    if note.type in (CardType.BASIC, CardType.TYPE_IN):
        question = reference_plain(fast._MEDIA.sub("", note.fields.get("Question", "")))
        question = question.rstrip()
        if question and question[-1] not in "?:…":
            yield _diagnostic(note, "question-form", "the question does not end with ? or :",
                              "ask a question, or use a reverse or cloze card")


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
        key = " ".join(reference_words(note.source))
        if key in first:
            yield _diagnostic(note, "duplicate-source",
                              f"same source as card {first[key].id!r} ({first[key].origin})",
                              "teach each fact once; quote the precise part this card is about")
        else:
            first[key] = note


def _answer_key(note: NoteSpec) -> str:
    return " ".join(reference_words(note.fields.get("Answer", "")))


def _near_duplicates(notes: Sequence[NoteSpec]) -> Iterable[Finding]:
    asked = [n for n in notes if n.type is not CardType.CLOZE]
    bags = [frozenset(w for w in reference_words(n.fields.get("Question", ""))
                      if w not in fast._STOPWORDS) for n in asked]
    frequency: dict[str, int] = defaultdict(int)
    for bag in bags:
        for word in bag:
            frequency[word] += 1
    index: dict[str, list[int]] = defaultdict(list)
    reported: set[int] = set()
    for i, bag in enumerate(bags):
        if len(bag) < 2:
            continue
        rare = [w for w in sorted(bag, key=lambda w: (frequency[w], w))[:2]
                if frequency[w] <= fast.MAX_WORD_FREQUENCY]
        candidates = {j for word in rare for j in index[word]}
        for j in sorted(candidates):
            other = bags[j]
            similarity = len(bag & other) / len(bag | other)
            same_answer = _answer_key(asked[i]) == _answer_key(asked[j])
            same_question = question_key(asked[i]) == question_key(asked[j])
            if similarity >= fast.NEAR_DUPLICATE and not (same_answer or same_question) \
                    and i not in reported:
                reported.add(i)
                yield _diagnostic(asked[i], "near-duplicate",
                                  f"nearly the same question as {asked[j].id!r} "
                                  f"({asked[j].origin}) with another answer",
                                  "make the questions say what differs between them")
        for word in rare:
            index[word].append(i)


def reference_lint(notes: Sequence[NoteSpec], *, language: str, has_seed: bool,
                   disabled: Iterable[str] = ()) -> list[Diagnostic]:
    deck_disabled = set(disabled)
    findings: list[Finding] = []
    for note in notes:
        for rule in (_answer_length, _yes_no, _answer_in_question, _gap_length, _typography,
                     _question_form):
            findings.extend(rule(note, language))
    if "ungrounded" not in deck_disabled:
        findings.extend(_ungrounded(notes, has_seed))
    if "duplicate-source" not in deck_disabled:
        findings.extend(_duplicate_sources(notes))
    if "near-duplicate" not in deck_disabled:
        findings.extend(_near_duplicates(notes))
    return [d for note, d in findings
            if d.code not in deck_disabled and d.code not in note.lint_disable]


def reference_question_key(note: NoteSpec) -> str:
    return reference_question_text_key(note.fields.get("Text") or note.fields.get("Question", ""))


def reference_question_text_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w{}:]+", " ", text).split())


def reference_check_cloze(note: NoteSpec) -> list[Diagnostic]:
    problems = []
    if note.type is CardType.CLOZE:
        text = note.fields.get("Text", "")
        gaps = CLOZE_GAP.findall(text)
        if not gaps:
            problems.append(note_diagnostic(
                note, "a cloze text needs at least one gap",
                "mark a gap as {{c1::answer}}; each number makes a card", "cloze"))
        elif any(int(number) == 0 or not answer.strip() for number, answer, _ in gaps):
            problems.append(note_diagnostic(
                note, "a cloze gap is empty or numbered c0",
                "number gaps from c1 and put the hidden words inside", "cloze"))
        stripped = CLOZE_GAP.sub("", text)
        if "{{" in stripped or "}}" in stripped:
            problems.append(note_diagnostic(
                note, "unbalanced or malformed cloze braces",
                "write gaps exactly as {{c1::answer}} (two colons)", "cloze"))
    else:
        for name, value in note.fields.items():
            if CLOZE_GAP.search(value) or re.search(r"\{\{\s*c\d+\s*:|\{\{c\d+:[^:]", value):
                problems.append(note_diagnostic(
                    note, f"{name} contains a cloze gap but the card is of type "
                    f"{note.type.value}", "use `type: cloze` with `text:`", "cloze"))
    return problems


def reference_check(notes: Sequence[NoteSpec], seed: Seed | None) -> Report:
    report = Report()
    grounded: set[tuple[str, str]] = set()
    ungrounded = 0
    for note in notes:
        report.extend(checks.check_sides(note))
        report.extend(reference_check_cloze(note))
        key = (note.fact_id or note.id, note.source or "")
        if key not in grounded:
            grounded.add(key)
            problems = checks.check_grounding(note, seed,
                                              suggest=ungrounded < checks.MAX_SUGGESTIONS)
            ungrounded += bool(problems)
            report.extend(problems)
    first: dict[str, NoteSpec] = {}
    for note in notes:
        key = reference_question_key(note)
        if not key:
            continue
        if key in first:
            report.add(note_diagnostic(
                note, f"same question as {checks.note_label(first[key])} ({first[key].origin})",
                "merge the two cards, or make the questions say what differs", "duplicate"))
        else:
            first[key] = note
    return report


def reference_media(deck: Path, notes: Sequence[NoteSpec]) -> list[Diagnostic]:
    from flashcards.media import MediaProblem

    problems = []
    for note in notes:
        for value in _author_fields(note.type, note_fields(note, "fr")):
            for ref in field_references(value):
                try:
                    resolve(deck, ref)
                except MediaProblem as exc:
                    problems.append(note_diagnostic(note, str(exc), exc.hint, "media",
                                                    exc.severity))
    return problems


def reference_markup(notes: Sequence[NoteSpec]) -> list[Diagnostic]:
    warnings = []
    for note in notes:
        removed: list[str] = []
        for name, value in note.fields.items():
            if "<" in value or "](" in value:
                removed += [f"{what} in {name}" for what in removed_markup(value)]
        if removed:
            warnings.append(note_diagnostic(note, f"removed {_shown(removed)}", _HINT,
                                            "unsafe-html", Severity.WARNING))
    return warnings
