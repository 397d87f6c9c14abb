"""Everything that differs between the two stores, SQLite (embedded default) and PostgreSQL (shared server).

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
import itertools
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

#: Key of the advisory lock that plays SQLite's write lock (``BEGIN IMMEDIATE``) on PostgreSQL.
WRITE_LOCK = 0x5355525645  # "SURVE"
#: Server connections per app process and URL: kept open, and opened beyond that under load (each store object
#: holds one only during a statement or transaction, see :class:`PgConnection`).
POOL_SIZE, POOL_OVERFLOW = 5, 20
#: How long a statement waits for a lock before it is "busy" (SQLite's busy timeout in survey.store.open_db).
LOCK_TIMEOUT = "30s"

_URL_PREFIXES = ("postgresql://", "postgresql+psycopg://", "postgres://")


def is_database_url(value: object) -> bool:
    """True when ``value`` names a PostgreSQL server (``postgresql://…``) rather than a SQLite file."""
    return isinstance(value, str) and value.startswith(_URL_PREFIXES)


def name(db) -> str:
    """``"postgresql"`` or ``"sqlite"``: which database ``db`` is."""
    return POSTGRESQL if isinstance(db, PgDatabase) else SQLITE


# ---------------------------------------------------------------------------------------------- SQL text
_WORDS = {"user": '"user"', "real": "DOUBLE PRECISION", "blob": "BYTEA"}
_TOKEN = re.compile(
    r"""(?P<str>'(?:[^']|'')*')|(?P<ident>"(?:[^"]|"")*")|(?P<comment>--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<param>\?)|(?P<word>[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)?)|(?P<semi>;)""",
    re.S,
)


@lru_cache(maxsize=4096)
def translate_sql(sql: str) -> tuple[str, int]:
    """SQLite-flavoured ``sql`` as psycopg's statement text for PostgreSQL, and its number of ``?``.

    ``?`` becomes ``%s``; with at least one placeholder every other ``%`` is doubled (psycopg reads ``%`` then),
    without any the text is sent as it is (and run without parameters).

    >>> translate_sql("SELECT at, user FROM audit_log WHERE id = ? AND at LIKE '12:%'")
    ('SELECT at, "user" FROM audit_log WHERE id = %s AND at LIKE \'12:%%\'', 1)
    """
    out: list[str] = []
    count = 0
    pos = 0
    for m in _TOKEN.finditer(sql):
        out.append(sql[pos : m.start()])
        pos = m.end()
        kind, text = m.lastgroup, m.group()
        if kind == "param":
            out.append("\0")  # a placeholder, made %s below (after the literal % are doubled)
            count += 1
        elif kind == "word":
            lower = text.lower()
            out.append("pg_temp." + text[5:] if lower.startswith("temp.") else _WORDS.get(lower, text))
        else:
            out.append(text)
    out.append(sql[pos:])
    text = _TEMP_INDEX.sub(r"\1", "".join(out))  # an index is created in its table's schema
    if _DDL.match(text):
        text = translate_ddl(text)
    if count:
        text = text.replace("%", "%%")
    return text.replace("\0", "%s"), count


_TEMP_INDEX = re.compile(r"(CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)pg_temp\.", re.I)
_DDL = re.compile(r"\s*(CREATE\s+(TEMP\w*\s+)?TABLE|ALTER\s+TABLE)", re.I)
_ROWID_KEY = re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.I)


def translate_ddl(sql: str) -> str:
    """``INTEGER PRIMARY KEY`` (SQLite's rowid alias: max + 1 when no id is given) as an identity column.

    Code that inserts explicit ids into such a table calls :func:`sync_identity` afterwards.
    """
    return _ROWID_KEY.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql)


def split_script(script: str) -> list[str]:
    """The statements of ``script`` (split at ``;`` outside quotes and comments), without empty ones."""
    parts, pos = [], 0
    for m in _TOKEN.finditer(script):
        if m.lastgroup == "semi":
            parts.append(script[pos : m.start()])
            pos = m.end()
    parts.append(script[pos:])
    return [p.strip() for p in parts if p.strip() and not _only_comments(p)]


def _only_comments(text: str) -> bool:
    return not re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.S).strip()


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


# ---------------------------------------------------------------------------------------------- PostgreSQL
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

            if not self._pinned and self._idle():
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
        sql = _begin_sql(sql)
        if sql.startswith("BEGIN;"):  # BEGIN IMMEDIATE: a transaction holding the store's write lock
            conn = self._conn()
            try:
                for statement in split_script(sql):
                    conn.execute(statement)
            except Exception as e:  # the lock was not had in time: no transaction is left open
                import psycopg

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
        translated, count = translate_sql(sql)
        batch = [_params(count, p) or [] for p in seq_of_params]
        if not batch:
            return None
        return self._run(translated, batch, many=True)

    @property
    def dbapi(self):
        """The psycopg connection underneath (COPY); it stays with this object from now on."""
        self._pinned = True
        return self._conn()

    @property
    def in_transaction(self) -> bool:
        return self._pooled is not None and not self._idle()

    def close(self) -> None:
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
        with db.conn.dbapi.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
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
