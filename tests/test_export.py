"""`flashcards export`: CSV that Anki's own text import accepts, a Markdown study sheet, and
all-or-nothing writes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from anki.import_export_pb2 import CsvMetadata, ImportCsvRequest

from flashcards import api
from flashcards.diagnostics import Severity
from flashcards.export import CSV_COLUMNS, ExportFormat, export
from tests.helpers import MEDIA_CARDS, STARTER_CARDS, STARTER_FACTS, add_media, run_cli


def _rows(text: str) -> list[dict[str, str]]:
    """Read the CSV as a spreadsheet would, with the `#columns:` line as its header."""
    lines = text.splitlines(keepends=True)
    header = next(line for line in lines if line.startswith("#columns:"))
    body = [line for line in lines if not line.startswith("#")]
    return list(csv.DictReader(io.StringIO(header.removeprefix("#columns:") + "".join(body))))


def test_csv_one_row_per_note_and_anki_imports_it(project, write_deck, anki):
    write_deck("demo", deck="""
        name: Demo demo
        seed: tesla-dojo-2025-08-15.fr
        tags: [dojo]
        """, cards=STARTER_CARDS, facts=STARTER_FACTS)
    [result] = export(api.Project(project), format=ExportFormat.CSV)
    assert result.path == project / "dist" / "demo.csv"
    text = result.path.read_text(encoding="utf-8")
    rows = _rows(text)
    assert tuple(rows[0]) == CSV_COLUMNS
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == result.notes == 7
    abandon = by_id["abandon"]
    assert abandon["Front"] == "Quel projet de supercalculateur Tesla a-t-il abandonné\u202f?"
    assert abandon["Back"] == "Dojo" and abandon["deck"] == "Demo demo"
    assert abandon["type"] == "basic"
    assert by_id["unveiled"]["Front"] == "Le concept de Dojo fut dévoilé en […]."
    assert by_id["unveiled"]["Back"] == "Le concept de Dojo fut dévoilé en <b>2021</b>."
    assert "dojo" in by_id["bannon/person-role"]["tags"].split()

    # Anki's own text import: the header lines tell it the separator, HTML, and which columns
    # hold the GUID, deck and tags; Front/Back map onto its stock Basic notetype by name.
    metadata = anki.col.get_csv_metadata(str(result.path), None)
    assert metadata.delimiter == CsvMetadata.Delimiter.COMMA and metadata.is_html
    assert list(metadata.column_labels) == list(CSV_COLUMNS)
    assert (metadata.guid_column, metadata.deck_column, metadata.tags_column) == (2, 3, 9)
    assert list(metadata.global_notetype.field_columns) == [5, 6]
    log = anki.col.import_csv(ImportCsvRequest(path=str(result.path), metadata=metadata)).log
    assert len(log.new) == 7
    notes = {note.guid: note for note in anki.notes()}
    imported = notes[abandon["guid"]]
    assert imported["Front"] == abandon["Front"] and imported["Back"] == "Dojo"
    assert "Demo demo" in anki.deck_names()
    assert anki.col.decks.name(imported.cards()[0].did) == "Demo demo"
    assert "dojo" in notes[by_id["bannon/person-role"]["guid"]].tags


def test_markdown_study_sheet(project, write_deck):
    write_deck("demo", deck="""
        name: "Démo : l'essai"
        language: fr
        seed: tesla-dojo-2025-08-15.fr
        description: Un paquet d'essai.
        version: 2.1.0
        licence: CC BY-SA 4.0
        """, cards=STARTER_CARDS)
    [result] = export(api.Project(project), format=ExportFormat.MD)
    sheet = result.path.read_text(encoding="utf-8")
    assert sheet.startswith("# Démo\u00a0: l’essai\n")  # the language's typography
    [page] = export(api.Project(project), format=ExportFormat.HTML)
    assert "<h1>Démo\u00a0: l’essai</h1>" in page.path.read_text(encoding="utf-8")
    assert ("Version 2.1.0 · 4 notes · 5 cartes · Source\u00a0: tesla-dojo-2025-08-15.fr.txt, "
            "article du 15 août 2025" in sheet)
    assert "Licence\u00a0: CC BY-SA 4.0" in sheet and "Un paquet d’essai." in sheet
    assert ("- **Quel projet de supercalculateur Tesla a-t-il abandonné\u202f?**  \n  Dojo"
            in sheet)
    assert "- Le concept de Dojo fut dévoilé en **2021**." in sheet
    assert "  > Tesla a mis un terme à son ambitieux projet de supercalculateur" in sheet


def test_cli_export_all_formats_json(project, write_deck, monkeypatch):
    write_deck("demo", cards=STARTER_CARDS)
    monkeypatch.chdir(project)
    for format in ("csv", "md", "html"):
        run = run_cli("export", "demo", "--format", format, "--out", "handouts", "--json")
        assert run.exit_code == 0, run.output
        [entry] = json.loads(run.stdout)
        assert entry["format"] == format and entry["notes"] == 4 and entry["cards"] == 5
        assert Path(entry["path"]).resolve() == project / "handouts" / f"demo.{format}"
        assert Path(entry["path"]).stat().st_size > 0


def test_invalid_deck_writes_nothing(project, write_deck, monkeypatch):
    write_deck("demo", cards=STARTER_CARDS)
    write_deck("broken", cards="cards:\n  - id: x\n    question: Sans réponse ?\n")
    monkeypatch.chdir(project)
    run = run_cli("export", "--format", "csv")
    assert run.exit_code == 1
    assert "cards.yaml:2" in run.stderr and "answer" in run.stderr
    assert not (project / "dist").exists()  # not even the valid deck's export
    run = run_cli("export", "nope")
    assert run.exit_code == 2 and "no deck named 'nope'" in run.stderr


SUBDECK_DECK = """
    name: Démo
    language: fr
    seed: tesla-dojo-2025-08-15.fr
    subdecks: {by: kind, names: {person: Gens}, cards: Questions}
    """


def test_subdecks_group_the_sheet_and_the_csv_deck_column(project, write_deck, anki):
    write_deck("demo", deck=SUBDECK_DECK, cards=STARTER_CARDS, facts=STARTER_FACTS)
    [sheet] = export(api.Project(project), format=ExportFormat.MD)
    text = sheet.path.read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Questions", "## Gens", "## Dates"]
    people = text[text.index("## Gens"):text.index("## Dates")]
    assert "**Qui est Peter Bannon\u202f?**" in people and "abandonné" not in people

    [table] = export(api.Project(project), format=ExportFormat.CSV)
    decks = {row["id"]: row["deck"] for row in _rows(table.path.read_text(encoding="utf-8"))}
    assert decks["abandon"] == "Démo::Questions"
    assert decks["bannon/person-role"] == "Démo::Gens"
    metadata = anki.col.get_csv_metadata(str(table.path), None)
    anki.col.import_csv(ImportCsvRequest(path=str(table.path), metadata=metadata))
    assert {"Démo::Questions", "Démo::Gens", "Démo::Dates"} <= set(anki.deck_names())
    [nid] = anki.col.find_notes('"deck:Démo::Gens" "Front:Qui est Peter Bannon*"')
    assert anki.col.get_note(nid)["Back"].startswith("L’architecte en chef")


def test_markdown_links_media_from_where_the_sheet_is(project, write_deck):
    folder = write_deck("demo", cards=MEDIA_CARDS)
    add_media(folder, {"carte.png": b"\x89PNG\r\n\x1a\n", "lecture.mp3": b"ID3"})
    [result] = export(api.Project(project), format=ExportFormat.MD,
                      out_dir=project / "out" / "sheets")
    sheet = result.path.read_text(encoding="utf-8")
    assert "![la carte](../../decks/demo/media/carte.png)" in sheet
    assert "[🔊 lecture.mp3](../../decks/demo/media/lecture.mp3)" in sheet
    linked = result.path.parent / "../../decks/demo/media/carte.png"
    assert linked.resolve() == (folder / "media" / "carte.png").resolve()


def _cloze_deck(write_deck, text: str) -> None:
    write_deck("demo", cards=f"""
        cards:
          - id: unveiled
            type: cloze
            text: "{text}"
        """)


def test_a_cloze_hint_is_shown_as_anki_shows_it(project, write_deck):
    _cloze_deck(write_deck, "Le concept de Dojo fut dévoilé en {{c1::2021::année}}.")
    [table] = export(api.Project(project), format=ExportFormat.CSV)
    [row] = _rows(table.path.read_text(encoding="utf-8"))
    assert row["Front"] == "Le concept de Dojo fut dévoilé en [année]."
    assert row["Back"] == "Le concept de Dojo fut dévoilé en <b>2021</b>."
    [sheet] = export(api.Project(project), format=ExportFormat.MD)
    assert "dévoilé en **2021**." in sheet.path.read_text(encoding="utf-8")


def test_a_gap_with_only_a_hint_is_refused_at_its_line(project, write_deck):
    _cloze_deck(write_deck, "Le concept de Dojo fut dévoilé en {{c1::::année}}.")
    [outcome] = api.validate(api.Project(project)).values()
    assert isinstance(outcome, api.SourceError)
    [problem] = [d for d in outcome.diagnostics if d.severity is Severity.ERROR]
    assert problem.file.name == "cards.yaml" and problem.position.line == 2
    assert problem.code == "cloze" and "empty" in problem.message


def test_the_sheet_names_the_article_s_address_and_date(project, write_deck):
    write_deck("demo", deck="""
        name: Demo
        seed: tesla-dojo-2025-08-15.fr
        source_url: https://www.developpez.com/actu/dojo
        published: 2025-09-01
        """, cards=STARTER_CARDS)
    [result] = export(api.Project(project), format=ExportFormat.MD)
    assert ("Source\u00a0: https://www.developpez.com/actu/dojo, article du 1er septembre 2025"
            in result.path.read_text(encoding="utf-8"))


def test_unwritable_out_folder_and_unknown_format_are_clear_errors(project, write_deck,
                                                                   monkeypatch):
    write_deck("demo", cards=STARTER_CARDS)
    monkeypatch.chdir(project)
    (project / "a-file").write_text("", encoding="utf-8")
    out = str(project / "a-file" / "handouts")
    run = run_cli("export", "--out", out)
    assert run.exit_code == 1 and "Traceback" not in run.output
    assert f"cannot export: {out}: Not a directory" in run.stderr and "--out" in run.stderr
    run = run_cli("export", "--out", out, "--json")
    assert run.exit_code == 1 and "Not a directory" in json.loads(run.stdout)["error"]
    run = run_cli("export", "--format", "pdf")
    assert run.exit_code == 2 and "'pdf' is not one of 'csv', 'md', 'html'" in run.output
    assert not (project / "dist").exists()


def test_the_cli_offers_every_export_format():
    from flashcards.cli_share import ExportFormatOpt

    assert [f.value for f in ExportFormatOpt] == [f.value for f in ExportFormat]
