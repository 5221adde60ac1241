"""The project's error types: one base class, each error says what and where; and the
located warning of what a tolerant reader skipped."""
from __future__ import annotations

from dataclasses import dataclass


def where(source: str, line: int = 0, col: int = 0, tune: str = "") -> str:
    """`file:line:col (tune X:3 'Title')`, the prefix of every located message."""
    text = source + (f":{line}:{col}" if line else "")
    return text + (f" (tune {tune})" if tune else "")


class FolkrnnError(Exception):
    """Base of every error folkrnn raises on purpose; the CLI prints it as one sentence."""


class AbcError(FolkrnnError):
    """ABC text that cannot be read, with its location.

    Args:
        message: what was wrong.
        source: file name (or "<string>").
        tune: the tune, as "X:3 'Title'" (may be empty).
        line, col: 1-based position in the file (0 when unknown).
    """

    def __init__(self, message: str, source: str = "<string>", tune: str = "",
                 line: int = 0, col: int = 0) -> None:
        self.message, self.source, self.tune = message, source, tune
        self.line, self.col = line, col
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{where(self.source, self.line, self.col, self.tune)}: {self.message}"

    def located(self, source: str | None = None, tune: str | None = None,
                line_offset: int = 0) -> "AbcError":
        """A copy with the file, tune or a line offset filled in."""
        return AbcError(self.message, source or self.source,
                        self.tune if tune is None else tune,
                        self.line + line_offset if self.line else 0, self.col)


class AbcLimitError(AbcError):
    """ABC beyond one of the reader's limits (a zero or absurd length, tuplet, meter or size),
    refused before any heavy work."""


@dataclass(frozen=True)
class AbcWarning:
    """Something a tolerant reader skipped or clipped, with its location; the tune still reads.

    count: how many like it the tune holds (the CLI prints the first, with the count).
    """

    message: str
    source: str = "<string>"
    tune: str = ""
    line: int = 0
    col: int = 0
    count: int = 1

    def __str__(self) -> str:
        more = f" ({self.count - 1} more like it in this tune)" if self.count > 1 else ""
        return f"{where(self.source, self.line, self.col, self.tune)}: {self.message}{more}"

    def to_dict(self) -> dict:
        return {"message": self.message, "source": self.source, "tune": self.tune,
                "line": self.line, "col": self.col, "count": self.count}


class UnknownKeyError(AbcError):
    """An unknown key or mode in K:."""


class UnknownMeterError(AbcError):
    """An unknown meter in M:."""


class TokenizerError(FolkrnnError):
    """Text or ids the tokenizer cannot represent."""


class CheckpointError(FolkrnnError):
    """A checkpoint that is missing, truncated, corrupted or mismatched."""


class RenderError(FolkrnnError):
    """Rendering failed: missing library, soundfont, silent audio."""
