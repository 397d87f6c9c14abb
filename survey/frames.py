"""Storing a validated customer frame: add, update in place (PRN kept), deactivate vanished."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlite_utils

from sampling.prn import prn_array
from survey.rounds import frame_salt
from survey.store import audit, now, transaction

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


@dataclass(frozen=True)
class ImportSummary:
    added: int
    updated: int
    deactivated: int

    @property
    def total(self) -> int:
        return self.added + self.updated


def store_frame(
    db: sqlite_utils.Database, frame: pd.DataFrame, *, by: str | None = None, source: str = ""
) -> ImportSummary:
    """Write a validated frame in ONE transaction (all or nothing).

    New customers get their permanent random number from the frame's salt; existing ones
    are updated in place and keep theirs (permanent, Ohlsson 1995); customers missing from
    the new frame are marked inactive, never deleted (their past answers stay linked).
    """
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing!r}")
    data = frame.loc[:, list(FRAME_COLUMNS)].copy()
    data["id"] = data["id"].astype(str)
    stamp = now()
    with transaction(db):
        salt = frame_salt(db)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_ids (id TEXT PRIMARY KEY)")
        db.execute("DELETE FROM incoming_ids")
        db.conn.executemany("INSERT INTO incoming_ids (id) VALUES (?)", ((i,) for i in data["id"]))
        existing = db.execute(
            "SELECT COUNT(*) FROM incoming_ids i JOIN customers c ON c.id = i.id"
        ).fetchone()[0]
        deactivated = db.execute(
            "UPDATE customers SET active = 0, updated_at = ? WHERE active = 1"
            " AND id NOT IN (SELECT id FROM incoming_ids)",
            [stamp],
        ).rowcount
        data["prn"] = prn_array(salt, data["id"])
        records = (
            data.assign(
                complaints_12m=data["complaints_12m"].astype(int),
                opted_out=data["opted_out"].astype(bool).astype(int),
                has_valid_phone=data["has_valid_phone"].astype(bool).astype(int),
            )
            .astype(object)
            .where(data.notna(), None)
        )
        db.conn.executemany(
            """
            INSERT INTO customers (id, name, phone, region, district, customer_type, urban_rural, complaints_12m,
                                   opted_out, has_valid_phone, prn, active, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, phone = excluded.phone, region = excluded.region,
                district = excluded.district, customer_type = excluded.customer_type,
                urban_rural = excluded.urban_rural, complaints_12m = excluded.complaints_12m,
                opted_out = excluded.opted_out, has_valid_phone = excluded.has_valid_phone,
                active = 1, updated_at = excluded.updated_at
            """,
            (tuple(r) + (stamp,) for r in records.itertuples(index=False, name=None)),
        )
        db.execute("DELETE FROM incoming_ids")
        summary = ImportSummary(len(data) - existing, existing, deactivated)
        audit(
            db,
            by,
            "import_frame",
            f"{source} added={summary.added} updated={summary.updated} deactivated={summary.deactivated}",
        )
    return summary


def frame_overview(db: sqlite_utils.Database) -> pd.DataFrame:
    """Active customers per region and customer type."""
    rows = db.execute(
        "SELECT region, customer_type, COUNT(*) FROM customers WHERE active = 1 GROUP BY region, customer_type"
    ).fetchall()
    return pd.DataFrame(rows, columns=["region", "customer_type", "customers"])
