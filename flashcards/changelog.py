"""Changelogs: what changed in a deck, as terminal text or as Markdown release notes a teacher
can paste for the class."""

from __future__ import annotations

import re

from flashcards.changes import ChangeKind, NoteChange, Plan, removed_search


def _question(change: NoteChange) -> str:
    fields = change.after.fields if change.after else (change.before.fields
                                                        if change.before else {})
    return (fields.get("Question") or fields.get("Text") or "").strip()


_DELETED = re.compile(r"\[-(\s*)(.*?)(\s*)-\]", re.S)
_INSERTED = re.compile(r"\{\+(\s*)(.*?)(\s*)\+\}", re.S)


def _markdown_diff(diff: str) -> str:
    """`[-old-]{+new+}` as Markdown: ~~old~~ **new**, spaces kept outside the markers."""
    diff = _DELETED.sub(lambda m: f"{m[1]}~~{m[2]}~~{m[3]}" if m[2] else m[0], diff)
    return _INSERTED.sub(lambda m: f"{m[1]}**{m[2]}**{m[3]}" if m[2] else m[0], diff)


def format_text(slug: str, plan: Plan) -> str:
    lines = [f"{slug}: {plan.summary()}"]
    for change in plan.changes:
        marker = {"added": "+", "changed": "~", "removed": "-"}[change.kind.value]
        lines.append(f"  {marker} {change.id}  {_question(change)}")
        if change.kind is ChangeKind.CHANGED:
            for name, diff in change.field_diffs().items():
                lines.append(f"      {name}: {diff}")
    if plan.count(ChangeKind.REMOVED):
        lines.append("  Removed notes stay in students' collections (Anki never deletes on "
                     "import). After importing, students can delete them by searching:")
        lines.append(f"      {removed_search(plan.lock, None)}")
    return "\n".join(lines)


def format_markdown(title: str, version: str, plan: Plan) -> str:
    """Release notes: added, changed (with a word diff) and removed cards."""
    sections = [f"## {title} {version}", ""]
    groups = {kind: [c for c in plan.changes if c.kind is kind] for kind in ChangeKind}
    headings = {ChangeKind.ADDED: "Added", ChangeKind.CHANGED: "Changed",
                ChangeKind.REMOVED: "Removed"}
    if not plan.changes:
        sections.append("No card changed.")
    for kind, changes in groups.items():
        if not changes:
            continue
        sections.append(f"### {headings[kind]} ({len(changes)})")
        sections.append("")
        for change in changes:
            sections.append(f"- `{change.id}`: {_question(change)}")
            if kind is ChangeKind.CHANGED:
                for name, diff in change.field_diffs().items():
                    sections.append(f"  - {name}: {_markdown_diff(diff)}")
        sections.append("")
    if groups[ChangeKind.REMOVED]:
        search = removed_search(plan.lock, None)
        sections.append("Removed cards stay in your collection: Anki never deletes on import. "
                        f"To delete them, search for `{search}` in the Browser, select all, "
                        "and delete.")
        sections.append("")
    if groups[ChangeKind.CHANGED]:
        sections.append(f"Changed notes carry the tag `changed::{version}`: search "
                        f"`tag:changed::{version}` to review them.")
        sections.append("")
    return "\n".join(sections).rstrip() + "\n"
