"""Online backup and restore: SQLite's backup API (consistent while others keep writing), or ``pg_dump`` /
``pg_restore`` for a PostgreSQL store (one consistent snapshot as well)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from survey.busy import BUSY_MESSAGE, DatabaseBusy
from survey.store import StoreError, is_database_url, open_db, open_private

#: How long a backup or restore waits for a lock held by another process (open_db's busy timeout).
BUSY_SECONDS = 30.0


class BackupError(Exception):
    "The backup or restore could not be done."


#: Restarts of a step-wise backup (another connection wrote meanwhile) before it is done in one step instead.
MAX_RESTARTS = 3


class _Restarting(Exception):
    "The step-wise backup keeps starting over: writers change the database faster than it is copied."


def _give_up_when_busy(seconds: float, *, restarts: int | None = None):
    """A ``Connection.backup`` progress callback that raises :class:`DatabaseBusy` after ``seconds`` of
    SQLITE_BUSY / SQLITE_LOCKED steps (Python's backup loop would otherwise retry forever), and
    :class:`_Restarting` when the copy has started over more than ``restarts`` times (SQLite restarts a
    step-wise backup whenever another connection writes: under steady writes it would never end)."""
    since: list[float] = []
    last: list[int] = []
    seen = [0]

    def progress(status: int, remaining: int, total: int) -> None:
        if restarts is not None and status == sqlite3.SQLITE_OK:
            if last and remaining > last[0]:
                seen[0] += 1
                if seen[0] > restarts:
                    raise _Restarting()
            last[:] = [remaining]
        if status not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            since.clear()
            return
        since.append(since[0] if since else time.monotonic())
        if time.monotonic() - since[0] > seconds:
            raise DatabaseBusy(BUSY_MESSAGE)

    return progress


def _check(conn: sqlite3.Connection, what: str) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} failed its integrity check: {result}")


def _libpq_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def pg_backup(url: str, dest: str | os.PathLike) -> Path:
    """``pg_dump --format=custom`` of the PostgreSQL store at ``url`` into ``dest`` (a new 0600 file)."""
    dest = Path(dest)
    try:
        open_private(dest, "wb", exclusive=True).close()
    except FileExistsError:
        raise BackupError(f"{dest} already exists; choose a new file name") from None
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dest}", f"--dbname={_libpq_url(url)}"],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        dest.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1:]!r}")
    os.chmod(dest, 0o600)
    return dest


def pg_restore(backup_path: str | os.PathLike, url: str) -> None:
    """Replace the PostgreSQL store at ``url`` with a ``pg_dump`` backup, in one transaction."""
    done = subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
         f"--dbname={_libpq_url(url)}", str(backup_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip().splitlines()[-1:]!r}")
    open_db(url).conn.close()  # migrate an older backup to the current schema


def backup(db_path: str | os.PathLike, dest: str | os.PathLike, *, pages: int = 1024) -> Path:
    """Copy a live database to ``dest`` (a new file) as one consistent snapshot (a PostgreSQL URL:
    :func:`pg_backup`).

    Uses ``sqlite3.Connection.backup`` (the SQLite online backup API): writers may go on
    meanwhile; ``pages`` at a time, and when writers keep making that start over (:data:`MAX_RESTARTS`), in
    one step (one read transaction: in WAL mode the writers still go on). The copy is checked with
    ``PRAGMA integrity_check``. It is readable only by its owner (0600; a folder created for it 0700), like
    the database.
    """
    if is_database_url(str(db_path)):
        return pg_backup(str(db_path), dest)
    src_path, dest = Path(db_path), Path(dest)
    if not src_path.exists():
        raise BackupError(f"database file {str(src_path)!r} does not exist")
    try:
        open_private(dest, "wb", exclusive=True).close()  # 0600 before a byte of data is in it
    except FileExistsError:
        raise BackupError(f"{dest} already exists; choose a new file name") from None
    src = sqlite3.connect(str(src_path), timeout=BUSY_SECONDS)
    out = sqlite3.connect(str(dest))
    try:
        try:
            src.backup(out, pages=pages, progress=_give_up_when_busy(BUSY_SECONDS, restarts=MAX_RESTARTS))
        except _Restarting:
            src.backup(out, pages=-1, progress=_give_up_when_busy(BUSY_SECONDS))
        out.execute("PRAGMA journal_mode=DELETE")
        _check(out, f"backup {dest}")
    except BaseException:
        out.close()
        dest.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    out.close()
    return dest


def restore(backup_path: str | os.PathLike, db_path: str | os.PathLike) -> None:
    """Replace the database at ``db_path`` with the contents of a backup, in one step.

    The backup is checked first (integrity, survey schema); then it is copied over the target
    through the backup API, which holds the target's write lock for the copy, so readers see
    the old or the new database, never a mix. Stop the app's writers first if you can.
    The HMAC key (secret.key) is not part of the database: keep it with your backups.
    """
    if is_database_url(str(db_path)):
        return pg_restore(backup_path, str(db_path))
    backup_path, db_path = Path(backup_path), Path(db_path)
    if not backup_path.exists():
        raise BackupError(f"backup file {str(backup_path)!r} does not exist")
    try:
        src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True)
        _check(src, f"backup {backup_path}")
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{backup_path} is not a usable SQLite database ({e})") from e
    if not {"customers", "rounds", "responses", "schema_migrations"} <= tables:
        src.close()
        raise BackupError(f"{backup_path} is not a survey database backup")
    if not db_path.exists():
        open_private(db_path, "wb", exclusive=True).close()  # a new target is private like open_db's
    target = sqlite3.connect(str(db_path), timeout=BUSY_SECONDS)
    try:
        src.backup(target, progress=_give_up_when_busy(BUSY_SECONDS))
    finally:
        src.close()
        target.close()
    try:
        open_db(db_path).conn.close()  # migrate an older backup to the current schema
    except StoreError as e:  # pragma: no cover - defensive
        raise BackupError(str(e)) from e
