"""Fast draws: a covering partial index for the PRN scan and a table of eligible counts per cell.

- ``idx_customers_eligible_region_type_prn`` on ``customers(region, customer_type, prn, id) WHERE eligible``:
  the per-stratum scan ``prn >= a ORDER BY prn, id`` reads the index alone, never the table (SQLite uses a
  partial index when the query's WHERE contains the index's WHERE terms, https://sqlite.org/partialindex.html).
  It replaces the two plain indexes of migration 1 (one index keeps a first import fast; other
  stratifications scan it and sort per stratum).
- ``frame_cells(region, district, customer_type, urban_rural, eligible)``: eligible customers per cell, kept
  exact by triggers, so ``N_h`` of any stratification is a ``GROUP BY`` over a few hundred rows instead of a
  scan of the whole frame. A bulk import drops the triggers and calls :func:`rebuild_cells` at the end.
"""

from __future__ import annotations

import sqlite_utils

from survey import dialect

#: The eligibility condition, spelled exactly as :mod:`survey.rounds` queries it.
ELIGIBLE = "active = 1 AND opted_out = 0 AND has_valid_phone = 1"
CELL = ("region", "district", "customer_type", "urban_rural")

INDEXES = {"idx_customers_eligible_region_type_prn": "region, customer_type, prn, id"}


def _bump(prefix: str, sign: str) -> str:
    cell = ", ".join(f"COALESCE({prefix}.{c}, '')" for c in CELL)
    cond = " AND ".join(f"{prefix}.{c} = 1" if c == "active" else f"{prefix}.{c} = {v}"
                        for c, v in (("active", 1), ("opted_out", 0), ("has_valid_phone", 1)))  # fmt: skip
    return (
        f"INSERT INTO frame_cells ({', '.join(CELL)}, eligible) SELECT {cell}, {sign}1 WHERE {cond}"
        f" ON CONFLICT ({', '.join(CELL)}) DO UPDATE SET eligible = frame_cells.eligible + excluded.eligible;"
    )


#: name -> (when, table, body): SQLite trigger bodies; plpgsql functions on PostgreSQL (survey.dialect).
TRIGGERS = {
    "trg_customers_cells_insert": ("AFTER INSERT", "customers", _bump("NEW", "+")),
    "trg_customers_cells_delete": ("AFTER DELETE", "customers", _bump("OLD", "-")),
    "trg_customers_cells_update": (
        "AFTER UPDATE OF active, opted_out, has_valid_phone, region, district, customer_type, urban_rural",
        "customers",
        f"{_bump('OLD', '-')} {_bump('NEW', '+')}",
    ),
}


def create_indexes(db: sqlite_utils.Database) -> None:
    """Create the draw index (also used after a bulk first import, which drops it while inserting)."""
    dialect.index_build_threads(db)  # SQLite's multi-threaded sorter for the index build
    for name, cols in INDEXES.items():
        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers ({cols}) WHERE {ELIGIBLE}")


def drop_indexes(db: sqlite_utils.Database) -> None:
    for name in INDEXES:
        db.execute(f"DROP INDEX IF EXISTS {name}")


def drop_triggers(db: sqlite_utils.Database) -> None:
    dialect.drop_triggers(db, TRIGGERS)


def create_triggers(db: sqlite_utils.Database) -> None:
    dialect.create_triggers(db, TRIGGERS)


def rebuild_cells(db: sqlite_utils.Database) -> None:
    """Recount ``frame_cells`` from ``customers`` (after a bulk import)."""
    cell = ", ".join(f"COALESCE({c}, '')" for c in CELL)
    db.execute("DELETE FROM frame_cells")
    db.execute(
        f"INSERT INTO frame_cells ({', '.join(CELL)}, eligible)"  # noqa: S608
        f" SELECT {cell}, COUNT(*) FROM customers WHERE {ELIGIBLE} GROUP BY {cell}"
    )


def apply(db: sqlite_utils.Database) -> None:
    db.execute("DROP INDEX IF EXISTS idx_customers_region_type_prn")
    db.execute("DROP INDEX IF EXISTS idx_customers_region_prn")
    db.execute(
        "CREATE TABLE frame_cells (region TEXT NOT NULL, district TEXT NOT NULL, customer_type TEXT NOT NULL,"
        " urban_rural TEXT NOT NULL, eligible INTEGER NOT NULL,"
        " PRIMARY KEY (region, district, customer_type, urban_rural))"
    )
    create_indexes(db)
    rebuild_cells(db)
    create_triggers(db)
