"""Optional persistence for sandbox state: named JSON collections, in memory or in SQLite.

State lives in memory by default. Given a file path, :class:`JsonStore` also writes each
collection as one JSON blob in a SQLite table, so a demo sandbox survives a restart. The
provider sandbox decides what a "collection" is (a company, the token table, ...) and calls
:meth:`JsonStore.save` after each change it wants to keep.
"""
from __future__ import annotations

import json
import sqlite3
import threading


class JsonStore:
    """``{name: JSON-able value}``; persisted to SQLite when ``path`` is given."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if path:
            self._conn = sqlite3.connect(path, check_same_thread=False)
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS sandbox_collections "
                "(name TEXT PRIMARY KEY, data TEXT NOT NULL)"
            )
            self._conn.commit()

    @property
    def persistent(self) -> bool:
        return self._conn is not None

    def save(self, name: str, value) -> None:
        """Write one collection (no-op in memory-only mode)."""
        if self._conn is None:
            return
        data = json.dumps(value, default=str)
        with self._lock:
            self._conn.execute(
                "INSERT INTO sandbox_collections(name, data) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET data = excluded.data",
                (name, data),
            )
            self._conn.commit()

    def load(self, name: str, default=None):
        if self._conn is None:
            return default
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM sandbox_collections WHERE name = ?", (name,)
            ).fetchone()
        return json.loads(row[0]) if row else default

    def load_all(self) -> dict:
        if self._conn is None:
            return {}
        with self._lock:
            rows = self._conn.execute("SELECT name, data FROM sandbox_collections").fetchall()
        return {name: json.loads(data) for name, data in rows}

    def clear(self) -> None:
        if self._conn is None:
            return
        with self._lock:
            self._conn.execute("DELETE FROM sandbox_collections")
            self._conn.commit()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
