"""The PRN rule on DuckDB: a Parquet file, a folder of Parquet files (a Spark or Hive export) or a CSV file.

DuckDB hashes with its own ``sha256`` (``sampling.engines.rule``), reads only the columns a pass needs, and
runs in bounded memory (``memory_limit``, spilling to a temporary folder). A frame prepared by
:meth:`DuckDBEngine.write_prepared` carries the PRN column, is sorted by stratum and PRN and has small row
groups, so a draw reads only the row groups holding the PRN ranges it needs (their min/max statistics tell).
"""

# ruff: noqa: S608  (identifiers quoted by the dialect; values travel in registered tables; literals escaped)

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
from sampling.engines.pruning import in_ranges, prepared_row_groups
from sampling.engines.rule import (
    CELL_FIELDS,
    DUCKDB,
    PRN_COLUMN,
    STRATUM_COLUMN,
    WHITESPACE,
    FrameSourceError,
    cell_counts_sql,
    cell_join,
    column_mapping,
    duplicates_sql,
    frame_exprs,
    prn_sql,
    select_sql,
    source_sql,
)

#: DuckDB's memory ceiling for a draw or a preparation (it spills beyond it).
MEMORY_LIMIT = os.environ.get("SURVEY_DUCKDB_MEMORY", "1GB")
#: Rows per row group of a prepared frame: small groups let a draw skip all but a few per stratum.
PREPARED_ROW_GROUP = 16_384
#: A prepared frame's draw reads its row groups itself (pyarrow) while it needs at most this share of them, else
#: it lets DuckDB scan the file.
MAX_PRUNED_SHARE = 0.5


def frame_files(frame: str | os.PathLike) -> tuple[str, list[Path]]:
    """``(kind, files)`` of a frame path: ``("parquet", [file])``, ``("csv", [file])`` or a folder's Parquet
    files (recursively, skipping ``_``/``.`` names as Spark does)."""
    path = Path(frame)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*.parquet")
            if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
        )
        if not files:
            raise FrameSourceError(f"{path}: the folder holds no Parquet files")
        return "parquet", files
    if not path.is_file():
        raise FrameSourceError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "parquet", [path]
    if suffix in (".csv", ".txt"):
        return "csv", [path]
    raise FrameSourceError(f"{path}: a frame is a .parquet or .csv file or a folder of Parquet files")


def csv_header(path: Path) -> list[str]:
    """The header row of a UTF-8 CSV frame (a BOM skipped); :class:`FrameSourceError` when the file is empty
    or names a column twice."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError as e:
        raise FrameSourceError(
            f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); {NOT_UTF8}", reason="not_utf8"
        ) from e
    if not header or not any(h.strip() for h in header):
        raise FrameSourceError(f"{path}: the file is empty (no header row)", reason="empty")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise FrameSourceError(f"{path}: row 1 names column {name!r} twice", reason="duplicate_column")
        seen.add(name)
    return header


def parquet_footer_sha256(path: Path) -> str:
    """SHA-256 of a Parquet file's footer (schema, row groups, their statistics and offsets): it changes when
    any row group does, and costs one small read however large the file."""
    with open(path, "rb") as f:
        f.seek(-8, os.SEEK_END)
        tail = f.read(8)
        if tail[4:] != b"PAR1":
            raise FrameSourceError(f"{path}: not a Parquet file", reason="damaged")
        length = int.from_bytes(tail[:4], "little")
        f.seek(-8 - length, os.SEEK_END)
        return hashlib.sha256(f.read(length)).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DuckDBEngine(FrameEngine):
    """The rule in DuckDB over ``frame`` (see :func:`frame_files`)."""

    name = "duckdb"

    @reads_frame
    def __init__(self, frame: str | os.PathLike, *, threads: int | None = None) -> None:
        import duckdb

        self.path = Path(frame)
        self.kind, self.files = frame_files(frame)
        # one footer parse (pyarrow) for a single file, in a thread beside DuckDB's start (both release the GIL)
        footer = _Footer(self.files[0]) if self.kind == "parquet" and len(self.files) == 1 else None
        self._tmp = tempfile.TemporaryDirectory(prefix="survey-duckdb-")
        self.con = duckdb.connect(
            ":memory:",
            config={"memory_limit": MEMORY_LIMIT, "temp_directory": self._tmp.name,
                    **({"threads": threads} if threads else {})},
        )  # fmt: skip
        names = [str(p) for p in self.files]
        self._parquet: pq.ParquetFile | None = None
        self._view = False
        if self.kind == "parquet":
            # each DuckDB statement on the file parsed its footer again (≈ 0.1 s each for 6,000 row groups)
            self.con.execute("SET parquet_metadata_cache = true")
            self._reader = f"read_parquet({_list(names)})"
        else:
            # the header read here and every column given: DuckDB's sniffer would guess another header row or
            # dialect from a ragged file; strict, a row with too few or too many fields is an error with its line
            header = csv_header(self.files[0])
            columns_sql = "{" + ", ".join(f"{_quote_path(h)}: 'VARCHAR'" for h in header) + "}"
            self._reader = (
                f"read_csv({_list(names)}, header = true, auto_detect = false, columns = {columns_sql},"
                " delim = ',', quote = '\"', escape = '\"', strict_mode = true)"
            )
        columns = None
        # None when pyarrow cannot read it: then DuckDB reads it below and says what is wrong
        self._meta: pq.FileMetaData | None = footer.result() if footer is not None else None
        if self._meta is not None:
            columns = self._meta.schema.to_arrow_schema().names
            if len(set(columns)) != len(columns):  # DuckDB renames repeated names: let it tell them
                columns = None
        if columns is None:
            columns = [r[0] for r in self._sql("DESCRIBE frame_src").fetchall()]
        self.mapping = column_mapping(columns)
        self.prepared = self._read_prepared() if PRN_COLUMN in columns and STRATUM_COLUMN in columns else None
        self._register("survey_params", pa.table({"salt": pa.array([""]), "ws": pa.array([WHITESPACE])}))

    def _sql(self, sql: str, params: list | None = None, *, frame: bool = True):
        """Run ``sql``; with ``frame`` (it reads the view ``frame_src``) the view over the frame is created first,
        once — a prepared frame's pruned draw never needs it (binding it parses the footer once more)."""
        if frame and not self._view:
            self.con.execute(f"CREATE VIEW frame_src AS SELECT * FROM {self._reader}")
            self._view = True
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def _parquet_file(self) -> pq.ParquetFile:
        """The (single) Parquet file for reading row groups: the footer parsed at start reused, the cell
        columns decoded as dictionaries (half the time of plain strings for those few distinct values)."""
        if self._parquet is None:
            cells = [self.mapping[f] for f in (*CELL_FIELDS, "complaints_12m") if f in self.mapping]
            self._parquet = pq.ParquetFile(self.files[0], metadata=self._meta, pre_buffer=False,
                                           read_dictionary=[*cells, STRATUM_COLUMN])  # fmt: skip
        return self._parquet

    def _row_group_count(self) -> int:
        return self._parquet_file().metadata.num_row_groups

    def _register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def _read_prepared(self) -> PreparedInfo | None:
        if len(self.files) != 1:
            return None
        value = (self._meta.metadata or {}).get(PREPARED_KEY.encode()) if self._meta is not None else None
        return PreparedInfo.from_json(value.decode("utf-8")) if value is not None else None

    def _set_salt(self, salt: str) -> None:
        self._register("survey_params", pa.table({"salt": pa.array([salt]), "ws": pa.array([WHITESPACE])}))

    def _set_ids(self, name: str, ids: Sequence[str]) -> None:
        self._register(name, pa.table({"id": pa.array(list(ids), pa.string())}))

    @reads_frame
    def describe(self) -> dict:
        files = []
        for p in self.files:
            item = {"path": str(p.resolve()), "bytes": p.stat().st_size}
            if self.kind == "parquet":
                item["footer_sha256"] = parquet_footer_sha256(p)
            else:
                item["sha256"] = file_sha256(p)
            files.append(item)
        if self._meta is not None:
            rows = self._meta.num_rows
        elif self.kind == "parquet":
            files_sql = (
                f"SELECT sum(num_rows) FROM parquet_file_metadata({_list([str(p) for p in self.files])})"
            )
            rows = self._sql(files_sql, frame=False).fetchall()[0][0]
        else:
            rows = self._sql("SELECT count(*) FROM frame_src").fetchall()[0][0]
        return {"source": str(self.path.resolve()), "kind": self.kind, "rows": int(rows or 0), "files": files,
                "prepared": self.prepared is not None}  # fmt: skip

    @reads_frame
    def cell_counts(self, excluded: Sequence[str] = ()) -> pd.DataFrame:
        if self.prepared is not None and not excluded:
            return cells_frame(self.prepared.cells[list(CELL_COUNT_COLUMNS)])
        self._set_ids("survey_excluded", excluded)
        sql = cell_counts_sql(DUCKDB, self.mapping, excluded=bool(excluded))
        out = self._sql(sql).df()
        out.columns = list(CELL_COUNT_COLUMNS)
        return cells_frame(out)

    @reads_frame
    def select(self, salt, cells, takes, excluded=(), *, ranges=None) -> pd.DataFrame:
        self._set_salt(salt)
        self._set_ids("survey_excluded", excluded)
        self._register("survey_cells", pa.Table.from_pandas(cells, preserve_index=False))
        self._register("survey_takes", pa.Table.from_pandas(takes, preserve_index=False))
        prepared = self.prepared is not None
        source = None
        if prepared and ranges is not None:
            parquet = self._parquet_file()
            groups = prepared_row_groups(parquet.metadata, ranges)
            if len(groups) <= MAX_PRUNED_SHARE * self._row_group_count():
                columns = [*self.mapping.values(), PRN_COLUMN, STRATUM_COLUMN]
                rows = parquet.read_row_groups(groups, columns)
                prn = pc.fill_null(
                    rows.column(PRN_COLUMN).cast(pa.float64()), float("nan")
                )  # NaN: in no range
                prn = np.concatenate([c.to_numpy(zero_copy_only=True) for c in prn.chunks] or [np.zeros(0)])
                self._register("survey_pruned", rows.filter(pa.array(in_ranges(prn, ranges))))
                source = source_sql(DUCKDB, self.mapping, prepared=True, table="survey_pruned")
        sql = select_sql(DUCKDB, self.mapping, excluded=bool(excluded), prepared=prepared, source=source)
        out = self._sql(sql, frame=source is None).df()
        out.columns = list(SELECTION_COLUMNS)
        return out

    @reads_frame
    def duplicate_ids(self, ids: Sequence[str]) -> dict[str, int]:
        if self.prepared is not None and self.prepared.unique_ids:
            return {}
        self._set_ids("survey_picked", ids)
        return {i: int(n) for i, n in self._sql(duplicates_sql(DUCKDB, self.mapping)).fetchall()}

    @reads_frame
    def locate(self, ids: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        wanted = set(ids)
        found: dict[str, tuple[str, int | None]] = {}
        if self.kind == "csv":
            return _locate_csv(self.files[0], self.mapping["id"], wanted)
        self._set_ids("survey_picked", list(wanted))
        idexpr = DUCKDB.strip(f"coalesce(CAST({DUCKDB.quote(self.mapping['id'])} AS VARCHAR), '')")
        sql = (
            f"SELECT {idexpr} AS id, filename, file_row_number"
            f" FROM read_parquet({_list([str(p) for p in self.files])}, filename = true, file_row_number = true)"
        )
        for i, name, row in self._sql(
            f"SELECT * FROM ({sql}) WHERE id IN (SELECT id FROM survey_picked) ORDER BY filename, file_row_number",
            frame=False,
        ).fetchall():
            found.setdefault(i, (name, int(row) + 1))
        return found

    @reads_frame
    def write_prepared(
        self, out: str | os.PathLike, salt: str, cells: pd.DataFrame, info: PreparedInfo
    ) -> None:
        """Write the frame with ``survey_prn`` and ``survey_stratum`` (the label of each row's cell in ``cells``),
        sorted by stratum, PRN and id, in row groups of ``PREPARED_ROW_GROUP`` rows, ``info`` in the metadata."""
        self._set_salt(salt)
        self._register("survey_cells_all", pa.Table.from_pandas(cells, preserve_index=False))
        exprs = frame_exprs(DUCKDB, self.mapping, "f")
        sql = f"""
            SELECT f.*, {prn_sql(DUCKDB, exprs["id"])} AS {PRN_COLUMN}, c.stratum AS {STRATUM_COLUMN}
            FROM frame_src f CROSS JOIN survey_params p JOIN survey_cells_all c ON {cell_join(DUCKDB, exprs)}
            ORDER BY {STRATUM_COLUMN}, {PRN_COLUMN}, {exprs["id"]}"""
        meta = info.to_json().replace("'", "''")
        self._sql(
            f"COPY ({sql}) TO {_quote_path(out)} (FORMAT parquet, ROW_GROUP_SIZE {PREPARED_ROW_GROUP},"
            f" KV_METADATA {{'{PREPARED_KEY}': '{meta}'}})"
        )

    @reads_frame
    def id_duplicates_total(self) -> list[tuple[str, int]]:
        """The first ids that occur more than once in the whole frame (for a preparation's uniqueness check)."""
        src = source_sql(DUCKDB, self.mapping)
        return self._sql(
            f"SELECT id, count(*) FROM ({src}) s GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 20"
        ).fetchall()

    def read_error(self, exc: Exception) -> FrameSourceError | None:
        import duckdb

        if isinstance(exc, (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException)):
            text = first_lines(str(exc).removeprefix("Invalid Input Error: ").removeprefix("IO Error: "),
                               stop=("Possible", "LINE 1:", "file =", "*"))  # fmt: skip
            utf8 = "utf-8" in text.lower()
            reason = "not_utf8" if utf8 else "csv_rows" if self.kind == "csv" else "damaged"
            if "permission denied" in text.lower() or "no space left" in text.lower():
                reason = None  # the file may be fine: the engine's words say what is wrong
            return FrameSourceError(
                f"{self.path}: DuckDB cannot read it as {self.kind.upper()}: {text}"
                + (f"; {NOT_UTF8}" if utf8 else ""),
                reason=reason,
            )
        if isinstance(exc, (PermissionError, FileNotFoundError)):
            return FrameSourceError(f"{self.path}: {first_lines(str(exc))}")
        if isinstance(exc, (pa.ArrowException, OSError)):
            return FrameSourceError(
                f"{self.path}: cannot read it as {self.kind.upper()}: {first_lines(str(exc))}",
                reason="damaged" if self.kind == "parquet" else "csv_rows",
            )
        return None

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()


class _Footer:
    """A Parquet file's footer read in a thread (``pq.read_metadata``); ``result()`` is None when pyarrow cannot."""

    def __init__(self, path: Path) -> None:
        self._meta: pq.FileMetaData | None = None
        self._thread = threading.Thread(target=self._read, args=(path,), name="parquet-footer", daemon=True)
        self._thread.start()

    def _read(self, path: Path) -> None:
        try:
            self._meta = pq.read_metadata(path)
        except Exception:  # noqa: BLE001, S110 - reported by DuckDB's own read of the file
            pass

    def result(self) -> pq.FileMetaData | None:
        self._thread.join()
        return self._meta


def _list(names: Sequence[str]) -> str:
    return "[" + ", ".join(_quote_path(n) for n in names) + "]"


def _quote_path(path: str | os.PathLike) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _locate_csv(path: Path, id_column: str, wanted: set[str]) -> dict[str, tuple[str, int | None]]:
    """Rows of ``wanted`` ids in a CSV file (header = row 1), by reading it as the import does."""
    found: dict[str, tuple[str, int | None]] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        try:
            j = [h.strip() for h in header].index(id_column.strip())
        except ValueError:
            return found
        for row_no, record in enumerate(reader, start=2):
            if j < len(record):
                cid = record[j].strip()
                if cid in wanted and cid not in found:
                    found[cid] = (str(path), row_no)
    return found
