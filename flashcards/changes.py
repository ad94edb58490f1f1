"""Between check and pack: compare the deck with its lock and decide, note by note, what is
added, changed, unchanged or removed, and the `mod` each note ships with.

Unchanged notes keep their `mod` so Anki leaves students' copies alone; changed notes get the
build time so Anki applies the edit. A notetype whose field list changed is refused: Anki
would mark every student's copy "conflicting" and drop the edits (ANKI-NOTES.md).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from flashcards.diagnostics import Diagnostic, Severity, SourceError
from flashcards.lock import UNRELEASED, Lock, NoteLock, NotetypeLock
from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import Notetype
from flashcards.pack import CARD_ID_STRIDE, PackedNote, deck_notetype


class ChangeKind(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class NoteChange:
    kind: ChangeKind
    id: str
    before: NoteLock | None = None
    after: NoteSpec | None = None

    def field_diffs(self) -> dict[str, str]:
        """Word-level diff of each field that changed: `[-old-]{+new+}`."""
        old = self.before.fields if self.before else {}
        new = self.after.fields if self.after else {}
        diffs = {}
        for name in sorted(set(old) | set(new), key=_field_order):
            if old.get(name, "") != new.get(name, ""):
                diffs[name] = word_diff(old.get(name, ""), new.get(name, ""))
        old_source = self.before.source if self.before else None
        new_source = self.after.source if self.after else None
        if (old_source or "") != (new_source or ""):
            diffs["Source"] = word_diff(old_source or "", new_source or "")
        return diffs


def _field_order(name: str) -> int:
    order = ["Question", "Text", "Answer", "Extra"]
    return order.index(name) if name in order else len(order)


_WORDS = re.compile(r"\S+|\s+")


def word_diff(old: str, new: str) -> str:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            parts.append("[-" + "".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + "".join(b[j1:j2]) + "+}")
    return "".join(parts)


@dataclass
class Plan:
    """What a build ships and the lock it leaves behind."""

    lock: Lock
    notetypes: dict[CardType, Notetype]
    notetype_mods: dict[CardType, int]
    note_mods: dict[str, int]
    note_ids: dict[str, int]
    extra_tags: dict[str, tuple[str, ...]]
    changes: list[NoteChange] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    def count(self, kind: ChangeKind) -> int:
        return sum(change.kind is kind for change in self.changes)

    def summary(self) -> str:
        added, changed, removed = (self.count(k) for k in ChangeKind)
        if not (added or changed or removed):
            return "no change"
        return f"{added} added, {changed} changed, {removed} removed"


def removed_search(lock: Lock, version: str | None = None) -> str:
    """An Anki search string for the notes removed from the deck (in `version`, or ever)."""
    nids = sorted(n.nid for n in lock.notes.values()
                  if n.is_removed and (version is None or n.removed == version))
    return f"nid:{','.join(map(str, nids))}" if nids else ""


def plan_build(
    slug: str,
    deck_dir: Path,
    config: DeckConfig,
    notes: Sequence[NoteSpec],
    packed: Sequence[PackedNote],
    old: Lock,
    now: int,
    *,
    css: str = "",
    new_notetype_version: bool = False,
    tts: str = "",
) -> Plan:
    version = UNRELEASED if old.released == config.version else config.version
    notetypes, notetype_locks, notetype_mods = _plan_notetypes(
        slug, deck_dir, {n.type for n in notes}, old, now, css, new_notetype_version, tts)

    lock = Lock(deck_name=config.name, version=config.version, released=old.released,
                notetypes=notetype_locks)
    plan = Plan(lock, notetypes, notetype_mods, {}, {}, {})
    next_nid = max([now * 1000, *(n.nid + CARD_ID_STRIDE for n in old.notes.values())])
    notetype_ids = {card_type: notetype.id for card_type, notetype in notetypes.items()}
    for spec, note in zip(notes, packed, strict=True):
        digest = note.content_hash(notetype_ids[note.type])
        before = old.notes.get(note.id)
        if before and before.removed is None and before.hash == digest:
            entry = _carry(before, spec)
        else:
            kind = ChangeKind.CHANGED if before and not before.is_removed else ChangeKind.ADDED
            plan.changes.append(NoteChange(kind, note.id, before, spec))
            if before:  # changed, or removed and back: keep its id, move its mod forward
                mod, nid = max(now, before.mod + 1), before.nid
                history = before.changed_in
                if kind is ChangeKind.CHANGED and version not in history:
                    history = [*history, version]
            else:
                mod, nid, history = now, next_nid, []
                next_nid += CARD_ID_STRIDE
            entry = NoteLock(note.type.value, digest, mod, nid, version, spec.fields,
                             list(spec.tags), spec.source, history)
        lock.notes[note.id] = entry
        plan.note_mods[note.id] = entry.mod
        plan.note_ids[note.id] = entry.nid
        if config.tag_changes and entry.changed_in:
            plan.extra_tags[note.id] = tuple(f"changed::{v}" for v in entry.changed_in
                                             if v != UNRELEASED)
    present = {note.id for note in packed}
    for note_id, before in old.notes.items():
        if note_id in present:
            continue
        if not before.is_removed:
            plan.changes.append(NoteChange(ChangeKind.REMOVED, note_id, before, None))
            before = dataclasses.replace(before, removed=version)
        lock.notes[note_id] = before
    if old.deck_name and old.deck_name != config.name:
        plan.warnings.append(_rename_warning(deck_dir, old.deck_name, config.name))
    return plan


def _carry(before: NoteLock, spec: NoteSpec) -> NoteLock:
    """An unchanged note: same hash, mod and id; source-form fields refreshed (formatting-only
    edits in the YAML that render the same)."""
    return NoteLock(before.type, before.hash, before.mod, before.nid, before.since, spec.fields,
                    list(spec.tags), spec.source, before.changed_in, before.removed)


def _plan_notetypes(slug: str, deck_dir: Path, types: set[CardType], old: Lock, now: int,
                    css: str, new_version: bool, tts: str = ""
                    ) -> tuple[dict[CardType, Notetype], dict[str, NotetypeLock],
                               dict[CardType, int]]:
    notetypes: dict[CardType, Notetype] = {}
    locks: dict[str, NotetypeLock] = dict(old.notetypes)
    mods: dict[CardType, int] = {}
    refused: list[Diagnostic] = []
    for card_type in sorted(types):
        before = old.notetypes.get(card_type.value)
        generation = before.generation if before else 0
        notetype = deck_notetype(card_type, slug, generation, css, tts)
        if before and before.schema != notetype.schema_hash():
            if not new_version:
                refused.append(_schema_refusal(deck_dir, card_type, before, notetype))
                continue
            generation += 1
            notetype = deck_notetype(card_type, slug, generation, css, tts)
        content = notetype.content_hash()
        unchanged = before and before.content == content and before.id == notetype.id
        mod = before.mod if unchanged and before else max(now, (before.mod + 1) if before else 0)
        notetypes[card_type] = notetype
        mods[card_type] = mod
        locks[card_type.value] = NotetypeLock(notetype.id, notetype.schema_hash(), content, mod,
                                              generation, notetype.field_names)
    if refused:
        raise SourceError(refused)
    return notetypes, locks, mods


def _schema_refusal(deck_dir: Path, card_type: CardType, before: NotetypeLock,
                    notetype: Notetype) -> Diagnostic:
    old_fields = ", ".join(before.fields) or "?"
    new_fields = ", ".join(notetype.field_names)
    return Diagnostic(
        deck_dir / "flashcards.lock",
        f"the fields of the {card_type.value} notetype changed ({old_fields} → {new_fields}): "
        "Anki cannot update students' notes across a field change; it marks them "
        "'conflicting' and drops every edit",
        "keep the fields as they were, or build with --new-notetype-version to move the "
        "cards to a new notetype on purpose (students then change the notetype of their old "
        "notes in Anki: Browse → select them → Notes → Change Notetype, which keeps reviews)",
        code="notetype-schema")


def _rename_warning(deck_dir: Path, old_name: str, new_name: str) -> Diagnostic:
    return Diagnostic(
        deck_dir / "deck.yaml",
        f"the deck was renamed from {old_name!r} to {new_name!r}: Anki matches decks by name "
        f"and never moves cards, so students' existing cards stay in {old_name!r} and only new "
        f"cards go to {new_name!r}",
        f"tell students to rename the deck in Anki first (Browse → right-click {old_name!r} → "
        "Rename) to the new name, then import the new package",
        code="deck-renamed", severity=Severity.WARNING)
