"""Start-up: what a build imports, and the stand-ins that keep it short (the `cached_property`
backport without asyncio, the models' default factories) against what they stand for."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashcards import cached_property_shim, cli
from flashcards.models import CardsFile, DeckConfig, FactsFile, Subdecks, TemplatesFile
from flashcards.schema import json_schemas
from tests.helpers import STARTER_CARDS

REPO = Path(__file__).resolve().parent.parent

_BUILD = """
import sys
from flashcards.cli import main
sys.argv = ["flashcards", "build"]
main()
print(sorted(m for m in ("asyncio", "ssl", "concurrent.futures") if m in sys.modules),
      file=sys.stderr)
"""


def test_a_build_imports_no_asyncio(project, write_deck):
    """genanki's `cached_property` backport imports asyncio (with ssl, sockets, threads…);
    the stand-in does not, nor does anything else a build needs."""
    write_deck("demo", cards=STARTER_CARDS)
    run = subprocess.run([sys.executable, "-c", _BUILD], capture_output=True, text=True,
                         cwd=project)
    assert run.returncode == 0, run.stderr
    assert (project / "dist" / "demo.apkg").exists()
    assert run.stderr.strip().splitlines()[-1] == "[]"


_BUILT_MODELS = """
import sys
from flashcards.cli import main
from flashcards import models
sys.argv = ["flashcards", "build"]
main()
print(sorted(name for name, value in vars(models).items() if isinstance(value, type)
             and issubclass(value, models.Strict) and value.__pydantic_complete__),
      file=sys.stderr)
"""


def test_a_deck_of_cards_builds_no_validator_of_facts_or_templates(project, write_deck):
    """Validators are built on first use (`defer_build`): a deck without facts or templates
    of its own never builds theirs."""
    write_deck("demo", cards=STARTER_CARDS)
    run = subprocess.run([sys.executable, "-c", _BUILT_MODELS], capture_output=True,
                         text=True, cwd=project)
    assert run.returncode == 0, run.stderr
    built = run.stderr.strip().splitlines()[-1]
    assert "'DeckConfig'" in built
    assert "Fact" not in built and "Template" not in built


_UP_TO_DATE = """
import sys
from flashcards.cli import main
for argv in (["--version"], ["build"]):
    sys.argv = ["flashcards", *argv]
    main()
    print(sorted(m for m in ("json", "dataclasses", "inspect", "flashcards.diagnostics",
                             "flashcards.api") if m in sys.modules), file=sys.stderr)
"""


def test_an_up_to_date_build_and_version_import_no_dataclasses(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS)
    subprocess.run([sys.executable, "-m", "flashcards", "build"], cwd=project, check=True,
                   capture_output=True)
    run = subprocess.run([sys.executable, "-c", _UP_TO_DATE], capture_output=True, text=True,
                         cwd=project)
    assert run.returncode == 0, run.stderr
    assert "(up to date)" in run.stdout
    assert run.stderr.strip().splitlines()[-2:] == ["[]", "['json']"]  # the build's record


def _python(code: str) -> str:
    """What `code` prints, run by a fresh interpreter."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_the_pipeline_is_imported_with_the_collector_paused_then_frozen():
    """No collection while the pipeline is imported, nor for its objects after (frozen); the
    collector on again after, unless it was off before."""
    code = ("import gc; from flashcards import cli\n"
            "seen = []; gc.callbacks.append(lambda phase, info: seen.append(phase))\n"
            "cli.api.build; print(gc.isenabled(), seen, gc.get_freeze_count() > 20_000)\n"
            "gc.disable(); cli._Lazy('flashcards.export').note_views; print(gc.isenabled())")
    assert _python(code).split("\n")[:2] == ["True [] True", "False"]


def test_a_direct_command_runs_with_the_collector_paused(monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "direct_command", lambda args: lambda: seen.append(gc.isenabled()))
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            cli.main()
            seen.append(gc.isenabled())
        finally:
            gc.enable()
    assert seen == [False, True, False, False]


# ---- the cached_property stand-in against the backport -------------------------------------

def _class_with(decorator: Any) -> type:
    class Thing:
        def __init__(self) -> None:
            self.calls = 0

        @decorator
        def value(self) -> int:
            """The value's doc."""
            self.calls += 1
            return self.calls * 10

    return Thing


_STEPS = st.lists(st.sampled_from(["get", "del", "set", "class"]), max_size=12)


def _trace(decorator: Any, steps: list[str]) -> list[object]:
    """What a program doing `steps` with a property made by `decorator` sees."""
    thing_class = _class_with(decorator)
    thing = thing_class()
    seen: list[object] = []
    for step in steps:
        if step == "get":
            seen.append(thing.value)
        elif step == "del":
            try:
                del thing.value
                seen.append("deleted")
            except AttributeError:
                seen.append("nothing to delete")
        elif step == "set":
            thing.value = -1
        else:
            descriptor = thing_class.__dict__["value"]
            seen.append((thing_class.value is descriptor, descriptor.__doc__,
                         descriptor.func.__name__))
        seen.append((thing.calls, dict(thing.__dict__)))
    return seen


@given(_STEPS)
def test_cached_property_does_what_the_backports_does(steps):
    real = cached_property_shim.backport().cached_property
    assert _trace(cached_property_shim.cached_property, steps) == _trace(real, steps)


def _async_trace(decorator: Any) -> list[object]:
    class Thing:
        @decorator
        async def value(self) -> str:
            return "done"

    async def main() -> list[object]:
        thing = Thing()
        first = thing.value
        second = thing.value
        return [type(first).__name__, first is second, await first]

    return asyncio.run(main())


def test_an_async_cached_property_is_a_future_as_with_the_backport():
    real = cached_property_shim.backport().cached_property
    assert _async_trace(cached_property_shim.cached_property) == _async_trace(real)
    assert _async_trace(real) == ["Task", True, "done"]


def _callables() -> list[object]:
    async def coroutine() -> None: ...

    async def async_generator() -> Any:
        yield

    def function() -> None: ...

    def generator() -> Any:
        yield

    marked = lambda: None  # noqa: E731
    marked._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
    return [coroutine, async_generator, function, generator, marked, len, int,
            functools.partial(coroutine), object(), asyncio.sleep]


def test_a_coroutine_function_is_what_asyncio_says_it_is():
    for func in _callables():
        assert (cached_property_shim._is_coroutine_function(func)
                == asyncio.iscoroutinefunction(func)), func


def test_a_coroutine_function_is_known_without_asyncio():
    code = ("import sys; from flashcards.cached_property_shim import _is_coroutine_function\n"
            "async def f(): pass\n"
            "def g(): pass\n"
            "print(_is_coroutine_function(f), _is_coroutine_function(g), 'asyncio' in sys.modules)")
    assert _python(code).split() == ["True", "False", "False"]


def test_every_other_name_is_the_backports_own():
    module = cached_property_shim.stand_in()
    backport = cached_property_shim.backport()
    assert module.cached_property is cached_property_shim.cached_property
    for name in cached_property_shim.BACKPORT_NAMES[1:]:
        assert getattr(module, name) is getattr(backport, name)
    assert module.__version__ == backport.__version__
    assert not hasattr(module, "__path__")
    public = {n for n in vars(backport) if not n.startswith("_")}
    assert set(cached_property_shim.BACKPORT_NAMES) == public - {"wraps", "time", "threading",
                                                                  "asyncio"}


def test_an_imported_backport_is_left_as_it_is():
    code = ("import sys, cached_property, flashcards.api, genanki\n"
            "print(sys.modules['cached_property'] is cached_property,"
            " type(genanki.Model._req).__module__, 'asyncio' in sys.modules)")
    assert _python(code).split() == ["True", "cached_property", "True"]


_GENANKI = """
import json, sys
if sys.argv[1] == "stand-in":
    import flashcards
import genanki
from flashcards.notetypes import NOTETYPES
from flashcards.pack import _Model
seen = []
for notetype in NOTETYPES.values():
    model = _Model(notetype, 1)
    seen.append(model._req)
    for fields in (["q", "a", "", ""], ["", "a", "x", ""], ["{{c2::x}} {{c1::y}}", "", ""]):
        fields = fields[:len(notetype.fields)]
        note = genanki.Note(model=model, fields=fields)
        seen.append([card.ord for card in note.cards])
        seen.append(note.cards is note.cards)
print(type(genanki.Model._req).__module__, json.dumps(seen))
"""


def test_genanki_does_the_same_with_the_stand_in():
    """genanki's models and notes (its required fields, a note's cards) with the stand-in
    as with the backport, each in a new process."""
    outputs = [subprocess.run([sys.executable, "-c", _GENANKI, which], capture_output=True,
                              text=True, check=True).stdout.split(" ", 1)
               for which in ("stand-in", "backport")]
    assert [module for module, _ in outputs] == ["flashcards.cached_property_shim",
                                                 "cached_property"]
    assert outputs[0][1] == outputs[1][1]


# ---- the models' default factories ---------------------------------------------------------

def test_the_published_schemas_are_the_models():
    for name, schema in json_schemas().items():
        published = json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())
        assert schema == published, name


@pytest.mark.parametrize("make", [
    lambda: DeckConfig(name="A"), CardsFile, FactsFile, TemplatesFile, Subdecks,
    CardsFile.model_construct, FactsFile.model_construct, TemplatesFile.model_construct])
def test_each_model_gets_empty_defaults_of_its_own(make):
    first, second = make(), make()
    for name, info in type(first).model_fields.items():
        if info.default_factory is not None:
            value = getattr(first, name)
            assert value == type(value)() and value is not getattr(second, name)
