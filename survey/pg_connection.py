"""The PostgreSQL store's connection (the dialect layer's server part, see survey.dialect): a pooled psycopg
connection per store object, held only while a statement or transaction needs it, with the surface of the
``sqlite3`` connection the rest of ``survey/`` uses."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from survey.sql_text import split_script, translate_sql

POSTGRESQL = "postgresql"
#: Key of the advisory lock that plays SQLite's write lock (``BEGIN IMMEDIATE``) on PostgreSQL.
WRITE_LOCK = 0x5355525645  # "SURVE"
#: Server connections per app process and URL: kept open, and opened beyond that under load (each store object
#: holds one only during a statement or transaction, see :class:`PgConnection`).
POOL_SIZE, POOL_OVERFLOW = 5, 20
#: How long a statement waits for a lock before it is "busy" (SQLite's busy timeout in survey.store.open_db).
LOCK_TIMEOUT = "30s"
_ENGINES: dict[str, Any] = {}


def _engine(url: str):
    """One SQLAlchemy engine (connection pool) per URL and process."""
    engine = _ENGINES.get(url)
    if engine is None:
        import psycopg
        from psycopg.adapt import Dumper, Loader
        from sqlalchemy import create_engine, event

        class UntypedIntDumper(Dumper):
            oid = 0  # unknown: the server takes the type of the column or operator, as SQLite does

            def dump(self, obj):
                return str(int(obj)).encode()

        class NumericAsFloat(Loader):
            def load(self, data):
                return float(bytes(data))

        engine = create_engine(
            "postgresql+psycopg://" + url.split("://", 1)[1],
            isolation_level="AUTOCOMMIT",  # the store says BEGIN / COMMIT itself, as it does on SQLite
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_pre_ping=False,  # a checkout per statement: a ping each would double the round trips
        )

        @event.listens_for(engine, "connect")
        def _adapt(dbapi_conn: psycopg.Connection, _record) -> None:
            dbapi_conn.adapters.register_dumper(int, UntypedIntDumper)
            dbapi_conn.adapters.register_dumper(bool, UntypedIntDumper)
            dbapi_conn.adapters.register_loader("numeric", NumericAsFloat)
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")

        _ENGINES[url] = engine
    return engine


def dispose_engines(url: str | None = None) -> None:
    """Close the pooled connections of ``url`` (default: of every URL), e.g. before a database is dropped."""
    for key in [url] if url is not None else list(_ENGINES):
        engine = _ENGINES.pop(key, None)
        if engine is not None:
            engine.dispose()


def _text_safe(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL (SQLite's can): a NUL in a string parameter becomes U+FFFD, so text
    typed or sent with one is stored (visibly marked) instead of failing the whole statement."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _params(count: int, params: Sequence[Any] | None) -> list | None:
    """The statement's parameters for psycopg (None for a statement without placeholders)."""
    params = [] if params is None else list(params)
    if len(params) != count:
        raise ValueError(f"the statement has {count} placeholders, but got {len(params)} parameters")
    return [_text_safe(v) for v in params] if count else None


def _wrapped(error: Exception, sql: str, params) -> Exception:
    """A psycopg error as SQLAlchemy's exception of the same kind (``IntegrityError``, ``OperationalError``,
    … with ``.orig``), the classes the rest of the store catches (:func:`integrity_errors`,
    :func:`is_busy_error`, :func:`database_errors`)."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    return DBAPIError.instance(sql, params, error, psycopg.Error)


class PgCursor:
    """The result of one statement, read like a ``sqlite3.Cursor`` (rows are plain tuples).

    ``rows``: the whole result read already (the connection went back to the pool after the statement)."""

    def __init__(self, cursor, rows: list[tuple] | None = None) -> None:
        self._cursor = cursor
        self._rows = iter(rows) if rows is not None else None
        self.rowcount = cursor.rowcount if cursor is not None else -1

    def _returns_rows(self) -> bool:
        return self._cursor is not None and self._cursor.description is not None

    def fetchone(self) -> tuple | None:
        if self._rows is not None:
            return next(self._rows, None)
        return self._cursor.fetchone() if self._returns_rows() else None

    def fetchall(self) -> list[tuple]:
        if self._rows is not None:
            return list(self._rows)
        return self._cursor.fetchall() if self._returns_rows() else []

    def fetchmany(self, size: int = 1) -> list[tuple]:
        if self._rows is not None:
            return list(itertools.islice(self._rows, size))
        return self._cursor.fetchmany(size) if self._returns_rows() else []

    def __iter__(self) -> Iterator[tuple]:
        if self._rows is not None:
            yield from self._rows
        elif self._returns_rows():
            yield from self._cursor

    @property
    def lastrowid(self):  # pragma: no cover - a guard for unported code
        raise AttributeError("lastrowid is SQLite's; write INSERT … RETURNING id")


class PgConnection:
    """The ``db.conn`` of a PostgreSQL store: what the app asks of a ``sqlite3.Connection``.

    Statements go to psycopg directly (``%s`` placeholders from :func:`translate_sql`; SQLAlchemy's pool hands
    out the connections, its exception classes wrap psycopg's). It holds a server connection only while it needs
    one: from the pool at a statement, back to the pool when the statement has run outside a transaction (its
    rows read first), kept from ``BEGIN`` to ``COMMIT`` / ``ROLLBACK``. So an app process serves many more
    browser sessions (each with its own store object) than the pool has connections, and an idle session holds
    none. A connection that has a temporary table or was used for ``COPY`` (:attr:`dbapi`) stays with this object
    until :meth:`close` (session state on the server).
    """

    def __init__(self, engine, url: str) -> None:
        self._engine = engine
        self._pooled = None  # the pool's proxy of a psycopg connection, while this object holds one
        self._pinned = False
        self._lock = threading.RLock()  # one Streamlit session's runs may overlap on two threads
        self.url = url

    def _conn(self):
        if self._pooled is None:
            import psycopg

            try:
                self._pooled = self._engine.raw_connection()
            except psycopg.Error as e:  # the server cannot be reached: the same exception as a statement's
                raise _wrapped(e, "connect", None) from e
        return self._pooled.dbapi_connection

    def _idle(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._pooled.dbapi_connection.info.transaction_status == TransactionStatus.IDLE

    def _release(self) -> None:
        if self._pooled is not None:
            pooled, self._pooled = self._pooled, None
            pooled.close()  # back to the pool

    def _drop(self) -> None:
        if self._pooled is not None:
            pooled, self._pooled = self._pooled, None
            self._pinned = False
            pooled.invalidate()

    def _run(self, sql: str, params, many: bool = False) -> PgCursor:
        conn = self._conn()
        try:
            cursor = conn.cursor()
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
        except Exception as e:
            import psycopg

            if conn.broken:  # the server went away: this connection never goes back to the pool
                self._drop()
            elif not self._pinned and self._idle():
                self._release()
            if isinstance(e, psycopg.Error):
                raise _wrapped(e, sql, params) from e
            raise
        if self._pinned or not self._idle():
            return PgCursor(cursor)
        rows = cursor.fetchall() if cursor.description is not None else []
        result = PgCursor(cursor, rows)
        self._release()
        return result

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        with self._lock:
            sql = _begin_sql(sql)
            if sql.startswith("BEGIN;"):  # BEGIN IMMEDIATE: a transaction holding the store's write lock
                conn = self._conn()
                try:
                    for statement in split_script(sql):
                        conn.execute(statement)
                except Exception as e:  # the lock was not had in time: no transaction is left open
                    import psycopg

                    if conn.broken:
                        self._drop()
                    else:
                        conn.execute("ROLLBACK")
                        if not self._pinned:
                            self._release()
                    raise (_wrapped(e, sql, None) if isinstance(e, psycopg.Error) else e) from e
                return PgCursor(None, [])
            translated, count = translate_sql(sql)
            if "pg_temp." in translated or _TEMP_TABLE.match(translated):
                self._pinned = True  # a temporary table lives in this server session
            return self._run(translated, _params(count, params))

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]]) -> PgCursor | None:
        with self._lock:
            translated, count = translate_sql(sql)
            batch = [_params(count, p) or [] for p in seq_of_params]
            if not batch:
                return None
            return self._run(translated, batch, many=True)

    def copy_rows(self, copy_sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """``COPY … FROM STDIN`` of ``rows`` on this object's connection: inside an open transaction as part of it,
        else on its own (the connection then goes back to the pool, unless a temporary table keeps it here)."""
        with self._lock:
            conn = self._conn()
            try:
                with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            except Exception as e:
                import psycopg

                if conn.broken:
                    self._drop()
                elif not self._pinned and self._idle():
                    self._release()
                if isinstance(e, psycopg.Error):
                    raise _wrapped(e, copy_sql, None) from e
                raise
            if not self._pinned and self._idle():
                self._release()

    @property
    def dbapi(self):
        """The psycopg connection underneath (COPY); it stays with this object from now on."""
        with self._lock:
            self._pinned = True
            return self._conn()

    @property
    def in_transaction(self) -> bool:
        with self._lock:
            return self._pooled is not None and not self._idle()

    def close(self) -> None:
        with self._lock:
            self._pinned = False
            self._release()


_TEMP_TABLE = re.compile(r"\s*CREATE\s+TEMP(ORARY)?\s+TABLE", re.I)


def _begin_sql(sql: str) -> str:
    stripped = sql.strip().rstrip(";").strip().upper()
    if stripped in ("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE"):
        return f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"
    if stripped in ("BEGIN", "BEGIN DEFERRED"):
        return "BEGIN ISOLATION LEVEL REPEATABLE READ"
    return sql


class PgDatabase:
    """A PostgreSQL store with the surface of ``sqlite_utils.Database`` that ``survey/`` uses."""

    dialect = POSTGRESQL

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = PgConnection(_engine(url), url)

    def execute(self, sql: str, params: Sequence[Any] | dict | None = None) -> PgCursor:
        return self.conn.execute(sql, params)

    def executescript(self, script: str) -> None:
        for statement in split_script(script):
            self.conn.execute(statement)

    def table_names(self) -> list[str]:
        return [
            r[0]
            for r in self.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]

    @property
    def identity(self) -> str:
        """The server and database, without the password (which database the in-process caches belong to)."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)


def connect(url: str) -> PgDatabase:
    """A connection (from the pool of ``url``) to a PostgreSQL store; the store migrates it."""
    return PgDatabase(url)
