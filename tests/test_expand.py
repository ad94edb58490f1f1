"""expand renders templates without Jinja's per-render copies (`_render`): the same text, or
the same error, as `Template.render`."""

from __future__ import annotations

import glob
from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flashcards.expand import _render, compiled, fact_values
from flashcards.models import FACT_KINDS, FactsFile

_TEXTS = sorted({text for path in glob.glob(str(Path(__file__).parent.parent / "flashcards"
                                                   / "templates" / "*.yaml"))
                 for template in yaml.safe_load(Path(path).read_text("utf-8"))["templates"]
                 for key in ("question", "answer", "text", "extra")
                 if (text := template.get(key))})
_HOSTILE = ["Quel rôle joue {{ nom }} ?", "{{ 1 / 0 }}", "{{ name | attr('__class__') }}",
            "{{ cycler.__init__.__globals__ }}", "{{ ''.__class__.__mro__[1] }}",
            "{{ name.replace('a', 'b') }}", "{{ 10 ** 100 }}", "{{ name * 3 }}",
            "{% if plural %}{{ value }}{% else %}{{ measure }}{% endif %}", "{{ missing.x }}",
            "{{ tags | first }} {{ tags | length }}", "{{ name[0] }} {{ name | upper }}"]
_NAMES = ["name", "role", "date", "event", "measure", "value", "subject", "predicate",
          "object", "term", "definition", "speaker", "quote", "context", "id", "source"]


def _outcome(function):
    try:
        return "ok", function()
    except Exception as exc:  # the same error, type and message
        return type(exc).__name__, str(exc)


@settings(deadline=None, max_examples=300, database=None)
@given(text=st.sampled_from(_TEXTS + _HOSTILE),
       values=st.fixed_dictionaries(
           {}, optional={**dict.fromkeys(_NAMES, st.text(max_size=20)),
                         "plural": st.booleans(), "tags": st.lists(st.text(max_size=5))}))
def test_render_is_templates_own(text, values):
    kind, template = _outcome(lambda: compiled(text))
    assume(kind == "ok")  # refused before any render
    assert _outcome(lambda: _render(template, values)) == \
        _outcome(lambda: template.render(values))


_FACT_FIELDS = {"person": {"name": "N", "role": "r"}, "event": {"date": "d", "event": "e"},
                "quantity": {"measure": "m", "value": "v"},
                "relation": {"subject": "s", "predicate": "p", "object": "o"},
                "definition": {"term": "t", "definition": "d"},
                "quote": {"speaker": "s", "quote": "q"}}
_OPTIONAL = {"subdeck": st.text(min_size=1, max_size=5).filter(lambda t: '"' not in t
                                                                and t.strip()),
             "tags": st.lists(st.sampled_from(["a", "b::c"])), "extra": st.just("E"),
             "lint_disable": st.lists(st.just("answer-length")),
             "templates": st.lists(st.just("x"), min_size=1), "plural": st.booleans(),
             "context": st.just("C")}


@settings(deadline=None, max_examples=200, database=None)
@given(kind=st.sampled_from(FACT_KINDS), extra=st.fixed_dictionaries({}, optional=_OPTIONAL))
def test_fact_values_are_model_dump(kind, extra):
    if kind != "quantity":
        extra.pop("plural", None)
    if kind != "quote":
        extra.pop("context", None)
    fact = FactsFile.model_validate({"facts": [{"id": "f", "kind": kind, "source": "S",
                                                **_FACT_FIELDS[kind], **extra}]}).facts[0]
    assert fact_values(fact) == fact.model_dump()
    assert fact_values(fact) is not fact.__dict__
