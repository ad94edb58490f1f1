"""`flashcards add`: append one well-formed card to a deck's `cards.yaml`.

The file is never re-serialised: the new card's YAML is appended as text after everything
already there, so every comment, blank line and quote style stays byte for byte. ruamel.yaml
writes the card itself (plain scalars where they are safe, quotes where YAML 1.1 or 1.2
readers would see something else: `yes`, `20`, `: `…), indented like the file's items.
"""

from __future__ import annotations

import io
import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from flashcards.diagnostics import Diagnostic, Severity, SourceError
from flashcards.grounding import Seed, closest_sentences, fold
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
    warnings: list[Diagnostic] = field(default_factory=list)


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


def unique_id(base: str, taken: AbstractSet[str]) -> str:
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


def require_in_seed(seed: Seed | None, source: str | None) -> None:
    """A UsageError offering the seed's closest sentences when `source` is not in it."""
    if source and seed is not None and not seed.contains(source):
        closest = " | ".join(f"«{s}»" for s in closest_sentences(seed, source))
        raise UsageError(f"source not found in the seed {seed.id!r}: «{source}»; closest "
                         f"sentences: {closest}")


def deck_seed(project: Project, deck_dir: Path) -> Seed | None:
    from flashcards.load import load_yaml

    data = load_yaml(deck_dir / "deck.yaml").data
    seed_id = data.get("seed") if isinstance(data, dict) else None
    if not isinstance(seed_id, str):
        return None
    path = project.seed_path(seed_id)
    return Seed.read(path) if path else None


@cache
def _card_adapter() -> Any:
    from pydantic import TypeAdapter

    from flashcards.models import Card

    return TypeAdapter(Card)


def build_card(*, card_type: str, question: str | None = None, answer: str | None = None,
               text: str | None = None, source: str | None = None, extra: str | None = None,
               tags: list[str] | None = None, card_id: str | None = None,
               guid: str | None = None, taken: AbstractSet[str] = frozenset()
               ) -> dict[str, Any]:
    """The card as a mapping in the usual key order, validated. Raises UsageError."""
    from pydantic import ValidationError

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
        "id": card_id or unique_id(slug(text if cloze else question or ""), taken),
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
        _card_adapter().validate_python(card)
    except ValidationError as exc:
        from flashcards.validate import describe_error

        problems = "; ".join("{} ({})".format(*describe_error(e, set(KEY_ORDER)))
                             for e in exc.errors())
        raise UsageError(f"the card is not valid: {problems}") from None
    return card


def card_items(cards: list[dict[str, Any]], indent: str = "  ", newline: str = "\n"
               ) -> list[str]:
    """Each card as a list item, `- id: …` at `indent`, its keys two columns further in
    (one ruamel.yaml dump for all of them)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq

    values = []
    for card in cards:
        value = dict(card)
        if "tags" in value:
            tags = CommentedSeq(value["tags"])
            tags.fa.set_flow_style()
            value["tags"] = tags
        values.append(value)
    yaml = YAML()
    yaml.width = 1 << 20  # one line per value, as hand-written files do
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.version = (1, 1)  # quote `yes`, `on`… for YAML 1.1 readers too
    stream = io.StringIO()
    yaml.dump(values, stream)
    lines = stream.getvalue().split("\n")
    lines = lines[lines.index("---") + 1:] if "---" in lines else lines
    items: list[str] = []
    for line in lines:
        if not line:
            continue
        if line.startswith("- ") or not items:
            items.append("")
        items[-1] += f"{indent}{line}{newline}"
    return items


def with_cards_appended(original: str, cards: list[dict[str, Any]],
                        file: Path = Path("cards.yaml")) -> tuple[str, list[int]]:
    """`original` (the text of `file`, a cards.yaml, possibly empty) with `cards` appended as
    its last items, and the line each of them starts at."""
    newline = "\r\n" if "\r\n" in original else "\n"
    text = original
    if text and not text.endswith("\n"):
        text += newline
    if _EMPTY_LIST.search(text):
        # `cards: []` becomes a block list: the one place where a line changes.
        text = _EMPTY_LIST.sub(lambda m: "cards:" + (f"  {m[1]}" if m[1] else ""), text,
                               count=1)
    elif _HEADER.search(text) is None:
        content = [number for number, line in enumerate(text.splitlines(), start=1)
                   if line.strip() and not line.lstrip().startswith("#")]
        if content:
            raise UsageError(
                f"{file}:{content[0]}: cannot append a card here: the cards are not a block "
                "list (a flow list `cards: [{…}]` or another layout); write `cards:` alone on "
                "its line and each card below it as `  - id: …` with one key per line, or "
                "add the card by hand")
        text += f"cards:{newline}"
    header = _HEADER.search(text)
    assert header is not None
    first_item = _ITEM.search(text, header.end())
    indent = first_item[1] if first_item else "  "
    line = text.count("\n") + 1
    starts = []
    items = card_items(cards, indent, newline) if cards else []
    for item in items:
        starts.append(line)
        line += item.count("\n")
    return text + "".join(items), starts


def add_card(project: Project, deck: str, card: dict[str, Any]) -> AddResult:
    """Append `card` (from `build_card`) to `decks/<deck>/cards.yaml`, keeping the file's
    bytes. The deck is first validated as it would be (in a copy): an error of the new card
    (a source not in the article, a duplicate question, a yes/no question…) raises a
    SourceError at the lines the card would have, and nothing is written; its warnings come
    back with the result. Problems of the rest of the deck are not the new card's. Raises
    UsageError for an unknown deck or a file it cannot append to."""
    [deck_dir] = project.deck_dirs([deck])
    data, [result], rejected = checked_append(project, deck_dir, [card], keep_going=False)
    if rejected:
        raise SourceError([d for problems in rejected.values() for d in problems])
    write_atomic(deck_dir / "cards.yaml", lambda handle: handle.write(data))
    return result


def checked_append(project: Project, deck_dir: Path, cards: list[dict[str, Any]], *,
                   keep_going: bool = True
                   ) -> tuple[bytes, list[AddResult], dict[str, list[Diagnostic]]]:
    """cards.yaml with `cards` appended, each checked: the file's bytes, the results of the
    cards kept (with their warnings), and the errors of each card left out. With
    `keep_going`, the cards with errors are left out and the others checked again (a card
    may have been in error only because of another); else the first errors are returned."""
    rejected: dict[str, list[Diagnostic]] = {}
    while True:
        data, results = _appended_file(deck_dir, cards)
        problems = new_card_problems(project, deck_dir, data, results)
        errors = {r.id: [d for d in problems[r.id] if d.severity is Severity.ERROR]
                  for r in results}
        errors = {key: value for key, value in errors.items() if value}
        if not errors:
            for result in results:
                result.warnings.extend(problems[result.id])
            return data, results, rejected
        rejected.update(errors)
        if not keep_going:
            return data, results, rejected
        cards = [card for card in cards if card["id"] not in errors]


def _appended_file(deck_dir: Path, cards: list[dict[str, Any]]
                   ) -> tuple[bytes, list[AddResult]]:
    from flashcards.load import load_yaml

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
    text, starts = with_cards_appended(text, cards, path)
    results = [AddResult(card["id"], path, line, card)
               for card, line in zip(cards, starts, strict=True)]
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    _check_result(path, data, cards)
    return data, results


def new_card_problems(project: Project, deck_dir: Path, data: bytes,
                      results: list[AddResult]) -> dict[str, list[Diagnostic]]:
    """The diagnostics of each new card, from a validation of the deck (copied to a temporary
    project) with `data` as its cards.yaml. A diagnostic is a card's when it points into the
    card's lines, or names it (a duplicate is reported at the later of the two notes)."""
    import shutil
    import tempfile

    from flashcards import api
    from flashcards.fingerprint import seed_files

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        copy = root / "decks" / deck_dir.name
        shutil.copytree(deck_dir, copy, ignore=shutil.ignore_patterns(".*", "*.lock"))
        (copy / "cards.yaml").write_bytes(data)
        (root / "seeds").mkdir()
        for seed in seed_files(deck_dir, project.seeds_dir):  # the deck's own, not them all
            target = root / "seeds" / seed.relative_to(project.seeds_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(seed, target)
        try:
            found = api.prepare(api.Project(root), copy).report.diagnostics
        except SourceError as exc:
            found = exc.diagnostics
        # Back from the copy to the deck: the files, and the places messages name (`same
        # question as card 'a' (…/cards.yaml:2)`).
        found = [replace(d, file=deck_dir / d.file.relative_to(copy) if
                         d.file.is_relative_to(copy) else d.file,
                         message=d.message.replace(str(copy), str(deck_dir)),
                         hint=d.hint.replace(str(copy), str(deck_dir))) for d in found]
    starts = [r.line for r in results] + [data.count(b"\n") + 2]
    problems: dict[str, list[Diagnostic]] = {r.id: [] for r in results}
    for diagnostic in found:
        line = diagnostic.position.line if diagnostic.position else 0
        for i, result in enumerate(results):
            inside = diagnostic.file.name == "cards.yaml" and starts[i] <= line < starts[i + 1]
            if inside or f"card {result.id!r}" in diagnostic.message:
                problems[result.id].append(diagnostic)
                break
    return problems


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
