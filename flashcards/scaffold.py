"""`flashcards init`: a new deck from an article, valid and buildable from the first minute.

The seed is copied into `seeds/`; `decks/<slug>/` gets a commented `deck.yaml`, and a
`cards.yaml` and a `facts.yaml` with one example each, quoted from a real sentence of the
seed so that the deck validates and builds at once. Every file starts with a
`yaml-language-server` line pointing at the JSON Schemas, for editors.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from flashcards.file_kinds import binary_kind
from flashcards.grounding import Seed
from flashcards.labels import in_language
from flashcards.load import read_text
from flashcards.project import Project, UsageError, deck_name_key
from flashcards.write import write_text_atomic

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
SHORT_EXAMPLE_WORDS = 20
MAX_EXAMPLE_WORDS = 40
MAX_GAP_WORDS = 6
# A word worth a gap: a figure, or a capitalised word (a name) after the sentence's start.
_GAP_WORD = re.compile(r"(?<![\w'’])(?:\d[\d\s.,]*\d|\d|[A-ZÀ-ÖØ-Þ][\w’'-]*)(?![\w])")
_AWKWARD = re.compile(r"[«»\"“”(){}\[\]<>*_`#|:;]")
_OPTION_RULES = {"language": "a lowercase language code such as fr, en or pt-BR",
                 "name": "1 to 200 characters, without a double quote"}


@dataclass(frozen=True)
class InitResult:
    slug: str
    deck_dir: Path
    seed: Path
    seed_copied: bool
    written: list[Path] = field(default_factory=list)

    def next_steps(self) -> list[str]:
        return [f"flashcards add {self.slug}     # write a card: question, answer, source",
                f"decks/{self.slug}/facts.yaml   # or describe facts: templates make cards",
                f"flashcards build {self.slug}   # → dist/{self.slug}.apkg"]

    def to_json(self) -> dict[str, object]:
        return {"slug": self.slug, "deck": str(self.deck_dir), "seed": str(self.seed),
                "seed_copied": self.seed_copied, "written": [str(p) for p in self.written],
                "next_steps": self.next_steps()}


@dataclass(frozen=True)
class Example:
    """A seed sentence and the words of it to gap: `before {{c1::gap}} after`."""

    sentence: str
    before: str
    gap: str
    after: str


def check_slug(slug: str) -> None:
    if not SLUG.match(slug):
        raise UsageError(f"invalid deck slug {slug!r}: use lowercase letters, digits, - and _ "
                         "(e.g. dojo or tesla-dojo), starting with a letter or digit")


def pick_example(seed: Seed, skip: str = "") -> Example:
    """The first factual sentence of the seed that makes a clean cloze: a short sentence
    whose last figure or name starts a gap of at most six words up to its end."""
    from flashcards.coverage import split_sentences

    sentences = [s.text for s in split_sentences(seed) if s.factual and s.text != skip]
    short = [t for t in sentences if len(t.split()) <= SHORT_EXAMPLE_WORDS]
    longer = [t for t in sentences if SHORT_EXAMPLE_WORDS < len(t.split()) <= MAX_EXAMPLE_WORDS]
    for text in short + longer:
        if _AWKWARD.search(text):
            continue
        body = text.rstrip(".!…")
        matches = [m for m in _GAP_WORD.finditer(body) if m.start() > 0]
        for match in reversed(matches):
            gap = body[match.start():].strip()
            before = body[:match.start()].rstrip()
            if len(gap.split()) <= MAX_GAP_WORDS and len(before.split()) >= 2:
                return Example(text, before, gap, text[len(body):])
    if not sentences:
        raise UsageError(f"the seed {seed.path.name} has no sentence of five words or more "
                         "to quote: is it the article's text?")
    text = sentences[0]
    body = text.rstrip(".!?…")
    before, _, last = body.rpartition(" ")
    return Example(text, before, last, text[len(body):])


def _second_example(seed: Seed, first: Example) -> Example:
    """Another sentence for the fact, so that the card and the fact differ."""
    try:
        return pick_example(seed, skip=first.sentence)
    except UsageError:  # a one-sentence seed: the same sentence with a wider gap
        before, _, last = first.before.rpartition(" ")
        return Example(first.sentence, before, f"{last} {first.gap}", first.after)


def _yaml_string(text: str) -> str:
    # JSON strings are valid YAML double-quoted strings.
    return json.dumps(text, ensure_ascii=False)


def schema_line(deck_dir: Path, schemas_dir: Path, name: str) -> str:
    relative = Path(os.path.relpath(schemas_dir / f"{name}.schema.json", deck_dir))
    return f"# yaml-language-server: $schema={relative.as_posix()}\n"


def deck_yaml(name: str, language: str, seed_id: str | None, schema: str) -> str:
    seed = (f"seed: {_yaml_string(seed_id)}   # the article, a file in seeds/ without "
            "extension\n" if seed_id else
            "# seed: the article, a file in seeds/ without extension; sources are checked "
            "against it\n")
    return (
        f"{schema}"
        "# The deck as a whole. Every key is described in `flashcards schema deck`.\n"
        f"name: {_yaml_string(name)}          # Anki deck name; `::` makes a subdeck\n"
        f"language: {language}                   # language of the cards\n"
        f"{seed}"
        "description: \"\"                # Markdown, shown by Anki on the deck's overview\n"
        "version: 0.1.0                 # bumped by `flashcards release`\n"
        "tags: []                       # given to every note, e.g. "
        f"[{_commented(language)['tag']}]\n"
        "# licence: CC BY-SA 4.0\n")


# The commented-out examples, in the deck's language (English for any language but French).
_COMMENTED = {
    "fr": {"question": "Quelle est la question ?", "answer": "La réponse",
           "source": "un passage de l'article", "name": "Prénom Nom",
           "role": "le rôle, avec son article", "card": "exemple", "fact": "exemple-fait",
           "tag": "histoire"},
    "en": {"question": "What is the question?", "answer": "The answer",
           "source": "a passage of the article", "name": "First Last",
           "role": "the role, with its article", "card": "example", "fact": "example-fact",
           "tag": "history"},
}


def _commented(language: str) -> dict[str, str]:
    return in_language(_COMMENTED, language)


def cards_yaml(example: Example, schema: str, language: str = "fr") -> str:
    text = f"{example.before} {{{{c1::{example.gap}}}}}{example.after}"
    words = _commented(language)
    return (
        f"{schema}"
        "# Hand-written cards. Add one with `flashcards add <deck>` or by hand.\n"
        "# type: basic (default: question → answer), reverse (both ways), cloze (gaps\n"
        "# {{c1::…}}), type-in (the student types the answer). `source` quotes the article\n"
        "# verbatim: the build checks that it is there.\n"
        "cards:\n"
        f"  - id: {words['card']:<23}# stable and unique: it is the note's identity\n"
        "    type: cloze\n"
        f"    text: {_yaml_string(text)}\n"
        f"    source: {_yaml_string(example.sentence)}\n"
        "  # - id: another-card\n"
        f"  #   question: {words['question']}\n"
        f"  #   answer: {words['answer']}\n"
        f"  #   source: {words['source']}\n")


def facts_yaml(example: Example, schema: str, language: str = "fr") -> str:
    from flashcards.expand import builtin_languages

    subject, _, predicate = example.before.rpartition(" ")
    words = _commented(language)
    if language.split("-")[0] not in builtin_languages():  # no template would make a card
        return (
            f"{schema}"
            f"# The article's facts. flashcards has built-in templates for "
            f"{' and '.join(builtin_languages())} only:\n"
            f"# a deck in {language!r} needs its own templates.yaml (see the README) before "
            "its facts make cards.\n"
            "facts: []\n"
            "  # - id: a-relation\n"
            "  #   kind: relation\n"
            f"  #   subject: {_yaml_string(subject)}\n"
            f"  #   predicate: {_yaml_string(predicate)}\n"
            f"  #   object: {_yaml_string(example.gap)}\n"
            f"  #   source: {_yaml_string(example.sentence)}\n")
    return (
        f"{schema}"
        "# The article's facts; built-in templates turn each into cards (see the README).\n"
        "# kinds: person (name, role), event (date, event), quantity (measure, value),\n"
        "# relation (subject, predicate, object), definition (term, definition),\n"
        "# quote (speaker, quote, context). `source` is required and quoted verbatim.\n"
        "facts:\n"
        f"  - id: {words['fact']}\n"
        "    kind: relation             # a cloze: subject predicate {{c1::object}}.\n"
        f"    subject: {_yaml_string(subject)}\n"
        f"    predicate: {_yaml_string(predicate)}\n"
        f"    object: {_yaml_string(example.gap)}\n"
        f"    source: {_yaml_string(example.sentence)}\n"
        "  # - id: a-person\n"
        "  #   kind: person\n"
        f"  #   name: {words['name']}\n"
        f"  #   role: {words['role']}\n"
        f"  #   source: {words['source']}\n")


def ensure_schemas(project: Project) -> tuple[Path, list[Path]]:
    """The project's `schemas/` folder, with any missing schema written into it."""
    from flashcards.schema import json_schemas

    folder = project.root / "schemas"
    written = []
    for name, value in json_schemas().items():
        target = folder / f"{name}.schema.json"
        if not target.exists():
            write_text_atomic(target, json.dumps(value, indent=2, ensure_ascii=False) + "\n")
            written.append(target)
    return folder, written


def read_article(path: Path) -> Seed:
    """The article given to --seed, or a UsageError saying how to get its text (a Word file,
    a PDF, an empty file); a SourceError when it is text but not UTF-8."""
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give the article's file (UTF-8 text)")
    if not path.is_file():
        raise UsageError(f"no file {path}: give the path of the article (UTF-8 text)")
    kind = binary_kind(path)
    if kind:
        raise UsageError(f"{path} is {kind}, not plain text: save or copy the article's text "
                         "into a .txt file (Word, LibreOffice: File → Save As → Plain Text, "
                         "encoding UTF-8) and give that file to --seed")
    article = Seed.read(path)
    if not article.text.strip():
        raise UsageError(f"{path} is empty: paste the article's text into it, or give "
                         "another file to --seed")
    return article


def copy_seed(project: Project, article: Seed) -> tuple[Path, bool]:
    """Copy the article into `seeds/` (kept when the same file is already there)."""
    target = project.seeds_dir / article.path.name
    if target.exists():
        if target.resolve() == article.path.resolve() or read_text(target) == article.text:
            return target, False
        raise UsageError(f"{target} already exists with other content: rename your file "
                         "(the seed's id is its name without extension) or reuse that seed")
    clash = project.seed_path(article.id)
    if clash is not None:
        raise UsageError(f"{clash} has the same id {article.id!r}: rename your file")
    write_text_atomic(target, article.text)
    return target, True


def init_deck(project: Project, slug: str, seed: Path, *, language: str = "fr",
              name: str | None = None) -> InitResult:
    """Create `decks/<slug>/` for the article `seed`. Nothing is written when it raises:
    UsageError for an invalid slug, name or language, an existing deck, a name clash, a seed
    that is missing, empty or not text; SourceError for a seed that is not UTF-8."""
    from pydantic import ValidationError

    from flashcards.models import DeckConfig

    check_slug(slug)
    deck_dir = project.decks_dir / slug
    if deck_dir.exists():
        raise UsageError(f"{deck_dir} already exists: choose another slug, or edit that deck")
    article = read_article(seed)
    name = name or slug.replace("-", " ").replace("_", " ").capitalize()
    try:
        DeckConfig(name=name, language=language, seed=article.id)
    except ValidationError as exc:
        raise UsageError("; ".join(
            f"--{e['loc'][0]} {e['input']!r} is not valid: give "
            f"{_OPTION_RULES.get(str(e['loc'][0]), e['msg'])}" for e in exc.errors())) from None
    clash = deck_named(project, name)
    if clash:
        raise UsageError(f"deck {clash[0]!r} is already named {clash[1]!r}: give the new "
                         "deck another name with --name (Anki matches decks by name)")
    example = pick_example(article)
    fact_example = _second_example(article, example)

    project.decks_dir.mkdir(parents=True, exist_ok=True)
    seed_target, copied = copy_seed(project, article)
    schemas_dir, written = ensure_schemas(project)
    files = {
        "deck.yaml": deck_yaml(name, language, article.id,
                               schema_line(deck_dir, schemas_dir, "deck")),
        "cards.yaml": cards_yaml(example, schema_line(deck_dir, schemas_dir, "cards"),
                                 language),
        "facts.yaml": facts_yaml(fact_example, schema_line(deck_dir, schemas_dir, "facts"),
                                 language),
    }
    for file, text in files.items():
        write_text_atomic(deck_dir / file, text)
        written.append(deck_dir / file)
    if copied:
        written.insert(0, seed_target)
    return InitResult(slug, deck_dir, seed_target, copied, written)


def deck_named(project: Project, name: str) -> tuple[str, str] | None:
    """The slug and name of a deck already named `name` as Anki compares names (ignoring
    case): two decks of one name would be one deck in students' collections."""
    if not project.decks_dir.is_dir():
        return None
    for deck_dir, _, other in project.deck_names():
        if deck_name_key(other) == deck_name_key(name):
            return deck_dir.name, other
    return None
