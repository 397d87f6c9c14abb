"""The PRN rule on Spark SQL (``sha2(…, 256)``, ``conv``): a Parquet file or folder, a CSV file, or a table of the
catalog (Hive), on a cluster (``--spark-master``) or ``local[2]``.

The queries are those of :mod:`sampling.engines.rule`, run by ``spark.sql``; the small tables the rule needs
(salt, excluded ids, cells, takes) are created from Python data and broadcast. Only the cell counts (a few
thousand rows) and the selection (the sample, its reserve and the next unit per stratum) are collected to the
driver; the frame is never collected.
"""

# ruff: noqa: S608  (identifiers quoted by the dialect; values travel in registered tables; literals escaped)

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sampling.engines.base import (
    CELL_COUNT_COLUMNS,
    NOT_UTF8,
    PREPARED_KEY,
    SELECTION_COLUMNS,
    FrameEngine,
    PreparedInfo,
    cells_frame,
    first_lines,
    reads_frame,
)
from sampling.engines.rule import (
    CELL_FIELDS,
    PRN_COLUMN,
    SPARK,
    STRATUM_COLUMN,
    WHITESPACE,
    FrameSourceError,
    cell_counts_sql,
    column_mapping,
    duplicates_sql,
    pruned_source_sql,
    select_sql,
)

#: Settings of a session this module starts (a session given to it, or a spark-submit's, keeps its own).
SESSION_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.session.timeZone": "UTC",
}


def spark_session(master: str | None = None, app_name: str = "survey-draw"):
    """The active Spark session, or a new one on ``master`` (default ``$SPARK_MASTER``, else spark-submit's
    ``--master``, else ``local[2]``)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    from pyspark import SparkConf

    # under spark-submit its --master is in the launcher's configuration and wins over the local default
    submitted = SparkConf().get("spark.master", None)
    master = master or os.environ.get("SPARK_MASTER") or submitted or "local[2]"
    builder = SparkSession.builder.appName(app_name).master(master)
    for key, value in SESSION_CONF.items():
        builder = builder.config(key, value)
    return builder.enableHiveSupport().getOrCreate() if _has_hive() else builder.getOrCreate()


def _has_hive() -> bool:
    return os.environ.get("SURVEY_SPARK_HIVE", "") == "1"


class SparkEngine(FrameEngine):
    """The rule in Spark over a file or folder (``frame``) or a catalog table (``table``)."""

    name = "spark"

    @reads_frame
    def __init__(
        self, frame=None, *, table: str | None = None, master: str | None = None, spark=None
    ) -> None:
        from sampling.engines.duckdb_engine import csv_header, frame_files

        self.spark = spark or spark_session(master)
        self.table = table
        self.path = Path(frame) if frame is not None else None
        self.files: list[Path] = []
        if table is not None:
            self.kind = "table"
            df = self.spark.table(table)
        else:
            self.kind, self.files = frame_files(frame)
            if self.kind == "parquet":
                df = self.spark.read.parquet(str(self.path))
            else:
                # an empty file, a header that is not UTF-8, a column named twice: said as DuckDB says them
                csv_header(self.files[0])
                # FAILFAST: a row with too many fields is an error, not a silently shortened row
                df = (self.spark.read.option("header", True).option("encoding", "UTF-8").option("mode", "FAILFAST")
                      .csv(str(self.path)))  # fmt: skip
        self.df = df
        df.createOrReplaceTempView("frame_src")
        self.mapping = column_mapping(df.columns)
        self.prepared = None
        if (
            self.kind == "parquet"
            and len(self.files) == 1
            and {PRN_COLUMN, STRATUM_COLUMN} <= set(df.columns)
        ):
            self.prepared = _prepared_info(self.files[0])
        self._view("survey_params", [(" ", WHITESPACE)], "salt STRING, ws STRING")

    def read_error(self, exc: Exception) -> FrameSourceError | None:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        source = self.table or self.path
        if isinstance(exc, Py4JJavaError):
            error, causes = exc.java_exception, []
            while error is not None and len(causes) < 8:
                causes.append(str(error.getMessage() or error.toString()))
                error = error.getCause()
            text = causes[0].strip().splitlines()[0]
            root = causes[-1].strip().splitlines()[0]
            detail = text if root in text else f"{text} (cause: {root})"
            reason = {
                "parquet": "damaged",
                "csv": "csv_rows" if "MALFORMED_CSV_RECORD" in detail else None,
            }.get(self.kind)
            return FrameSourceError(f"{source}: Spark cannot read the frame: {detail}", reason=reason)
        if isinstance(exc, PySparkException):
            detail = first_lines(str(exc))
            reason = "damaged" if self.kind == "parquet" and "INFER_SCHEMA" in detail else None
            return FrameSourceError(f"{source}: Spark cannot read the frame: {detail}", reason=reason)
        return None

    def _view(self, name: str, rows: list[tuple], schema: str) -> None:
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def _ids(self, name: str, ids: Sequence[str]) -> None:
        self._view(name, [(str(i),) for i in ids], "id STRING")

    @reads_frame
    def describe(self) -> dict:
        from sampling.engines.duckdb_engine import parquet_footer_sha256

        files = []
        for p in self.files:
            item = {"path": str(p.resolve()), "bytes": p.stat().st_size}
            if self.kind == "parquet":
                item["footer_sha256"] = parquet_footer_sha256(p)
            files.append(item)
        source = self.table if self.table is not None else str(self.path.resolve())
        return {"source": source, "kind": self.kind, "rows": int(self.df.count()), "files": files,
                "input_files": len(self.df.inputFiles()), "prepared": self.prepared is not None}  # fmt: skip

    @reads_frame
    def cell_counts(self, excluded: Sequence[str] = ()) -> pd.DataFrame:
        if self.prepared is not None and not excluded:
            return cells_frame(self.prepared.cells[list(CELL_COUNT_COLUMNS)])
        self._ids("survey_excluded", excluded)
        rows = self.spark.sql(cell_counts_sql(SPARK, self.mapping, excluded=bool(excluded))).collect()
        cells = cells_frame(pd.DataFrame([tuple(r) for r in rows], columns=list(CELL_COUNT_COLUMNS)))
        if self.kind == "csv":  # Spark decodes bytes that are not UTF-8 as U+FFFD instead of failing
            for field in CELL_FIELDS:
                bad = cells.loc[cells[field].str.contains("\ufffd", regex=False), field]
                if len(bad):
                    raise FrameSourceError(
                        f"{self.path}: not UTF-8 text (column {self.mapping[field]!r} holds {bad.iloc[0]!r});"
                        f" {NOT_UTF8}",
                        reason="not_utf8",
                    )
        return cells

    @reads_frame
    def select(self, salt, cells, takes, excluded=(), *, ranges=None) -> pd.DataFrame:
        self._view("survey_params", [(salt, WHITESPACE)], "salt STRING, ws STRING")
        self._ids("survey_excluded", excluded)
        self._view(
            "survey_cells",
            [(*map(str, r[:5]), bool(r[5]), str(r[6])) for r in cells.itertuples(index=False)],
            "region STRING, district STRING, customer_type STRING, urban_rural STRING, opted_out STRING,"
            " has_phone BOOLEAN, stratum STRING",
        )
        self._view(
            "survey_takes",
            [(str(r.stratum), float(r.start), int(r.take), float(r.threshold)) for r in takes.itertuples()],
            "stratum STRING, start DOUBLE, take INT, threshold DOUBLE",
        )
        prepared = self.prepared is not None
        source = pruned_source_sql(SPARK, self.mapping, ranges) if prepared and ranges else None
        sql = select_sql(SPARK, self.mapping, excluded=bool(excluded), prepared=prepared, source=source)
        rows = self.spark.sql(sql).collect()
        return pd.DataFrame([tuple(r) for r in rows], columns=list(SELECTION_COLUMNS))

    @reads_frame
    def duplicate_ids(self, ids: Sequence[str]) -> dict[str, int]:
        if self.prepared is not None and self.prepared.unique_ids:
            return {}
        self._ids("survey_picked", ids)
        return {r[0]: int(r[1]) for r in self.spark.sql(duplicates_sql(SPARK, self.mapping)).collect()}

    @reads_frame
    def locate(self, ids: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        """Files of the given ids (``input_file_name``); Spark gives no row numbers, so rows are None."""
        self._ids("survey_picked", list(ids))
        idexpr = SPARK.strip(f"coalesce(CAST(frame_src.{SPARK.quote(self.mapping['id'])} AS STRING), '')")
        sql = (
            f"SELECT * FROM (SELECT {idexpr} AS id, input_file_name() AS f FROM frame_src CROSS JOIN survey_params p)"
            " WHERE id IN (SELECT id FROM survey_picked)"
        )
        source = self.table or str(self.path)
        return {r[0]: (r[1] or source, None) for r in self.spark.sql(sql).collect()}


def _prepared_info(path: Path) -> PreparedInfo | None:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata.metadata or {}
    text = meta.get(PREPARED_KEY.encode())
    return PreparedInfo.from_json(text) if text else None


__all__ = ["SparkEngine", "spark_session", "FrameSourceError"]
