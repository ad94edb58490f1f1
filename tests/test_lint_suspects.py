"""lint asks its per-note rules only of the notes `lint._suspects` names, told from the texts
of all notes at once: every note in which `_note_problems` finds something must be among
them, on notes built to trigger, or nearly trigger, each rule's pre-check."""

from __future__ import annotations

import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import lint
from flashcards.models import CardType, NoteSpec
from flashcards.safety import check_markup
from tests.test_lint_fast import SETTINGS, cloze_texts, reference_markup, texts

# Words and what sits between them in answers: case that folds longer (ß, İ), spaces of
# every kind, marks, tags, the yes/no answers.
ANSWER_PIECES = ["la", "Puce", "DOJO", "ß", "İ", "ﬁ", "x,y", "a_b", "12", "é", "oui", "Non", "vrai",
                 "FALSE", " ", "  ", "\t", "\u2003", "\u00a0", "\n", ".", "!", " .", "*", "**",
                 "<b>", "</b>", "#", "`", "’"]
SPACES_DOTS = st.lists(st.sampled_from([" ", "\t", "\u2003", "\u3000", "\n", ".", "!", "?", "*"]),
                       max_size=3).map("".join)
answers = (st.lists(st.sampled_from(ANSWER_PIECES), max_size=48).map("".join)
           # about MAX_ANSWER_WORDS words, some folding longer
           | st.lists(st.sampled_from(["a", "b", "ß", "12", "İ", "x,y", "ﬁ"]), min_size=17,
                      max_size=25).map(" ".join)
           # a yes/no answer among spaces and dots
           | st.tuples(SPACES_DOTS, st.sampled_from([*sorted(lint._YES_NO_ANSWERS), "Oui", "NON"]),
                       SPACES_DOTS).map("".join))
# A question's start: spaces, then what a yes/no question starts with, or not.
STARTS = st.tuples(st.sampled_from(["", " ", "\t", "\u2003", "*"]),
                   st.sampled_from(["Est-ce ", "A-t-il ", "is ", "Quel ", "Où ", "ſont-ils "]))
# Where a question ends: a mark, spaces after it, a media reference, or none.
ENDS = st.sampled_from([" ?", "?", " :", "…", "", " ?\t", ".", " ! ", "![](x.png)", "<b>?</b>",
                        "[sound:a.mp3]"])
# Around and in gaps: what taking the delimiters away brings together (dots, colons, marks).
EDGE = st.lists(st.sampled_from(["", ".", "..", ":", "::", "?", "!", ";", " ", "a", "b c", "x_y",
                                 "//", "\n", '"', "`", "{", "}", "ﬁ"]), max_size=3).map("".join)
GAP_WORDS = st.lists(st.sampled_from(["a", "b", "ß", "12", "x_y", "ﬁ", "Ⅻ", "<b>"]),
                     min_size=5, max_size=8).map(" ".join)


@st.composite
def gap_texts(draw: st.DrawFn) -> str:
    parts = [draw(EDGE)]
    for _ in range(draw(st.integers(1, 3))):
        hint = draw(st.none() | EDGE)
        parts.append(f"{{{{c{draw(st.integers(0, 2))}::{draw(EDGE | GAP_WORDS)}"
                     f"{'' if hint is None else '::' + hint}}}}}")
        parts.append(draw(EDGE))
    return "".join(parts)


@st.composite
def question_answer(draw: st.DrawFn) -> tuple[str, str]:
    """An answer, and a question that holds it, or its words, or some of them, or not."""
    answer = draw(answers)
    words = answer.split()
    start = "".join(draw(STARTS))
    question = draw(st.sampled_from([
        f"{start}{answer}", f"{answer.upper()}", " ".join(reversed(words)),
        " ".join(words[:-1]), start + draw(texts), draw(answers), draw(gap_texts())]))
    return question + draw(ENDS), answer


@st.composite
def decks(draw: st.DrawFn) -> list[NoteSpec]:
    made = []
    for i in range(draw(st.integers(1, 10))):
        card_type = draw(st.sampled_from(list(CardType)))
        if card_type is CardType.CLOZE:
            fields = {"Text": draw(gap_texts() | cloze_texts | texts),
                      "Extra": draw(texts | gap_texts())}
        else:
            question, answer = draw(question_answer())
            fields = {"Question": question, "Answer": answer,
                      "Extra": draw(texts | gap_texts())}
            if draw(st.booleans()):
                fields["Text"] = draw(gap_texts())
        made.append(NoteSpec(id=f"n{i}", type=card_type, fields=fields, file="cards.yaml",
                             line=i + 1))
    return made


@SETTINGS
@given(decks(), st.booleans())
def test_suspects_hold_every_note_the_rules_find_something_in(notes: list[NoteSpec],
                                                              french: bool) -> None:
    suspects = lint._suspects(notes, french)
    assert suspects == sorted(set(suspects))
    assert {i for i, note in enumerate(notes) if lint._note_problems(note, french)} <= \
        set(suspects)


@SETTINGS
@given(st.lists(answers | texts | gap_texts() | st.just("\0"), max_size=6))
def test_texts_untagged_and_folded_at_once_as_one_by_one(many: list[str]) -> None:
    assert lint._untagged_many(many) == [lint._untagged(text) for text in many]
    assert lint._untagged_many(many, fold=True) == [lint._untagged(text).casefold()
                                                    for text in many]
    assert lint._casefolded(many) == [text.casefold() for text in many]


def test_what_the_pre_checks_take_from_casefolding_and_spaces() -> None:
    """Casefolding never shortens a text, never makes or unmakes a space (so it commutes with
    collapsing spaces); `_SPACES` is what `str.split` and `str.strip` take for spaces."""
    spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert set(lint._SPACES) == spaces
    for c in map(chr, range(sys.maxunicode + 1)):
        folded = c.casefold()
        assert len(folded) >= 1
        assert (c in spaces) == any(f in spaces for f in folded)
        assert c not in spaces or folded == c


# Cloze texts whose typography problem only taking a gap's delimiters away makes.
JOINED_BY_A_GAP = ["a..{{c1::.b}}", "{{c1::a..::h}}.", "{{c1::a..}}.", "a:{{c1:: b}}",
                   "a{{c1::: b}}", "a{{c1::x:}} b", "a{{c1::?}}", "a{{c1::!}}", "a{{c1::;}}",
                   "{{c1::a}}?", "{{c1::a}}!", "{{c1::a}};", "{{c1::a}}: b"]


def test_a_problem_a_gap_makes_is_suspected() -> None:
    for text in JOINED_BY_A_GAP:
        note = NoteSpec(id="n", type=CardType.CLOZE, fields={"Text": text}, file="c.yaml")
        assert [code for code, *_ in lint._note_problems(note, True)] == ["typography"], text
        assert lint._suspects([note], True) == [0], text


# Notes in which a rule finds something that a single pre-check lets through: a code span
# taken away (`a?`), a last word with a mark, a gap outside `Text`, a text holding a NUL.
ONE_PRE_CHECK = [
    (CardType.BASIC, {"Question": "Quoi a`x`?", "Answer": "b"}, "typography"),
    (CardType.BASIC, {"Question": "Quel le gras ?", "Answer": "le gras."}, "answer-in-question"),
    (CardType.BASIC, {"Question": "Quoi {{c1::a}}?", "Answer": "b"}, "typography"),
    (CardType.CLOZE, {"Text": "{{c1::a b c d e f g\0}}"}, "cloze-gap-length"),
]


def test_what_a_single_pre_check_lets_through_is_suspected() -> None:
    for card_type, fields, code in ONE_PRE_CHECK:
        note = NoteSpec(id="n", type=card_type, fields=fields, file="c.yaml")
        assert [found for found, *_ in lint._note_problems(note, True)] == [code], fields
        assert lint._suspects([note], True) == [0], fields


MARKUP_PIECES = ["[a](https://x.y)", "[a]", "(b)", "](", "<script>", "<b>", "a", " ", "\n",
                 "![](x.png)", "&lt;"]
markup_texts = st.lists(st.sampled_from(MARKUP_PIECES), max_size=5).map("".join)


@settings(SETTINGS, max_examples=100)
@given(st.lists(st.fixed_dictionaries({"Question": markup_texts, "Answer": markup_texts}),
                max_size=5))
def test_markup_asked_of_all_fields_at_once_as_of_each(fields: list[dict[str, str]]) -> None:
    notes = [NoteSpec(id=f"n{i}", type=CardType.BASIC, fields=f, file="c.yaml", line=i + 1)
             for i, f in enumerate(fields)]
    assert check_markup(notes) == reference_markup(notes)
