"""What an import has already seen earlier in the file. The first keys are kept in memory, up
to a fixed number; the rest go to a scratch SQLite file on disk. Memory therefore stays
bounded however long the file is, and most files never touch the disk."""

import os
import sqlite3
import tempfile

MEMORY_KEYS = 400_000  # about 50 MB of keys; a larger file keeps its later keys on disk


class SeenKeys:
    """Keys ("email", "a@example.org") of rows already handled -> the contact or gift id.
    The first target of a key stays."""

    def __init__(self, memory_keys: int = MEMORY_KEYS):
        self.memory: dict[str, int] = {}
        self.memory_keys = memory_keys
        self.db: sqlite3.Connection | None = None
        self.path: str | None = None

    def lookup(self, kind: str, keys) -> dict[str, int]:
        prefix, memory, found = kind + "\0", self.memory, {}
        for key in keys:
            target = memory.get(prefix + key)
            if target is not None:
                found[key] = target
        if self.db is not None:
            rest = [key for key in set(keys) if key not in found]
            for start in range(0, len(rest), 500):
                part = rest[start : start + 500]
                marks = ",".join("?" * len(part))
                found.update(
                    self.db.execute(
                        f"SELECT key, target FROM seen WHERE kind = ? AND key IN ({marks})",
                        [kind, *part],
                    ).fetchall()
                )
        return found

    def add(self, entries) -> None:
        """(kind, key, target) triples."""
        memory, room = self.memory, self.memory_keys - len(self.memory)
        spill = []
        for kind, key, target in entries:
            name = kind + "\0" + key
            if name in memory:
                continue
            if room > 0:
                memory[name] = target
                room -= 1
            else:
                spill.append((kind, key, target))
        if spill:
            self._disk().executemany("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", spill)

    def _disk(self) -> sqlite3.Connection:
        if self.db is None:
            self.db, self.path = scratch_database(
                "CREATE TABLE seen (kind TEXT, key TEXT, target INTEGER, PRIMARY KEY (kind, key))"
            )
        return self.db

    def close(self) -> None:
        self.memory.clear()
        self.db = drop_scratch(self.db, self.path)


def scratch_database(*schema: str) -> tuple[sqlite3.Connection, str]:
    """A SQLite file of the import's own, made for speed (it is thrown away afterwards)."""
    fd, path = tempfile.mkstemp(prefix="crm-import-", suffix=".sqlite3")
    os.close(fd)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    for statement in schema:
        db.execute(statement)
    return db, path


def drop_scratch(db: sqlite3.Connection | None, path: str | None) -> None:
    """Close and delete a scratch database; returns None for the caller's reference."""
    if db is not None:
        db.close()
        os.unlink(path)
    return None
