"""Synthetic decks in the project's own source format, for benchmarks."""

from __future__ import annotations

import shutil
from pathlib import Path

SEED = Path(__file__).resolve().parent.parent / "seeds" / "tesla-dojo-2025-08-15.fr.txt"
SOURCES = [
    "Tesla a mis un terme à son ambitieux projet de supercalculateur",
    "En 2021, lorsque le concept fut dévoilé",
    "Peter Bannon, larchitecte en chef des puces",
    "Il a progressivement recruté 20 des meilleurs ingénieurs de Dojo",
    "ses puces AI5 et AI6, qui sont respectivement fabriquées par TSMC et Samsung",
]
TYPES = ["basic", "basic", "reverse", "cloze", "type-in"]


def card_yaml(i: int) -> str:
    kind = TYPES[i % len(TYPES)]
    source = SOURCES[i % len(SOURCES)]
    if kind == "cloze":
        body = f'    text: "La carte numéro {i} porte sur {{{{c1::le fait {i}}}}} de l’article."\n'
    else:
        body = (f"    question: Quelle est la réponse numéro {i} sur *Dojo* ?\n"
                f"    answer: La réponse {i}, avec du **gras**\n")
    return (f"  - id: card-{i}\n    type: {kind}\n{body}"
            f"    extra: Note {i} au verso.\n    tags: [t{i % 7}]\n    source: {source}\n")


def fact_yaml(i: int) -> str:
    source = SOURCES[i % len(SOURCES)]
    return (f"  - id: fact-{i}\n    kind: definition\n    term: Terme {i}\n"
            f"    definition: la définition numéro {i} du glossaire de Dojo\n"
            f"    source: {source}\n")


def make_project(root: Path, cards: int, *, facts: bool = False) -> Path:
    """A project with one deck `synth` of `cards` hand-written cards (or, with `facts`, of
    facts that the built-in templates expand into as many cards)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "seeds").mkdir(parents=True)
    shutil.copy(SEED, root / "seeds" / SEED.name)
    deck = root / "decks" / "synth"
    deck.mkdir(parents=True)
    (deck / "deck.yaml").write_text(
        "name: Synthétique\nlanguage: fr\nseed: tesla-dojo-2025-08-15.fr\n"
        "lint_disable: [near-duplicate, duplicate-source]\n", encoding="utf-8")
    if facts:  # two notes per definition fact
        body = "".join(fact_yaml(i) for i in range(cards // 2))
        (deck / "facts.yaml").write_text("facts:\n" + body, encoding="utf-8")
    else:
        body = "".join(card_yaml(i) for i in range(cards))
        (deck / "cards.yaml").write_text("cards:\n" + body, encoding="utf-8")
    return root
