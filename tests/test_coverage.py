"""Coverage of the seed's factual sentences, as a table and as an HTML page."""

from __future__ import annotations

from flashcards import api
from flashcards.coverage import split_sentences
from flashcards.grounding import Seed
from tests.conftest import SEED
from tests.helpers import run_cli


def test_sentences_headings_and_questions_are_not_factual():
    sentences = split_sentences(Seed.read(SEED))
    by_text = {s.text: s for s in sentences}
    assert not by_text["Conclusion"].factual
    assert not by_text["Contexte : un rêve dindépendance technologique"].factual
    assert not by_text["Quelle analyse faites-vous de la situation ?"].factual
    assert by_text["- Tesla traverse une période financière compliquée."].factual
    assert sum(s.factual for s in sentences) > 60


def test_coverage_counts_sources_of_cards_and_facts(project, write_deck):
    write_deck("demo", cards="""
        cards:
          - id: finance
            question: Quelle période Tesla traverse-t-elle sur le plan financier ?
            answer: Une période compliquée
            source: Tesla traverse une période financière compliquée.
        """, facts="""
        facts:
          - id: bannon
            kind: person
            name: Peter Bannon
            role: le responsable de la division Dojo lors de l'AI Day 2022
            source: >-
              a déclaré Peter Bannon, qui était à la tête de cette division, lors de
              l'événement AI Day de Tesla en septembre 2022
        """)
    _, report = api.coverage(api.Project(project), "demo")
    covered = {s.text: s.notes for s in report.sentences if s.covered}
    assert covered["- Tesla traverse une période financière compliquée."] == ["finance"]
    bannon = [notes for text, notes in covered.items() if "Peter Bannon, qui était" in text]
    assert bannon == [["bannon/person-role", "bannon/person-name"]]
    assert 0 < report.ratio < 0.1


def test_coverage_command_table_html_and_minimum(project, write_deck, tmp_path):
    write_deck("demo", cards="""
        cards:
          - id: finance
            question: Quelle période Tesla traverse-t-elle sur le plan financier ?
            answer: Une période compliquée
            source: Tesla traverse une période financière compliquée.
        """)
    page = tmp_path / "coverage.html"
    result = run_cli("coverage", "demo", "--html", str(page), "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "total" in result.output
    html = page.read_text()
    assert "<span class='covered'>- Tesla traverse une période financière compliquée.</span>" \
        in html
    assert "href='#card-0'" in html and "id='card-0'" in html
    assert "class='missing'" in html
    low = run_cli("coverage", "demo", "--min", "90", "--root", str(project))
    assert low.exit_code == 1 and "below 90" in low.output
