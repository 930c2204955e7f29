"""Messages about loaded data: hard errors block a load, warnings and infos do not."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Message:
    """One problem, located as precisely as the data allows (file, spreadsheet row, column, value)."""

    level: Level
    text: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [part for part in (
            self.file,
            f"row {self.row}" if self.row is not None else None,
            f"column {self.column}" if self.column else None,
        ) if part]
        value = f' "{_shorten(self.value)}"' if self.value is not None else ""
        prefix = ", ".join(where)
        return f"{prefix}:{value} {self.text}" if prefix else f"{self.text}"


def _shorten(value: str, limit: int = 60) -> str:
    """Keep huge cells readable in a message."""
    return value if len(value) <= limit else value[:limit] + "…"


@dataclass
class Report:
    """Collects messages while a load runs; `ok` says whether the load may be used."""

    messages: list[Message] = field(default_factory=list)

    def error(self, text: str, **where) -> None:
        self.messages.append(Message(Level.ERROR, text, **where))

    def warning(self, text: str, **where) -> None:
        self.messages.append(Message(Level.WARNING, text, **where))

    def info(self, text: str, **where) -> None:
        self.messages.append(Message(Level.INFO, text, **where))

    def of_level(self, level: Level) -> list[Message]:
        return [m for m in self.messages if m.level is level]

    @property
    def errors(self) -> list[Message]:
        return self.of_level(Level.ERROR)

    @property
    def warnings(self) -> list[Message]:
        return self.of_level(Level.WARNING)

    @property
    def infos(self) -> list[Message]:
        return self.of_level(Level.INFO)

    @property
    def ok(self) -> bool:
        return not self.errors
