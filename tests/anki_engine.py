"""A thin wrapper over the real Anki engine (PyPI `anki`) for tests: import a package as a
student would, with Anki's default options, and read back what the student sees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER


@dataclass
class ImportLog:
    new: int
    updated: int
    duplicate: int
    conflicting: int
    first_field_match: int


@dataclass
class AnkiCollection:
    col: Collection

    @classmethod
    def create(cls, folder: Path) -> AnkiCollection:
        folder.mkdir(parents=True, exist_ok=True)
        return cls(Collection(str(folder / "collection.anki2")))

    def import_package(self, package: Path) -> ImportLog:
        """Import with Anki's defaults: update notes if newer, no scheduling."""
        request = ImportAnkiPackageRequest(
            package_path=str(package),
            options=ImportAnkiPackageOptions(with_scheduling=False, update_notes=IF_NEWER,
                                             update_notetypes=IF_NEWER),
        )
        log = self.col.import_anki_package(request).log
        self.col.models._clear_cache()  # as Anki's GUI does after an import
        return ImportLog(len(log.new), len(log.updated), len(log.duplicate),
                         len(log.conflicting), len(log.first_field_match))

    def notes(self) -> list:
        return [self.col.get_note(nid) for nid in self.col.find_notes("")]

    def cards(self) -> list:
        return [self.col.get_card(cid) for cid in self.col.find_cards("")]

    def note_by_guid(self, guid: str):
        for note in self.notes():
            if note.guid == guid:
                return note
        raise KeyError(guid)

    def deck_names(self) -> list[str]:
        return [d.name for d in self.col.decks.all_names_and_ids()]

    def close(self) -> None:
        self.col.close()
