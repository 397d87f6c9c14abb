"""A locked database as a named problem: ``DatabaseBusy`` instead of ``sqlite3.OperationalError``.

SQLite answers "database is locked" when another connection holds the write lock longer than the busy
timeout (30 s, :func:`survey.store.open_db`). Customers' pages say "the system is busy, please try again" and
keep the answers; the CLI prints one line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

BUSY_MESSAGE = "database is busy (locked by another process); try again"


class DatabaseBusy(Exception):
    "The database is locked by another process (busy timeout passed); try again."


def is_locked(error: BaseException) -> bool:
    """True when ``error`` is SQLite's "database is locked" / "database table is locked" / busy."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


@contextmanager
def busy_is_retry() -> Iterator[None]:
    """Turn "database is locked" raised inside the block into :class:`DatabaseBusy` (other errors pass)."""
    try:
        yield
    except sqlite3.OperationalError as error:
        if is_locked(error):
            raise DatabaseBusy(BUSY_MESSAGE) from error
        raise
