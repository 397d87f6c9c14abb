"""Prepare a frame file for fast draws (issue 15): ``prepare-frame`` writes a Parquet copy with the PRN column and
the stratum label, sorted by stratum and PRN in small row groups, so a draw reads only the row groups it needs
(:meth:`sampling.engines.duckdb_engine.DuckDBEngine.select`)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from sampling.engines import FrameEngine, FrameSourceError, PreparedInfo
from sampling.engines.draw import CELL_FIELDS, FrameProblem, FrameProblems, resolve_cells
from survey.external_frames import _salt, _source_name
from survey.region_list import place_list
from survey.rounds import salt_id

__all__ = ["PrepareResult", "prepare_frame"]


@dataclass(frozen=True)
class PrepareResult:
    """A prepared frame: where, rows, row groups, strata, and the seconds each step took (the one-off cost)."""

    path: str
    rows: int
    row_groups: int
    strata: tuple[str, ...]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def prepare_frame(
    db: sqlite_utils.Database,
    engine: FrameEngine,
    out: str | Path,
    *,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
) -> PrepareResult:
    """Write a Parquet copy of the frame with its PRN column (``survey_prn``, this database's salt) and stratum
    label (``survey_stratum``), sorted by stratum, PRN and id in small row groups, with the cell counts and the
    salt's id in its metadata: a draw with these strata then reads only the row groups holding the PRN ranges it
    needs (Parquet min/max statistics) and no row for N_h. Ids are checked unique once here. DuckDB only."""
    from survey.design import check_strata

    strata = tuple(strata)
    check_strata(strata)
    if engine.name != "duckdb":
        raise FrameSourceError("prepare-frame runs on the duckdb engine")
    if engine.prepared is not None:
        raise FrameSourceError(f"{_source_name(engine)} is already a prepared frame")
    out = Path(out)
    if out.exists():
        raise FrameSourceError(f"{out} exists: choose a new file")
    folder = out.parent.resolve()
    if not folder.is_dir():
        raise FrameSourceError(f"{out}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise FrameSourceError(f"{out}: the folder {folder} is not writable")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    salt = _salt(db)
    source = _source_name(engine)
    counts = engine.cell_counts()
    cells = resolve_cells(counts, strata, place_list(db), source=source)
    timings["count"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    dup = engine.id_duplicates_total()
    if dup:
        where = engine.locate([i for i, _ in dup])
        raise FrameProblems(source, [
            FrameProblem(*where.get(i, (source, None)), i, "id", i, f"户号“{i}”重复出现 {n} 次",
                         f"duplicate id {i!r} occurs {n} times") for i, n in dup
        ])  # fmt: skip
    timings["unique_ids"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    described = engine.describe()
    info = PreparedInfo(salt_id(salt), strata, int(counts["n"].sum()), cells[[*counts.columns, "stratum"]], True,
                        {k: described[k] for k in ("source", "kind", "rows", "files")})  # fmt: skip
    keys = cells[[*CELL_FIELDS, "has_phone", "stratum"]].drop_duplicates().reset_index(drop=True)
    engine.write_prepared(out, salt, keys, info)
    timings["write"] = round(time.perf_counter() - t, 3)
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(out).metadata
    return PrepareResult(str(out), meta.num_rows, meta.num_row_groups, strata, timings)
