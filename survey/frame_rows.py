"""How a validated frame's rows travel to the store, shared by the in-memory import (:mod:`survey.frames`)
and the streamed file import (:mod:`survey.frame_file_import`): the frame columns and the SQL spelled from them,
plain Python column lists for binding, cell codes (a row bound as 5 values instead of 11), the eligible counts
per cell (``frame_cells``), the import's summary and its audit line."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
import sqlite_utils

from survey.migrations.m0002_eligible_prn_indexes import CELL
from survey.store import audit
from survey.users import parse_regions, region_filter

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
#: Text columns with few distinct values (one Python string per distinct value is enough).
CATEGORY_COLUMNS = ("region", "district", "customer_type", "urban_rural")
#: Columns whose distinct combinations ("cells") are sent as one integer code per row (see ``cell_codes``).
CELL_VALUE_COLUMNS = (*CELL, "complaints_12m", "opted_out", "has_valid_phone")
CHUNK = 100_000
ROWS_PER_INSERT = (
    200  # 5 values a row (cell-code path): 1,000 parameters per statement (SQLite allows 32,766)
)
IMPORT_CACHE_KIB = -131_072  # 128 MiB page cache while importing (negative = KiB)
INDEX_CACHE_KIB = -8_192  # 8 MiB while building the draw index (see _store)
COLUMNS_SQL = ", ".join(FRAME_COLUMNS)
UPSERT_SET = """name = excluded.name, phone = excluded.phone, region = excluded.region,
    district = excluded.district, customer_type = excluded.customer_type, urban_rural = excluded.urban_rural,
    complaints_12m = excluded.complaints_12m, opted_out = excluded.opted_out,
    has_valid_phone = excluded.has_valid_phone, active = 1, updated_at = excluded.updated_at"""


#: A stored customer the upsert rewrites: inactive, or any frame column differs (unchanged rows are not
#: rewritten, so a re-import of the same customers writes little under the lock; their updated_at stays).
CHANGED = "customers.active = 0 OR ({}) IS DISTINCT FROM ({})".format(
    ", ".join(f"customers.{c}" for c in FRAME_COLUMNS[1:]),
    ", ".join(f"excluded.{c}" for c in FRAME_COLUMNS[1:]),
)


class DeactivationNotConfirmed(ValueError):
    "The import would mark customers inactive and that was not confirmed."


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: customers added, updated in place (``moved`` of them to another region), and
    marked inactive.

    ``timings`` holds ``(step, seconds)`` pairs in order (sort, columns, prn, insert, index, cells, commit…).
    """

    added: int
    updated: int
    deactivated: int
    timings: tuple[tuple[str, float], ...] = field(default=(), compare=False)
    moved: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated


class Clock:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        t = time.perf_counter()
        self.steps.append((step, t - self._last))
        self._last = t


def text_list(s: pd.Series, categorical: bool) -> list:
    """A text column as a Python list, None for missing values."""
    if categorical:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        lookup = np.array([*(str(u) for u in uniques), None], dtype=object)  # code -1 (missing) → None
        return lookup[codes].tolist()
    values = s.tolist()
    if s.hasnans:
        for i in np.flatnonzero(s.isna().to_numpy()):
            values[i] = None
    return values


def column_lists(data: pd.DataFrame) -> list[list]:
    """Plain Python column lists in FRAME_COLUMNS order (None for missing text)."""
    out = []
    for col in FRAME_COLUMNS:
        s = data[col]
        if col in ("opted_out", "has_valid_phone"):
            out.append(s.to_numpy(dtype=bool).astype(np.int8).tolist())
        elif col == "complaints_12m":
            out.append(s.to_numpy(dtype=np.int64).tolist())
        else:
            out.append(text_list(s, col in CATEGORY_COLUMNS))
    return out


def insert_rows(db: sqlite_utils.Database, sql: Callable[[int], str], columns: list[list]) -> None:
    """Run ``sql(k)`` (a statement taking k rows of ``len(columns)`` values) over every row of ``columns``,
    ``ROWS_PER_INSERT`` rows a statement."""
    n = len(columns[0])
    full = n - n % ROWS_PER_INSERT
    if full:
        flat = chain.from_iterable(zip(*(c[:full] for c in columns), strict=True))
        db.conn.executemany(
            sql(ROWS_PER_INSERT), zip(*[flat] * (len(columns) * ROWS_PER_INSERT), strict=True)
        )
    if full < n:
        db.conn.executemany(sql(1), zip(*(c[full:] for c in columns), strict=True))


def cell_codes(data: pd.DataFrame) -> tuple[np.ndarray, list[tuple]] | None:
    """One integer code per row for its ``CELL_VALUE_COLUMNS`` values, and the values of each code.

    A million rows fall into a few thousand such cells, so the rows are sent to SQLite as 5 values
    (id, name, phone, prn, code) instead of 11 and joined with the cell table there. None when a cell
    value is missing (those rows take the plain path, which stores NULL).
    """
    key, span = np.zeros(len(data), dtype=np.int64), 1
    for col in CELL_VALUE_COLUMNS:
        codes, uniques = pd.factorize(data[col], use_na_sentinel=True)
        if len(codes) and codes.min() < 0:
            return None
        if (
            span * max(len(uniques), 1) >= 2**62
        ):  # renumber 0…m-1 first so the mixed-radix key cannot overflow
            key = pd.factorize(key)[0]
            span = int(key.max()) + 1 if len(key) else 1
        key = key * len(uniques) + codes
        span *= max(len(uniques), 1)
    key = pd.factorize(key)[0]  # codes 0…m-1 numbered in order of first appearance, so the running maximum
    first = np.flatnonzero(np.diff(np.maximum.accumulate(key), prepend=-1))  # rises at each code's first row
    sample = data.iloc[first]
    values = []
    for col in CELL_VALUE_COLUMNS:
        s = sample[col]
        if col in ("opted_out", "has_valid_phone"):
            values.append(s.to_numpy(dtype=bool).astype(np.int8).tolist())
        elif col == "complaints_12m":
            values.append(s.to_numpy(dtype=np.int64).tolist())
        else:
            values.append([str(v) for v in s.tolist()])
    return key, list(zip(*values, strict=True))


def replace_cells(db: sqlite_utils.Database, eligible: Mapping[tuple, int], scope: str | None) -> None:
    """Replace the eligible counts an import changes with ``eligible`` ({(region, district, customer_type,
    urban_rural): customers}): every cell, or only the cells of a scoped import's regions (the other regions'
    customers are untouched)."""
    scope_sql, scope_params = region_filter("region", scope)
    db.execute("DELETE FROM frame_cells WHERE 1 = 1" + scope_sql, scope_params)  # noqa: S608 (fixed text)
    db.conn.executemany(
        f"INSERT INTO frame_cells ({', '.join(CELL)}, eligible) VALUES (?, ?, ?, ?, ?)",  # noqa: S608
        [(*key, int(count)) for key, count in eligible.items()],
    )


def write_cells(db: sqlite_utils.Database, data: pd.DataFrame, scope: str | None = None) -> None:
    """``frame_cells`` from the imported frame (= the active customers after an import, within ``scope``);
    same values as :func:`survey.migrations.m0002_eligible_prn_indexes.rebuild_cells` (missing text counts as
    '')."""
    mask = ~data["opted_out"].to_numpy(dtype=bool) & data["has_valid_phone"].to_numpy(dtype=bool)
    cells = data.loc[mask, list(CELL)]
    cells = cells.assign(**{c: cells[c].fillna("").astype(str) for c in CELL if cells[c].hasnans})
    replace_cells(db, cells.groupby(list(CELL), sort=False).size().to_dict(), scope)


def write_cells_from_codes(
    db: sqlite_utils.Database, code: np.ndarray, table: list[tuple], scope: str | None = None
) -> None:
    """``frame_cells`` as :func:`write_cells` computes it, by counting the rows of each cell code (no
    group-by over a million text values): a code fixes the cell and the eligibility flags."""
    counts = np.bincount(code, minlength=len(table))
    at = {c: k for k, c in enumerate(CELL_VALUE_COLUMNS)}
    eligible: dict[tuple, int] = {}
    for values, count in zip(table, counts.tolist(), strict=True):
        if count and not values[at["opted_out"]] and values[at["has_valid_phone"]]:
            key = tuple(values[at[c]] for c in CELL)
            eligible[key] = eligible.get(key, 0) + count
    replace_cells(db, eligible, scope)


def audit_import(db, by, source: str, summary: ImportSummary, scope: str | None) -> None:
    """The import's audit line (a blank ``scope`` is an error, never "all regions")."""
    parse_regions(scope)
    audit(
        db,
        by,
        "import_frame",
        f"{source} added={summary.added} updated={summary.updated} moved={summary.moved}"
        f" deactivated={summary.deactivated}" + (f" scope={scope}" if scope else ""),
    )
