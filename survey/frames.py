"""Storing a validated customer frame: add, update in place (PRN kept), deactivate vanished.

Fast path (benchmarks/bench_import.py): PRNs are hashed in bulk, rows go to SQLite with
``executemany`` in chunks from column lists (no per-row pandas objects), and a first import into an
empty table drops the draw indexes, inserts in id order and builds the indexes once at the end.
A re-import loads the file into a temporary table and merges it with one ``INSERT … ON CONFLICT``.
Everything happens in ONE transaction: a failure leaves the database as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from sampling.prn import prn_array
from survey.migrations.m0002_eligible_prn_indexes import (
    create_indexes,
    create_triggers,
    drop_indexes,
    drop_triggers,
    rebuild_cells,
)
from survey.rounds import frame_salt
from survey.store import audit, now, transaction
from survey.users import region_filter

FRAME_COLUMNS = (
    "id",
    "name",
    "phone",
    "region",
    "district",
    "customer_type",
    "urban_rural",
    "complaints_12m",
    "opted_out",
    "has_valid_phone",
)
CHUNK = 100_000
IMPORT_CACHE_KIB = -131_072  # 128 MiB page cache while importing (negative = KiB)
_COLS = ", ".join(FRAME_COLUMNS)
_UPSERT_SET = """name = excluded.name, phone = excluded.phone, region = excluded.region,
    district = excluded.district, customer_type = excluded.customer_type, urban_rural = excluded.urban_rural,
    complaints_12m = excluded.complaints_12m, opted_out = excluded.opted_out,
    has_valid_phone = excluded.has_valid_phone, active = 1, updated_at = excluded.updated_at"""


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: customers added, updated in place, and marked inactive."""

    added: int
    updated: int
    deactivated: int

    @property
    def total(self) -> int:
        return self.added + self.updated


def _columns(data: pd.DataFrame, prns) -> list[list]:
    """Plain Python column lists in FRAME_COLUMNS order plus prn (None for missing text)."""
    out = []
    for col in FRAME_COLUMNS:
        s = data[col]
        if col in ("opted_out", "has_valid_phone"):
            out.append(s.astype(bool).astype(int).tolist())
        elif col == "complaints_12m":
            out.append(s.astype(int).tolist())
        else:
            values = s.astype(object)
            out.append(values.where(s.notna(), None).tolist() if s.isna().any() else values.tolist())
    out.append(prns.tolist())
    return out


def store_frame(
    db: sqlite_utils.Database,
    frame: pd.DataFrame,
    *,
    by: str | None = None,
    source: str = "",
    progress: Callable[[float], None] | None = None,
) -> ImportSummary:
    """Write a validated frame in ONE transaction (all or nothing).

    New customers get their permanent random number from the frame's salt; existing ones
    are updated in place and keep theirs (permanent, Ohlsson 1995); customers missing from
    the new frame are marked inactive, never deleted (their past answers stay linked).
    ``progress`` is called with the fraction done (0–1) while rows are written.
    """
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing!r}")
    if frame["id"].astype(str).duplicated().any():
        raise ValueError("frame has duplicate customer ids; validate it with sampling.frame.read_frame first")
    report = progress or (lambda fraction: None)
    data = frame.loc[:, list(FRAME_COLUMNS)]
    data = data.assign(id=data["id"].astype(str)).sort_values("id", kind="stable")
    stamp = now()
    cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    try:
        summary = _store(db, data, stamp, by, source, report)
    finally:
        db.execute(f"PRAGMA cache_size = {int(cache)}")
    report(1.0)
    return summary


def _store(db, data: pd.DataFrame, stamp: str, by: str | None, source: str, report) -> ImportSummary:
    n = len(data)
    with transaction(db):
        salt = frame_salt(db)
        prns = prn_array(salt, data["id"])
        report(0.2)
        first = db.execute("SELECT NOT EXISTS (SELECT 1 FROM customers)").fetchone()[0]
        drop_triggers(db)  # per-row count triggers; the counts are rebuilt once at the end
        if first:
            drop_indexes(db)
            target = "customers"
        else:
            db.execute(
                "CREATE TEMP TABLE IF NOT EXISTS incoming AS SELECT "  # noqa: S608 (constant column names)
                + _COLS + ", prn FROM customers WHERE 0"
            )  # fmt: skip
            db.execute("DELETE FROM incoming")
            target = "temp.incoming"
        sql = (
            f"INSERT INTO {target} ({_COLS}, prn, active, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,1,'{stamp}')"  # noqa: S608
            if first
            else f"INSERT INTO {target} ({_COLS}, prn) VALUES (?,?,?,?,?,?,?,?,?,?,?)"  # noqa: S608
        )
        for lo in range(0, n, CHUNK):
            columns = _columns(data.iloc[lo : lo + CHUNK], prns[lo : lo + CHUNK])
            db.conn.executemany(sql, zip(*columns, strict=True))
            report(0.2 + 0.6 * min(lo + CHUNK, n) / max(n, 1))
        if first:
            create_indexes(db)
            existing, deactivated = 0, 0
        else:
            db.execute("CREATE INDEX IF NOT EXISTS temp.idx_incoming_id ON incoming (id)")
            existing = db.execute(
                "SELECT COUNT(*) FROM temp.incoming i JOIN customers c ON c.id = i.id"
            ).fetchone()[0]
            deactivated = db.execute(
                "UPDATE customers SET active = 0, updated_at = ? WHERE active = 1"
                " AND NOT EXISTS (SELECT 1 FROM temp.incoming i WHERE i.id = customers.id)",
                [stamp],
            ).rowcount
            db.execute(
                f"INSERT INTO customers ({_COLS}, prn, active, updated_at)"  # noqa: S608
                f" SELECT {_COLS}, prn, 1, ? FROM temp.incoming WHERE true"
                f" ON CONFLICT(id) DO UPDATE SET {_UPSERT_SET}",
                [stamp],
            )
            db.execute("DROP TABLE temp.incoming")
        rebuild_cells(db)
        create_triggers(db)
        report(0.95)
        summary = ImportSummary(n - existing, existing, deactivated)
        audit(
            db,
            by,
            "import_frame",
            f"{source} added={summary.added} updated={summary.updated} deactivated={summary.deactivated}",
        )
    return summary


def frame_overview(db: sqlite_utils.Database, region: str | None = None) -> pd.DataFrame:
    """Active customers per region and customer type (one region's only when ``region`` is given)."""
    sql = "SELECT region, customer_type, COUNT(*) FROM customers WHERE active = 1"
    params = []
    scope_sql, scope_params = region_filter("region", region)
    sql += scope_sql
    params.extend(scope_params)
    rows = db.execute(
        sql + " GROUP BY region, customer_type ORDER BY region, customer_type", params
    ).fetchall()
    return pd.DataFrame(rows, columns=["region", "customer_type", "customers"])
