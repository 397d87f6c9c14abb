"""A locked database as a named problem: ``DatabaseBusy`` instead of ``sqlite3.OperationalError``.

SQLite answers "database is locked" when another connection holds the write lock longer than the busy
timeout (30 s, :func:`survey.store.open_db`). Customers' pages say "the system is busy, please try again" and
keep the answers; the CLI prints one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from survey.dialect import database_errors, is_busy_error

BUSY_MESSAGE = "database is busy (locked by another process); try again"


class DatabaseBusy(Exception):
    "The database is locked by another process (busy timeout passed); try again."


def is_locked(error: BaseException) -> bool:
    """True when ``error`` is SQLite's "database is locked" / "database table is locked" / busy, or
    PostgreSQL's lock timeout, serialization failure or deadlock (:func:`survey.dialect.is_busy_error`)."""
    return is_busy_error(error)


@contextmanager
def busy_is_retry() -> Iterator[None]:
    """Turn "database is locked" raised inside the block into :class:`DatabaseBusy` (other errors pass)."""
    try:
        yield
    except database_errors() as error:
        if is_locked(error):
            raise DatabaseBusy(BUSY_MESSAGE) from error
        raise
