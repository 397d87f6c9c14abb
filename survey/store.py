"""The only module that opens the store: a SQLite file (the default) or a PostgreSQL server.

Everything in ``survey/`` reaches the database through :func:`open_db`, which returns a
``sqlite_utils.Database`` in WAL mode with foreign keys on (SQLite), or a
:class:`survey.dialect.PgDatabase` with the same surface (``$SURVEY_DATABASE_URL`` or a ``postgresql://`` URL),
and the schema migrated to the newest version. Schema changes are numbered migrations in :data:`MIGRATIONS`; an
existing database upgrades in place, each migration in its own transaction. What differs between the two
databases is in :mod:`survey.dialect`, nowhere else.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from survey import dialect

DEFAULT_DB = Path("data") / "survey.db"


class StoreError(Exception):
    "The database file cannot be used."


#: Mode of every file the store creates that holds personal data or a secret (database, WAL, backups, keys).
PRIVATE_FILE = 0o600
#: Mode of a data folder the store creates.
PRIVATE_FOLDER = 0o700


def private_folder(folder: str | os.PathLike) -> Path:
    """Create ``folder`` (and its parents) if missing; a folder created here is made 0700. An existing
    folder is left as it is (its mode is the administrator's choice)."""
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_FOLDER)
    return folder


def open_private(path: str | os.PathLike, mode: str = "w", *, exclusive: bool = False, **kwargs):
    """Open ``path`` for writing as a file only its owner may read (0600), also when it existed before
    with a wider mode (the mode is set on the open file before anything is written).

    ``exclusive=True`` refuses an existing file (``FileExistsError``). ``mode`` is ``"w"`` or ``"wb"``;
    ``kwargs`` go to :func:`open` (e.g. ``encoding``).
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    private_folder(Path(path).parent)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, mode, **kwargs)


def default_db_path() -> Path:
    """The database path: ``$SURVEY_DB`` if set, else ``data/survey.db``."""
    return Path(os.environ.get("SURVEY_DB") or DEFAULT_DB)


def default_database() -> str | Path:
    """The store: ``$SURVEY_DATABASE_URL`` (a ``postgresql://`` URL) if set, else the SQLite file of
    :func:`default_db_path`."""
    return os.environ.get("SURVEY_DATABASE_URL") or default_db_path()


def is_database_url(target: object) -> bool:
    """True when ``target`` names a PostgreSQL server (``postgresql://…``) rather than a SQLite file."""
    return dialect.is_database_url(target)


def store_env(target: str | Path) -> dict[str, str]:
    """The environment that points an app process at ``target``: ``$SURVEY_DATABASE_URL`` for a PostgreSQL
    store (with the link key's file made absolute, so every process finds the same key), else ``$SURVEY_DB``."""
    if not is_database_url(target):
        return {"SURVEY_DB": str(Path(target).resolve())}
    from survey.tokens import server_key_env  # tokens imports this module

    return {"SURVEY_DATABASE_URL": str(target), **server_key_env()}


def db_identity(db) -> str:
    """Which database ``db`` is: its file (SQLite) or its URL without the password (PostgreSQL)."""
    return dialect.identity(db)


def db_file(db) -> Path | None:
    """The SQLite file behind ``db`` (None for an in-memory database or a PostgreSQL store)."""
    if dialect.name(db) != dialect.SQLITE:
        return None
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def ids_inserted(db, *tables: str) -> None:
    """Code that gave explicit ids to new rows of ``tables`` calls this: the ids the store generates next
    follow them (a no-op on SQLite, whose rowid is max + 1; an identity ``setval`` on PostgreSQL)."""
    for table in tables:
        dialect.sync_identity(db, table)


def database_errors() -> tuple[type[BaseException], ...]:
    """The exception classes of either database driver (``sqlite3.Error``, SQLAlchemy's ``DBAPIError``)."""
    return dialect.database_errors()


def now() -> str:
    """Current UTC time as an ISO-8601 string (second precision), the format stored everywhere."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT, phone TEXT, region TEXT NOT NULL, district TEXT,
            customer_type TEXT NOT NULL, urban_rural TEXT,
            complaints_12m INTEGER NOT NULL DEFAULT 0,
            opted_out INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            has_valid_phone INTEGER NOT NULL DEFAULT 1,
            prn REAL NOT NULL,
            last_surveyed_at TEXT,
            updated_at TEXT
        );
        CREATE INDEX idx_customers_region_type_prn ON customers (region, customer_type, prn);
        CREATE INDEX idx_customers_region_prn ON customers (region, prn);
        CREATE TABLE questionnaires (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL, version TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            definition TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE rounds (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            survey TEXT NOT NULL DEFAULT 'default',
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            design TEXT NOT NULL,
            questionnaire_id INTEGER NOT NULL REFERENCES questionnaires(id),
            created_by TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT,
            closed_at TEXT
        );
        CREATE TABLE round_strata (
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            stratum TEXT NOT NULL,
            population INTEGER NOT NULL,      -- N_h (eligible customers; SQLite names are case-insensitive)
            sample_size INTEGER NOT NULL,     -- n_h
            reserve_size INTEGER NOT NULL DEFAULT 0,  -- r_h
            start REAL NOT NULL, next_start REAL NOT NULL,
            PRIMARY KEY (round_id, stratum)
        );
        CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES rounds(id),
            customer_id TEXT NOT NULL REFERENCES customers(id),
            stratum TEXT NOT NULL,
            prn REAL NOT NULL,
            pi REAL NOT NULL,
            weight REAL NOT NULL,
            is_reserve INTEGER NOT NULL DEFAULT 0,
            released_at TEXT,
            status TEXT NOT NULL DEFAULT 'issued',
            mode TEXT,
            token_hash TEXT UNIQUE,
            expires_at TEXT,
            draft TEXT,
            updated_at TEXT,
            UNIQUE (round_id, customer_id)
        );
        CREATE INDEX idx_assignments_round_stratum ON assignments (round_id, stratum, is_reserve, prn);
        CREATE TABLE responses (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL UNIQUE REFERENCES assignments(id),
            submitted_at TEXT NOT NULL,
            mode TEXT NOT NULL DEFAULT 'web',
            interviewer TEXT,
            questionnaire_sha256 TEXT NOT NULL
        );
        CREATE TABLE answers (
            response_id INTEGER NOT NULL REFERENCES responses(id),
            question_id TEXT NOT NULL,
            value TEXT,
            PRIMARY KEY (response_id, question_id)
        );
        CREATE TABLE follow_ups (
            id INTEGER PRIMARY KEY,
            response_id INTEGER NOT NULL REFERENCES responses(id),
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            owner TEXT, due_at TEXT, note TEXT,
            created_at TEXT NOT NULL
        );
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('staff', 'manager', 'admin')),
            region TEXT,
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL, user TEXT, action TEXT NOT NULL, detail TEXT
        );
        """
    )


def _discover_migrations() -> list[tuple[int, str, Callable[[sqlite_utils.Database], None]]]:
    """Migration 1 is above; later ones are modules ``survey/migrations/mNNNN_<name>.py`` with ``apply(db)``."""
    import importlib
    import pkgutil

    found = [(1, "initial schema", _m1_initial)]
    folder = Path(__file__).parent / "migrations"
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda i: i.name):
        if info.name[:1] == "m" and info.name[1:5].isdigit():
            module = importlib.import_module(f"survey.migrations.{info.name}")
            found.append((int(info.name[1:5]), info.name[6:].replace("_", " "), module.apply))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a number: {sorted(versions)!r}")
    return sorted(found, key=lambda m: m[0])


#: Numbered migrations. Append only (a new module in survey/migrations/); never edit a released one.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = _discover_migrations()


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest applied migration number (0 for an empty file)."""
    if "schema_migrations" not in db.table_names():
        return 0
    return db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply every pending migration, each in one transaction; return the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)"
    )
    done = {r[0] for r in db.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, apply in MIGRATIONS:
        if version in done:  # any missing version is applied, even one numbered below the newest
            continue
        with transaction(db):
            if db.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [version]).fetchone():
                continue  # another process applied it while this one waited for the write lock
            apply(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [version, name, now()],
            )
        applied.append(version)
    return applied


def open_db(path: str | os.PathLike | None = None, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and migrate) the survey database at ``path`` (default :func:`default_database`).

    ``path`` is a SQLite file or a ``postgresql://user@host/db`` URL (the database must exist on the
    server; ``create`` is then ignored). On SQLite the connection uses WAL journaling, ``foreign_keys=ON`` and a 30 s busy timeout so
    that several processes (app workers, CLI) can share one file. A new database file (and so its
    WAL and shared-memory files) is readable only by its owner (0600), in a new folder made 0700.
    """
    target = path if path is not None else default_database()
    if is_database_url(str(target)):
        db = dialect.connect(str(target))
        try:
            migrate(db)
        except BaseException:
            db.conn.close()
            raise
        return db
    path = Path(target)
    if not create and not path.exists():
        raise StoreError(f"database file {str(path)!r} does not exist")
    private_folder(path.parent)
    if not path.exists():
        # SQLite gives the -wal, -shm and -journal files the mode of the database file: 0600 for all of them
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as e:
        raise StoreError(f"{path}: not a usable SQLite database ({e})") from e
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


@contextlib.contextmanager
def transaction(
    db: sqlite_utils.Database, *, immediate: bool = True, shared: bool = False
) -> Iterator[sqlite_utils.Database]:
    """All-or-nothing block: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

    ``IMMEDIATE`` takes the write lock up front, so two writers never both read-then-write
    (no lost update, no double response). On PostgreSQL the write lock is the store's advisory lock and
    ``immediate=False`` a ``REPEATABLE READ`` snapshot (:mod:`survey.dialect`). ``shared=True`` is for a
    writer that locks every row it read-then-writes (``dialect.lock_rows``): PostgreSQL runs such writers
    side by side (the advisory lock taken shared); SQLite treats it as any writer.
    """
    conn = db.conn
    if conn.in_transaction:  # nested: the outer block owns the transaction
        yield db
        return
    conn.execute(dialect.begin_sql(db, immediate=immediate, shared=shared))
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def get_setting(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def set_setting(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def audit(db: sqlite_utils.Database, user: str | None, action: str, detail: str = "") -> None:
    """Append one line to the audit log."""
    db.execute(
        "INSERT INTO audit_log (at, user, action, detail) VALUES (?, ?, ?, ?)", [now(), user, action, detail]
    )
