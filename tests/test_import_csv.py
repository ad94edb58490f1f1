"""`flashcards import` from spreadsheets: encoding, delimiter, header mapping, quirks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from flashcards import api
from flashcards.import_csv import decode, header_key
from flashcards.load import load_yaml
from tests.helpers import run_cli

DATA = Path(__file__).parent / "data"
EXCEL = DATA / "cartes-excel-fr.csv"  # as Excel (French locale) saves "CSV UTF-8"


def import_sheet(project: Path, name: str, content: str | bytes, *args: str):
    """`flashcards import` of a file `name` holding `content`, into the deck demo."""
    sheet = project / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    sheet.write_bytes(content)
    return run_cli("import", str(sheet), "--into", "demo", "--root", str(project), *args)


def test_the_fixture_has_the_quirks():
    raw = EXCEL.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM
    assert raw.count(b"\r\n") == 7 and b";" in raw.splitlines()[0]  # CRLF, `;`
    assert b'"AI5 : TSMC\nAI6 : Samsung"' in raw  # a newline inside a quoted cell
    assert b'""dimanche""' in raw  # a doubled quote


def test_spreadsheet_quirks_import_build_and_reach_anki(project, write_deck, anki):
    deck = write_deck("demo")
    result = run_cli("import", str(EXCEL), "--into", "demo", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "encoding UTF-8 with BOM" in result.output
    assert "delimiter semicolon" in result.output
    assert "Recto→question, Verso→answer, Source→source, Étiquettes→tags" in result.output
    assert "imported 4 cards" in result.output
    # the record starting on line 7 (a quoted cell spans lines 3-4) has no answer
    assert "skipped 1:\n  cartes-excel-fr.csv:7: a basic card needs a question and an answer" \
        in result.output
    assert "columns ignored: Commentaire interne" in result.output

    cards = load_yaml(deck / "cards.yaml").data["cards"]
    assert [c.get("type", "basic") for c in cards] == ["basic", "basic", "basic", "cloze"]
    assert cards[1]["answer"] == "AI5 : TSMC<br>\nAI6 : Samsung"
    assert cards[1]["tags"] == ["puces", "fabricants"]
    assert cards[2]["question"] == "Comment Musk a-t-il qualifié Dojo 2 ; en quels termes ?"
    assert cards[3]["text"].startswith("En {{c1::2023}}, Ganesha")
    assert "\r" not in (deck / "cards.yaml").read_text(encoding="utf-8")

    [built] = api.build(api.Project(project))
    assert (built.note_count, built.card_count) == (4, 5)  # the cloze has two gaps
    log = anki.import_package(built.package)
    assert log.new == 4
    answers = {n["Answer"] for n in anki.notes() if "Answer" in n}
    assert "«\u00a0une impasse évolutive\u00a0»" in answers
    assert any("TSMC<br>\nAI6" in a for a in answers)  # the cell's line break

    again = run_cli("import", str(EXCEL), "--into", "demo", "--root", str(project))
    assert again.exit_code == 1  # nothing new: every row is already there, or invalid
    assert "imported 0 cards" in again.output
    assert "already in the deck: same question as 'quel-projet-de-supercalculateur" \
        in again.output


def test_windows_1252_tsv_without_header_into_a_new_deck(project):
    sheet = project / "vocabulaire.tsv"
    sheet.write_bytes("écureuil\tsquirrel\r\nélan\tmomentum\r\n".encode("cp1252"))
    result = run_cli("import", str(sheet), "--into", "vocab", "--root", str(project), "--json")
    document = json.loads(result.stdout)
    assert document["ok"] and document["created_deck"]
    assert document["encoding"].startswith("Windows-1252")
    assert document["delimiter"] == "tab"
    assert document["imported"] == ["ecureuil", "elan"]
    assert "no header row" in document["notes"][0]
    deck = project / "decks" / "vocab"
    assert load_yaml(deck / "deck.yaml").data["name"] == "Vocab"
    assert load_yaml(deck / "cards.yaml").data["cards"][0] == {
        "id": "ecureuil", "question": "écureuil", "answer": "squirrel"}
    assert isinstance(api.validate(api.Project(project))["vocab"], api.PreparedDeck)


def test_comma_csv_with_types_ids_and_bad_rows(project, write_deck):
    write_deck("demo", deck="name: Demo\n")  # no seed: sources are not checked
    result = import_sheet(project, "cards.csv",
                          "Front,Back,Type,ID,Notes\n"
                          "Puce AI5,fabriquée par TSMC,reversed,ai5,\n"
                          "Combien d'ingénieurs ?,20,type in,,au moins\n"
                          "Q ?,R,flip,,\n"
                          "Autre ?,R,,Bad Id,\n")
    assert result.exit_code == 0, result.output
    assert "delimiter comma" in result.output and "imported 2 cards" in result.output
    assert "cards.csv:4: unknown card type 'flip'" in result.output
    assert "cards.csv:5: the card is not valid: invalid id 'Bad Id'" in result.output
    cards = load_yaml(project / "decks" / "demo" / "cards.yaml").data["cards"]
    assert cards[0] == {"id": "ai5", "type": "reverse", "question": "Puce AI5",
                        "answer": "fabriquée par TSMC"}
    assert cards[1]["type"] == "type-in" and cards[1]["extra"] == "au moins"


def test_dry_run_writes_nothing_and_bad_files_are_usage_errors(project, write_deck):
    write_deck("demo")
    before = sorted(p.name for p in (project / "decks" / "demo").iterdir())
    dry = run_cli("import", str(EXCEL), "--into", "demo", "--root", str(project), "--dry-run")
    assert dry.exit_code == 0 and "would import 4 cards" in dry.output
    assert sorted(p.name for p in (project / "decks" / "demo").iterdir()) == before
    (project / "notes.pdf").write_bytes(b"%PDF")
    assert run_cli("import", str(project / "notes.pdf"), "--into", "demo", "--root",
                   str(project)).exit_code == 2
    assert run_cli("import", str(project / "nope.csv"), "--into", "demo", "--root",
                   str(project)).exit_code == 2


def test_decode_and_headers():
    assert decode("é".encode("utf-16"))[1].startswith("UTF-16")
    assert decode("é".encode())[1] == "UTF-8"
    assert header_key(" Réponse ") == "answer" and header_key("VERSO") == "answer"
    assert header_key("Front") == "question" and header_key("Étiquettes") == "tags"
    assert header_key("couleur") is None


def test_rows_the_build_would_refuse_are_skipped_with_the_reason(project, write_deck):
    deck = write_deck("demo")
    result = import_sheet(
        project, "cards.csv",
        "question,answer,source\n"
        "Qui a confirmé la fin de Dojo ?,Elon Musk,confirmée par le PDG Elon Musk\n"
        "Qui a racheté Twitter ?,Elon Musk,Musk a racheté Twitter en 2022\n"
        "Est-ce que Dojo est abandonné ?,Oui,\n")
    assert result.exit_code == 0, result.output
    assert "imported 1 card into" in result.output
    assert "cards.csv:3: source not found in seed" in result.output
    assert "cards.csv:4: this is a yes/no question [yes-no-question]" in result.output
    assert [c["id"] for c in load_yaml(deck / "cards.yaml").data["cards"]] == [
        "qui-a-confirme-la-fin-de-dojo"]
    assert isinstance(api.validate(api.Project(project))["demo"], api.PreparedDeck)


def test_a_spinner_on_a_terminal_only(project, write_deck):
    write_deck("demo")
    command = [sys.executable, "-m", "flashcards", "import", str(EXCEL), "--into", "demo",
               "--root", str(project), "--dry-run"]
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    terminal = subprocess.run(command, capture_output=True, text=True,
                              env={**base, "FORCE_COLOR": "1", "TERM": "xterm"})
    assert "importing cartes-excel-fr.csv…" in terminal.stderr
    piped = subprocess.run(command, capture_output=True, text=True, env=base)
    assert "importing" not in piped.stderr and "would import 4 cards" in piped.stdout


def workbook(names: list[str]) -> bytes:
    """A zip with the entries an office suite writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


def test_files_that_are_not_a_sheet_of_cards_say_how_to_fix_them(project, write_deck):
    deck = write_deck("demo")
    xlsx = workbook(["[Content_Types].xml", "xl/workbook.xml"])
    cases = [
        ("vide.csv", "", "vide.csv is empty: export the spreadsheet again with its cards"),
        ("entete.csv", "question;answer;source\r\n",
         "entete.csv:1: only a header row (question, answer, source), no card: add one row "
         "per card below it"),
        ("cartes.xlsx", xlsx, "cartes.xlsx is a spreadsheet workbook: save it as CSV (Excel: "
         "File → Save As → CSV UTF-8; LibreOffice: File → Save As → Text CSV"),
        ("cartes.csv", xlsx, "cartes.csv is an Excel workbook (.xlsx), not a spreadsheet "
         "saved as text: save it as CSV"),
        ("paquet.apkg", "question,answer\nQui dirige Tesla ?,Elon Musk\n",
         "paquet.apkg is text, not an Anki package (.apkg files are zip archives): if it is "
         "a spreadsheet, rename it .csv"),
        ("binaire.csv", b"question,answer\n\x00\x93\xff\x00\x01",
         "binaire.csv:2: a NUL byte: this is not a spreadsheet saved as text; save it as CSV"),
        ("dix.csv", "a,b,c,d,e,f,g,h,i,j\n" + ",".join(map(str, range(10))) + "\n",
         "dix.csv:1: no column is named as a question, and the file has 10 columns: name the "
         "columns in a first row"),
    ]
    before = sorted(p.name for p in deck.iterdir())
    for name, content, message in cases:
        for args in ((), ("--json",)):
            result = import_sheet(project, name, content, *args)
            assert result.exit_code == 2, (name, result.output)
            if args:
                assert message in json.loads(result.stdout)["error"], name
            else:
                assert message in " ".join(result.output.split()), (name, result.output)
    assert sorted(p.name for p in deck.iterdir()) == before  # no cards.yaml written

    folder = run_cli("import", str(project), "--into", "demo", "--root", str(project), "--json")
    assert folder.exit_code == 2 and "is a folder" in json.loads(folder.stdout)["error"]

    for outside in ("..", "../elsewhere", "Démo"):
        sheet = project / "cartes.csv"
        sheet.write_text("question,answer\nQui dirige Tesla ?,Elon Musk\n", encoding="utf-8")
        escaped = run_cli("import", str(sheet), "--into", outside, "--root", str(project))
        assert escaped.exit_code == 2 and "invalid deck slug" in escaped.output, outside
    assert not (project / "cards.yaml").exists() and not (project / "elsewhere").exists()


def test_ten_columns_under_a_header_keep_the_known_ones(project, write_deck):
    write_deck("demo", deck="name: Demo\n")
    header = "Front,Back," + ",".join(f"colonne {n}" for n in range(3, 11))
    row = "Qui dirige Tesla ?,Elon Musk," + ",".join(str(n) for n in range(3, 11))
    result = import_sheet(project, "dix.csv", f"{header}\n{row}\n")
    assert result.exit_code == 0, result.output
    assert "imported 1 card" in result.output
    assert "columns ignored: colonne 3, colonne 4" in result.output
    assert load_yaml(project / "decks" / "demo" / "cards.yaml").data["cards"] == [
        {"id": "qui-dirige-tesla", "question": "Qui dirige Tesla ?", "answer": "Elon Musk"}]


def test_re_running_an_unchanged_sheet_is_not_an_error(project, write_deck):
    write_deck("demo")
    sheet = project / "sheet.csv"
    sheet.write_text("Question;Réponse\nQuel projet Tesla a-t-il abandonné ?;Dojo\n",
                     encoding="utf-8")
    first = run_cli("import", str(sheet), "--into", "demo", "--root", str(project))
    assert first.exit_code == 0 and "imported 1 card" in first.output, first.output
    again = run_cli("import", str(sheet), "--into", "demo", "--root", str(project))
    assert again.exit_code == 0, again.output
    assert "imported 0 cards" in again.output and "already in the deck" in again.output


def test_a_row_the_build_would_call_a_duplicate_is_already_in_the_deck(project, write_deck):
    write_deck("demo")
    sheet = project / "cartes.csv"
    # The same question for the build (punctuation and hyphens aside), not for a byte compare.
    sheet.write_text("Question,Réponse\n"
                     "Qu'a-t-il annoncé ?,la fin de Dojo\n"
                     "Qu'a t il annoncé ?,la fin de Dojo\n", encoding="utf-8")
    result = run_cli("import", str(sheet), "--into", "demo", "--root", str(project))
    assert result.exit_code == 0, result.output
    assert "imported 1 card" in result.output
    assert "cartes.csv:3: already in the deck: same question as 'qu-a-t-il-annonce'" \
        in result.output, result.output
