"""`flashcards add`: a card appended to cards.yaml, every other byte of the file kept."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from flashcards import api
from flashcards.authoring import slug
from flashcards.cli import app
from flashcards.load import load_yaml
from tests.conftest import REPO
from tests.helpers import run_cli

QUESTION = "Qui a confirmé la fin de Dojo ?"


def dojo_cards(project, write_deck):
    """A deck whose cards.yaml is the shipped Dojo one: comments, sections, long lines."""
    folder = write_deck("demo")
    shutil.copy(REPO / "decks" / "dojo" / "cards.yaml", folder / "cards.yaml")
    return folder / "cards.yaml"


def test_add_keeps_every_byte_and_appends_a_valid_card(project, write_deck):
    cards = dojo_cards(project, write_deck)
    before = cards.read_bytes()
    result = run_cli("add", "demo", "--root", str(project), "-q", QUESTION, "-a", "Elon Musk",
                     "-s", "confirmée par le PDG Elon Musk", "--tag", "fin")
    assert result.exit_code == 0, result.output
    after = cards.read_bytes()
    assert after.startswith(before)
    assert after[len(before):].decode() == (
        "  - id: qui-a-confirme-la-fin-de-dojo\n"
        "    question: Qui a confirmé la fin de Dojo ?\n"
        "    answer: Elon Musk\n"
        "    source: confirmée par le PDG Elon Musk\n"
        "    tags: [fin]\n")
    line = len(before.decode().splitlines()) + 1
    assert "added 'qui-a-confirme-la-fin-de-dojo' to " in result.output
    assert result.output.strip().endswith(f"cards.yaml:{line}")
    deck = api.validate(api.Project(project))["demo"]
    assert isinstance(deck, api.PreparedDeck), deck
    assert deck.notes[-1].fields["Answer"] == "Elon Musk"

    # The deck is checked with the new card before anything is written.
    between = cards.read_bytes()
    again = run_cli("add", "demo", "--root", str(project), "-q", QUESTION, "-a", "Musk",
                    "--type", "type-in")
    assert again.exit_code == 1
    assert f"cards.yaml:{line + 5}:1: error[duplicate]: card 'qui-a-confirme-la-fin-de-dojo-2'" \
        f": same question as card 'qui-a-confirme-la-fin-de-dojo' (" in again.output
    # the first card's place is the deck's own file, not the copy the check ran in
    assert f"({cards}:{line})" in again.output, again.output
    assert "the card was not added" in again.output
    assert cards.read_bytes() == between


def test_ids_are_unique_and_warnings_are_shown(project, write_deck):
    write_deck("demo")
    root = ("--root", str(project))
    first = "Quelle valeur Morgan Stanley prêtait-il à Dojo en 2023 ?"
    assert run_cli("add", "demo", *root, "-q", first, "-a", "500 milliards").exit_code == 0
    second = json.loads(run_cli("add", "demo", *root, "-q", first.replace("2023", "2024"),
                                "-a", "600 milliards", "--json").stdout)
    assert second["id"] == "quelle-valeur-morgan-stanley-pretait-il-a-dojo-2"  # cut, unique
    assert any(d["code"] == "ungrounded" for d in second["diagnostics"])


def test_interactive_add_offers_the_seeds_closest_sentences(project, write_deck):
    cards = dojo_cards(project, write_deck)
    before = cards.read_bytes()
    answers = "\n".join([
        "type-in",                                   # type
        "Combien de milliards de dollars Dojo pouvait-il ajouter à Tesla ?",
        "500",                                       # answer
        "Morgan Stanley 500 milliards",              # not in the article
        "1",                                         # the closest sentence
    ]) + "\n"
    result = CliRunner().invoke(app, ["add", "demo", "--root", str(project)], input=answers)
    assert result.exit_code == 0, result.output
    assert "not found in the seed" in result.output
    assert "1. Morgan Stanley estimait en 2023" in result.output
    added = cards.read_bytes()[len(before):].decode()
    assert "    type: type-in\n" in added and "    answer: '500'\n" in added
    assert "    source: Morgan Stanley estimait en 2023 qu'il pourrait ajouter 500" in added
    assert isinstance(api.validate(api.Project(project))["demo"], api.PreparedDeck)


def test_interactive_cloze_and_no_source(project, write_deck):
    write_deck("demo", cards="cards: []  # rien encore\n")
    answers = "\n".join(["cloze", "Dojo fut dévoilé en 2021.",  # no gap: asked again
                         "Dojo fut dévoilé en {{c1::2021}}.", "pas dans l'article",
                         "n"]) + "\n"
    result = CliRunner().invoke(app, ["add", "demo", "--root", str(project)], input=answers)
    assert result.exit_code == 0, result.output
    assert "a cloze needs at least one gap" in result.output
    text = (project / "decks" / "demo" / "cards.yaml").read_text(encoding="utf-8")
    assert text == ("cards:  # rien encore\n"
                    "  - id: dojo-fut-devoile-en-2021\n"
                    "    type: cloze\n"
                    "    text: Dojo fut dévoilé en {{c1::2021}}.\n")


def test_crlf_bom_and_missing_file(project, write_deck):
    folder = write_deck("demo")
    cards = folder / "cards.yaml"
    original = "\ufeff# cartes\r\ncards:\r\n    - id: a\r\n      question: Q ?\r\n      answer: R"
    cards.write_bytes(original.encode("utf-8"))
    assert run_cli("add", "demo", "--root", str(project), "-q", "Quoi ?", "-a", "on",
                   "--id", "b").exit_code == 0
    raw = cards.read_bytes()
    assert raw == (original + "\r\n    - id: b\r\n      question: Quoi ?\r\n"
                   "      answer: 'on'\r\n").encode("utf-8")
    assert load_yaml(cards).data["cards"][1] == {"id": "b", "question": "Quoi ?",
                                                 "answer": "on"}

    write_deck("other")
    assert run_cli("add", "other", "--root", str(project), "-q", "Quoi ?", "-a", "R"
                   ).exit_code == 0
    created = (project / "decks" / "other" / "cards.yaml").read_text(encoding="utf-8")
    assert created == "cards:\n  - id: quoi\n    question: Quoi ?\n    answer: R\n"


def test_refusals_leave_the_file_alone(project, write_deck):
    cards = dojo_cards(project, write_deck)
    before = cards.read_bytes()
    root = ("--root", str(project))
    cases = [
        (["-q", "Q ?", "-a", "R", "--type", "flip"], "unknown card type 'flip'"),
        (["-q", "Q ?"], "needs a question and an answer"),
        (["-q", "Q ?", "-a", "R", "--id", "headline"], "id 'headline' is already used"),
        (["-q", "Q ?", "-a", "R", "--id", "Bad Id"], "invalid id 'Bad Id' (use lowercase"),
        (["-q", "Q ?", "-a", "R", "--tag", "vie locale"],
         "'tags' item 1 must be one word without spaces"),
        (["-q", "Q ?", "-a", "R", "-s", "Musk a racheté Twitter"], "closest sentences"),
        (["-q", "Pas de trou", "--type", "cloze"], "gap"),
    ]
    for args, message in cases:
        result = run_cli("add", "demo", *root, *args)
        assert result.exit_code in (1, 2), (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert cards.read_bytes() == before
    assert run_cli("add", "nope", *root, "-q", "Q ?", "-a", "R").exit_code == 2


def test_slug():
    assert slug("Qu'est-ce que l'Élysée ?") == "qu-est-ce-que-l-elysee"
    assert slug("Le {{c1::Dojo}} fut dévoilé en {{c2::2021::année}}.") == \
        "le-dojo-fut-devoile-en-2021"
    assert len(slug("mot " * 40)) <= 48
    assert slug("« ? »") == "carte"


def test_flow_style_empty_and_comment_only_cards_files(project, write_deck):
    cards = write_deck("demo") / "cards.yaml"
    root = ("--root", str(project))
    flow = '# mes cartes\ncards: [{id: a, question: "Qui dirige Tesla ?", answer: Elon Musk}]\n'
    cards.write_text(flow, encoding="utf-8")
    refused = run_cli("add", "demo", *root, "-q", QUESTION, "-a", "Elon Musk")
    assert refused.exit_code == 2
    assert "cards.yaml:2: cannot append a card here: the cards are not a block list" in \
        " ".join(refused.output.split())
    assert cards.read_text(encoding="utf-8") == flow

    for original in ("", "# rien encore\n"):
        cards.write_text(original, encoding="utf-8")
        added = run_cli("add", "demo", *root, "-q", QUESTION, "-a", "Elon Musk")
        assert added.exit_code == 0, added.output
        assert cards.read_text(encoding="utf-8") == original + (
            "cards:\n  - id: qui-a-confirme-la-fin-de-dojo\n"
            "    question: Qui a confirmé la fin de Dojo ?\n    answer: Elon Musk\n")
