"""Cells of a frame column turned into values (pure, vectorised): text, lookups, counts, phones, sortedness.

Used by :mod:`sampling.frame_validate`; each function works once per distinct value or as one Arrow kernel,
so a million rows cost little. ``strictly_increasing`` is also used by :mod:`survey.frames`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sampling.frame_schema import header_key

MOBILE_OR_LANDLINE = r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}"


def strictly_increasing(values: pd.Series) -> bool:
    """True when ``values`` (text, no missing cells) strictly increase, i.e. are sorted and distinct.

    One vectorised comparison of neighbours for Arrow-backed strings (~100x cheaper than hashing a million
    ids); other dtypes answer False, so callers fall back to their general duplicate check.
    """
    if len(values) < 2:
        return True
    if not isinstance(values.array, pd.arrays.ArrowStringArray):
        return False
    import pyarrow as pa
    import pyarrow.compute as pc

    chunked = pa.chunked_array(values.array.__arrow_array__())  # zero-copy view of the Arrow data
    if chunked.null_count or not (pa.types.is_string(chunked.type) or pa.types.is_large_string(chunked.type)):
        return False
    return bool(pc.all(pc.greater(chunked[1:], chunked[:-1])).as_py())


def blank_column(n: int) -> pd.Series:
    return pd.Series([""], dtype="str").take(np.zeros(n, dtype=np.intp)).reset_index(drop=True)


def as_text(series: pd.Series) -> pd.Series:
    if not pd.api.types.is_string_dtype(series) or series.hasnans:
        series = series.astype(object).where(series.notna(), "")
    return series.astype("str").str.strip()


def lookup(cells: pd.Series, table: dict[str, Any], default: Any) -> tuple[np.ndarray, np.ndarray]:
    """Map cells through ``table`` by their ``_key``, once per distinct value (a million rows cost little).

    Returns the mapped values (``default`` where unknown) and a mask of the unknown cells.
    """
    codes, uniques = pd.factorize(cells)
    mapped = [table.get(header_key(u)) for u in uniques]
    unknown = np.array([m is None for m in mapped] + [True])[codes]
    values = np.array([default if m is None else m for m in mapped] + [default])
    return values[codes], unknown


def text_lookup(cells: pd.Series, table: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Like ``lookup`` for text values, built with a vectorised take (no million Python strings)."""
    codes, uniques = pd.factorize(cells)
    mapped = [table.get(header_key(u)) for u in uniques]
    unknown = np.array([m is None for m in mapped] + [True])[codes]
    values = pd.Series([m or "" for m in mapped] + [""], dtype="str")
    return values.take(codes).reset_index(drop=True), unknown


def map_distinct(cells: pd.Series, resolve: Callable[[str], str | None]) -> tuple[pd.Series, np.ndarray]:
    """Like ``text_lookup`` with a function (called once per distinct value; None means unknown)."""
    codes, uniques = pd.factorize(cells)
    mapped = [resolve(u) for u in uniques]
    unknown = np.array([m is None for m in mapped] + [True])[codes]
    values = pd.Series([m or "" for m in mapped] + [""], dtype="str")
    return values.take(codes).reset_index(drop=True), unknown


class _CountTable(dict):
    """``header_key(cell) → int`` for whole numbers ≥ 0 written as ``3`` or ``3.0`` (at most 9 digits)."""

    def get(self, key: str, default: Any = None) -> Any:
        match = re.fullmatch(r"([0-9]{1,9})(?:\.0*)?", key)
        return int(match.group(1)) if match else default


COUNTS = _CountTable()


def normalise_phones(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Digits-only phones and a validity mask; only cells not already in canonical form are rewritten."""
    valid = cells.str.fullmatch(MOBILE_OR_LANDLINE).to_numpy(dtype=bool, na_value=False, copy=True)
    todo = ~valid & (cells != "").to_numpy()
    phones = cells.copy()
    if todo.any():
        sub = cells[todo]
        wide = ~sub.str.isascii()
        if wide.any():
            sub = sub.where(~wide, sub.str.normalize("NFKC"))
        for separator in (" ", "-", "(", ")", "\t"):
            sub = sub.str.replace(separator, "", regex=False)
        prefixed = sub.str.fullmatch(r"(?:\+86|0086|86)1[3-9][0-9]{9}")
        sub = sub.where(~prefixed, sub.str[-11:])
        ok = sub.str.fullmatch(MOBILE_OR_LANDLINE).to_numpy(dtype=bool, na_value=False)
        phones[todo] = sub.where(ok, cells[todo])
        valid[np.flatnonzero(todo)[ok]] = True
    return phones, valid
