"""Storing a validated customer frame: add, update in place (PRN kept), deactivate vanished.

Fast path (benchmarks/bench_import.py, step timings in ``ImportSummary.timings``):

- rows are sorted by id unless they already are (so the primary-key index is filled by appending); a frame
  whose ids strictly increase (as exported, and as ``read_frame`` already checked) needs neither a sort nor
  a duplicate check, one vectorised comparison of neighbours tells;
- PRNs are hashed in a worker process, chunk after chunk, while the rows of the chunks already hashed are
  inserted (:func:`sampling.prn.prn_chunks`): the hashing costs only the wait for the first chunk;
- region, district, customer type, urban/rural, complaints and the two flags take a few thousand distinct
  combinations ("cells", ``cell_codes``): each row is bound as 5 values (id, name, phone, prn, cell code)
  instead of 11, in multi-row ``INSERT … SELECT … FROM (VALUES (…), (…), …) CROSS JOIN temp.frame_cellmap``
  statements of ``ROWS_PER_INSERT`` rows (binding is per value, stepping per statement); the stored rows
  are the same. A frame with a missing cell value takes the plain 11-values path;
- a first import into an empty table drops the draw index and its count triggers and builds the index once
  at the end; a re-import loads a temporary table and merges it with one ``INSERT … ON CONFLICT``;
- the eligible counts per cell (``frame_cells``) are computed from the frame in memory (a ``bincount`` of the
  cell codes): after an import the active customers are exactly the frame's rows, so no scan of
  ``customers`` is needed.

Measured, inserting in PRN order instead of id order makes the index build ~2 s faster on 1M rows but the
primary-key inserts ~4 s slower; ``temp_store = MEMORY`` did not change the index build. Everything happens in
ONE transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, closing

import pandas as pd
import sqlite_utils

from sampling.frame_cells import strictly_increasing
from sampling.prn import prn_chunks
from survey import dialect
from survey.access import NotPermitted, outside_scope
from survey.frame_apply import apply_staged, refuse_while_importing, visible
from survey.frame_rows import (
    CELL_VALUE_COLUMNS,
    CHANGED,
    CHUNK,
    COLUMNS_SQL,
    FRAME_COLUMNS,
    IMPORT_CACHE_KIB,
    INDEX_CACHE_KIB,
    UPSERT_SET,
    Clock,
    DeactivationNotConfirmed,
    ImportSummary,
    audit_import,
    cell_codes,
    column_lists,
    insert_rows,
    text_list,
    write_cells,
    write_cells_from_codes,
)
from survey.migrations.m0002_eligible_prn_indexes import (
    create_indexes,
    create_triggers,
    drop_indexes,
    drop_triggers,
)
from survey.rounds import frame_salt
from survey.store import get_setting, now, transaction
from survey.users import region_filter


def store_frame(
    db: sqlite_utils.Database,
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    source: str = "",
    progress: Callable[[float], None] | None = None,
    allow_deactivation: bool = True,
    scope: str | None = None,
    checks: Callable[[], None] | None = None,
) -> ImportSummary:
    """Write a validated frame in ONE transaction (all or nothing).

    A re-import is first loaded into a staging table (``temp.incoming``) without the write lock — PRNs,
    conversion and inserts, most of the time of a large import — and then merged in the one write
    transaction, so customers' drafts and submissions are not blocked meanwhile (a 2.93M-row import held
    the lock 85 s before). ``checks`` runs first inside that transaction (a failure there changes nothing).
    Called inside a caller's transaction, everything happens under the caller's lock, as before.

    Regions and customer types are written as given: resolve them onto the list first
    (:func:`survey.frame_import.import_frame` does). With ``allow_deactivation=False`` an import that would
    mark anyone inactive raises :class:`DeactivationNotConfirmed` and changes nothing.

    New customers get their permanent random number from the frame's salt; existing ones
    are updated in place and keep theirs (permanent, Ohlsson 1995); customers missing from
    the new frame are marked inactive, never deleted (their past answers stay linked).
    ``progress`` is called with the fraction done (0–1) while rows are written.

    ``scope`` (a region scope, None = all regions) is the importing user's: only customers of those regions
    who are missing from the frame are deactivated, the others' regions are left as they are. The frame's
    rows must all be of those regions (:func:`survey.frame_import.import_frame` checks it).
    """
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing!r}")
    foreign = outside_scope(scope, pd.unique(frame["region"].dropna()))
    if foreign:
        raise NotPermitted(f"the frame holds rows of regions outside the scope {scope}: {', '.join(foreign)}")
    report = progress or (lambda fraction: None)
    clock = Clock()
    data = frame.loc[:, list(FRAME_COLUMNS)]
    ids = data["id"].astype(str)
    if strictly_increasing(ids):  # sorted distinct ids (as exported, checked in one vectorised pass)
        data = data.reset_index(drop=True).assign(id=ids.reset_index(drop=True))
    else:
        if not ids.is_monotonic_increasing:
            order = ids.argsort(kind="stable").to_numpy()
            data, ids = data.take(order), ids.take(order)
        data = data.reset_index(drop=True).assign(id=ids.reset_index(drop=True))
        if len(data) > 1 and (data["id"].iloc[1:].to_numpy() == data["id"].iloc[:-1].to_numpy()).any():
            raise ValueError(
                "frame has duplicate customer ids; validate it with sampling.frame.read_frame first"
            )
    clock.lap("sort")
    stamp = now()
    with dialect.import_tuning(db, IMPORT_CACHE_KIB):
        summary = _store(db, data, stamp, by, source, report, clock, allow_deactivation, scope, checks)
    report(1.0)
    return summary


def _load(
    db, data: pd.DataFrame, salt: str, target: str, stamp: str, report, clock: Clock, cleanup
) -> tuple | None:
    """Insert the rows of ``data`` with their PRNs into ``target`` (``customers`` on a first import, else
    ``temp.incoming``); returns ``cell_codes(data)``."""
    n = len(data)
    id_list = data["id"].tolist()  # also bound, chunk by chunk, on the cell-code path
    # hashed in a worker process, chunk after chunk, while the rows of the chunks done are inserted
    prns = cleanup.enter_context(closing(prn_chunks(salt, id_list, CHUNK)))  # closed even on failure
    clock.lap("prn")
    report(0.05)
    if target == "customers":
        extra_cols, extra_values = ", active, updated_at", f", 1, '{stamp}'"
    else:
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS incoming AS SELECT "  # noqa: S608 (constant column names)
            + COLUMNS_SQL + ", prn FROM customers WHERE 1 = 0"
        )  # fmt: skip
        dialect.add_rowid(db, "incoming")  # the chunks of survey.frame_apply.apply_staged
        db.execute("DELETE FROM incoming")
        extra_cols, extra_values = "", ""
    t0 = time.perf_counter()
    cells = cell_codes(data)
    convert = time.perf_counter() - t0
    copy = dialect.has_copy(db)  # PostgreSQL: COPY the plain columns (the cell codes still count frame_cells)
    if copy:
        extra = [1, stamp] if target == "customers" else []
        copy_cols = [*FRAME_COLUMNS, "prn", *(["active", "updated_at"] if extra else [])]

        def sql(k: int) -> str:  # noqa: ARG001 - not used on the COPY path
            return ""

    elif cells is None:
        row = f"(?,?,?,?,?,?,?,?,?,?,?{extra_values})"

        def sql(k: int) -> str:
            return f"INSERT INTO {target} ({COLUMNS_SQL}, prn{extra_cols}) VALUES {', '.join([row] * k)}"  # noqa: S608

    else:
        code, table = cells
        cell_cols = ", ".join(CELL_VALUE_COLUMNS)
        db.execute(f"CREATE TEMP TABLE IF NOT EXISTS frame_cellmap (code INTEGER PRIMARY KEY, {cell_cols})")
        db.execute("DELETE FROM temp.frame_cellmap")
        db.conn.executemany(
            f"INSERT INTO temp.frame_cellmap VALUES ({', '.join('?' * (1 + len(CELL_VALUE_COLUMNS)))})",  # noqa: S608
            [(i, *values) for i, values in enumerate(table)],
        )
        picked = ", ".join(f"c.{c}" for c in CELL_VALUE_COLUMNS)

        def sql(k: int) -> str:  # CROSS JOIN keeps the VALUES rows (in id order) as the outer loop
            return (
                f"INSERT INTO {target} (id, name, phone, prn, {cell_cols}{extra_cols})"  # noqa: S608
                f" SELECT v.column1, v.column2, v.column3, v.column4, {picked}{extra_values}"
                f" FROM (VALUES {', '.join(['(?,?,?,?,?)'] * k)}) AS v"
                " CROSS JOIN temp.frame_cellmap AS c ON c.code = v.column5"
            )

    wait = 0.0
    for lo in range(0, n, CHUNK):  # converted chunk by chunk: the Python objects of one chunk at a time
        t0 = time.perf_counter()
        part = data.iloc[lo : lo + CHUNK]
        if cells is None or copy:
            columns = column_lists(part)
        else:
            columns = [
                id_list[lo : lo + CHUNK],
                *(text_list(part[c], False) for c in ("name", "phone")),
                code[lo : lo + CHUNK].tolist(),
            ]
        t1 = time.perf_counter()
        columns.insert(len(FRAME_COLUMNS) if cells is None or copy else 3, next(prns).tolist())
        t2 = time.perf_counter()
        convert, wait = convert + (t1 - t0), wait + (t2 - t1)
        if copy:
            dialect.bulk_insert(
                db, target, copy_cols, (row + tuple(extra) for row in zip(*columns, strict=True))
            )
        else:
            insert_rows(db, sql, columns)
        report(0.05 + 0.75 * min(lo + CHUNK, n) / max(n, 1))
    if cells is not None and not copy:
        db.execute("DROP TABLE temp.frame_cellmap")
    clock.lap("insert")
    clock.steps[-1:] = [
        ("prn wait", wait),
        ("columns", convert),
        ("insert", clock.steps[-1][1] - convert - wait),
    ]
    return cells


def _stage(db, data: pd.DataFrame, stamp: str, report, clock: Clock, cleanup) -> tuple | None:
    """Load a re-import into ``temp.incoming`` WITHOUT the write lock (the long part of an import: PRNs,
    conversion, inserts, its index), so customers' drafts and submissions go on meanwhile.

    Temp tables live in the connection's own temp database: the deferred transaction writes only there and
    merely reads ``customers``' schema (a WAL reader does not block writers). Returns the cell codes.
    """
    salt = get_setting(db, "prn_salt")
    if salt is None:  # normally set by the first import; created in a short transaction otherwise
        with transaction(db):
            salt = frame_salt(db)
    cleanup.callback(_drop_staging, db)
    with transaction(db, immediate=False):
        cells = _load(db, data, salt, "temp.incoming", stamp, report, clock, cleanup)
        db.execute("CREATE INDEX IF NOT EXISTS temp.idx_incoming_id ON incoming (id)")
    clock.lap("stage index")
    return cells


def _drop_staging(db) -> None:
    """Free the staged rows (the app's connection lives long) once the import is over, stored or not."""
    if not db.conn.in_transaction:
        db.execute("DROP TABLE IF EXISTS temp.incoming")


def _store(
    db,
    data,
    stamp: str,
    by,
    source: str,
    report,
    clock: Clock,
    allow_deactivation: bool = True,
    scope: str | None = None,
    checks: Callable[[], None] | None = None,
) -> ImportSummary:
    with ExitStack() as cleanup:
        outer = db.conn.in_transaction  # inside a caller's transaction everything happens under its lock
        if not outer and db.execute("SELECT EXISTS (SELECT 1 FROM customers)").fetchone()[0]:
            cells = _stage(db, data, stamp, report, clock, cleanup)
            summary = _apply(db, data, cells, stamp, by, source, report, clock, allow_deactivation, scope,
                             checks)  # fmt: skip
        else:
            with transaction(db):
                summary = _merge(db, data, stamp, by, source, report, clock, allow_deactivation, scope, checks,
                                 cleanup)  # fmt: skip
    clock.lap("commit")
    return ImportSummary(
        summary.added, summary.updated, summary.deactivated, tuple(clock.steps), summary.moved
    )


def _apply(
    db, data, cells, stamp, by, source, report, clock, allow_deactivation, scope, checks
) -> ImportSummary:
    """A staged re-import written in short transactions (:func:`survey.frame_apply.apply_staged`): the new
    customers in chunks, then one final transaction with the caller's checks, the changed and vanished
    customers, the eligible counts and the audit line — all or nothing."""

    def before_insert(existing: int, moved: int, deactivated: int) -> None:
        if deactivated and not allow_deactivation:
            raise DeactivationNotConfirmed(
                f"the import would mark {deactivated:,} customers inactive (not in the new frame);"
                " confirm the deactivation to import"
            )

    def finish(existing: int, moved: int, deactivated: int) -> None:
        if checks is not None:
            checks()  # e.g. survey.frame_import's scope and region-list checks, in the final transaction
        if cells is None:
            write_cells(db, data, scope)
        else:
            write_cells_from_codes(db, *cells, scope)
        audit_import(
            db, by, source, ImportSummary(len(data) - existing, existing, deactivated, moved=moved), scope
        )

    existing, moved, deactivated = apply_staged(
        db, columns=COLUMNS_SQL, update_set=UPSERT_SET, changed=CHANGED, stamp=stamp, by=by,
        deactivate_where=region_filter("customers.region", scope), before_insert=before_insert, finish=finish,
        report=report,
    )  # fmt: skip
    clock.lap("merge")
    report(0.95)
    return ImportSummary(len(data) - existing, existing, deactivated, moved=moved)


def _merge(
    db, data, stamp, by, source, report, clock, allow_deactivation, scope, checks, cleanup
) -> ImportSummary:
    """Everything under one write lock (a first import into an empty table, or inside a caller's
    transaction): the caller's checks, the load, the merge or the first import's index, the cells, the
    triggers and the audit line — all or nothing."""
    n = len(data)
    if checks is not None:
        checks()  # e.g. survey.frame_import's scope and region-list checks, in this same transaction
    salt = frame_salt(db)
    refuse_while_importing(db)
    first = db.execute("SELECT NOT EXISTS (SELECT 1 FROM customers)").fetchone()[0]
    drop_triggers(db)  # per-row count triggers; the counts are rebuilt once at the end
    if first:
        drop_indexes(db)
        cells = _load(db, data, salt, "customers", stamp, report, clock, cleanup)
    else:
        cells = _load(db, data, salt, "temp.incoming", stamp, report, clock, cleanup)
    if first:
        # A small page cache splits SQLite's sort into runs that worker threads sort in parallel
        # (PRAGMA threads; not with temp_store = MEMORY): ~2x faster index build on 2 cores.
        dialect.set_cache_kib(db, INDEX_CACHE_KIB)
        create_indexes(db)
        dialect.set_cache_kib(db, IMPORT_CACHE_KIB)
        existing, deactivated, moved = 0, 0, 0
        clock.lap("index")
    else:
        db.execute("CREATE INDEX IF NOT EXISTS temp.idx_incoming_id ON incoming (id)")
        existing, moved = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.region IS DISTINCT FROM i.region THEN 1 ELSE 0 END), 0)"
            " FROM temp.incoming i JOIN customers c ON c.id = i.id"
        ).fetchone()
        # a scoped import deactivates only customers of its regions
        in_scope, scope_params = region_filter("customers.region", scope)
        deactivated = db.execute(
            "UPDATE customers SET active = 0, updated_at = ? WHERE active = 1"  # noqa: S608 (fixed text)
            " AND NOT EXISTS (SELECT 1 FROM temp.incoming i WHERE i.id = customers.id)" + in_scope,
            [stamp, *scope_params],
        ).rowcount
        if deactivated and not allow_deactivation:
            raise DeactivationNotConfirmed(
                f"the import would mark {deactivated:,} customers inactive (not in the new frame);"
                " confirm the deactivation to import"
            )
        db.execute(
            f"INSERT INTO customers ({COLUMNS_SQL}, prn, active, updated_at)"  # noqa: S608
            f" SELECT {COLUMNS_SQL}, prn, 1, ? FROM temp.incoming WHERE true"
            f" ON CONFLICT(id) DO UPDATE SET {UPSERT_SET} WHERE {CHANGED}",
            [stamp],
        )
        db.execute("DROP TABLE temp.incoming")
        clock.lap("merge")
    if cells is None:
        write_cells(db, data, scope)
    else:
        write_cells_from_codes(db, *cells, scope)
    create_triggers(db)
    clock.lap("cells")
    report(0.95)
    summary = ImportSummary(n - existing, existing, deactivated, moved=moved)
    audit_import(db, by, source, summary, scope)
    return summary


def frame_overview(db: sqlite_utils.Database, region: str | None = None) -> pd.DataFrame:
    """Active customers per region and customer type (one region's only when ``region`` is given)."""
    hidden_sql, params = visible(db)  # a running import's new customers count once it has finished
    sql = "SELECT region, customer_type, COUNT(*) FROM customers WHERE active = 1" + hidden_sql  # noqa: S608
    scope_sql, scope_params = region_filter("region", region)
    sql += scope_sql
    params.extend(scope_params)
    rows = db.execute(
        sql + " GROUP BY region, customer_type ORDER BY region, customer_type", params
    ).fetchall()
    return pd.DataFrame(rows, columns=["region", "customer_type", "customers"])
