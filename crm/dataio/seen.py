"""What an import has already seen earlier in the file, kept in a scratch SQLite file on
disk so that memory stays flat however long the file is."""

import os
import sqlite3
import tempfile


class SeenKeys:
    """Keys ("email", "a@example.org") of rows already handled -> the contact or gift id."""

    def __init__(self):
        fd, self.path = tempfile.mkstemp(prefix="crm-import-", suffix=".sqlite3")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(
            "CREATE TABLE seen (kind TEXT, key TEXT, target INTEGER, PRIMARY KEY (kind, key))"
        )

    def lookup(self, kind: str, keys) -> dict[str, int]:
        keys = list(set(keys))
        found = {}
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            marks = ",".join("?" * len(part))
            found.update(
                self.db.execute(
                    f"SELECT key, target FROM seen WHERE kind = ? AND key IN ({marks})",
                    [kind, *part],
                ).fetchall()
            )
        return found

    def add(self, entries) -> None:
        """(kind, key, target) triples; the first target of a key stays."""
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", entries)

    def close(self) -> None:
        self.db.close()
        os.unlink(self.path)
