"""`flashcards import` from Anki packages: GUIDs kept, so students keep their reviews."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest
import zstandard
from anki.collection import ExportAnkiPackageOptions

from flashcards import api
from flashcards.import_apkg import html_to_text, note_shape
from flashcards.load import load_yaml
from tests.anki_engine import AnkiCollection
from tests.helpers import STARTER_CARDS, STARTER_FACTS, package_rows, run_cli
from tests.test_lifecycle import review_everything, scheduling


def notes_by_guid(package: Path) -> dict[str, tuple[str, str]]:
    return {guid: (fields, tags.strip())
            for guid, fields, tags in package_rows(package, "SELECT guid, flds, tags FROM notes")}


def new_project(folder: Path) -> api.Project:
    (folder / "decks").mkdir(parents=True)
    return api.Project(folder)


def test_round_trip_of_a_package_built_by_the_tool(project, write_deck, tmp_path, anki):
    write_deck("demo", cards=STARTER_CARDS, facts=STARTER_FACTS)
    [original] = api.build(api.Project(project))
    anki.import_package(original.package)
    review_everything(anki)
    reviewed = scheduling(anki)

    other = new_project(tmp_path / "elsewhere")
    result = run_cli("import", str(original.package), "--into", "demo", "--root",
                     str(other.root))
    assert result.exit_code == 0, result.output
    assert "imported 7 cards" in result.output and "skipped" not in result.output
    deck = load_yaml(other.decks_dir / "demo" / "deck.yaml").data
    assert deck["name"] == "Demo demo"  # the package's deck: students' Anki finds it
    [rebuilt] = api.build(other)

    # Same notes, same GUIDs, and the same fields and tags as Anki receives them.
    assert notes_by_guid(rebuilt.package) == notes_by_guid(original.package)
    log = anki.import_package(rebuilt.package)
    assert (log.new, log.conflicting) == (0, 0)
    assert len(anki.notes()) == 7 and scheduling(anki) == reviewed


def vocabulary_deck() -> genanki.Deck:
    deck = genanki.Deck(2059400110, "Vocabulaire::Anglais")
    for model, fields, tags in (
        (genanki.BASIC_MODEL, ["<b>écureuil</b>", "squirrel"], ["animaux"]),
        (genanki.BASIC_AND_REVERSED_CARD_MODEL, ["élan", "momentum<br>(physique)"], []),
        (genanki.CLOZE_MODEL, ["Le {{c1::chat}} dort&nbsp;!", "un animal"], ["leech"]),
        (genanki.BASIC_TYPE_IN_THE_ANSWER_MODEL, ["Capitale du Canada ?", "Ottawa"], []),
        (genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, ["chien", "dog", "y"], []),
        (genanki.BASIC_OPTIONAL_REVERSED_CARD_MODEL, ["chat", "cat", ""], []),
    ):
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags))
    return deck


def test_a_genanki_deck_keeps_its_guids_and_students_their_reviews(tmp_path, anki):
    package = tmp_path / "vocab.apkg"
    deck = vocabulary_deck()
    genanki.Package(deck).write_to_file(package)
    guids = {note.guid for note in deck.notes}
    anki.import_package(package)
    review_everything(anki)
    reviewed = scheduling(anki)
    revlog = anki.col.db.scalar("select count() from revlog")

    other = new_project(tmp_path / "p")
    result = run_cli("import", str(package), "--into", "vocab", "--root", str(other.root))
    assert result.exit_code == 0, result.output
    assert "imported 6 cards into decks/vocab/cards.yaml (new deck)" in result.output \
        or "imported 6 cards into" in result.output
    cards = load_yaml(other.decks_dir / "vocab" / "cards.yaml").data["cards"]
    assert {c["guid"] for c in cards} == guids
    assert [c.get("type", "basic") for c in cards] == [
        "basic", "reverse", "cloze", "type-in", "reverse", "basic"]
    assert cards[0]["question"] == "**écureuil**" and cards[0]["tags"] == ["animaux"]
    assert cards[1]["answer"] == "momentum<br>\n(physique)"
    assert cards[2] == {"id": "le-chat-dort", "type": "cloze", "text": "Le {{c1::chat}} dort !",
                        "extra": "un animal", "guid": cards[2]["guid"]}  # `leech` dropped
    assert (cards[3]["question"], cards[3]["answer"]) == ("Capitale du Canada ?", "Ottawa")

    [rebuilt] = api.build(other)
    assert set(notes_by_guid(rebuilt.package)) == guids
    log = anki.import_package(rebuilt.package)
    # Matched by GUID: no duplicate note, every card and review kept. The notetypes differ
    # (genanki's vs the deck's own), so Anki reports the notes "conflicting" and keeps the
    # student's copy as it was: progress survives, the new wording does not arrive.
    assert log.new == 0 and log.conflicting == 6
    assert len(anki.notes()) == 6
    assert scheduling(anki) == reviewed
    assert anki.col.db.scalar("select count() from revlog") == revlog


def modern_package(tmp_path: Path) -> tuple[Path, Path]:
    """The vocabulary deck as genanki writes it, and as current Anki exports it."""
    source = tmp_path / "vocab.apkg"
    genanki.Package(vocabulary_deck()).write_to_file(source)
    collection = AnkiCollection.create(tmp_path / "exporter")
    collection.import_package(source)
    modern = tmp_path / "modern.apkg"
    collection.col.export_anki_package(
        out_path=str(modern), limit=None,
        options=ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False,
                                         with_media=False, legacy=False))
    collection.close()
    assert "collection.anki21b" in zipfile.ZipFile(modern).namelist()
    return source, modern


def test_the_newer_anki21b_format(tmp_path):
    source, modern = modern_package(tmp_path)

    project = new_project(tmp_path / "p")
    legacy = run_cli("import", str(source), "--into", "legacy", "--root", str(project.root),
                     "--dry-run", "--json")
    newer = run_cli("import", str(modern), "--into", "modern", "--root", str(project.root),
                    "--json")
    assert newer.exit_code == 0, newer.output
    assert '"collection": "collection.anki21b (zstd)"' in newer.output
    cards = load_yaml(project.decks_dir / "modern" / "cards.yaml").data["cards"]
    assert len(cards) == 6
    assert json.loads(newer.stdout)["imported"] == json.loads(legacy.stdout)["imported"]


def test_unsupported_notes_are_skipped_with_the_reason(tmp_path):
    three_way = genanki.Model(
        1607392319, "Trois sens",
        fields=[{"name": "Mot"}, {"name": "Sens"}, {"name": "Image"}],
        templates=[{"name": n, "qfmt": f"{{{{{q}}}}}", "afmt": f"{{{{{a}}}}}"}
                   for n, q, a in (("1", "Mot", "Sens"), ("2", "Sens", "Image"),
                                   ("3", "Image", "Mot"))])
    deck = genanki.Deck(1, "Divers")
    deck.add_note(genanki.Note(model=three_way, fields=["a", "b", "c"]))
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL,
                               fields=['<img src="chat.jpg"> Quel animal ?', "chat"]))
    deck.add_note(genanki.Note(model=genanki.BASIC_MODEL, fields=["", "sans question"]))
    package = tmp_path / "divers.apkg"
    genanki.Package(deck).write_to_file(package)
    project = new_project(tmp_path / "p")
    result = run_cli("import", str(package), "--into", "divers", "--root", str(project.root))
    assert result.exit_code == 0, result.output
    assert "imported 1 card " in result.output
    assert "notetype 'Trois sens': it has 3 card templates" in result.output
    assert "a basic card needs a question and an answer" in result.output
    assert "1 note referenced images or sounds: media are not imported" in result.output

    (tmp_path / "broken.apkg").write_bytes(b"not a zip")
    broken = run_cli("import", str(tmp_path / "broken.apkg"), "--into", "x", "--root",
                     str(project.root))
    assert broken.exit_code == 2 and "not an Anki package" in broken.output


@pytest.mark.parametrize(("html", "text"), [
    ("<div>un</div><div>deux</div>", "un\ndeux"),
    ("a<br>b<br/>c", "a\nb\nc"),
    ("<b>gras</b> et <i>italique</i><b></b>", "**gras** et *italique*"),
    ("<ul><li>un</li><li>deux</li></ul>", "- un\n- deux"),
    ("<p>un</p><p>deux</p>", "un\n\ndeux"),
    ("l&#39;élan&nbsp;: &lt;vite&gt; [sound:x.mp3]", "l'élan : <vite>"),
    ("<script>alert(1)</script>texte", "texte"),
])
def test_html_to_text(html, text):
    assert html_to_text(html)[0] == text


def test_note_shapes():
    assert note_shape(0, ["Front", "Back"], [("{{Front}}", "{{FrontSide}}<hr>{{Back}}")]
                      ).card_type == "basic"
    shape = note_shape(0, ["Front", "Back"], [("{{Front}}\n{{type:Back}}", "{{Back}}")])
    assert (shape.card_type, shape.question, shape.answer) == ("type-in", 0, 1)
    assert note_shape(1, ["Text", "Back Extra"], [("{{cloze:Text}}", "")]).extra == 1
    assert isinstance(note_shape(0, ["A"], [("{{A}}", "{{A}}")]), str)


def test_two_cards_with_one_guid_are_refused(project, write_deck):
    write_deck("demo", deck="name: Demo\n", cards="""
        cards:
          - id: a
            question: Q ?
            answer: R
            guid: abc
          - id: b
            question: Autre ?
            answer: S
            guid: abc
        """)
    result = run_cli("validate", "--root", str(project))
    assert result.exit_code == 1
    assert "cards.yaml:9:11: error[duplicate-id]: duplicate guid" in result.output
    assert "duplicate guid 'abc' (first used at" \
        in result.output


def test_what_students_will_see_is_said(project, write_deck, tmp_path):
    write_deck("demo", cards=STARTER_CARDS)
    [built] = api.build(api.Project(project))
    other = new_project(tmp_path / "other")
    moved = run_cli("import", str(built.package), "--into", "copie", "--root",
                    str(other.root), "--dry-run")
    assert "built by flashcards for the deck 'demo': import them with --into demo" \
        in moved.output
    same = run_cli("import", str(built.package), "--into", "demo", "--root", str(other.root),
                   "--dry-run")
    assert "note:" not in same.output

    package = tmp_path / "vocab.apkg"
    genanki.Package(vocabulary_deck()).write_to_file(package)
    foreign = run_cli("import", str(package), "--into", "vocab", "--root", str(other.root),
                      "--dry-run")
    assert "6 notes came with notetypes of their own (Basic (and reversed card) (genanki)" \
        in foreign.output and "'conflicting'" in foreign.output
    assert sorted(p.name for p in other.root.iterdir()) == ["decks"]  # dry runs wrote nothing
    assert not any(other.decks_dir.iterdir())


def test_merge_note_types_brings_the_new_wording_once(tmp_path, anki, monkeypatch):
    """What the README tells students who had the genanki deck (measured with the real
    engine): ticking 'Merge note types' moves their notes to the deck's notetypes with the
    new wording and their reviews; the merged notetypes keep the old fields too, so the next
    import with the default options is 'conflicting' again (merge again, each time)."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from tests.anki_engine import IF_NEWER

    day = 86_400
    start = 1_760_000_000
    package = tmp_path / "vocab.apkg"
    genanki.Package(vocabulary_deck()).write_to_file(package, timestamp=start)
    anki.import_package(package)
    review_everything(anki)
    reviewed = scheduling(anki)
    other = new_project(tmp_path / "p")
    run_cli("import", str(package), "--into", "vocab", "--root", str(other.root))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(start + day))
    [rebuilt] = api.build(other)

    def merge_import(path: Path):
        return anki.col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(path),
            options=ImportAnkiPackageOptions(with_scheduling=False, update_notes=IF_NEWER,
                                             update_notetypes=IF_NEWER,
                                             merge_notetypes=True))).log

    log = merge_import(rebuilt.package)
    assert (len(log.updated), len(log.conflicting), len(log.new)) == (6, 0, 0)
    assert scheduling(anki) == reviewed
    squirrel = next(n for n in anki.notes() if "squirrel" in n.fields)
    assert squirrel.note_type()["name"] == "flashcards · Basic (vocab)"
    assert squirrel["Question"] == "<strong>écureuil</strong>"

    cards = other.decks_dir / "vocab" / "cards.yaml"
    cards.write_text(cards.read_text(encoding="utf-8").replace(
        "answer: squirrel", "answer: a squirrel"), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(start + 2 * day))
    [release] = api.build(other)
    assert anki.import_package(release.package).conflicting == 6  # default options
    assert len(merge_import(release.package).updated) == 1  # merging again: the edit arrives
    assert any(n["Answer"] == "a squirrel" for n in anki.notes() if "Answer" in n)
    assert scheduling(anki) == reviewed


@pytest.mark.parametrize(("entry", "content"), [
    ("collection.anki2", b"SQLite format 3\x00" + b"\x00" * 200),  # a damaged database
    ("collection.anki21b", b"\x28\xb5\x2f\xfd garbage"),             # a damaged zstd frame
    ("media", b"{}"),                                                # no collection at all
])
def test_damaged_packages_are_clear_errors(tmp_path, entry, content):
    package = tmp_path / "damaged.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr(entry, content)
    project = new_project(tmp_path / "p")
    result = run_cli("import", str(package), "--into", "x", "--root", str(project.root))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert not (project.decks_dir / "x").exists()


@pytest.mark.parametrize(("entries", "message"), [
    (["media"], "damaged.apkg is a zip archive without an Anki collection (no "
                "collection.anki2, .anki21 or .anki21b): export the deck from Anki"),
    (["[Content_Types].xml", "xl/workbook.xml"],
     "damaged.apkg is an Excel workbook (.xlsx), not an Anki package: export the deck from "
     "Anki (File → Export → Anki Deck Package)"),
])
def test_a_zip_that_is_not_a_package_is_named(tmp_path, entries, message):
    package = tmp_path / "damaged.apkg"
    with zipfile.ZipFile(package, "w") as archive:
        for entry in entries:
            archive.writestr(entry, "{}")
    project = new_project(tmp_path / "p")
    result = run_cli("import", str(package), "--into", "x", "--root", str(project.root))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_a_truncated_notetype_config_is_a_clear_error(tmp_path):
    _, modern = modern_package(tmp_path)
    with zipfile.ZipFile(modern) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    database = tmp_path / "collection.sqlite"
    database.write_bytes(zstandard.ZstdDecompressor().decompress(
        entries["collection.anki21b"], max_output_size=1 << 30))
    with sqlite3.connect(database) as db:
        db.execute("UPDATE notetypes SET config = substr(config, 1, length(config) - 1)")
    db.close()
    entries["collection.anki21b"] = zstandard.ZstdCompressor().compress(database.read_bytes())
    damaged = tmp_path / "damaged.apkg"
    with zipfile.ZipFile(damaged, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    project = new_project(tmp_path / "p")
    result = run_cli("import", str(damaged), "--into", "x", "--root", str(project.root))
    assert result.exit_code == 2, result.output
    assert "damaged.apkg: cannot read its collection (" in " ".join(result.output.split())
    assert "Export it again from Anki" in result.output


def test_a_package_of_a_deck_the_project_has_goes_into_that_deck(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS)
    [built] = api.build(api.Project(project))
    clash = run_cli("import", str(built.package), "--into", "copie", "--root", str(project))
    assert clash.exit_code == 2
    assert "deck 'demo' is already named 'Demo demo', the name of the imported deck: import " \
        "into it with --into demo" in " ".join(clash.output.split())
    assert not (project / "decks" / "copie").exists()
