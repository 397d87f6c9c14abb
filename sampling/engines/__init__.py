"""Selection engines that run the PRN rule where the frame lives (DESIGN.md, "Beyond one machine").

:mod:`sampling.engines.rule` holds the rule as SQL (written once); :mod:`sampling.engines.duckdb_engine` runs it
on Parquet or CSV files on one machine, :mod:`sampling.engines.spark_engine` on a Spark cluster (or ``local[2]``).
Both return the sample of the SQLite engine (``survey.rounds``) and of :func:`sampling.select.select_pandas`
for the same salt, starts and sizes. Pure: no store, no streamlit.
"""

from __future__ import annotations

from pathlib import Path

from sampling.engines.base import FrameEngine, PreparedInfo, cells_frame
from sampling.engines.rule import FrameSourceError

ENGINES = ("duckdb", "spark")

__all__ = ["ENGINES", "FrameEngine", "FrameSourceError", "PreparedInfo", "cells_frame", "open_engine"]


def open_engine(
    engine: str,
    frame: str | Path | None = None,
    *,
    table: str | None = None,
    spark_master: str | None = None,
    spark=None,
) -> FrameEngine:
    """The engine ``"duckdb"`` or ``"spark"`` over a frame: a Parquet file, a folder of Parquet files or a CSV
    file (``frame``), or for Spark a table of its catalog (``table``, e.g. ``db.customers``)."""
    if engine == "duckdb":
        if table is not None or frame is None:
            raise FrameSourceError("the duckdb engine reads a file or folder (--frame), not a table")
        from sampling.engines.duckdb_engine import DuckDBEngine

        return DuckDBEngine(frame)
    if engine == "spark":
        if (frame is None) == (table is None):
            raise FrameSourceError("the spark engine reads exactly one of a frame file or folder and a table")
        from sampling.engines.spark_engine import SparkEngine

        return SparkEngine(frame, table=table, master=spark_master, spark=spark)
    raise FrameSourceError(f"engine must be one of {', '.join(ENGINES)}, but got {engine!r}")
