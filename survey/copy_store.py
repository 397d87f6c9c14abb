"""Move an installation: copy a SQLite store into a PostgreSQL store and prove the copy is whole.

:func:`copy_store` reads every table of the source in one snapshot, writes it into the (migrated, otherwise
unused) target in one transaction with ``COPY``, moves each identity past the copied ids, then compares row counts
and an order-independent checksum per table (the sum of the SHA-256 of each row's canonical text, so the two
databases' sort orders and collations do not matter). Any difference rolls the whole copy back. The audit log is
copied like any table; the copy itself is then one more audit line on the target.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from survey import dialect
from survey.store import audit, db_identity, open_db, transaction

#: Tables the copy never writes: the target's migrations are its own (the versions must match).
SKIPPED = {"schema_migrations"}
#: Tables a new store seeds itself (the region list, migration 7): replaced by the source's rows.
SEEDED = {"regions", "region_districts", "customer_types", "place_aliases", "settings"}


class CopyStoreError(Exception):
    "The store cannot be copied, or the copy differs from the source."


@dataclass(frozen=True)
class TableCopy:
    """One table copied: its name, rows in the source and in the target, and both checksums."""

    table: str
    rows: int
    target_rows: int
    checksum: str
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.rows == self.target_rows and self.checksum == self.target_checksum


def _canonical(value) -> str:
    """One value as text both databases give back alike (a float by its repr, bytes as hex, NULL as \\0)."""
    if value is None:
        return "\0"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "x" + bytes(value).hex()
    return str(value)


def table_checksum(db, table: str, columns: list[str]) -> tuple[int, str]:
    """``(rows, checksum)`` of ``table``: the sum mod 2**256 of the SHA-256 of each row's canonical text."""
    total, rows = 0, 0
    cols = ", ".join(columns)
    for row in db.execute(f"SELECT {cols} FROM {table}"):  # noqa: S608 (names from the source's schema)
        digest = hashlib.sha256("\x1f".join(_canonical(v) for v in row).encode("utf-8")).digest()
        total = (total + int.from_bytes(digest, "big")) % 2**256
        rows += 1
    return rows, f"{total:064x}"


def _columns(db, table: str) -> list[str]:
    if dialect.name(db) == dialect.SQLITE:
        return [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    return [
        r[0]
        for r in db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? ORDER BY ordinal_position",
            [table],
        )
    ]


def _order(db, tables: list[str]) -> list[str]:
    """``tables`` with every table after the tables its foreign keys point to (SQLite's schema)."""
    needs = {
        t: {r[2] for r in db.execute(f"PRAGMA foreign_key_list({t})")} - {t} for t in tables
    }  # fmt: skip
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and needs[t] <= set(ordered)]
        if not ready:
            raise CopyStoreError(f"circular foreign keys among {sorted(set(tables) - set(ordered))!r}")
        ordered.extend(sorted(ready))
    return ordered


def copy_store(source, target_url: str, *, by: str | None = None) -> list[TableCopy]:
    """Copy the SQLite store ``source`` (a path) into the PostgreSQL store at ``target_url``; verified.

    The target must be a new store: migrated to the same schema version (``open_db`` does that) and without
    customers, rounds, responses, accounts or audit lines. Returns one :class:`TableCopy` per table.
    """
    if not dialect.is_database_url(target_url):
        raise CopyStoreError(f"target must be a postgresql:// URL, but got {target_url!r}")
    src = open_db(source, create=False)
    dst = open_db(target_url)
    try:
        versions = [
            sorted(r[0] for r in d.execute("SELECT version FROM schema_migrations")) for d in (src, dst)
        ]
        if versions[0] != versions[1]:
            raise CopyStoreError(f"schema versions differ: source {versions[0]!r}, target {versions[1]!r}")
        tables = sorted(
            t for t in src.table_names() if t not in SKIPPED and not t.startswith("sqlite_")
        )  # fmt: skip
        missing = sorted(set(tables) - set(dst.table_names()))
        if missing:
            raise CopyStoreError(f"target has no table {missing!r}")
        used = [t for t in tables if t not in SEEDED and dst.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()]  # noqa: S608
        if used:
            raise CopyStoreError(
                f"target {db_identity(dst)} is in use (rows in {', '.join(used)}): copy into a new database"
            )
        order = _order(src, tables)
        results: list[TableCopy] = []
        with transaction(src, immediate=False), transaction(dst):
            # a snapshot of the source; the target under its write lock, all or nothing
            from survey.migrations.m0002_eligible_prn_indexes import TRIGGERS

            dialect.drop_triggers(dst, TRIGGERS)  # frame_cells is copied as it is, not recounted per row
            for table in reversed(order):
                dst.execute(f"DELETE FROM {table}")  # noqa: S608 (the seeded rows; the rest is empty)
            sums = {}
            for table in order:
                columns = [c for c in _columns(src, table) if c in set(_columns(dst, table))]
                cols = ", ".join(columns)
                rows = src.execute(f"SELECT {cols} FROM {table}")  # noqa: S608
                dialect.bulk_insert(dst, table, columns, rows)
                sums[table] = columns, table_checksum(src, table, columns)
            for table, (column, _kind) in _identities(dst).items():
                dialect.sync_identity(dst, table, column)
            for table in order:
                columns, (n, checksum) = sums[table]
                n_dst, checksum_dst = table_checksum(dst, table, columns)
                results.append(TableCopy(table, n, n_dst, checksum, checksum_dst))
            bad = [r for r in results if not r.ok]
            if bad:
                raise CopyStoreError(
                    "the copy differs from the source in "
                    + ", ".join(f"{r.table} ({r.rows} vs {r.target_rows} rows)" for r in bad)
                    + "; nothing was written"
                )
            audit(
                dst, by, "copy_store",
                f"from={db_identity(src)} tables={len(results)} rows={sum(r.rows for r in results)}",
            )  # fmt: skip
        return results
    finally:
        src.conn.close()
        dst.conn.close()


def _identities(db) -> dict[str, tuple[str, str]]:
    """``table -> (column, "identity")`` of the target's identity columns."""
    return {
        r[0]: (r[1], "identity")
        for r in db.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
    }
