"""`flashcards init`: a new deck from an article that validates, builds and imports at once."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from flashcards import api
from tests.conftest import REPO, SEED
from tests.helpers import run_cli


def test_init_then_build_imports_into_anki(tmp_path, anki, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an empty folder: init starts the project
    result = run_cli("init", "dojo", "--seed", str(SEED), "--name", "Dojo : essai")
    assert result.exit_code == 0, result.output
    assert "next steps:" in result.output and "flashcards build dojo" in result.output
    assert (tmp_path / "seeds" / SEED.name).read_bytes() == SEED.read_bytes()
    deck = tmp_path / "decks" / "dojo"
    assert sorted(p.name for p in deck.iterdir()) == ["cards.yaml", "deck.yaml", "facts.yaml"]

    for file, schema in (("deck", "deck"), ("cards", "cards"), ("facts", "facts")):
        first = (deck / f"{file}.yaml").read_text(encoding="utf-8").splitlines()[0]
        found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert found, first
        target = (deck / found[1]).resolve()
        assert target == tmp_path / "schemas" / f"{schema}.schema.json"
        assert json.loads(target.read_text())["title"] == f"flashcards {schema}.yaml"

    built = run_cli("build")
    assert built.exit_code == 0, built.output
    assert "dojo: 2 notes, 2 cards" in built.output
    assert "warning" not in built.output  # the examples are lint-clean
    log = anki.import_package(tmp_path / "dist" / "dojo.apkg")
    assert (log.new, log.conflicting) == (2, 0)
    assert "Dojo : essai" in anki.deck_names()
    seed_text = SEED.read_text(encoding="utf-8")
    for note in anki.notes():
        assert "{{c1::" in note["Text"]
        assert note["Source"].replace("\u00a0", " ").replace("\u202f", " ") \
            .replace("’", "'") in seed_text  # a real sentence of the article


def test_init_in_a_project_reuses_its_schemas_and_seed(project):
    schemas = project / "schemas"
    schemas.mkdir()
    (schemas / "cards.schema.json").write_text("{}")
    result = run_cli("init", "demo", "--seed", str(project / "seeds" / SEED.name),
                     "--root", str(project))
    assert result.exit_code == 0, result.output
    assert (schemas / "cards.schema.json").read_text() == "{}"  # left alone
    assert "created seeds/" not in result.output  # the seed was already there
    assert api.validate(api.Project(project))["demo"].notes


def test_init_refusals(project, tmp_path):
    root = ("--root", str(project))
    assert run_cli("init", "Bad Slug", "--seed", str(SEED), *root).exit_code == 2
    language = run_cli("init", "demo", "--seed", str(SEED), "--language", "FR", *root)
    assert language.exit_code == 2
    assert "--language 'FR' is not valid: give a lowercase language code such as fr" in \
        " ".join(language.output.split())
    assert run_cli("init", "demo", "--seed", str(tmp_path / "nope.txt"), *root).exit_code == 2
    assert run_cli("init", "demo", "--seed", str(SEED), *root).exit_code == 0
    again = run_cli("init", "demo", "--seed", str(SEED), *root)
    assert again.exit_code == 2 and "already exists" in again.output
    same_name = run_cli("init", "other", "--seed", str(SEED), "--name", "DEMO", *root)
    assert same_name.exit_code == 2 and "already named 'Demo'" in same_name.output

    other = tmp_path / "elsewhere" / SEED.name
    other.parent.mkdir()
    other.write_text("Un autre article, avec une phrase de plus de cinq mots.\n")
    clash = run_cli("init", "third", "--seed", str(other), *root)
    assert clash.exit_code == 2 and "already exists with other content" in clash.output
    assert not (project / "decks" / "third").exists()


def test_init_json(project):
    result = run_cli("init", "demo", "--seed", str(SEED), "--root", str(project), "--json")
    document = json.loads(result.output)
    assert document["ok"] is True and document["slug"] == "demo"
    assert any(p.endswith("cards.yaml") for p in document["written"])
    failed = json.loads(run_cli("init", "demo", "--seed", str(SEED), "--root", str(project),
                                "--json").output)
    assert failed["ok"] is False and "already exists" in failed["error"]


def test_init_on_a_seed_without_names_or_figures(tmp_path):
    seed = tmp_path / "article.txt"
    seed.write_text("les abeilles fabriquent le miel dans la ruche en été.\n", encoding="utf-8")
    (tmp_path / "decks").mkdir()
    result = run_cli("init", "miel", "--seed", str(seed), "--root", str(tmp_path))
    assert result.exit_code == 0, result.output
    cards = (tmp_path / "decks" / "miel" / "cards.yaml").read_text(encoding="utf-8")
    assert "{{c1::été}}" in cards
    assert run_cli("build", "--root", str(tmp_path)).exit_code == 0
    assert Path(tmp_path / "dist" / "miel.apkg").is_file()


def readme_block(title: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {title}\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_walkthrough_works_as_written(tmp_path, anki):
    """The README's "Start a deck from a new article" commands, run as written in a copy of
    the repository's project files."""
    lines = readme_block("Start a deck from a new article")
    assert len(lines) < 10
    assert [shlex.split(line)[1] for line in lines] == ["init", "add", "build"]
    clone = tmp_path / "clone"
    for folder in ("seeds", "decks", "schemas"):
        shutil.copytree(REPO / folder, clone / folder)
    for line in lines:
        program, *args = shlex.split(line, comments=True)
        assert program == "flashcards"
        done = subprocess.run([sys.executable, "-m", "flashcards", *args], cwd=clone,
                              capture_output=True, text=True)
        assert done.returncode == 0, (line, done.stdout, done.stderr)
        assert "warning" not in done.stdout + done.stderr, line
    package = clone / "dist" / "dojo-quiz.apkg"
    log = anki.import_package(package)
    assert (log.new, log.conflicting) == (3, 0)  # the two examples and the added card
    assert "Dojo : quiz" in anki.deck_names()


def test_a_seed_that_is_not_an_articles_text_is_refused_with_the_fix(project, tmp_path):
    root = ("--root", str(project))
    word = tmp_path / "article.docx"
    with zipfile.ZipFile(word, "w") as archive:  # the parts Word writes
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    empty = tmp_path / "vide.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("L'été fut chaud à Paris, très chaud.\n".encode("latin-1"))
    cases = [
        (word, 2, "article.docx is a Word document (.docx), not plain text: save or copy the "
                  "article's text into a .txt file"),
        (tmp_path / "scan.pdf", 2, "scan.pdf is a PDF, not plain text"),
        (empty, 2, "vide.txt is empty: paste the article's text into it"),
        (latin, 1, "latin.txt:1:3: error[encoding]: not valid UTF-8 (byte 0xe9)"),
        (tmp_path, 2, "is a folder: give the article's file"),
    ]
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for seed, code, message in cases:
        result = run_cli("init", "demo", "--seed", str(seed), *root)
        assert result.exit_code == code, (seed, result.output)
        assert message in " ".join(result.output.split()), (seed, result.output)
        assert "Traceback" not in result.output
        as_json = json.loads(run_cli("init", "demo", "--seed", str(seed), *root,
                                     "--json").stdout)
        assert as_json["ok"] is False, seed
    assert list((project / "decks").iterdir()) == []
    assert [p.name for p in (project / "seeds").iterdir()] == [SEED.name]  # nothing copied
