"""Every data model of the project: the source files (deck, cards, facts, templates) and the
cards they become. Field descriptions are published as JSON Schema (`flashcards schema`)."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)


# The default factories, not `list` and `dict`: pydantic reads a factory's signature, and a
# builtin's is parsed from its text (tokenize, ast), a third of the time the models take to
# build.
def _new_list() -> list[Any]:
    return []


def _new_dict() -> dict[str, Any]:
    return {}


Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=80,
                          description="Stable identifier: lowercase letters, digits, - and _."
                          " Changing it makes a new note in students' collections.")]
TagName = Annotated[str, Field(pattern=r"^[^\s\"]+$", max_length=100,
                               description="Anki tag: no spaces; `::` makes a hierarchy.")]
Text = Annotated[str, Field(min_length=1, max_length=20_000,
                            description="Plain text or Markdown.")]


class Strict(BaseModel):
    # defer_build: a model's validator is built when first used, not on import: a deck of
    # cards never builds those of facts and templates (~10 % of a small build's start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              str_strip_whitespace=True, defer_build=True)


class CardType(StrEnum):
    BASIC = "basic"
    REVERSE = "reverse"
    CLOZE = "cloze"
    TYPE_IN = "type-in"


# ---- deck.yaml -------------------------------------------------------------------------------

SubdeckName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\"]+$",
                                   description="A subdeck name; `::` nests further.")]


class Subdecks(Strict):
    """How cards are split into subdecks of the deck."""

    by: Literal["kind", "none"] = Field("kind", description=(
        "`kind`: cards generated from facts go to a subdeck named after the fact's kind."))
    names: dict[str, SubdeckName] = Field(default_factory=_new_dict, description=(
        "Subdeck of each fact kind, e.g. {person: Personnes}; defaults in the deck's "
        "language."))
    cards: SubdeckName | None = Field(None, description=(
        "Subdeck of hand-written cards without their own `subdeck` (default: the deck)."))

    @model_validator(mode="after")
    def _known_kinds(self) -> Self:
        unknown = sorted(set(self.names) - set(FACT_KINDS))
        if unknown:
            raise ValueError(f"unknown fact kind {', '.join(unknown)} in `names`; kinds: "
                             f"{', '.join(FACT_KINDS)}")
        return self


class DeckConfig(Strict):
    """`deck.yaml`: the deck as a whole."""

    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\"]+$",
                      description="Anki deck name; `::` makes a subdeck. Unique per collection.")
    language: str = Field("fr", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$",
                          description="Language of the cards, e.g. `fr`.")
    seed: str | None = Field(None, description="Id (file stem) of the source in `seeds/`.")
    description: str = Field("", max_length=20_000, description="Markdown, shown by Anki.")
    version: str = Field("0.1.0", pattern=r"^\d+\.\d+\.\d+$", description="Semantic version.")
    licence: str | None = Field(None, description="Licence of the deck's content.")
    tags: list[TagName] = Field(default_factory=_new_list, description="Tags given to every note.")
    lint_disable: list[str] = Field(default_factory=_new_list, description=(
        "Lint rules not to apply here, e.g. [answer-length]; see `flashcards lint --rules`."))
    tag_changes: bool = Field(True, description="Tag notes changed in a release "
                              "`changed::<version>`, so students find and re-check them.")
    source_url: str | None = Field(None, pattern=r"^https?://\S+$", max_length=2000,
                                   description="Where the article was published (shown as "
                                   "text in the deck description).")
    published: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description=(
        "The article's date, YYYY-MM-DD; default: a date in the seed's id, if any."))
    subdecks: Subdecks | None = Field(None, description=(
        "Put cards in subdecks (`Deck::Personnes`…) so students can study a part."))
    tts: bool = Field(False, description=(
        "Anki's text-to-speech reads the question side aloud ({{tts <lang>:…}})."))

    @field_validator("published")
    @classmethod
    def _a_real_date(cls, value: str | None) -> str | None:
        try:
            return value if value is None else date.fromisoformat(value).isoformat()
        except ValueError as exc:  # 2025-02-30
            raise ValueError(f"{value} is not a date ({exc}); write it YYYY-MM-DD") from None


# ---- cards.yaml ------------------------------------------------------------------------------

class CardCommon(Strict):
    id: Id
    subdeck: SubdeckName | None = Field(None, description="Subdeck of this card's cards.")
    extra: Text | None = Field(None, description="Shown on the back, below the answer.")
    tags: list[TagName] = Field(default_factory=_new_list)
    source: Text | None = Field(None, description="A passage quoted verbatim from the seed.")
    lint_disable: list[str] = Field(default_factory=_new_list, description=(
        "Lint rules not to apply here, e.g. [answer-length]; see `flashcards lint --rules`."))
    guid: str | None = Field(
        None, min_length=1, max_length=100, pattern=r"^[^\s\x1f]+$",
        description="The note's Anki GUID, kept from an imported deck (`flashcards import`) "
        "so that students who have that deck keep their progress. Leave it out otherwise.")


class QuestionAnswer(CardCommon):
    question: Text
    answer: Text


class BasicCard(QuestionAnswer):
    """A question and its answer: one card."""

    type: Literal["basic"] = "basic"


class ReverseCard(QuestionAnswer):
    """Two cards: question → answer and answer → question."""

    type: Literal["reverse"]


class TypeInCard(QuestionAnswer):
    """The student types the answer; Anki compares it."""

    type: Literal["type-in"]


class ClozeCard(CardCommon):
    """A text with gaps `{{c1::…}}`; one card per gap number."""

    type: Literal["cloze"]
    text: Text


def _type_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "basic"))
    return str(getattr(value, "type", "basic"))


Card = Annotated[
    Annotated[BasicCard, Tag("basic")]
    | Annotated[ReverseCard, Tag("reverse")]
    | Annotated[TypeInCard, Tag("type-in")]
    | Annotated[ClozeCard, Tag("cloze")],
    Discriminator(_type_of, custom_error_type="card_type",
                  custom_error_message="unknown card type",
                  custom_error_context={"choices": "basic, reverse, cloze, type-in"}),
]


class CardsFile(Strict):
    """`cards.yaml`: hand-written cards."""

    cards: list[Card] = Field(default_factory=_new_list)


# ---- facts.yaml ------------------------------------------------------------------------------

class FactCommon(Strict):
    id: Id
    subdeck: SubdeckName | None = Field(None, description="Subdeck of this fact's cards.")
    source: Text = Field(description="A passage quoted verbatim from the seed (required).")
    tags: list[TagName] = Field(default_factory=_new_list)
    extra: Text | None = Field(None, description="Shown on the back of every card of the fact.")
    lint_disable: list[str] = Field(default_factory=_new_list, description=(
        "Lint rules not to apply here, e.g. [answer-length]; see `flashcards lint --rules`."))
    templates: list[Id] | None = Field(None, min_length=1, description=(
        "The templates (by id) that make this fact's cards, instead of every non-optional "
        "template of its kind, e.g. [event-date, event-what]."))


class PersonFact(FactCommon):
    """A person and their role: « Qui est … ? » both ways."""

    kind: Literal["person"]
    name: Text
    role: Text = Field(description="Noun phrase with its article: « l'architecte en chef … ».")


class EventFact(FactCommon):
    """Something that happened at a date."""

    kind: Literal["event"]
    date: Text = Field(description="Adverbial phrase: « en janvier 2021 ».")
    event: Text = Field(description="Clause read after the date: « Musk évoque Dojo … ».")


class QuantityFact(FactCommon):
    """A figure: « À combien s'élève … ? »"""

    kind: Literal["quantity"]
    measure: Text = Field(description="Noun phrase with its article: « la valeur … ».")
    value: Text
    plural: bool = False


class RelationFact(FactCommon):
    """Subject, predicate, object: « La puce AI5 est fabriquée par TSMC. »"""

    kind: Literal["relation"]
    subject: Text
    predicate: Text
    object: Text


class DefinitionFact(FactCommon):
    """A term and what it means, asked both ways."""

    kind: Literal["definition"]
    term: Text
    definition: Text = Field(description="Noun phrase with its article.")


class QuoteFact(FactCommon):
    """Who said what."""

    kind: Literal["quote"]
    speaker: Text
    quote: Text = Field(description="The quoted words, without « ».")
    context: Text | None = None


FACT_KINDS = ("person", "event", "quantity", "relation", "definition", "quote")

Fact = Annotated[
    PersonFact | EventFact | QuantityFact | RelationFact | DefinitionFact | QuoteFact,
    Field(discriminator="kind"),
]


class FactsFile(Strict):
    """`facts.yaml`: the article's facts, from which templates generate cards."""

    facts: list[Fact] = Field(default_factory=_new_list)


# ---- templates.yaml --------------------------------------------------------------------------

class Template(Strict):
    """A Jinja2 template turning every fact of one kind into a card."""

    id: Id
    kind: Literal["person", "event", "quantity", "relation", "definition", "quote"]
    type: CardType = CardType.BASIC
    question: str | None = Field(None, description="Jinja2; for basic, reverse, type-in.")
    answer: str | None = Field(None, description="Jinja2; for basic, reverse, type-in.")
    text: str | None = Field(None, description="Jinja2 with `|gap` for cloze gaps.")
    extra: str | None = Field(None, description="Jinja2; shown on the back.")
    tags: list[TagName] = Field(default_factory=_new_list)
    optional: bool = Field(False, description=(
        "Made only for the facts that name it in their `templates`: a direction whose answer "
        "is unique for some facts only."))

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        if self.type is CardType.CLOZE:
            if not self.text or self.question or self.answer:
                raise ValueError("a cloze template needs `text` (and no question/answer)")
        elif not (self.question and self.answer) or self.text:
            raise ValueError(f"a {self.type.value} template needs `question` and `answer`")
        return self


class TemplatesFile(Strict):
    """`templates.yaml`: a deck's own templates; they add to the built-in ones, or replace
    those with the same id."""

    templates: list[Template] = Field(default_factory=_new_list)


# ---- what the pipeline produces ------------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class NoteSpec:
    """One note as it will be packed: fields still in source form (Markdown).

    A slotted class, not a pydantic model: a deck makes one per note and the pipeline only
    reads them (~0.4 KiB and ~1 µs each, against ~1.3 KiB and ~5 µs as a model). Never
    modified once made."""

    id: str
    type: CardType
    fields: dict[str, str]
    tags: tuple[str, ...] = ()
    source: str | None = None
    file: str  # the file it was defined in
    line: int = 0  # the line it starts at (0: unknown)
    fact_id: str | None = None
    template_id: str | None = None
    lint_disable: tuple[str, ...] = ()
    guid: str | None = None  # an imported note's GUID, kept as it was

    @property
    def origin(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


SCHEMAS: dict[str, type[BaseModel]] = {
    "deck": DeckConfig,
    "cards": CardsFile,
    "facts": FactsFile,
    "templates": TemplatesFile,
}
