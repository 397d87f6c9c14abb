"""Which rows of a prepared frame a draw must read (issue 15): row groups by their footer statistics, then rows by
their PRN. A prepared frame (``prepare-frame``) is sorted by ``survey_stratum`` and ``survey_prn`` in small row
groups; a draw needs, per stratum, the units in one or two PRN ranges, so it reads a few dozen row groups of
thousands and hands the exact rule only the rows inside the ranges."""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence

import numpy as np
import pyarrow.parquet as pq

from sampling.engines.rule import PRN_COLUMN, STRATUM_COLUMN

__all__ = ["in_ranges", "prepared_row_groups"]


def prepared_row_groups(
    path: str | os.PathLike | pq.FileMetaData, ranges: Sequence[tuple[str, float, float]]
) -> list[int]:
    """The row groups of a prepared frame (sorted by ``survey_stratum``, ``survey_prn``) that may hold a row of
    one of the ``(stratum, lo, hi)`` PRN ranges, by the footer's min/max statistics (read once, no row read).

    Conservative: a group without statistics is kept; the bounds are widened by 2⁻⁴⁰ (the exact rule runs on the
    rows read). A group spanning several strata holds the *highest* PRNs of its first stratum — all at least the
    largest PRN of the group before it when that one holds only this stratum — and the *lowest* of its last
    stratum (at most the smallest PRN of the group after it, likewise), so it is kept only when a range can reach
    those; a stratum strictly inside it is always kept. One DuckDB scan with one ``OR`` branch per range prunes
    nothing, and one ``UNION ALL`` branch per range costs ~1 s of planning for 36 strata, so the groups are
    chosen here.
    """
    eps = 2.0**-40
    meta = path if isinstance(path, pq.FileMetaData) else pq.ParquetFile(path).metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    si, pi = names.index(STRATUM_COLUMN), names.index(PRN_COLUMN)
    wanted: dict[str, list[tuple[float, float]]] = {}
    for stratum, lo, hi in ranges:
        wanted.setdefault(stratum, []).append((lo - eps, hi + eps))
    count, seen = meta.num_row_groups, {}

    def stats(g: int) -> tuple[str, str, float, float] | None:
        """Group g's (stratum min, max, PRN min, max), None without statistics (read from the footer once)."""
        if g not in seen:
            group = meta.row_group(g)
            s_stats, p_stats = group.column(si).statistics, group.column(pi).statistics
            ok = s_stats is not None and p_stats is not None and s_stats.has_min_max and p_stats.has_min_max
            seen[g] = (_text(s_stats.min), _text(s_stats.max), p_stats.min, p_stats.max) if ok else None
        return seen[g]

    def pure(g: int, stratum: str) -> tuple[str, str, float, float] | None:
        """Group g's statistics when it exists and holds only ``stratum``."""
        st = stats(g) if 0 <= g < count else None
        return st if st is not None and st[0] == st[1] == stratum else None

    def kept(g: int) -> bool:
        st = stats(g)
        if st is None:
            return True
        s_min, s_max, p_min, p_max = st
        if s_min == s_max:
            return any(p_max >= lo and p_min < hi for lo, hi in wanted.get(s_min, ()))
        if any(s_min < h < s_max for h in wanted):
            return True
        before, after = pure(g - 1, s_min), pure(g + 1, s_max)
        first_lo = before[3] if before is not None else 0.0  # s_min's PRNs here are >= this
        last_hi = after[2] if after is not None else 1.0  # s_max's PRNs here are <= this
        return any(hi >= first_lo for _, hi in wanted.get(s_min, ())) or any(
            lo <= last_hi for lo, _ in wanted.get(s_max, ())
        )

    # The groups are sorted by (stratum, PRN): each range's candidates lie between two binary searches, so a
    # draw reads the statistics of a few hundred groups, not all (6,104 at 100M rows). A group without
    # statistics met on the way falls back to checking every group.
    class _NoStats(Exception):
        pass

    def key(g: int, end: int) -> tuple[str, float]:
        st = stats(g)
        if st is None:
            raise _NoStats
        return (st[1], st[3]) if end else (st[0], st[2])

    try:
        candidates: set[int] = set()
        for h, spans in wanted.items():
            for lo, hi in spans:
                a = bisect.bisect_left(range(count), (h, lo), key=lambda g: key(g, 1))  # first max >= (h, lo)
                b = bisect.bisect_left(range(count), (h, hi), key=lambda g: key(g, 0))  # first min >= (h, hi)
                candidates.update(range(max(a - 1, 0), min(b + 1, count)))
    except _NoStats:
        candidates = set(range(count))
    return [g for g in sorted(candidates) if kept(g)]


def in_ranges(prn: np.ndarray, ranges: Sequence[tuple[str, float, float]]) -> np.ndarray:
    """Rows whose PRN lies in the union of the ``(stratum, lo, hi)`` PRN ranges (any stratum), bounds widened by
    2⁻⁴⁰ as in :func:`prepared_row_groups`: a superset of the rows the exact rule can select in those ranges, so
    the rule runs on a few thousand rows instead of every row of the row groups read."""
    eps = 2.0**-40
    spans = sorted((lo - eps, hi + eps) for _, lo, hi in ranges)
    edges: list[float] = []
    for lo, hi in spans:  # merged into disjoint [lo, hi) intervals: edges lo0 < hi0 < lo1 < hi1 …
        if edges and lo <= edges[-1]:
            edges[-1] = max(edges[-1], hi)
        else:
            edges += [lo, hi]
    return np.searchsorted(np.asarray(edges, dtype=np.float64), prn, side="right") % 2 == 1


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
