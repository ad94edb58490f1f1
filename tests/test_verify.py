"""`flashcards verify`: a package imported into a throwaway collection of the real Anki
engine, as a student would, and what would trip a student up."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import genanki
import pytest

from flashcards import api
from flashcards.project import UsageError
from flashcards.verify import PackageError, verify_package
from tests.conftest import REPO
from tests.helpers import MEDIA_CARDS, STARTER_CARDS, STARTER_FACTS, add_media, run_cli

_BASIC = genanki.Model(1_607_392_319, "Plain", fields=[{"name": "Front"}, {"name": "Back"}],
                       templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                                   "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}])


def _genanki_package(path: Path, notes: list[genanki.Note], model=_BASIC) -> Path:
    deck = genanki.Deck(2_059_400_110, "Hand made")
    for note in notes:
        deck.add_note(note)
    genanki.Package(deck).write_to_file(str(path))
    return path


def test_a_built_deck_is_clean(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [result] = api.build(api.Project(project))
    report = verify_package(result.package)
    assert report.ok, report.findings
    assert (report.notes, report.cards) == (result.note_count, result.card_count) == (7, 8)
    assert report.decks == ["Demo demo"]
    assert len(report.notetypes) == 4
    assert report.media == []


def test_the_shipped_decks_pass_with_no_finding(tmp_path):
    project = tmp_path / "copy"
    shutil.copytree(REPO / "decks", project / "decks")
    shutil.copytree(REPO / "seeds", project / "seeds")
    for result in api.build(api.Project(project)):
        report = verify_package(result.package)
        assert report.findings == []
        assert report.notes == result.note_count and report.cards == result.card_count
        if result.slug == "dojo":
            parent = "Dojo : la fin du supercalculateur de Tesla"
            assert {parent, f"{parent}::Personnes", f"{parent}::Dates"} <= set(report.decks)
            assert "CC BY-SA 4.0" in report.descriptions[parent]


def test_cli_json_and_exit_code(project, write_deck, monkeypatch):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    run = run_cli("verify", str(result.package), "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["ok"] is True and data["notes"] == 4 and data["cards"] == 5
    assert data["decks"] == ["Demo demo"] and data["findings"] == []
    assert "Version" in data["descriptions"]["Demo demo"]


def test_empty_front_cloze_without_gap_and_bad_template(tmp_path):
    cloze = genanki.Model(1_607_392_320, "Gaps", fields=[{"name": "Text"}],
                          templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                                      "afmt": "{{cloze:Text}}"}],
                          model_type=genanki.Model.CLOZE)
    broken = genanki.Model(1_607_392_321, "Broken", fields=[{"name": "Front"}],
                           templates=[{"name": "Card 1", "qfmt": "{{Front}} {{Missing}}",
                                       "afmt": "{{Front}}"}])
    empty = genanki.Note(model=_BASIC, fields=["", "une réponse"], guid="empty")
    empty.cards = [genanki.Card(0)]  # genanki would drop it; older tools did not
    package = _genanki_package(tmp_path / "bad.apkg", [
        empty,
        genanki.Note(model=_BASIC, fields=["<br>", "une autre"], guid="blank-html"),
        genanki.Note(model=_BASIC, fields=["Une question ?", "Oui"], guid="fine"),
        genanki.Note(model=cloze, fields=["Aucune lacune ici."], guid="nogap"),
        genanki.Note(model=broken, fields=["Texte"], guid="broken"),
    ])
    report = verify_package(package)
    found = {(f.code, f.guid) for f in report.findings}
    assert found == {("empty-front", "empty"), ("empty-front", "blank-html"),
                     ("cloze-without-gap", "nogap"), ("render-error", "broken")}
    assert "Missing" in next(f.message for f in report.findings if f.code == "render-error")
    assert report.notes == 5 and report.cards == 4

    run = run_cli("verify", str(package))
    assert run.exit_code == 1
    assert "empty-front" in run.stderr and "cloze-without-gap" in run.stderr


def test_missing_media_and_active_content(tmp_path):
    package = _genanki_package(tmp_path / "media.apkg", [
        genanki.Note(model=_BASIC, fields=['Voir <img src="carte.png">', "[sound:absent.mp3]"],
                     guid="media"),
        genanki.Note(model=_BASIC, fields=['<b onclick="steal()">Q</b>', "<script>x()</script>"],
                     guid="active"),
        genanki.Note(model=_BASIC, fields=['<img src="https://tracker.example/p.png"> Q', "R"],
                     guid="remote"),
    ])
    report = verify_package(package)
    missing = sorted(f.message for f in report.findings if f.code == "missing-media")
    assert len(missing) == 2  # a remote image is not media: it is active content
    assert any("carte.png" in m for m in missing) and any("absent.mp3" in m for m in missing)
    active = [f for f in report.findings if f.code == "active-content"]
    assert {f.guid for f in active} == {"active", "remote"}
    messages = " ".join(f.message for f in active)
    assert "<script>" in messages and "event-handler" in messages and "remote URL" in messages


def test_truncated_foreign_and_empty_zip_are_clear_errors(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    truncated = tmp_path / "truncated.apkg"
    truncated.write_bytes(result.package.read_bytes()[:2000])
    text = tmp_path / "notes.apkg"
    text.write_text("Ceci n'est pas un paquet.\n", encoding="utf-8")
    foreign = tmp_path / "photos.apkg"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("photo.txt", "rien")
    not_a_database = tmp_path / "mon paquet.apkg"  # a space in the name, too
    with zipfile.ZipFile(not_a_database, "w") as archive:
        archive.writestr("collection.anki2", "ceci n'est pas une base")
    empty = tmp_path / "vide.apkg"
    empty.write_bytes(b"")
    for path, words in ((truncated, "truncated"), (text, "is not one"),
                        (foreign, "not an Anki package"), (empty, "an empty file"),
                        (not_a_database, "collection.anki2 is not an Anki collection")):
        with pytest.raises(PackageError, match=words):
            verify_package(path)
        run = run_cli("verify", str(path))
        assert run.exit_code == 1
        assert f"error: {path}: " in run.stderr and words in run.stderr
        assert "Traceback" not in run.output
    for path, words in ((tmp_path / "nope.apkg", "no such file"), (tmp_path, "a folder")):
        with pytest.raises(UsageError, match=words):
            verify_package(path)
        run = run_cli("verify", str(path))
        assert run.exit_code == 2 and words in run.stderr


def test_damaged_collection_is_a_clear_error(tmp_path):
    package = tmp_path / "damaged.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("collection.anki2", b"SQLite format 3\x00" + b"\x07" * 3000)
        archive.writestr("media", "{}")
    run = run_cli("verify", str(package))
    assert run.exit_code == 1
    assert "Anki cannot import it" in run.stderr
    assert "Traceback" not in run.output


def test_without_the_anki_engine_exit_2_with_the_install_command(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    # `None` in sys.modules makes `import anki` fail exactly as when it is not installed.
    code = ("import sys; sys.modules['anki'] = None; sys.argv = ['flashcards', 'verify', "
            f"{str(result.package)!r}]; from flashcards.cli import main; main()")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO)
    assert run.returncode == 2
    assert "pip install anki" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_template_file_without_underscore_is_dropped_by_anki(tmp_path):
    """ANKI-NOTES: a file referenced only by templates reaches the collection only when its
    name starts with `_`. verify finds the one Anki dropped."""
    css = ("@font-face { font-family: A; src: url('police.woff2'); }\n"
           "@font-face { font-family: B; src: url(\"_police-3f2a.woff2\"); }\n")
    styled = genanki.Model(1_607_392_322, "Styled", fields=[{"name": "Front"}, {"name": "Back"}],
                           templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                                       "afmt": "{{Front}}<hr id=answer>{{Back}}"}], css=css)
    deck = genanki.Deck(2_059_400_111, "Styled deck")
    deck.add_note(genanki.Note(model=styled, fields=["Une question ?", "Une réponse"],
                               guid="styled"))
    files = []
    for name in ("police.woff2", "_police-3f2a.woff2"):
        (tmp_path / name).write_bytes(b"wOF2 font bytes " + name.encode())
        files.append(str(tmp_path / name))
    package = tmp_path / "styled.apkg"
    genanki.Package(deck, media_files=files).write_to_file(str(package))
    report = verify_package(package)
    assert report.media == ["_police-3f2a.woff2"]  # Anki kept only the _ file
    [finding] = report.findings
    assert finding.code == "missing-media" and "'police.woff2'" in finding.message
    assert "starts with _" in finding.message


def test_a_deck_with_media_and_tts_verifies_clean(project, write_deck):
    folder = write_deck("demo", deck="""
        name: Démo média
        seed: tesla-dojo-2025-08-15.fr
        tts: true
        """, cards=MEDIA_CARDS)
    add_media(folder, {"carte.png": b"\x89PNG\r\n\x1a\n not really",
                       "lecture.mp3": b"ID3\x03\x00 fake frames", "police.woff2": b"wOF2 font"})
    (folder / "style.css").write_text(
        "@font-face { font-family: Dojo; src: url(media/police.woff2); }\n", encoding="utf-8")
    [result] = api.build(api.Project(project))
    report = verify_package(result.package)
    assert report.findings == []
    assert len(report.media) == 3
    [font] = [n for n in report.media if n.startswith("_")]  # CSS-only: kept thanks to the _
    assert font.startswith("_police-") and font.endswith(".woff2")


def test_media_listed_but_not_in_the_package(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    package = tmp_path / "incomplete.apkg"
    with zipfile.ZipFile(result.package) as source, zipfile.ZipFile(package, "w") as target:
        target.writestr("collection.anki2", source.read("collection.anki2"))
        target.writestr("media", json.dumps({"0": "carte-0123.png"}))
    report = verify_package(package)
    [finding] = report.findings
    assert finding.code == "missing-media" and "'carte-0123.png'" in finding.message


def test_cli_several_packages_one_json_list(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS)
    write_deck("other", deck="name: Autre\nseed: tesla-dojo-2025-08-15.fr\n",
               facts=STARTER_FACTS)
    results = api.build(api.Project(project))
    run = run_cli("verify", *(str(r.package) for r in results), "--json")
    assert run.exit_code == 0, run.output
    documents = json.loads(run.stdout)
    assert [d["decks"] for d in documents] == [["Demo demo"], ["Autre"]]
    assert [d["notes"] for d in documents] == [r.note_count for r in results]
    text = run_cli("verify", *(str(r.package) for r in results))
    assert text.exit_code == 0 and text.stdout.count("ok: no finding") == 2


def test_one_bad_file_among_several_the_others_are_still_verified(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    bad = tmp_path / "notes.apkg"
    bad.write_text("pas un paquet", encoding="utf-8")
    run = run_cli("verify", str(bad), str(result.package))
    assert run.exit_code == 1
    assert "not an Anki package" in run.stderr and "ok: no finding" in run.stdout
    run = run_cli("verify", str(bad), str(result.package), "--json")
    assert run.exit_code == 1
    error, report = json.loads(run.stdout)
    assert error["ok"] is False and error["package"] == str(bad)
    assert "not an Anki package" in error["error"]
    assert report["ok"] is True and report["notes"] == 4
    alone = run_cli("verify", str(tmp_path / "nope.apkg"), "--json")
    assert alone.exit_code == 2
    assert json.loads(alone.stdout)["error"].endswith("no such file")


def test_a_package_in_anki_s_newer_format_verifies(project, write_deck, tmp_path, anki):
    """Current Anki exports `collection.anki21b` (zstd) beside a stub collection.anki2."""
    from anki.collection import ExportAnkiPackageOptions

    write_deck("demo", cards=STARTER_CARDS)
    [result] = api.build(api.Project(project))
    anki.import_package(result.package)
    modern = tmp_path / "modern.apkg"
    anki.col.export_anki_package(
        out_path=str(modern), limit=None,
        options=ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False,
                                         with_media=False, legacy=False))
    assert "collection.anki21b" in zipfile.ZipFile(modern).namelist()
    report = verify_package(modern)
    assert report.findings == [] and (report.notes, report.cards) == (4, 5)


def test_a_package_without_notes_is_a_finding(project, write_deck):
    write_deck("demo", deck="name: Vide\n")
    [result] = api.build(api.Project(project))
    report = verify_package(result.package)
    assert [f.code for f in report.findings] == ["empty-package"]
    assert run_cli("verify", str(result.package)).exit_code == 1
