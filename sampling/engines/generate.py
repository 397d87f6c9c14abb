"""Generated customer frames for the engine tests and benchmarks, written in chunks (bounded memory).

Rows are a pure function of ``(seed, row number)``: the same arguments give the same frame, whatever the chunk
size. Regions are written the way a utility's export writes them (国网泉州供电公司 for 泉州 in some rows), so the
engines' cell resolution onto the region list is exercised; about 1% opt out and 1% have no phone.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sampling.places import FUJIAN_REGIONS

TYPES = ("居民", "一般工商业", "大工业", "农业")
#: Share of each customer type (residential customers dominate).
TYPE_SHARES = (0.86, 0.1, 0.01, 0.03)
URBAN = ("城镇", "农村")


def frame_chunk(start: int, stop: int, seed: int = 7) -> pa.Table:
    """Rows ``start .. stop-1`` of the generated frame (ids ``C000000001`` …, sorted)."""
    n = stop - start
    rng = np.random.default_rng([seed, start])
    row = np.arange(start, stop)
    ids = np.char.add("C", np.char.zfill((row + 1).astype(str), 10))
    region_code = rng.integers(0, len(FUJIAN_REGIONS), n)
    regions = np.array(FUJIAN_REGIONS, dtype=object)[region_code]
    alias = rng.random(n) < 0.05
    regions[alias] = np.char.add(np.char.add("国网", regions[alias].astype(str)), "供电公司").astype(object)
    types = np.array(TYPES, dtype=object)[rng.choice(len(TYPES), n, p=TYPE_SHARES)]
    urban = np.array(URBAN, dtype=object)[rng.integers(0, 2, n)]
    phones = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9)).astype(object)
    phones[rng.random(n) < 0.01] = ""
    opted = np.where(rng.random(n) < 0.01, "是", "否").astype(object)
    complaints = rng.poisson(0.2, n).astype(str)
    return pa.table(
        {
            "id": pa.array(ids.tolist(), pa.string()),
            "name": pa.array(np.char.add("客户", (row + 1).astype(str)).tolist(), pa.string()),
            "phone": pa.array(phones.tolist(), pa.string()),
            "region": pa.array(regions.tolist(), pa.string()),
            "customer_type": pa.array(types.tolist(), pa.string()),
            "urban_rural": pa.array(urban.tolist(), pa.string()),
            "complaints_12m": pa.array(complaints.tolist(), pa.string()),
            "opted_out": pa.array(opted.tolist(), pa.string()),
        }
    )


def write_frame(
    path: str | os.PathLike, rows: int, *, seed: int = 7, chunk: int = 1_000_000, row_group: int = 1_000_000
) -> Path:
    """Write a generated frame of ``rows`` customers to ``path`` (``.parquet`` or ``.csv``), ``chunk`` rows at a
    time."""
    path = Path(path)
    writer = None
    try:
        for lo in range(0, rows, chunk):
            table = frame_chunk(lo, min(lo + chunk, rows), seed)
            if path.suffix == ".csv":
                import pyarrow.csv as pcsv

                if writer is None:
                    writer = pcsv.CSVWriter(str(path), table.schema)
                writer.write_table(table)
            else:
                if writer is None:
                    writer = pq.ParquetWriter(str(path), table.schema)
                writer.write_table(table, row_group_size=row_group)
    finally:
        if writer is not None:
            writer.close()
    return path
