"""Card-quality rules: each finding has a code, a line, and can be turned off."""

from __future__ import annotations

from flashcards import api
from flashcards.diagnostics import Severity
from tests.helpers import add_media, run_cli


def findings(project, **files):
    deck = api.prepare(api.Project(project), project / "decks" / "demo")
    return deck.report.warnings


def lint_cards(write_deck, project, cards: str):
    write_deck("demo", cards=cards)
    return run_cli("lint", "--root", str(project))


def test_yes_no_question_is_an_error_with_its_line(project, write_deck):
    result = lint_cards(write_deck, project, """
        cards:
          - id: ok
            question: Qui dirigeait Dojo ?
            answer: Peter Bannon
            source: Peter Bannon, qui était à la tête de cette division
          - id: yes-no
            question: Est-ce que Tesla a abandonné Dojo ?
            answer: Oui
            source: Tesla a mis un terme à son ambitieux projet de supercalculateur
        """)
    assert result.exit_code == 1
    assert "cards.yaml:6:" in result.output
    assert "error[yes-no-question]" in result.output
    assert "lint_disable: [yes-no-question]" in result.output


def test_answer_in_question_is_an_error(project, write_deck):
    result = lint_cards(write_deck, project, """
        cards:
          - id: giveaway
            question: Quelle puce, la puce D1, équipait Dojo ?
            answer: la puce D1
            source: bâtie autour de ses propres puces D1
        """)
    assert result.exit_code == 1 and "answer-in-question" in result.output


def test_warnings_do_not_fail_unless_strict(project, write_deck):
    cards = """
        cards:
          - id: long
            question: Que dit la vidéo sur la fin de Dojo ?
            answer: >-
              Qu'il s'agit d'un réalignement pragmatique qui consiste à miser sur ce qui
              fonctionne, NVIDIA et les puces maison pour l'inférence, et à ne pas gaspiller
              des ressources sur un concurrent peu compétitif
            source: Sa fin est avant tout un réalignement pragmatique
          - id: gap
            type: cloze
            text: "Musk voyait en Dojo {{c1::la possibilité d'avoir une activité à part entière}}."
            source: Musk voyait en Dojo la possibilité d'avoir « une activité à part entière »
          - id: bare
            question: "Qui a fondé DensityAI ?"
            answer: Ganesha Venkataramanan
          - id: quotes
            question: Quel nom Musk a-t-il donné au "nouveau supercluster" de Tesla ?
            answer: Cortex
            source: lorsque Musk a commencé à vanter les mérites de Cortex
        """
    result = lint_cards(write_deck, project, cards)
    assert result.exit_code == 0, result.output
    for code in ("answer-length", "cloze-gap-length", "ungrounded", "typography"):
        assert f"warning[{code}]" in result.output
    strict = run_cli("lint", "--strict", "--root", str(project))
    assert strict.exit_code == 1


def test_rules_can_be_disabled_per_card_and_per_deck(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: bare
            question: Qui a fondé DensityAI ?
            answer: Ganesha Venkataramanan
            lint_disable: [ungrounded]
          - id: bare-2
            question: Quand Ganesha Venkataramanan a-t-il quitté Tesla ?
            answer: En 2023
        """)
    codes = [d.code for d in findings(project)]
    assert codes == ["ungrounded"]  # only bare-2's
    (project / "decks" / "demo" / "deck.yaml").write_text(
        "name: Demo\nseed: tesla-dojo-2025-08-15.fr\nlint_disable: [ungrounded]\n")
    assert findings(project) == []


def test_near_duplicate_questions_with_different_answers(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: a
            question: Quelle entreprise fabrique la puce AI5 de Tesla ?
            answer: TSMC
            source: ses puces AI5 et AI6, qui sont respectivement fabriquées par TSMC et Samsung
          - id: b
            question: Quelle entreprise fabrique la puce AI6 de Tesla ?
            answer: Samsung
            source: qui sont respectivement fabriquées par TSMC et Samsung
          - id: c
            question: Quelle entreprise fabrique donc la puce AI5 de Tesla ?
            answer: Samsung
            source: Tesla se concentrant désormais sur ses puces AI5 et AI6
        """)
    near = [d for d in findings(project) if d.code == "near-duplicate"]
    assert len(near) == 1 and "'c'" in near[0].message and "'a'" in near[0].message


def test_rules_are_listed(project):
    result = run_cli("lint", "--rules")
    assert result.exit_code == 0
    assert "yes-no-question" in result.output and "near-duplicate" in result.output


def test_build_fails_on_lint_errors(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: yes-no
            question: Tesla a-t-il abandonné Dojo ?
            answer: oui
        """)
    result = run_cli("build", "--root", str(project))
    assert result.exit_code == 1 and "yes-no-question" in result.output
    assert not (project / "dist" / "demo.apkg").exists()
    assert Severity.ERROR.value in result.output


def test_the_same_question_twice_is_one_duplicate_error_not_also_a_near_duplicate(
        project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: a
            question: Quelle entreprise fabrique la puce AI5 de Tesla ?
            answer: TSMC
          - id: b
            question: Quelle entreprise fabrique la puce AI5 de Tesla ?
            answer: Samsung
        """)
    result = run_cli("validate", "--root", str(project))
    assert result.exit_code == 1
    assert "same question" in result.output
    assert "near-duplicate" not in result.output


def test_an_image_after_the_question_mark_is_still_a_question(project, write_deck):
    deck = write_deck("demo", cards="""
        cards:
          - id: a
            question: "Quel projet montre cette photo ? ![photo](media/x.png)"
            answer: Dojo
            lint_disable: [ungrounded]
          - id: b
            question: "Le projet sur cette photo ![photo](media/x.png)"
            answer: Dojo
            lint_disable: [ungrounded]
        """)
    add_media(deck, {"x.png": b"\x89PNG\r\n\x1a\n"})
    form = [d for d in findings(project) if d.code == "question-form"]
    assert len(form) == 1 and "card 'b'" in form[0].message
