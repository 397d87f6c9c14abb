"""Applying a staged re-import with short write locks, all or nothing (issue 11.9).

A re-import's rows are first staged in ``temp.incoming`` without the write lock
(:func:`survey.frames.store_frame`). Writing them used to happen in ONE transaction: a frame of millions of NEW
customers held the lock ~10 s per million (index and row inserts), longer than the 30 s busy timeout of the
customers answering meanwhile. Now:

1. a short transaction marks the import *pending* (setting ``frame_import_pending``: batch number, who, when,
   heartbeat) — a second import, or a draw, is refused meanwhile (:class:`ImportInProgress`);
2. everything that can be worked out without the lock is: which staged customers are new, which existing ones
   change, who would be deactivated (only imports change ``customers``, and only one runs at a time);
3. the new customers are inserted in chunks of ``COMMIT_ROWS`` rows, one short transaction each, marked with
   the batch number; rows of a pending batch are hidden from every count (:func:`visible`), the eligible counts
   (``frame_cells``) are not touched, and draws wait for the end;
4. the final transaction runs the caller's checks, updates the changed customers, deactivates the vanished,
   writes the eligible counts and the audit line, and clears the pending mark: from then on the batch counts.

Any failure before the end deletes the batch again (and clears the mark); a process killed half-way leaves a
pending mark whose process is gone (its pid on this machine; elsewhere no heartbeat for ``STALE_SECONDS``): the
next import or draw finds it stale and deletes the batch (:func:`recover`). The lock is held per chunk (~0.5 s for 50,000 rows) and, at the end, in
proportion to the customers that change, not to the size of the file.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime

import sqlite_utils

from survey.migrations.m0002_eligible_prn_indexes import create_triggers, drop_triggers
from survey.store import get_setting, now, set_setting, transaction

PENDING_KEY = "frame_import_pending"
#: New customers inserted per short transaction.
COMMIT_ROWS = 50_000
#: A pending import whose heartbeat is older than this is taken as dead (its process was killed).
STALE_SECONDS = 300


class ImportInProgress(RuntimeError):
    "Another import of the customer frame is still running."

    def __init__(self, pending: dict) -> None:
        self.pending = pending
        super().__init__(
            f"an import of the customer frame by {pending.get('by') or 'the operator'} is running since"
            f" {pending.get('started')}; try again when it has finished"
        )


def pending_import(db: sqlite_utils.Database) -> dict | None:
    """The pending import's mark (batch, by, started, heartbeat), or None."""
    raw = get_setting(db, PENDING_KEY)
    return json.loads(raw) if raw else None


def visible(db: sqlite_utils.Database, alias: str = "customers") -> tuple[str, list]:
    """SQL (`` AND …``) and parameters that hide the rows of a pending import from a query on ``alias``."""
    pending = pending_import(db)
    if pending is None:
        return "", []
    return f" AND {alias}.import_batch IS DISTINCT FROM ?", [int(pending["batch"])]


def _stale(pending: dict) -> bool:
    """True when the import's process is gone: on this machine its pid no longer runs; elsewhere its
    heartbeat is older than ``STALE_SECONDS``."""
    if pending.get("host") == socket.gethostname() and pending.get("pid"):
        try:
            os.kill(int(pending["pid"]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # runs, under another user
            pass
    beat = datetime.fromisoformat(pending["heartbeat"])
    return (datetime.now(UTC) - beat).total_seconds() > STALE_SECONDS


def refuse_while_importing(db: sqlite_utils.Database) -> None:
    """Inside a write transaction: raise :class:`ImportInProgress` while an import runs; undo a dead one."""
    pending = pending_import(db)
    if pending is None:
        return
    if not _stale(pending):
        raise ImportInProgress(pending)
    _delete_batch(db, int(pending["batch"]))
    db.execute("DELETE FROM settings WHERE key = ?", [PENDING_KEY])


def recover(db: sqlite_utils.Database) -> bool:
    """Undo a dead (stale) pending import: delete its customers and clear the mark. True if one was undone."""
    with transaction(db):
        pending = pending_import(db)
        if pending is None or not _stale(pending):
            return False
        refuse_while_importing(db)
    return True


def _delete_batch(db: sqlite_utils.Database, batch: int) -> None:
    """Delete a batch's customers (never counted in ``frame_cells``, so without the count triggers)."""
    drop_triggers(db)
    db.execute("DELETE FROM customers WHERE import_batch = ?", [batch])
    create_triggers(db)


def _begin(db: sqlite_utils.Database, by: str | None) -> int:
    with transaction(db):
        refuse_while_importing(db)
        last = db.execute("SELECT MAX(import_batch) FROM customers").fetchone()[0] or 0
        batch = int(last) + 1
        stamp = now()
        set_setting(db, PENDING_KEY, json.dumps({"batch": batch, "by": by, "started": stamp, "heartbeat": stamp,
                                                 "pid": os.getpid(), "host": socket.gethostname()}))  # fmt: skip
    return batch


def _beat(db: sqlite_utils.Database, batch: int) -> None:
    pending = pending_import(db)
    if pending is None or int(pending["batch"]) != batch:  # someone undid us as stale: stop
        raise ImportInProgress(pending or {"by": "another import", "started": "?"})
    set_setting(db, PENDING_KEY, json.dumps({**pending, "heartbeat": now()}))


def _abort(db: sqlite_utils.Database, batch: int) -> None:
    if db.conn.in_transaction:
        db.conn.execute("ROLLBACK")
    with transaction(db):
        pending = pending_import(db)
        if pending is not None and int(pending["batch"]) == batch:
            _delete_batch(db, batch)
            db.execute("DELETE FROM settings WHERE key = ?", [PENDING_KEY])


def apply_staged(
    db: sqlite_utils.Database,
    *,
    columns: str,
    update_set: str,
    changed: str,
    stamp: str,
    by: str | None,
    deactivate_where: tuple[str, list],
    before_insert: Callable[[int, int, int], None],
    finish: Callable[[int, int, int], None],
    report: Callable[[float], None],
) -> tuple[int, int, int]:
    """Write ``temp.incoming`` (indexed on id) into ``customers`` as described in the module docstring.

    ``columns`` are the frame's column names, ``update_set``/``changed`` the upsert's SET list and its
    "row differs" condition (``customers.…`` vs ``excluded.…``); ``deactivate_where`` the SQL and parameters
    that limit deactivation (a scoped import's regions). ``before_insert(existing, moved, deactivated)`` runs
    before anything is written (raise to refuse, e.g. an unconfirmed deactivation); ``finish(existing, moved,
    deactivated)`` runs first in the final transaction (checks, eligible counts, audit). Returns
    ``(existing, moved, deactivated)``.
    """
    batch = _begin(db, by)
    try:
        # without the lock (a WAL reader blocks no writer): what is new, what changes, who goes
        with transaction(db, immediate=False):
            db.execute("DROP TABLE IF EXISTS temp.changed")
            db.execute(
                f"CREATE TEMP TABLE changed AS SELECT i.* FROM temp.incoming i JOIN customers ON customers.id = i.id"  # noqa: S608
                f" WHERE {changed.replace('excluded.', 'i.')}"
            )
            existing, moved = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.region IS DISTINCT FROM i.region THEN 1 ELSE 0 END), 0)"
                " FROM temp.incoming i JOIN customers c ON c.id = i.id"
            ).fetchone()
            scope_sql, scope_params = deactivate_where
            db.execute("DROP TABLE IF EXISTS temp.gone")
            db.execute(
                "CREATE TEMP TABLE gone AS SELECT id FROM customers WHERE active = 1"  # noqa: S608 (fixed text)
                " AND NOT EXISTS (SELECT 1 FROM temp.incoming i WHERE i.id = customers.id)" + scope_sql,
                scope_params,
            )
            deactivated = db.execute("SELECT COUNT(*) FROM temp.gone").fetchone()[0]
            first, last = db.execute("SELECT MIN(rowid), MAX(rowid) FROM temp.incoming").fetchone()
        before_insert(existing, moved, deactivated)
        first, last = first or 1, last or 0
        for lo in range(first, last + 1, COMMIT_ROWS):  # the new customers, one short transaction a chunk
            with transaction(db):
                _beat(db, batch)
                drop_triggers(db)
                db.execute(
                    f"INSERT INTO customers ({columns}, prn, active, updated_at, import_batch)"  # noqa: S608
                    f" SELECT {columns}, prn, 1, ?, ? FROM temp.incoming i WHERE i.rowid >= ? AND i.rowid < ?"
                    " AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = i.id)",
                    [stamp, batch, lo, lo + COMMIT_ROWS],
                )
                create_triggers(db)
            report(0.80 + 0.12 * min(lo + COMMIT_ROWS - first, last - first + 1) / max(last - first + 1, 1))
        with transaction(db):  # the switch: changes, deactivations, counts, audit — then the batch counts
            _beat(db, batch)
            drop_triggers(db)
            finish(existing, moved, deactivated)
            db.execute(
                f"INSERT INTO customers ({columns}, prn, active, updated_at)"  # noqa: S608
                f" SELECT {columns}, prn, 1, ? FROM temp.changed WHERE true"
                f" ON CONFLICT(id) DO UPDATE SET {update_set}",
                [stamp],
            )
            db.execute(
                "UPDATE customers SET active = 0, updated_at = ? WHERE id IN (SELECT id FROM temp.gone)",
                [stamp],
            )
            create_triggers(db)
            db.execute("DELETE FROM settings WHERE key = ?", [PENDING_KEY])
    except BaseException:
        _abort(db, batch)
        raise
    finally:
        if not db.conn.in_transaction:
            db.execute("DROP TABLE IF EXISTS temp.changed")
            db.execute("DROP TABLE IF EXISTS temp.gone")
    return existing, moved, deactivated
