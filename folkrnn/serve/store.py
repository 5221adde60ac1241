"""The web composer's tune book: every tune it makes, kept or not, in SQLite.

One table: a tune's ABC (its `N:` provenance lines inside), its title, whether the
user keeps it, the tune it was made from (`parent`: a re-roll, a continuation, a
transposition of it) and what was done (`op`, with the settings as JSON). A tune's
history is its chain of parents. Writes are single statements in a transaction, so a
killed server leaves no half-written tune.
"""
from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MAX_HISTORY = 200  # versions a history walks back at most

SCHEMA = """
CREATE TABLE IF NOT EXISTS tunes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    title TEXT NOT NULL,
    abc TEXT NOT NULL,
    kept INTEGER NOT NULL DEFAULT 0,
    parent INTEGER REFERENCES tunes(id),
    op TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}'
)"""


@dataclass(frozen=True)
class StoredTune:
    id: int
    created: float
    title: str
    abc: str
    kept: bool
    parent: int | None
    op: str
    settings: dict

    def to_dict(self, abc: bool = True) -> dict:
        d = {"id": self.id, "created": self.created, "title": self.title, "kept": self.kept,
             "parent": self.parent, "op": self.op, "settings": self.settings}
        return {**d, "abc": self.abc} if abc else d


def default_db() -> Path:
    """The tune book in the user's data folder (`$XDG_DATA_HOME/folkrnn/tunes.sqlite`)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "folkrnn" / "tunes.sqlite"


class TuneBook:
    """The tunes of one SQLite file; safe to use from several threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(SCHEMA)

    def add(self, title: str, abc: str, op: str, settings: dict, parent: int | None = None) -> StoredTune:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO tunes (created, title, abc, parent, op, settings) VALUES (?,?,?,?,?,?)",
                (time.time(), title, abc, parent, op, json.dumps(settings, allow_nan=False)))
            return self._get(cur.lastrowid)

    def get(self, tune_id: int) -> StoredTune | None:
        with self._lock:
            return self._get(tune_id)

    def _get(self, tune_id: int) -> StoredTune | None:
        row = self._db.execute("SELECT id, created, title, abc, kept, parent, op, settings "
                               "FROM tunes WHERE id = ?", (tune_id,)).fetchone()
        return _tune(row) if row else None

    def list(self, kept_only: bool = False, limit: int | None = 500) -> list[StoredTune]:
        """The newest tunes first (`limit` None: all)."""
        where = "WHERE kept = 1" if kept_only else ""
        with self._lock:
            rows = self._db.execute(f"SELECT id, created, title, abc, kept, parent, op, settings "
                                    f"FROM tunes {where} ORDER BY id DESC LIMIT ?",
                                    (-1 if limit is None else limit,))
            return [_tune(r) for r in rows.fetchall()]

    def update(self, tune_id: int, title: str | None = None, kept: bool | None = None) -> StoredTune | None:
        with self._lock, self._transaction():
            if title is not None:
                self._db.execute("UPDATE tunes SET title = ? WHERE id = ?", (title, tune_id))
            if kept is not None:
                self._db.execute("UPDATE tunes SET kept = ? WHERE id = ?", (int(kept), tune_id))
        with self._lock:
            return self._get(tune_id)

    def delete(self, tune_id: int) -> bool:
        """Discard a tune; the tunes made from it keep their history up to it."""
        with self._lock, self._transaction():
            self._db.execute("UPDATE tunes SET parent = NULL WHERE parent = ?", (tune_id,))
            return self._db.execute("DELETE FROM tunes WHERE id = ?", (tune_id,)).rowcount > 0

    @contextlib.contextmanager
    def _transaction(self):
        """Statements that go in together or not at all."""
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def history(self, tune_id: int) -> list[StoredTune]:
        """The tune and the tunes it was made from, newest first."""
        out: list[StoredTune] = []
        with self._lock:
            t = self._get(tune_id)
            while t is not None and len(out) < MAX_HISTORY:
                out.append(t)
                t = self._get(t.parent) if t.parent is not None else None
        return out

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _tune(row) -> StoredTune:
    return StoredTune(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6], json.loads(row[7]))
