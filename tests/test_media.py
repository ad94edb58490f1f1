"""Media and text-to-speech, checked in the real Anki engine: files of the deck's media/ folder
arrive under content-hashed names, references are rewritten, and a bad reference is refused
with its file:line."""

from __future__ import annotations

import base64
import json
import os
import re
import zipfile
from pathlib import Path

import pytest

from flashcards import api
from flashcards.diagnostics import Severity
from flashcards.pack import note_guid
from tests.helpers import MEDIA_CARDS, add_media, run_cli

# A real 1×1 PNG, so Anki and browsers would show it.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
                       "HwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00fake mp3 frames"


def _deck(write_deck, slug: str = "demo", cards: str = MEDIA_CARDS, png: bytes = PNG,
          **files: str) -> Path:
    folder = write_deck(slug, cards=cards, **files)
    add_media(folder, {"carte.png": png, "lecture.mp3": MP3})
    return folder


def _build(project: Path):
    [result] = api.build(api.Project(project))
    return result


def test_media_are_packed_under_hashed_names_and_reach_the_collection(project, write_deck,
                                                                      anki):
    _deck(write_deck)
    result = _build(project)
    with zipfile.ZipFile(result.package) as archive:
        names = sorted(json.loads(archive.read("media")).values())
    assert len(names) == 2
    assert all(re.fullmatch(r"(carte|lecture)-[0-9a-f]{16}\.(png|mp3)", n) for n in names)

    anki.import_package(result.package)
    note = anki.note_by_guid(note_guid("demo", "carte"))
    [image] = re.findall(r'<img src="([^"]+)"', note["Question"])
    [sound] = re.findall(r"\[sound:([^\]]+)\]", note["Answer"])
    assert {image, sound} == set(names)
    media_dir = Path(anki.col.media.dir())
    assert (media_dir / image).read_bytes() == PNG
    assert (media_dir / sound).read_bytes().startswith(b"ID3")
    check = anki.col.media.check()
    assert list(check.missing) == [] and list(check.unused) == []
    card = note.cards()[0]
    assert [tag.filename for tag in card.answer_av_tags()] == [sound]


def test_two_decks_with_files_of_the_same_name_never_overwrite(project, write_deck, anki):
    _deck(write_deck, "one")
    _deck(write_deck, "two", png=PNG + b"\x00other")
    results = api.build(api.Project(project))
    for result in results:
        anki.import_package(result.package)
    sources = {slug: re.findall(r'<img src="([^"]+)"', anki.note_by_guid(
        note_guid(slug, "carte"))["Question"])[0] for slug in ("one", "two")}
    assert sources["one"] != sources["two"]
    media_dir = Path(anki.col.media.dir())
    assert (media_dir / sources["one"]).read_bytes() == PNG
    assert (media_dir / sources["two"]).read_bytes() == PNG + b"\x00other"


def test_a_new_version_of_a_file_reaches_students(project, write_deck, anki):
    folder = _deck(write_deck)
    first = _build(project)
    anki.import_package(first.package)
    (folder / "media" / "carte.png").write_bytes(PNG + b"\x00v2")
    second = _build(project)
    assert second.plan and [c.id for c in second.plan.changes] == ["carte"]
    log = anki.import_package(second.package)
    assert log.updated == 1
    note = anki.note_by_guid(note_guid("demo", "carte"))
    [image] = re.findall(r'<img src="([^"]+)"', note["Question"])
    assert (Path(anki.col.media.dir()) / image).read_bytes() == PNG + b"\x00v2"


def test_css_files_get_an_underscore_and_a_hash(project, write_deck, anki):
    folder = _deck(write_deck)
    (folder / "media" / "police.woff2").write_bytes(b"wOF2 fake font")
    (folder / "style.css").write_text(
        '@font-face { font-family: Dojo; src: url("media/police.woff2"); }\n'
        ".card { font-family: Dojo; }\n", encoding="utf-8")
    result = _build(project)
    anki.import_package(result.package)
    css = anki.note_by_guid(note_guid("demo", "carte")).note_type()["css"]
    [font] = re.findall(r'url\("([^"]+)"\)', css)
    assert re.fullmatch(r"_police-[0-9a-f]{16}\.woff2", font)
    assert (Path(anki.col.media.dir()) / font).read_bytes() == b"wOF2 fake font"


@pytest.mark.parametrize(("reference", "words"), [
    ("![image](media/absente.png)", "not found"),
    ("![image](../deck.yaml)", "outside the deck folder"),
    ("[sound:/etc/hostname]", "absolute path"),
    ("![image](autre/carte.png)", "not in the deck's media/ folder"),
    ("[sound:media/../../deck.yaml]", "outside the deck folder"),
    ("![image](media/lien.png)", "link to a file outside"),
])
def test_bad_references_are_refused_at_their_line(project, write_deck, reference, words,
                                                  tmp_path):
    folder = _deck(write_deck, cards=MEDIA_CARDS + f"""
  - id: bad
    question: "Qu'y a-t-il ici ? {reference}"
    answer: Une carte
""")
    outside = tmp_path / "secret.png"
    outside.write_bytes(PNG)
    os.symlink(outside, folder / "media" / "lien.png")
    [outcome] = api.validate(api.Project(project)).values()
    assert isinstance(outcome, api.SourceError)
    errors = [d for d in outcome.diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, outcome.diagnostics
    [error] = errors
    assert error.file.name == "cards.yaml" and error.position.line == 7
    assert words in error.message and "'bad'" in error.message
    assert "media" in error.hint

    run = run_cli("build", "--root", str(project))
    assert run.exit_code == 1
    assert "cards.yaml:7:1: error[media]" in run.stderr and words in run.stderr
    assert "Traceback" not in run.output
    assert not (project / "dist").exists()  # nothing half-written


def test_sound_without_a_path_stays_text(project, write_deck, anki):
    write_deck("demo", cards="""
cards:
  - id: texte
    question: "Que signifie [sound:boom.mp3] dans Anki ?"
    answer: Un son
""")
    anki.import_package(_build(project).package)
    note = anki.note_by_guid(note_guid("demo", "texte"))
    assert "[sound:" not in note["Question"] and "sound:boom.mp3" in note["Question"]


def test_tts_reads_the_question_side(project, write_deck, anki):
    deck = ("name: Demo tts\nlanguage: fr\nseed: tesla-dojo-2025-08-15.fr\n")
    cards = """
cards:
  - id: abandon
    question: Quel projet de supercalculateur Tesla a-t-il abandonné ?
    answer: Dojo
  - id: annee
    type: cloze
    text: "Le concept de Dojo fut dévoilé en {{c1::2021}}."
"""
    folder = write_deck("demo", deck=deck, cards=cards)
    first = _build(project)
    anki.import_package(first.package)
    notetypes = anki.col.models.all_names_and_ids()
    card = anki.note_by_guid(note_guid("demo", "abandon")).cards()[0]
    assert card.question_av_tags() == []

    (folder / "deck.yaml").write_text(deck + "tts: true\n", encoding="utf-8")
    second = _build(project)  # no schema refusal: only the templates change
    log = anki.import_package(second.package)
    assert log.conflicting == 0
    card = anki.note_by_guid(note_guid("demo", "abandon")).cards()[0]
    [tag] = card.question_av_tags()
    assert tag.lang == "fr_FR" and tag.field_text.startswith("Quel projet")
    assert card.answer_av_tags() == []
    cloze = anki.note_by_guid(note_guid("demo", "annee")).cards()[0]
    [tag] = cloze.question_av_tags()
    assert "2021" not in tag.field_text  # the gap is not read out on the question side
    assert anki.col.models.all_names_and_ids() == notetypes  # updated in place, no "+" copy


def test_a_deck_with_media_rebuilds_byte_identical(project, write_deck):
    folder = _deck(write_deck)
    (folder / "media" / "police.woff2").write_bytes(b"wOF2 fake font")
    (folder / "style.css").write_text('@font-face { src: url(media/police.woff2); }\n',
                                      encoding="utf-8")
    [first] = api.build(api.Project(project), out_dir=project / "a")
    [second] = api.build(api.Project(project), out_dir=project / "b")
    assert second.plan is not None  # really built again, not found up to date
    assert first.package.read_bytes() == second.package.read_bytes()
    with zipfile.ZipFile(first.package) as archive:
        assert len(json.loads(archive.read("media"))) == 3


def test_a_fact_s_missing_media_names_the_fact_and_its_line(project, write_deck):
    write_deck("demo", facts="""
facts:
  - id: bannon
    kind: person
    name: Peter Bannon
    role: l'architecte en chef des puces de Tesla
    extra: "![portrait](media/bannon.png)"
    source: "Peter Bannon, l'architecte en chef des puces"
""")
    [outcome] = api.validate(api.Project(project)).values()
    assert isinstance(outcome, api.SourceError)
    errors = [d for d in outcome.diagnostics if d.code == "media"]
    assert errors and all(d.file.name == "facts.yaml" and d.position.line == 2 for d in errors)
    assert "fact 'bannon' (template 'person-" in errors[0].message
    assert "'media/bannon.png' not found" in errors[0].message


def test_a_file_with_an_accented_name_is_found_through_markdown(project, write_deck, anki):
    cards = """cards:
  - id: velo
    question: "![photo](media/vélo.png) Quel objet voit-on ?"
    answer: Une bicyclette
"""
    folder = write_deck("demo", cards=cards)
    add_media(folder, {"vélo.png": PNG})
    result = _build(project)
    anki.import_package(result.package)
    [image] = re.findall(r'<img src="([^"]+)"', anki.note_by_guid(note_guid("demo", "velo"))
                         ["Question"])
    assert re.fullmatch(r"v.lo-[0-9a-f]{16}\.png", image)
    assert (Path(anki.col.media.dir()) / image).read_bytes() == PNG
