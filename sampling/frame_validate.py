"""Validating a customer frame table into a clean DataFrame (pure); see :mod:`sampling.frame` for the rules.

Every problem is reported at once with its spreadsheet row (header = row 1, first data row = 2), column,
value and a message in Chinese and English; the stored list is capped at ``max_problems`` while
``problem_count`` counts them all.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from sampling.frame_cells import (
    COUNTS,
    as_text,
    blank_column,
    lookup,
    map_distinct,
    normalise_phones,
    strictly_increasing,
    text_lookup,
)
from sampling.frame_headers import resolve_headers
from sampling.frame_read import find_header_row
from sampling.frame_schema import (
    BOOL_VALUES,
    CANONICAL_COLUMNS,
    CUSTOMER_TYPE_ALIASES,
    MAX_CELL_CHARS,
    MAX_PROBLEMS,
    REQUIRED_COLUMNS,
    TYPES_ALLOWED,
    UNKNOWN_ROWS_SHOWN,
    URBAN_RURAL_ALIASES,
    FrameResult,
    UnknownValue,
    failed,
    make_problem,
)
from sampling.places import PlaceList

#: From this many rows on, columns are checked in threads (Arrow's string kernels release the GIL).
PARALLEL_MIN_ROWS = 50_000
#: At most this many distinct unknown values are listed in ``FrameResult.unknown`` (all rows are counted).
MAX_UNKNOWN_VALUES = 100


def check_arguments(mapping: Any, max_problems: Any) -> None:
    """Raise TypeError/ValueError for a malformed ``mapping`` or ``max_problems`` (bugs, not file problems)."""
    if mapping is not None and not isinstance(mapping, dict):
        raise TypeError(f"mapping must be a dict or None, but got {type(mapping).__name__}")
    for target in (mapping or {}).values():
        if target is not None and target not in CANONICAL_COLUMNS:
            raise ValueError(f"mapping values must be one of {CANONICAL_COLUMNS} or None, but got {target!r}")
    if isinstance(max_problems, bool) or not isinstance(max_problems, int) or max_problems < 0:
        raise ValueError(f"max_problems must be an integer ≥ 0, but got {max_problems!r}")


def validate_frame(
    df: pd.DataFrame,
    *,
    mapping: dict[str, str | None] | None = None,
    max_problems: int = MAX_PROBLEMS,
    places: PlaceList | None = None,
) -> FrameResult:
    """Validate an already-read frame with the same checks ``read_frame`` runs after decoding and parsing.

    Parameters
    ----------
    df : DataFrame with the file's headers as column labels; cells preferably strings (``dtype=str,
        keep_default_na=False``), other values are turned into text and missing ones into ``""``.
    mapping : ``{header: canonical column or None}``, overriding ``COLUMN_ALIASES``.
    max_problems : how many problems to keep (all are counted).
    places : the region and customer-type list; regions, customer types and districts are resolved onto it
        (:class:`sampling.places.PlaceList`) and an unknown region or type is a problem. None: regions are
        kept as written and types checked against the built-in ones.

    Returns
    -------
    FrameResult
        Problem rows assume row 1 of the sheet is the header, so ``df``'s i-th row (0-based) is row i + 2.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, but got {type(df).__name__}")
    check_arguments(mapping, max_problems)
    headers = [str(c) for c in df.columns]
    columns = [df.iloc[:, j].reset_index(drop=True) for j in range(df.shape[1])]
    return validate_rows(headers, columns, np.arange(len(df)) + 2, mapping, max_problems, places)[0]


def validate_table(
    table: pd.DataFrame,
    mapping: dict[str, str | None] | None = None,
    max_problems: int = MAX_PROBLEMS,
    places: PlaceList | None = None,
) -> FrameResult:
    """Validate a header-less table from :func:`sampling.frame_read.read_table`: find its header row
    (:func:`sampling.frame_read.find_header_row`), then check the rows below it; problem rows are the
    table's 1-based line numbers."""
    h = find_header_row(table, mapping)
    if h is None:
        return failed([make_problem("empty_file")])
    headers = [str(v).strip() for v in table.iloc[h]]
    body = table.iloc[h + 1 :]
    columns = [body.iloc[:, j].reset_index(drop=True) for j in range(table.shape[1])]
    rows = np.arange(h + 1, len(table)) + 1
    return validate_rows(headers, columns, rows, mapping, max_problems, places)[0]


class _Collector:
    """Counts problems flagged by boolean masks and keeps the first ``limit`` of each check."""

    def __init__(self, rows: np.ndarray, limit: int) -> None:
        self.rows, self.limit, self.count, self.items = rows, limit, 0, []

    def add(self, mask: Any, code: str, column: str, cells: pd.Series, **extra: Any) -> None:
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.count += len(where)
        if not len(where):
            return
        head = where[: self.limit]
        values = cells.iloc[head].tolist()
        for k, i in enumerate(head):
            fmt = {name: (v(i) if callable(v) else v) for name, v in extra.items()}
            self.items.append(make_problem(code, int(self.rows[i]), column, values[k], **fmt))


def validate_rows(
    headers: list[str],
    columns: list[pd.Series],
    rows: np.ndarray,
    mapping: dict[str, str | None] | None,
    max_problems: int,
    places: PlaceList | None = None,
    *,
    unknown_limit: int | None = None,
) -> tuple[FrameResult, np.ndarray]:
    """Validate the cells of ``columns`` (one per header, row ``k`` being spreadsheet row ``rows[k]``).

    Returns the result and the spreadsheet rows of the non-blank rows (those of ``result.frame``, when
    valid). ``unknown_limit`` caps the distinct values listed in ``result.unknown`` per column (None:
    ``MAX_UNKNOWN_VALUES``; :mod:`sampling.frame_stream` lists them all in each chunk, then merges).
    """
    index, problems = resolve_headers(headers, mapping)
    used = {headers[j].strip().lstrip("\ufeff"): c for c, j in index.items()}
    if problems:
        return failed(problems, len(rows), used), rows
    pool = ThreadPoolExecutor(min(os.cpu_count() or 1, 4)) if len(rows) >= PARALLEL_MIN_ROWS else None
    limit = MAX_UNKNOWN_VALUES if unknown_limit is None else unknown_limit
    try:
        return _check_cells(index, columns, rows, used, max_problems, pool, places, limit)
    finally:
        if pool is not None:
            pool.shutdown()


def _run(pool: ThreadPoolExecutor | None, tasks: list[Callable[[], Any]]) -> list[Any]:
    """Results of ``tasks`` in order: in ``pool``'s threads when given, else one after the other."""
    if pool is None:
        return [task() for task in tasks]
    return [future.result() for future in [pool.submit(task) for task in tasks]]


def _screen(column: str, s: pd.Series) -> tuple[np.ndarray, np.ndarray, pd.Series, np.ndarray, np.ndarray]:
    """A column's formula, over-long, scientific-notation and NUL masks (one problem per cell, in that order),
    and its cell lengths. A NUL is never typed; it marks a binary or broken export (and PostgreSQL's text
    cannot hold it)."""
    formula = s.str.startswith(("=", "+", "-", "@")).to_numpy(dtype=bool, copy=True)
    if formula.any():  # a signed number or phone is fine, anything else starting so is a formula
        risky = s[formula]
        plain = risky.str.fullmatch(r"[+\-][0-9\s().\-]*").to_numpy(dtype=bool, na_value=False)
        formula[np.flatnonzero(formula)[plain]] = False
    length = s.str.len()
    huge = (length > MAX_CELL_CHARS).to_numpy() & ~formula
    sci = np.zeros(len(s), dtype=bool)
    if column in ("id", "phone"):  # Excel turned a long number into 1.38123E+10: the digits are gone
        sci = s.str.contains("E+", regex=False).to_numpy(dtype=bool, na_value=False, copy=True)
        sci &= ~(formula | huge)
        if sci.any():
            sci[sci] = (
                s[sci].str.fullmatch(r"[0-9]+(\.[0-9]+)?E\+[0-9]+").to_numpy(dtype=bool, na_value=False)
            )
    nul = s.str.contains("\x00", regex=False).to_numpy(dtype=bool, na_value=False, copy=True)
    nul &= ~(formula | huge | sci)
    return formula, huge, length, sci, nul


def _check_cells(
    index: dict[str, int],
    columns: list[pd.Series],
    rows: np.ndarray,
    used: dict[str, str],
    max_problems: int,
    pool: ThreadPoolExecutor | None,
    places: PlaceList | None = None,
    unknown_limit: int = MAX_UNKNOWN_VALUES,
) -> tuple[FrameResult, np.ndarray]:
    names = list(index)
    cells = dict(
        zip(names, _run(pool, [lambda j=j: as_text(columns[j]) for j in index.values()]), strict=True)
    )
    blanks = dict(
        zip(names, _run(pool, [lambda c=c: (cells[c] == "").to_numpy() for c in names]), strict=True)
    )
    blank = np.logical_and.reduce(list(blanks.values()))
    if blank.any():
        keep = ~blank
        cells = {c: s[keep].reset_index(drop=True) for c, s in cells.items()}
        blanks = {c: b[keep] for c, b in blanks.items()}
        rows = rows[keep]
    n = len(rows)
    if n == 0:
        return failed([make_problem("no_data_rows")], 0, used), rows

    out = _Collector(rows, max_problems)
    flagged = {}
    screened = _run(pool, [lambda c=c: _screen(c, cells[c]) for c in names])
    for column, (formula, huge, length, sci, nul) in zip(names, screened, strict=True):
        out.add(formula, "formula", column, cells[column])
        out.add(
            huge,
            "cell_too_long",
            column,
            cells[column],
            length=lambda i, length=length: int(length.iloc[i]),
            limit=MAX_CELL_CHARS,
        )
        out.add(sci, "scientific_notation", column, cells[column])
        out.add(nul, "nul_character", column, cells[column])
        flagged[column] = formula | huge | sci | nul

    def empty(col: str) -> np.ndarray:
        return blanks[col]

    for col in REQUIRED_COLUMNS:
        out.add(empty(col) & ~flagged[col], "empty_required", col, cells[col])
    ids = cells["id"]

    def first_positions() -> tuple[np.ndarray, np.ndarray] | None:
        if strictly_increasing(ids):  # sorted distinct ids (the usual export) need no hashing
            return None
        codes = pd.factorize(ids)[0]  # codes number distinct ids in order of first appearance
        return codes, np.searchsorted(np.maximum.accumulate(codes), np.arange(codes.max() + 1))

    def optional(col: str, convert: Callable[[pd.Series], Any]) -> Any:
        return convert(cells[col]) if col in cells else None

    def customer_types() -> tuple[pd.Series, np.ndarray]:
        if places is None:
            return text_lookup(cells["customer_type"], CUSTOMER_TYPE_ALIASES)
        return map_distinct(cells["customer_type"], lambda v: places.resolve("customer_type", v))

    tasks = {
        "id": first_positions,
        "region": lambda: (
            None if places is None else map_distinct(cells["region"], lambda v: places.resolve("region", v))
        ),
        "customer_type": customer_types,
        "urban_rural": lambda: optional("urban_rural", lambda s: text_lookup(s, URBAN_RURAL_ALIASES)),
        "complaints_12m": lambda: optional("complaints_12m", lambda s: lookup(s, COUNTS, 0)),
        "opted_out": lambda: optional("opted_out", lambda s: lookup(s, BOOL_VALUES, False)),
        "phone": lambda: optional("phone", normalise_phones),
    }
    done = dict(zip(tasks, _run(pool, list(tasks.values())), strict=True))

    if done["id"] is not None:
        codes, first_pos = done["id"]
        duplicate = (first_pos[codes] != np.arange(n)) & ~empty("id") & ~flagged["id"]
        out.add(duplicate, "duplicate_id", "id", ids, first_row=lambda i: int(rows[first_pos[codes[i]]]))

    header_of = {c: h for h, c in used.items()}
    unknown_values: list[UnknownValue] = []
    allowed = TYPES_ALLOWED if places is None else _allowed(places, "customer_type")
    customer_type, unknown = done["customer_type"]
    bad = unknown & ~empty("customer_type") & ~flagged["customer_type"]
    out.add(bad, "unknown_customer_type", "customer_type", cells["customer_type"], allowed=allowed[0],
            allowed_en=allowed[1])  # fmt: skip
    unknown_values += _group_unknown(
        bad, cells["customer_type"], rows, "customer_type", header_of, unknown_limit
    )

    region = cells["region"]
    if done["region"] is not None:
        region, unknown = done["region"]
        bad = unknown & ~empty("region") & ~flagged["region"]
        allowed = _allowed(places, "region")
        out.add(bad, "unknown_region", "region", cells["region"], allowed=allowed[0], allowed_en=allowed[1])
        unknown_values = (
            _group_unknown(bad, cells["region"], rows, "region", header_of, unknown_limit) + unknown_values
        )

    urban_rural = blank_column(n)
    if done["urban_rural"] is not None:
        urban_rural, unknown = done["urban_rural"]
        bad = unknown & ~empty("urban_rural") & ~flagged["urban_rural"]
        out.add(bad, "unknown_urban_rural", "urban_rural", cells["urban_rural"])

    complaints = np.zeros(n, dtype=np.int64)
    if done["complaints_12m"] is not None:
        complaints, unknown = done["complaints_12m"]
        bad = unknown & ~empty("complaints_12m") & ~flagged["complaints_12m"]
        out.add(bad, "bad_complaints", "complaints_12m", cells["complaints_12m"])
        complaints = complaints.astype(np.int64)

    opted_out = np.zeros(n, dtype=bool)
    if done["opted_out"] is not None:
        opted_out, unknown = done["opted_out"]
        bad = unknown & ~empty("opted_out") & ~flagged["opted_out"]
        out.add(bad, "bad_opted_out", "opted_out", cells["opted_out"])
        opted_out = opted_out.astype(bool)

    phone, has_phone = blank_column(n), np.zeros(n, dtype=bool)
    if done["phone"] is not None:
        phone, has_phone = done["phone"]
        out.add(~has_phone & ~empty("phone") & ~flagged["phone"], "bad_phone", "phone", cells["phone"])

    if out.count:
        order = index
        items = sorted(out.items, key=lambda p: (p.row, order.get(p.column, -1)))[:max_problems]
        return FrameResult(None, tuple(items), out.count, n, used, tuple(unknown_values)), rows

    def text(col: str) -> pd.Series:
        return cells[col] if col in cells else blank_column(n)

    district = text("district")
    if places is not None and "district" in cells:
        district = _districts(region, district, places)
    frame = pd.DataFrame({
        "id": ids, "name": text("name"), "phone": phone, "region": region, "district": district,
        "customer_type": customer_type, "urban_rural": urban_rural,
        "complaints_12m": complaints, "opted_out": opted_out, "has_valid_phone": has_phone,
    })  # fmt: skip
    return FrameResult(frame, (), 0, n, used), rows


def _allowed(places: PlaceList, kind: str) -> tuple[str, str]:
    """The list's names for a message: (Chinese, English with the English names)."""
    entries = places.regions if kind == "region" else places.customer_types
    zh = "、".join(e.name for e in entries) or "-"
    en = ", ".join(f"{e.name} ({e.name_en})" if e.name_en else e.name for e in entries) or "-"
    return zh, en


def _group_unknown(
    mask: np.ndarray,
    cells: pd.Series,
    rows: np.ndarray,
    column: str,
    header_of: dict[str, str],
    limit: int = MAX_UNKNOWN_VALUES,
) -> list[UnknownValue]:
    """One ``UnknownValue`` per distinct value flagged in ``mask``: its count and first rows, in row order."""
    where = np.flatnonzero(mask)
    if not len(where):
        return []
    codes, uniques = pd.factorize(cells.iloc[where])
    counts = np.bincount(codes, minlength=len(uniques))
    order = np.argsort(codes, kind="stable")  # positions of each code, in row order
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    found = []
    for c in range(min(len(uniques), limit)):  # codes number values in order of first row
        first = rows[where[order[starts[c] : starts[c] + min(counts[c], UNKNOWN_ROWS_SHOWN)]]]
        found.append(UnknownValue(column, header_of.get(column, column), str(uniques[c]), int(counts[c]),
                                  tuple(int(r) for r in first)))  # fmt: skip
    return found


def _districts(region: pd.Series, district: pd.Series, places: PlaceList) -> pd.Series:
    """Districts resolved within their (resolved) region, once per distinct (region, district) pair."""
    rc, ru = pd.factorize(region)
    dc, du = pd.factorize(district)
    span = len(du) + 1
    pc, pu = pd.factorize(rc.astype(np.int64) * span + dc)
    values = [places.resolve_district(str(ru[p // span]), str(du[p % span])) for p in pu.tolist()]
    if values == [str(du[p % span]) for p in pu.tolist()]:
        return district
    return pd.Series(values, dtype="str").take(pc).reset_index(drop=True)
