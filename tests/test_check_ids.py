"""check_ids first tests that no id is used twice, at once (`_unique_ids`), and goes item by
item only when one is: the same answer as the item-by-item check."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards.load import Document
from flashcards.models import CardsFile, DeckConfig, FactsFile, TemplatesFile
from flashcards.validate import DeckSources, _id_problems, _unique_ids, check_ids

_IDS = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@settings(deadline=None, max_examples=400, database=None)
@given(cards=st.lists(st.tuples(_IDS, st.one_of(st.none(), st.sampled_from(["g1", "g2"]))),
                      max_size=5),
       facts=st.lists(_IDS, max_size=4), templates=st.lists(_IDS, max_size=3))
def test_ids_checked_at_once_as_one_by_one(cards, facts, templates):
    root = Path("/deck")
    sources = DeckSources(
        slug="deck", root=root, config=DeckConfig(name="Deck"),
        cards=CardsFile.model_validate({"cards": [
            {"id": i, "question": "Q", "answer": "A", **({"guid": g} if g else {})}
            for i, g in cards]}),
        facts=FactsFile.model_validate({"facts": [
            {"id": i, "kind": "person", "name": "N", "role": "r", "source": "s"}
            for i in facts]}),
        templates=TemplatesFile.model_validate({"templates": [
            {"id": i, "kind": "person", "question": "Q", "answer": "A"} for i in templates]}),
        documents={file: Document(root / file, None) for file in
                   ("cards.yaml", "facts.yaml", "templates.yaml")})
    problems = _id_problems(sources)
    assert _unique_ids(sources) == (not problems)
    assert check_ids(sources) == problems
