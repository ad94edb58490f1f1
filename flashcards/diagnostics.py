"""Diagnostics: what is wrong, where (file:line:column), and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from flashcards.project import shown_path as shown_path  # imported from here too


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Position:
    """A 1-based line and column in a source file."""

    line: int
    column: int = 1

    @classmethod
    def of_offset(cls, text: str, offset: int) -> Position:
        """Where the character at `offset` of `text` is."""
        line_start = text.rfind("\n", 0, offset) + 1
        return cls(text.count("\n", 0, offset) + 1, offset - line_start + 1)


@dataclass(frozen=True)
class Diagnostic:
    file: Path
    message: str
    hint: str = ""
    position: Position | None = None
    code: str = "invalid"
    severity: Severity = Severity.ERROR

    @property
    def location(self) -> str:
        if self.position is None:
            return str(self.file)
        return f"{self.file}:{self.position.line}:{self.position.column}"

    def format(self) -> str:
        text = f"{self.location}: {self.severity.value}[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int]:
        pos = self.position or Position(0, 0)
        return (str(self.file), pos.line, pos.column)


@dataclass
class Report:
    """Diagnostics gathered over a run, so that all of them are shown together."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.diagnostics.append(diagnostic)

    def extend(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics.extend(diagnostics)

    def error(self, file: Path, message: str, *, hint: str = "",
              position: Position | None = None, code: str = "invalid") -> None:
        self.add(Diagnostic(file, message, hint, position, code))

    def warning(self, file: Path, message: str, *, hint: str = "",
                position: Position | None = None, code: str = "warning") -> None:
        self.add(Diagnostic(file, message, hint, position, code, Severity.WARNING))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.diagnostics, key=Diagnostic.sort_key)


class SourceError(Exception):
    """Raised when sources are invalid; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))
