"""PyYAML loaded only when a positional parse needs it (`lazy_modules`): a build does not load
it, and everything that uses it gets the real module's behaviour."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from flashcards import expand
from flashcards.load import load_yaml_positional
from tests.helpers import STARTER_CARDS, run_python

REPO = Path(__file__).resolve().parent.parent

_BUILD = """
import sys
from flashcards.cli import main
sys.argv = ["flashcards", *sys.argv[1:]]
try:
    main()
finally:
    print(sorted(m for m in sys.modules if m == "yaml.reader" or m == "yaml.cyaml"),
          file=sys.stderr)
"""

_FACTS = """
facts:
  - id: dojo
    kind: definition
    term: Dojo
    definition: le supercalculateur de Tesla
    source: Tesla a mis un terme à son ambitieux projet de supercalculateur
"""


def _loaded_yaml(project: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], str]:
    run = run_python(_BUILD, project, *argv)
    return run, run.stderr.strip().splitlines()[-1]


def test_a_build_of_cards_and_facts_loads_no_pyyaml(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS, facts=_FACTS)
    run, loaded = _loaded_yaml(project, "build")
    assert run.returncode == 0, run.stderr
    assert (project / "dist" / "demo.apkg").exists()
    assert loaded == "[]"


def test_an_error_loads_pyyaml_and_says_where(project, write_deck):
    write_deck("demo", cards="cards:\n  - id: a\n    question: [unclosed\n")
    run, loaded = _loaded_yaml(project, "build")
    assert run.returncode == 1
    assert "cards.yaml:3:" in run.stdout + run.stderr
    assert loaded == "['yaml.cyaml', 'yaml.reader']"


_STAND_IN = """
import sys
import flashcards, genanki.model
stand_in = sys.modules["yaml"]
assert type(stand_in).__name__ == "StandIn", type(stand_in)
import yaml  # another import: still the stand-in, nothing loaded
assert yaml is stand_in and "yaml.reader" not in sys.modules
assert genanki.model.yaml.full_load("[1, 2]") == [1, 2]  # genanki's reference
import yaml as again
assert type(again).__name__ == "module" and again is not stand_in  # the real one now
assert stand_in.YAMLError is again.YAMLError and stand_in.__file__ == again.__file__
import yaml.reader
assert sys.modules["yaml"].reader is yaml.reader
print("ok")
"""


def test_the_stand_in_hands_on_the_real_module():
    run = run_python(_STAND_IN, REPO)
    assert run.stdout.strip() == "ok", run.stderr


@pytest.mark.parametrize("language", ["fr", "en"])
def test_built_in_template_origins_are_their_lines(language):
    """The scanned lines of the built-in templates are those of a positional parse."""
    doc, templates = expand.builtin_templates(language)
    assert doc is not None and templates
    positional = load_yaml_positional(doc.path)
    expected = [f"{doc.path}:{positional.position(('templates', i)).line}"
                for i in range(len(templates))]
    assert list(expand._builtin_origins(language)) == expected
