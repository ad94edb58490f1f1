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

import genanki

from flashcards.check import note_label
from flashcards.diagnostics import Diagnostic, Position, Severity, SourceError
from flashcards.lock import UNRELEASED, Lock, NoteLock, NotetypeLock, loaded, lock_path
from flashcards.models import CardType, DeckConfig, NoteSpec
from flashcards.notetypes import Notetype
from flashcards.pack import CARD_ID_STRIDE, GUID_NAMESPACE, PackedNote, deck_notetype


class ChangeKind(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True, slots=True)
class NoteChange:
    kind: ChangeKind
    id: str
    before: NoteLock | None = None
    after: NoteSpec | NoteLock | None = None

    def field_diffs(self) -> dict[str, str]:
        """Word-level diff of each field that changed: `[-old-]{+new+}` (none when one side
        is unknown)."""
        if self.kind is ChangeKind.CHANGED and not (self.before and self.after):
            return {}
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


# Words, spaces, and cloze gaps whole: a diff never splits `{{c1::180 kilomètres}}`.
_WORDS = re.compile(r"\{\{c\d+::.*?\}\}|(?:(?!\{\{c\d+::)\S)+|\s+", re.S)


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
    guids: dict[str, str] = field(default_factory=dict)  # notes whose GUID is not the default
    renamed_from: str | None = None  # the name students have, when the deck was renamed
    language: str = "en"  # the deck's, for release notes

    def count(self, kind: ChangeKind) -> int:
        return sum(change.kind is kind for change in self.changes)

    def summary(self) -> str:
        added, changed, removed = (self.count(k) for k in ChangeKind)
        if not (added or changed or removed):
            return "no change"
        return f"{added} added, {changed} changed, {removed} removed"


def display_id(key: str) -> str:
    """The card id of a lock key: `abandon~1750000000000` is the old note of a card whose
    type changed."""
    return key.split(RETIRED, 1)[0]


RETIRED = "~"  # never in a card id: lock keys `<id>~<nid>` hold notes retired by a type change


def removed_search(lock: Lock, version: str | None = None, *, pending: bool = False) -> str:
    """An Anki search string for the notes removed from the deck (in `version`, not released
    yet with `pending`, or ever)."""
    nids = sorted(n.nid for n in lock.notes.values()
                  if n.is_removed and (lock.is_pending(n.removed) if pending else
                                       version is None or n.removed == version))
    return f"nid:{','.join(map(str, nids))}" if nids else ""


def pending_changes(plan: Plan) -> list[NoteChange]:
    """Every change since the last release, as students will get it: a card added and then
    edited between two releases is added; one added and removed is nothing; an edit diffs
    against the released wording."""
    lock = plan.lock
    built = {c.id: c for c in plan.changes if c.kind is not ChangeKind.REMOVED}
    changes = []
    for key, note in sorted(lock.notes.items()):
        if note.is_removed:
            if lock.is_pending(note.removed):
                changes.append(NoteChange(ChangeKind.REMOVED, key, note, None))
        elif any(lock.is_pending(v) for v in note.changed_in):
            after = built[key].after if key in built else None
            before = dataclasses.replace(note, fields=note.was.get("fields", {}),
                                         source=note.was.get("source")) if note.was else None
            changes.append(NoteChange(ChangeKind.CHANGED, key, before, after or note))
        elif lock.is_pending(note.since):
            after = built[key].after if key in built else None
            changes.append(NoteChange(ChangeKind.ADDED, key, None, after or note))
    return changes


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
    planner = Planner(slug, deck_dir, config, {n.type for n in notes}, old, now, css=css,
                      new_notetype_version=new_notetype_version, tts=tts)
    planner.add(notes, packed)
    return planner.finish()


class Planner:
    """`plan_build`, a chunk of notes at a time (`add`), so that rows can be packed while the
    rest is rendered; `finish` then lists the notes removed."""

    def __init__(self, slug: str, deck_dir: Path, config: DeckConfig, types: set[CardType],
                 old: Lock, now: int, *, css: str = "", new_notetype_version: bool = False,
                 tts: str = "") -> None:
        self.deck_dir, self.config, self.old, self.now = deck_dir, config, old, now
        self.version = UNRELEASED if old.released == config.version else config.version
        notetypes, notetype_locks, notetype_mods = _plan_notetypes(
            slug, deck_dir, types, old, now, css, new_notetype_version, tts)
        lock = Lock(deck_name=config.name, version=config.version, released=old.released,
                    notetypes=notetype_locks)
        self.plan = Plan(lock, notetypes, notetype_mods, {}, {}, {}, language=config.language)
        self.next_nid = max([now * 1000,
                             *(n.nid + CARD_ID_STRIDE for n in old.notes.values())])
        self.notetype_ids = {card_type: notetype.id for card_type, notetype in notetypes.items()}
        self.revived: set[str] = set()

    def add(self, notes: Sequence[NoteSpec], packed: Sequence[PackedNote],
            digests: Sequence[str] | None = None) -> None:
        """Plan `notes` (`packed`: the same, rendered; `digests`: their content hashes, when
        known: then `packed` needs no fields)."""
        old, plan, now, version = self.old, self.plan, self.now, self.version
        lock, next_nid, notetype_ids = plan.lock, self.next_nid, self.notetype_ids
        type_values = _TYPE_VALUES  # no enum lookups
        old_notes, new_notes, changes = old.notes, lock.notes, plan.changes
        note_mods, note_ids = plan.note_mods, plan.note_ids
        tag_changes = self.config.tag_changes
        if digests is None:
            digests = [note.content_hash(notetype_ids[note.type]) for note in packed]
        for spec, note, digest in zip(notes, packed, digests, strict=True):
            before = old_notes.get(note.id)
            if before is None:  # a new note (every note of a first build): the short way
                new_notes[note.id] = NoteLock(type_values[note.type], digest, now, next_nid,
                                              version, spec.fields, list(spec.tags), spec.source,
                                              [], guid=None, was=None)
                changes.append(NoteChange(ChangeKind.ADDED, note.id, None, spec))
                note_mods[note.id], note_ids[note.id] = now, next_nid
                next_nid += CARD_ID_STRIDE
                continue
            if (before.hash == digest and before.removed is None
                    and before.type == type_values[note.type]):
                entry = _carry(before, spec)  # unchanged: nearly every note of a rebuild
            else:
                if before and before.type != note.type.value and old.never_released(before):
                    key = _retired_key(old, note.id, note.type.value)
                    if key:  # back to the type students have before any release: their note
                        self.revived.add(key)
                        before = old.notes[key]
                        if before.guid == note.guid:
                            before = dataclasses.replace(before, guid=None)
                if before and before.type != note.type.value and not old.never_released(before):
                    # Anki cannot move a note to another notetype on import (it logs it
                    # "conflicting" and drops it): the old note is retired, a new one is added.
                    retired = dataclasses.replace(before, removed=before.removed or version,
                                                  guid=before.guid or note.guid)
                    lock.notes[f"{note.id}{RETIRED}{before.nid}"] = retired
                    if not before.is_removed:
                        plan.changes.append(NoteChange(ChangeKind.REMOVED, note.id,
                                                       loaded(before), None))
                    plan.warnings.append(_retype_warning(spec, before.type))
                    before = None
                    guid = genanki.guid_for(GUID_NAMESPACE, "retyped", retired.guid, next_nid)
                else:
                    guid = before.guid if before else None
                if before and before.hash == digest and (before.removed is None
                                                         or old.is_pending(before.removed)):
                    entry = _carry(before, spec)
                else:
                    kind = (ChangeKind.CHANGED if before and not before.is_removed
                            else ChangeKind.ADDED)
                    plan.changes.append(NoteChange(kind, note.id, before and loaded(before), spec))
                    if before:  # changed, or removed and back: keep its id, move its mod forward
                        mod, nid, since = max(now, before.mod + 1), before.nid, before.since
                        history, was = before.changed_in, before.was
                        if old.never_released(before):
                            since = version  # still new to students: added in the next release
                        elif version not in history:
                            history = [*history, version]
                        if was is None and not old.never_released(before):
                            was = {"fields": before.fields, "source": before.source}
                    else:
                        mod, nid, since, history, was = now, next_nid, version, [], None
                        next_nid += CARD_ID_STRIDE
                    entry = NoteLock(note.type.value, digest, mod, nid, since, spec.fields,
                                     list(spec.tags), spec.source, history, guid=guid, was=was)
            new_notes[note.id] = entry
            note_mods[note.id] = entry.mod
            note_ids[note.id] = entry.nid
            if entry.guid:
                plan.guids[note.id] = entry.guid
            if tag_changes and entry.changed_in:
                plan.extra_tags[note.id] = tuple(f"changed::{v}" for v in entry.changed_in
                                                 if v != UNRELEASED)
        self.next_nid = next_nid

    def finish(self) -> Plan:
        """The plan, once every note is added: the notes no longer in the deck are removed."""
        old, plan, version = self.old, self.plan, self.version
        lock = plan.lock
        for note_id, before in old.notes.items():
            if note_id in lock.notes or note_id in self.revived:
                continue  # every note added is in the new lock
            before = loaded(before)  # kept past the plan: its texts, not the old lock's store
            if not before.is_removed:
                plan.changes.append(NoteChange(ChangeKind.REMOVED, note_id, before, None))
                if old.never_released(before):
                    continue  # students never had it: no trace left
                before = dataclasses.replace(before, removed=version)
            lock.notes[note_id] = before
        _plan_rename(plan, self.deck_dir, old, self.config.name)
        return plan


_TYPE_VALUES = {card_type: card_type.value for card_type in CardType}


def _retired_key(old: Lock, note_id: str, card_type: str) -> str | None:
    """The lock key of a note of `note_id` retired by a type change not released yet, whose
    type was `card_type`."""
    prefix = note_id + RETIRED
    for key, note in old.notes.items():
        if key.startswith(prefix) and note.type == card_type and old.is_pending(note.removed):
            return key
    return None


def _plan_rename(plan: Plan, deck_dir: Path, old: Lock, name: str) -> None:
    """Warn while the name students have (the last release's, else the last build's) differs
    from the deck's; the lock keeps the released name until the next release."""
    shipped = old.released_name or old.deck_name
    if shipped and shipped != name:
        plan.renamed_from = shipped
        plan.warnings.append(_rename_warning(deck_dir, shipped, name))
        if old.released is not None:
            plan.lock.released_name = shipped


def _carry(before: NoteLock, spec: NoteSpec) -> NoteLock:
    """An unchanged note: same hash, mod and id; source-form fields refreshed (formatting-only
    edits in the YAML that render the same)."""
    return NoteLock(before.type, before.hash, before.mod, before.nid, before.since, spec.fields,
                    list(spec.tags), spec.source, before.changed_in, None, before.guid,
                    before.was)


def _retype_warning(spec: NoteSpec, old_type: str) -> Diagnostic:
    return Diagnostic(
        Path(spec.file),
        f"{note_label(spec)} changed type ({old_type} → {spec.type.value}): Anki cannot move "
        "a note to another notetype on import (it would keep the old card and drop the "
        "edit), so this card ships as a new note with a new GUID and the old note is listed "
        "as removed; students start this card afresh",
        f"to keep students' reviews, put back `type: {old_type}`; otherwise say nothing: the "
        "release notes tell students how to delete the old note",
        Position(spec.line) if spec.line else None,
        code="card-type-changed", severity=Severity.WARNING)


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
        lock_path(deck_dir),
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
        _name_line(deck_dir / "deck.yaml"), code="deck-renamed", severity=Severity.WARNING)


def _name_line(deck_yaml: Path) -> Position | None:
    """Where deck.yaml sets `name:` (the file was just validated, so it reads)."""
    try:
        lines = deck_yaml.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeError):
        return None
    return next((Position(i, 1) for i, line in enumerate(lines, 1) if line.startswith("name:")),
                None)
