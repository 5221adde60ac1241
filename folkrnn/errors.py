"""The project's error types: one base class, each error says what and where."""
from __future__ import annotations


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
        where = self.source
        if self.line:
            where += f":{self.line}:{self.col}"
        if self.tune:
            where += f" (tune {self.tune})"
        return f"{where}: {self.message}"

    def located(self, source: str | None = None, tune: str | None = None,
                line_offset: int = 0) -> "AbcError":
        """A copy with the file, tune or a line offset filled in."""
        return AbcError(self.message, source or self.source,
                        self.tune if tune is None else tune,
                        self.line + line_offset if self.line else 0, self.col)


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
