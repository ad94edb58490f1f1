"""`flashcards add`: append one well-formed card to a deck's `cards.yaml`.

The file is never re-serialised: the new card's YAML is appended as text after everything
already there, so every comment, blank line and quote style stays byte for byte. ruamel.yaml
writes the card itself (plain scalars where they are safe, quotes where YAML 1.1 or 1.2
readers would see something else: `yes`, `20`, `: `…), indented like the file's items.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flashcards.diagnostics import SourceError
from flashcards.grounding import Seed, normalise
from flashcards.project import Project, UsageError
from flashcards.write import write_atomic

CARD_TYPES = ("basic", "reverse", "cloze", "type-in")
MAX_ID_LENGTH = 48
KEY_ORDER = ("id", "type", "question", "answer", "text", "extra", "source", "tags", "guid")
_CLOZE = re.compile(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}")
_EMPTY_LIST = re.compile(r"^cards:[ \t]*\[[ \t]*\][ \t]*(#[^\r\n]*)?(?=\r?$)", re.M)
_HEADER = re.compile(r"^cards:[ \t]*(#[^\r\n]*)?(?=\r?$)", re.M)
_ITEM = re.compile(r"^([ \t]*)- ", re.M)


@dataclass(frozen=True)
class AddResult:
    id: str
    file: Path
    line: int
    card: dict[str, Any]

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "file": str(self.file), "line": self.line, "card": self.card}


def fold(text: str) -> str:
    """ASCII, lowercase: `Élan où` → `elan ou`."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def slug(text: str) -> str:
    """An id from a question: ASCII-folded words joined by `-`, cut at a word boundary."""
    words = re.findall(r"[a-z0-9]+", fold(_CLOZE.sub(r"\1", text)))
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > MAX_ID_LENGTH:
            break
        result = candidate
    return result or "carte"


def unique_id(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def deck_ids(deck_dir: Path) -> set[str]:
    """Ids of the deck's cards and facts (read leniently: the file may not be valid yet)."""
    from flashcards.load import load_yaml

    ids: set[str] = set()
    for file, key in (("cards.yaml", "cards"), ("facts.yaml", "facts")):
        path = deck_dir / file
        if not path.exists():
            continue
        data = load_yaml(path).data
        items = data.get(key) if isinstance(data, dict) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                ids.add(item["id"])
    return ids


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", fold(text)) if len(w) > 2}


def closest_sentences(seed: Seed, text: str, count: int = 3) -> list[str]:
    """The seed's sentences closest to `text`: most of its words, then most alike."""
    from flashcards.coverage import split_sentences

    wanted = _words(text)
    key = normalise(text)

    def score(sentence: str) -> tuple[float, float]:
        shared = len(wanted & _words(sentence)) / len(wanted) if wanted else 0.0
        alike = difflib.SequenceMatcher(None, key, normalise(sentence)).ratio()
        return shared, alike

    sentences = list(dict.fromkeys(s.text for s in split_sentences(seed)))
    ranked = sorted(sentences, key=score, reverse=True)
    return [s for s in ranked[:count] if score(s)[0] > 0 or score(s)[1] > 0.3]


def deck_seed(project: Project, deck_dir: Path) -> Seed | None:
    from flashcards.load import load_yaml

    data = load_yaml(deck_dir / "deck.yaml").data
    seed_id = data.get("seed") if isinstance(data, dict) else None
    if not isinstance(seed_id, str):
        return None
    path = project.seed_path(seed_id)
    return Seed.read(path) if path else None


def build_card(*, card_type: str, question: str | None = None, answer: str | None = None,
               text: str | None = None, source: str | None = None, extra: str | None = None,
               tags: list[str] | None = None, card_id: str | None = None,
               guid: str | None = None,
               taken: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """The card as a mapping in the usual key order, validated. Raises UsageError."""
    from pydantic import TypeAdapter, ValidationError

    from flashcards.models import Card

    if card_type not in CARD_TYPES:
        raise UsageError(f"unknown card type {card_type!r}: choose {', '.join(CARD_TYPES)}")
    cloze = card_type == "cloze"
    if cloze and not (text and _CLOZE.search(text)):
        raise UsageError("a cloze card needs its text with gaps, e.g. "
                         "--question \"Dojo fut dévoilé en {{c1::2021}}.\"")
    if not cloze and not (question and answer):
        raise UsageError(f"a {card_type} card needs a question and an answer")
    if card_id and card_id in taken:
        raise UsageError(f"id {card_id!r} is already used in this deck: choose another")
    card: dict[str, Any] = {
        "id": card_id or unique_id(slug(text if cloze else question or ""), set(taken)),
        "type": None if card_type == "basic" else card_type,
        "question": None if cloze else question,
        "answer": None if cloze else answer,
        "text": text if cloze else None,
        "extra": extra or None,
        "source": source or None,
        "tags": list(tags) if tags else None,
        "guid": guid or None,
    }
    card = {k: card[k] for k in KEY_ORDER if card[k] is not None}
    try:
        TypeAdapter(Card).validate_python(card)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or 'card'}: {e['msg']}"
                             for e in exc.errors())
        raise UsageError(f"the card is not valid: {problems}") from None
    return card


def card_yaml(card: dict[str, Any], indent: str = "  ", newline: str = "\n") -> str:
    """One list item, `- id: …` at `indent`, its keys two columns further in."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    value = dict(card)
    if "tags" in value:
        tags = CommentedSeq(value["tags"])
        tags.fa.set_flow_style()
        value["tags"] = tags
    yaml = YAML()
    yaml.width = 4096  # one line per value, as hand-written files do
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.version = (1, 1)  # quote `yes`, `on`… for YAML 1.1 readers too
    stream = io.StringIO()
    yaml.dump([value], stream)
    lines = stream.getvalue().split("\n")
    lines = lines[lines.index("---") + 1:] if "---" in lines else lines
    return "".join(f"{indent}{line}{newline}" for line in lines if line)


def appended(original: str, card: dict[str, Any]) -> str:
    """`original` (a cards.yaml, possibly empty) with `card` appended as its last item."""
    newline = "\r\n" if "\r\n" in original else "\n"
    text = original
    if text and not text.endswith("\n"):
        text += newline
    if _EMPTY_LIST.search(text):
        # `cards: []` becomes a block list: the one place where a line changes.
        text = _EMPTY_LIST.sub(lambda m: "cards:" + (f"  {m[1]}" if m[1] else ""), text,
                               count=1)
    elif _HEADER.search(text) is None:
        if any(line.strip() and not line.lstrip().startswith("#")
               for line in text.splitlines()):
            raise UsageError("cards.yaml has no block `cards:` list to add to: start the "
                             "list on its own line, `cards:`, with one `- id: …` per card")
        text += f"cards:{newline}"
    header = _HEADER.search(text)
    assert header is not None
    first_item = _ITEM.search(text, header.end())
    indent = first_item[1] if first_item else "  "
    return text + card_yaml(card, indent, newline)


def add_card(project: Project, deck: str, card: dict[str, Any]) -> AddResult:
    """Append `card` (from `build_card`) to `decks/<deck>/cards.yaml`, keeping the file's
    bytes. The result is re-read and checked before it is written: nothing is written unless
    the file parses with the new card last. Raises UsageError or SourceError."""
    [result] = add_cards(project, deck, [card])
    return result


def add_cards(project: Project, deck: str, cards: list[dict[str, Any]]) -> list[AddResult]:
    """Append several cards at once (one write), as `add_card` does for one."""
    from flashcards.load import load_yaml

    [deck_dir] = project.deck_dirs([deck])
    path = deck_dir / "cards.yaml"
    raw = path.read_bytes() if path.exists() else b""
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw[3 if bom else 0:].decode("utf-8")
    except UnicodeDecodeError:
        load_yaml(path)  # raises the SourceError that names the byte
        raise
    if text:
        load_yaml(path)  # a broken file is reported, not appended to
    results = []
    for card in cards:
        text = appended(text, card)
        line = text.count("\n") - card_yaml(card).count("\n") + 1
        results.append(AddResult(card["id"], path, line, card))
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    _check_result(path, data, cards)
    write_atomic(path, lambda handle: handle.write(data))
    return results


def _check_result(path: Path, data: bytes, cards: list[dict[str, Any]]) -> None:
    import tempfile

    from flashcards.load import load_yaml

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "cards.yaml"
        probe.write_bytes(data)
        try:
            parsed = load_yaml(probe).data
        except SourceError as exc:  # a bug here, not the user's: say so plainly
            raise UsageError(f"cannot append to {path} safely "
                             f"({exc.diagnostics[0].message}); add the card by hand") from None
    items = parsed.get("cards") if isinstance(parsed, dict) else None
    if not isinstance(items, list) or items[len(items) - len(cards):] != cards:
        raise UsageError(f"cannot append to {path} safely (its layout is unusual); "
                         "add the card by hand")
