"""Everything that differs between the two stores, SQLite (embedded default) and PostgreSQL (shared server): this
module, with ``survey/sql_text.py`` (the statement text) and ``survey/pg_connection.py`` (the server connection)
behind it; the rest of the code imports only this one.

The rest of ``survey/`` writes one SQL text with ``?`` placeholders and calls :func:`survey.store.open_db`,
:func:`survey.store.transaction` and ``db.execute``. On PostgreSQL, :class:`PgDatabase` gives the same surface
as the ``sqlite_utils.Database`` the SQLite store returns (``execute``, ``conn.execute``, ``conn.executemany``,
``conn.in_transaction``, ``conn.close``, ``table_names``, ``executescript``) on top of SQLAlchemy 2's connection
pool and exception classes and psycopg 3. Statements go to psycopg directly: SQLAlchemy's ``text()`` execution
cost ≈ 0.15 ms of Python per statement on top of psycopg's ≈ 0.1 ms (a submission runs ≈ 19):

- placeholders: ``?`` becomes psycopg's ``%s`` (statements go to psycopg directly), once per statement text
  (:func:`translate_sql`, cached); the bare word ``user`` (a column of ``audit_log`` and ``web_sessions``, but
  ``CURRENT_USER`` in PostgreSQL) becomes ``"user"``, ``REAL`` ``DOUBLE PRECISION`` and ``BLOB`` ``BYTEA``;
- DDL: ``INTEGER PRIMARY KEY`` (SQLite's rowid alias) becomes an identity column (:func:`translate_ddl`);
- types: Python ``int`` and ``bool`` parameters are sent untyped, so PostgreSQL infers them from the column as
  SQLite does (``text_column = 5``, ``flag = True``); ``numeric`` results (``AVG``, ``SUM`` of ``bigint``) load
  as ``float``, as SQLite returns them;
- locking: ``BEGIN IMMEDIATE`` (one writer at a time) is ``BEGIN`` + a transaction-scoped advisory lock
  (:data:`WRITE_LOCK`), so every read-then-write of the app stays safe across processes and machines; a lock
  not had within :data:`LOCK_TIMEOUT` is "busy" (:func:`is_busy_error`), like SQLite's busy timeout;
  customers' submissions take it shared and lock their assignment's row instead (:func:`begin_sql`,
  :func:`lock_rows`), so they run side by side and still exclude every other writer;
- bulk load: ``COPY … FROM STDIN`` (:func:`bulk_insert`); frame_cells counts: plpgsql triggers.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from survey.pg_connection import (  # noqa: F401 (the store's one entry point re-exports them)
    LOCK_TIMEOUT,
    POOL_OVERFLOW,
    POOL_SIZE,
    POSTGRESQL,
    WRITE_LOCK,
    PgConnection,
    PgCursor,
    PgDatabase,
    connect,
    dispose_engines,
)
from survey.sql_text import split_script, translate_ddl, translate_sql  # noqa: F401 (re-exported)

SQLITE = "sqlite"


_URL_PREFIXES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_database_url(value: object) -> bool:
    """True when ``value`` names a PostgreSQL server (``postgresql://…``) rather than a SQLite file."""
    return isinstance(value, str) and value.startswith(_URL_PREFIXES)


def name(db) -> str:
    """``"postgresql"`` or ``"sqlite"``: which database ``db`` is."""
    return POSTGRESQL if isinstance(db, PgDatabase) else SQLITE


# ---------------------------------------------------------------------------------------------- SQL text
def is_number(db, expr: str) -> str:
    """SQL condition: the stored answer text ``expr`` is a number to average (SQLite: starts with a digit,
    ``GLOB '[0-9]*'``, and ``CAST`` reads its leading number; PostgreSQL's ``CAST`` needs the whole text to be one,
    so there the test is a full match)."""
    if name(db) == POSTGRESQL:
        return f"{expr} ~ '^[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$'"
    return f"{expr} GLOB '[0-9]*'"


# ---------------------------------------------------------------------------------------------- errors
def database_errors() -> tuple[type[BaseException], ...]:
    """Exception classes of either database's driver (for a CLI that prints one line)."""
    try:
        from sqlalchemy.exc import DBAPIError
    except ImportError:  # pragma: no cover - SQLAlchemy is a runtime dependency
        return (sqlite3.Error,)
    return (sqlite3.Error, DBAPIError)


def integrity_errors() -> tuple[type[BaseException], ...]:
    """Unique / foreign-key / check violations of either database."""
    from sqlalchemy.exc import IntegrityError

    return (sqlite3.IntegrityError, IntegrityError)


def is_busy_error(error: BaseException) -> bool:
    """True when ``error`` means "another process holds the lock; try again" on either database."""
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        return "locked" in text or "busy" in text
    orig = getattr(error, "orig", None)
    if orig is None:
        return False
    import psycopg.errors as pe

    return isinstance(orig, pe.LockNotAvailable | pe.SerializationFailure | pe.DeadlockDetected)


# ---------------------------------------------------------------------------------------------- per dialect
def begin_sql(db, *, immediate: bool, shared: bool = False) -> str:
    """The statement that opens a store transaction (see :func:`survey.store.transaction`).

    ``shared``: a writer that locks the rows it changes (:func:`lock_rows`) — on PostgreSQL it takes the
    store's write lock in shared mode, so such writers (customers' submissions) run side by side while
    every other writer still excludes them all; on SQLite it is ``BEGIN IMMEDIATE`` like any writer.
    """
    if shared and immediate and isinstance(db, PgDatabase):
        return f"BEGIN; SELECT pg_advisory_xact_lock_shared({WRITE_LOCK})"
    return "BEGIN IMMEDIATE" if immediate else "BEGIN"


def lock_rows(db, alias: str) -> str:
    """The clause that ends a ``SELECT`` to lock the rows of ``alias`` it reads until the transaction ends:
    ``FOR UPDATE OF alias`` on PostgreSQL (a second reader waits, then sees the committed row), nothing on
    SQLite (``BEGIN IMMEDIATE`` already holds the whole store)."""
    return f" FOR UPDATE OF {alias}" if isinstance(db, PgDatabase) else ""


def identity(db) -> str:
    """Which database ``db`` is: its file (SQLite) or its URL without password (PostgreSQL)."""
    if isinstance(db, PgDatabase):
        return db.identity
    for _, schema, file in db.execute("PRAGMA database_list").fetchall():
        if schema == "main":
            return file or f"memory:{id(db.conn)}"
    return ""


def sync_identity(db, table: str, column: str = "id") -> None:
    """After explicit ids were inserted into ``table``: the next generated id is above them (PostgreSQL)."""
    if isinstance(db, PgDatabase):
        db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"  # noqa: S608 (constant names)
            f" GREATEST(COALESCE((SELECT MAX({column}) FROM {table}), 0), 1),"
            f" (SELECT MAX({column}) FROM {table}) IS NOT NULL)"
        )


def has_copy(db) -> bool:
    """True when bulk loads should go through :func:`bulk_insert`'s ``COPY`` (PostgreSQL)."""
    return isinstance(db, PgDatabase)


def bulk_insert(db, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Append ``rows`` to ``table``: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite."""
    if isinstance(db, PgDatabase):
        cols = ", ".join('"user"' if c == "user" else c for c in columns)
        target = "pg_temp." + table[5:] if table.startswith("temp.") else table
        db.conn.copy_rows(f"COPY {target} ({cols}) FROM STDIN", rows)
        return
    marks = ", ".join("?" for _ in columns)
    db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608


@contextlib.contextmanager
def import_tuning(db, cache_kib: int) -> Iterator[None]:
    """A bigger page cache for a bulk import (SQLite's ``PRAGMA cache_size``; nothing on PostgreSQL)."""
    if isinstance(db, PgDatabase):
        yield
        return
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {int(cache_kib)}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")


def set_cache_kib(db, cache_kib: int) -> None:
    """SQLite's page cache for an index build (PostgreSQL: ``maintenance_work_mem`` is the server's)."""
    if not isinstance(db, PgDatabase):
        db.execute(f"PRAGMA cache_size = {int(cache_kib)}")


def index_build_threads(db) -> None:
    """SQLite's multi-threaded sorter for an index build (PostgreSQL builds with parallel workers itself)."""
    if not isinstance(db, PgDatabase):
        db.execute("PRAGMA threads = 2")


def add_rowid(db, table: str) -> None:
    """Give the temporary ``table`` an insertion-order ``rowid`` column (SQLite tables have one already)."""
    if isinstance(db, PgDatabase):
        db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS rowid BIGSERIAL")


#: Transaction-local switch that pauses the row triggers of :func:`create_triggers` on PostgreSQL.
PAUSE_SETTING = "survey.triggers_paused"


def create_triggers(db, triggers: dict[str, tuple[str, str, str]]) -> None:
    """Row triggers ``name -> (timing and event, table, body)``; ``body`` is SQLite trigger SQL with NEW/OLD.

    On PostgreSQL each becomes a plpgsql function ``<name>_fn`` running the body's statements and an
    ``AFTER … FOR EACH ROW`` trigger calling it. There a bulk import pauses them (:func:`drop_triggers`
    inside a transaction sets :data:`PAUSE_SETTING` for that transaction) instead of dropping them: dropping
    a trigger would lock the table against readers until the commit.
    """
    for trigger, (event, table, body) in triggers.items():
        if isinstance(db, PgDatabase):
            if db.execute("SELECT 1 FROM pg_trigger WHERE tgname = ?", [trigger]).fetchone():
                continue
            statements = ";\n".join(translate_sql(s)[0].replace("\\:", ":") for s in split_script(body))
            db.execute(
                f"CREATE OR REPLACE FUNCTION {trigger}_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN"
                f" IF current_setting('{PAUSE_SETTING}', true) = 'on' THEN RETURN NULL; END IF;"
                f" {statements}; RETURN NULL; END $fn$"
            )
            db.execute(
                f"CREATE TRIGGER {trigger} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {trigger}_fn()"
            )
        else:
            db.execute(f"CREATE TRIGGER IF NOT EXISTS {trigger} {event} ON {table} BEGIN {body} END")
    if isinstance(db, PgDatabase) and db.conn.in_transaction:
        db.execute(f"SELECT set_config('{PAUSE_SETTING}', 'off', true)")


def drop_triggers(db, triggers: dict[str, tuple[str, str, str]]) -> None:
    """Stop the row triggers until :func:`create_triggers` (SQLite: drop them; PostgreSQL: pause them for the
    rest of the transaction, or drop them outside one)."""
    for trigger, (_event, table, _body) in triggers.items():
        if isinstance(db, PgDatabase):
            if db.conn.in_transaction:
                db.execute(f"SELECT set_config('{PAUSE_SETTING}', 'on', true)")
                return
            db.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        else:
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
