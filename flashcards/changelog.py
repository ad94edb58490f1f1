"""Changelogs: what changed in a deck, as terminal text for the teacher or as Markdown release
notes for the class, in the deck's language."""

from __future__ import annotations

import re

from flashcards.changes import ChangeKind, NoteChange, Plan, display_id, removed_search
from flashcards.labels import in_language
from flashcards.lock import UNRELEASED
from flashcards.render import typography

# What the release notes tell students; `fr` and `en`, English for any other language.
_WORDS = {
    "en": {
        "title": "## {title} {version}",
        "unreleased": "## {title}: next version (unreleased)",
        ChangeKind.ADDED: "Added",
        ChangeKind.CHANGED: "Changed",
        ChangeKind.REMOVED: "Removed",
        "none": "No card changed.",
        "removed-help": "Removed cards stay in your collection: Anki never deletes on import. To "
                   "delete them, search for `{search}` in the Browser, select all, and delete.",
        "tagged": "Changed notes carry the tag `changed::{version}`: search "
                  "`tag:changed::{version}` to review them.",
        "retyped": " (new card type: this card replaces the removed one below)",
        "tagged-next": "Changed notes will carry the tag of the release (`changed::<version>`).",
        "renamed": "The deck was renamed from “{old}” to “{new}”. Before importing, rename it "
                   "in Anki (Browse → right-click “{old}” → Rename) to “{new}”: otherwise "
                   "your cards stay in “{old}” and only new cards go to “{new}”.",
    },
    "fr": {
        "title": "## {title} {version}",
        "unreleased": "## {title} : prochaine version (non publiée)",
        ChangeKind.ADDED: "Cartes ajoutées",
        ChangeKind.CHANGED: "Cartes modifiées",
        ChangeKind.REMOVED: "Cartes retirées",
        "none": "Aucune carte n'a changé.",
        "removed-help": "Les cartes retirées restent dans votre collection : Anki ne supprime rien "
                   "à l'importation. Pour les supprimer, cherchez `{search}` dans le "
                   "navigateur (Parcourir), sélectionnez-les toutes et supprimez-les.",
        "tagged": "Les notes modifiées portent l'étiquette `changed::{version}` : cherchez "
                  "`tag:changed::{version}` pour les revoir.",
        "retyped": " (nouveau type de carte : elle remplace la carte retirée ci-dessous)",
        "tagged-next": "Les notes modifiées porteront l'étiquette de la version "
                       "(`changed::<version>`).",
        "renamed": "Le paquet a été renommé de « {old} » en « {new} ». Avant d'importer, "
                   "renommez-le dans Anki (Parcourir → clic droit sur « {old} » → Renommer) "
                   "en « {new} » : sinon vos cartes restent dans « {old} » et seules les "
                   "nouvelles cartes vont dans « {new} ».",
    },
}


def _words(language: str) -> dict:
    return in_language(_WORDS, language)


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
        lines.append(f"  {marker} {display_id(change.id)}  {_question(change)}")
        if change.kind is ChangeKind.CHANGED:
            for name, diff in change.field_diffs().items():
                lines.append(f"      {name}: {diff}")
    search = removed_search(plan.lock, pending=True)
    if plan.count(ChangeKind.REMOVED) and search:
        lines.append("  Removed notes stay in students' collections (Anki never deletes on "
                     "import). After importing, students can delete them by searching:")
        lines.append(f"      {search}")
    return "\n".join(lines)


def format_markdown(title: str, version: str, plan: Plan, language: str = "en",
                    renamed_from: str | None = None) -> str:
    """Release notes for students, in `language`: the rename to do first, then the added,
    changed (with a word diff) and removed cards of `plan.changes`. `version` is the release,
    or `unreleased` for notes of what the next release will carry."""
    words = _words(language)
    unreleased = version == UNRELEASED
    sections = [words["unreleased" if unreleased else "title"].format(title=title,
                                                                        version=version), ""]
    if renamed_from:
        sections += [words["renamed"].format(old=renamed_from, new=title), ""]
    groups = {kind: [c for c in plan.changes if c.kind is kind] for kind in ChangeKind}
    retyped = {display_id(c.id) for c in groups[ChangeKind.REMOVED]} & \
        {c.id for c in groups[ChangeKind.ADDED]}
    if not plan.changes:
        sections += [words["none"], ""]
    for kind, changes in groups.items():
        if not changes:
            continue
        sections += [f"### {words[kind]} ({len(changes)})", ""]
        for change in changes:
            note = words["retyped"] if kind is ChangeKind.ADDED and change.id in retyped else ""
            sections.append(f"- `{display_id(change.id)}`: {_question(change)}{note}")
            if kind is ChangeKind.CHANGED:
                for name, diff in change.field_diffs().items():
                    sections.append(f"  - {name}: {_markdown_diff(diff)}")
        sections.append("")
    search = removed_search(plan.lock, pending=True) if unreleased else \
        removed_search(plan.lock, version)
    if groups[ChangeKind.REMOVED] and search:
        sections += [words["removed-help"].format(search=search), ""]
    if groups[ChangeKind.CHANGED]:
        sections += [words["tagged-next" if unreleased else "tagged"].format(version=version),
                     ""]
    text = "\n".join(sections).rstrip() + "\n"
    return typography(text, language)
