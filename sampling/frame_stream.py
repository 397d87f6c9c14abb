"""Reading and validating a customer frame CSV in chunks, in memory bounded by the chunk (pure; issue 15, item 1).

:class:`FrameStream` gives what :func:`sampling.frame.read_frame` gives — the same frame rows, the same
problems (code, row, column, value, message), the same unknown-value groups and mapping — without holding the
file: the CSV is decoded and parsed piece by piece, and validated ``chunk_rows`` table rows at a time with the
checks of :mod:`sampling.frame_validate`. The store (``survey/``) stages the valid chunks and finds the duplicate
ids *across* chunks itself (:meth:`FrameStream.add_problems`); duplicates within a chunk are found here.

How the whole-file rules carry over:

- Limits: the first ``HEAD_LINES`` lines are checked as :func:`sampling.frame_read.read_table` checks them
  (``MAX_LINE_BYTES``, ``MAX_COLUMNS``); ``MAX_FRAME_BYTES`` and the file's ``MAX_CELLS`` do not apply — the
  point is files bigger than memory — but a chunk holds at most ``MAX_CELLS`` cells, and a physical line longer
  than ``MAX_STREAM_LINE_BYTES`` is refused (``line_too_long``) so that one line cannot fill the memory.
- Encoding (``encoding=None``): while the file is ASCII nothing needs deciding. At the first non-ASCII piece the
  rest of the file is scanned (bytes only, piece by piece, usually just that piece) for the first line that is
  invalid UTF-8 and the first line that is plausibly UTF-8 Chinese (``sampling.frame_read._first_utf8_line``),
  which is what read_frame's whole-file decision depends on: UTF-8 if the latter comes first (or no invalid
  line exists), else GB18030. A later piece that breaks the decision gives read_frame's ``mixed_encoding`` /
  ``not_text`` problem naming the same line. Lines are cut at ``\\n`` bytes, which never occur inside a UTF-8
  or GB18030 character.
- Parsing: pyarrow's streaming CSV reader (``pyarrow.csv.open_csv``) with read_frame's options; where Arrow
  refuses the file (short or ragged rows, a non-text column) pandas' C parser reads it again from the start,
  skipping the rows already delivered, as read_frame falls back to it. An encoding problem anywhere beats a
  parse error, as in read_frame (which decodes the whole file first).
- Read whole (they are bounded already or rare): XLSX workbooks (``MAX_CELLS``, openpyxl read-only), UTF-16
  files and explicit encodings other than UTF-8 and GBK/GB18030. Their table is still validated in chunks.

Known difference: a duplicate id whose first occurrence is in an earlier chunk is found by the store only for
chunks that were yielded (a chunk with a problem is not), and a duplicate within a chunk names its first row
in that chunk. Files with CR-only line ends are one physical line (refused past ``MAX_STREAM_LINE_BYTES``).
"""

from __future__ import annotations

import codecs
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

import sampling.frame_read as frame_read
from sampling.frame_decode import (
    _STREAMED_CODECS,
    MAX_STREAM_LINE_BYTES,
    _Decoder,
    _open_payload,
    _payload_file,
)
from sampling.frame_headers import resolve_headers
from sampling.frame_read import (
    HEAD_LINES,
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    PANDAS_CSV_OPTIONS,
    _too_many_columns,
    all_text,
    arrow_csv_options,
    check_csv_head,
    codec_name,
    find_header_row,
    parse_error,
    read_source,
    read_table,
    separator,
)
from sampling.frame_schema import (
    MAX_PROBLEMS,
    UNKNOWN_ROWS_SHOWN,
    FrameResult,
    Problem,
    UnknownValue,
    failed,
    make_problem,
)
from sampling.frame_validate import MAX_UNKNOWN_VALUES, check_arguments, validate_rows
from sampling.places import PlaceList

__all__ = ["FrameStream", "MAX_STREAM_LINE_BYTES"]

#: Arrow's CSV block size and pandas' rows per parsed block.
ARROW_BLOCK_BYTES = 2**20
PANDAS_BLOCK_ROWS = 50_000
_HEAD_BYTES = HEAD_LINES * (MAX_LINE_BYTES + 2)


class _CsvTable:
    """The table rows of a CSV, parsed in blocks (``problem`` set when the file cannot be read)."""

    def __init__(self, path: Path, encoding: str | None, bom: bool) -> None:
        self.path, self.encoding, self.bom = path, encoding, bom
        self.problem: Problem | None = None
        self.leading = 0

    def blocks(self) -> Iterator[pd.DataFrame]:
        decoder = _Decoder(self.path, self.encoding, self.bom)
        self.leading, head, rest = _open_payload(decoder)
        if decoder.problem is not None or (rest is None and not head.strip()):
            self.problem = decoder.problem or make_problem("empty_file")
            return
        end = head.find(b"\n")
        sep = separator((head if end < 0 else head[:end]).decode("utf-8"))
        delivered = 0
        if frame_read._USE_PYARROW:
            try:
                for block in self._arrow(head, rest, sep):
                    delivered += len(block)
                    yield block
                self.problem = decoder.problem  # the payload ends early at an encoding problem
                return
            except Exception:  # noqa: BLE001 — Arrow refused the file: pandas' parser reads it, as in read_frame
                if decoder.problem is not None:
                    self.problem = decoder.problem
                    return
        yield from self._pandas(sep, skip=delivered)

    def _arrow(self, head: bytes, rest: Iterator[bytes], sep: str) -> Iterator[pd.DataFrame]:
        import pyarrow.csv as pacsv

        options = arrow_csv_options(head, sep, block_size=ARROW_BLOCK_BYTES)
        reader = pacsv.open_csv(_payload_file(head, rest), **options)
        if not all_text(reader.schema):
            raise ValueError("a column is not text")
        for batch in reader:
            frame = batch.to_pandas()
            frame.columns = range(frame.shape[1])
            yield frame

    def _pandas(self, sep: str, skip: int) -> Iterator[pd.DataFrame]:
        decoder = _Decoder(self.path, self.encoding, self.bom)
        _, head, rest = _open_payload(decoder)
        rest = rest or iter(())
        try:
            reader = pd.read_csv(
                _payload_file(head, rest), sep=sep, chunksize=PANDAS_BLOCK_ROWS, **PANDAS_CSV_OPTIONS
            )
            for frame in reader:
                if skip >= len(frame):
                    skip -= len(frame)
                    continue
                yield frame.iloc[skip:]
                skip = 0
        except Exception as exc:  # noqa: BLE001 — any parser failure is a problem in the file
            for _ in rest:  # an encoding problem further down is what read_frame reports
                pass
            self.problem = decoder.problem or parse_error(exc)
            return
        self.problem = decoder.problem


class _WholeTable:
    """A workbook, UTF-16 or otherwise-encoded CSV read whole by :func:`sampling.frame_read.read_table`."""

    def __init__(self, path: Path, encoding: str | None, sheet: str | int | None) -> None:
        self.path, self.encoding, self.sheet = path, encoding, sheet
        self.problem: Problem | None = None
        self.leading = 0

    def blocks(self) -> Iterator[pd.DataFrame]:
        data, name = read_source(self.path)
        table, self.problem = read_table(data, name, encoding=self.encoding, sheet=self.sheet)
        del data
        if table is not None:
            for start in range(0, len(table), PANDAS_BLOCK_ROWS):
                yield table.iloc[start : start + PANDAS_BLOCK_ROWS]


def _read_head(path: Path) -> bytes:
    """The file's first bytes: its first ``HEAD_LINES`` lines in full, or enough to refuse them."""
    head = b""
    with path.open("rb") as f:
        while len(head) < _HEAD_BYTES + 8 and head.count(b"\n") <= HEAD_LINES:
            block = f.read(65536)
            if not block:
                break
            head += block
    return head


def _source(
    path: Path, encoding: str | None, sheet: str | int | None
) -> tuple[object | None, Problem | None]:
    """What reads the file's table (a :class:`_CsvTable` or a :class:`_WholeTable`), or the problem that
    refuses it before any parsing — read_table's first checks, on the head of the file."""
    head = _read_head(path)
    if not head:
        return None, make_problem("empty_file")
    suffix = path.suffix.lower()
    workbook = head[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm", ".xls")
    workbook |= head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if (
        workbook
        or (encoding is None and utf16)
        or (encoding is not None and codec_name(encoding) not in _STREAMED_CODECS)
    ):
        return _WholeTable(path, encoding, sheet), None
    bom = head.startswith(codecs.BOM_UTF8)
    problem, _ = check_csv_head(head[3:] if bom else head[2:] if utf16 else head)
    if problem is not None:
        return None, problem
    return _CsvTable(path, encoding, bom), None


class _Merged:
    """Problems, counts and unknown-value groups of the chunks so far, merged in row order."""

    def __init__(self, max_problems: int) -> None:
        self.max_problems = max_problems
        self.problems: list[Problem] = []
        self.count = self.rows = 0
        self.unknown: dict[str, dict[str, list]] = {"region": {}, "customer_type": {}}

    def add(self, chunk: FrameResult) -> None:
        self.rows += chunk.rows
        self.count += chunk.problem_count
        self.problems += chunk.problems[: self.max_problems - len(self.problems)]
        for u in chunk.unknown:
            groups = self.unknown.setdefault(u.column, {})
            if u.value in groups:
                group = groups[u.value]
                group[1] += u.count
                group[2] = (group[2] + list(u.rows))[:UNKNOWN_ROWS_SHOWN]
            elif len(groups) < MAX_UNKNOWN_VALUES:
                groups[u.value] = [u.header, u.count, list(u.rows)]

    def groups(self) -> tuple[UnknownValue, ...]:
        return tuple(
            UnknownValue(column, header, value, count, tuple(rows))
            for column, groups in self.unknown.items()
            for value, (header, count, rows) in groups.items()
        )


class FrameStream:
    """Reads and validates a CSV file in chunks of ``chunk_rows`` data rows, bounded memory.

    Parameters
    ----------
    path : the CSV or XLSX file.
    encoding, sheet, mapping, places, max_problems : as for :func:`sampling.frame.read_frame`.
    chunk_rows : table rows validated at a time (fewer when a chunk would exceed ``MAX_CELLS`` cells).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "frame.csv"
    >>> _ = path.write_bytes("户号,供电单位,用户类别\\n0012,福州,居民\\n0013,厦门,农业\\n".encode("gbk"))
    >>> stream = FrameStream(path, chunk_rows=1)
    >>> [(frame["id"].tolist(), rows.tolist()) for frame, rows in stream.chunks()]
    [(['0012'], [2]), (['0013'], [3])]
    >>> stream.result.ok, stream.result.rows, stream.result.frame
    (True, 2, None)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        encoding: str | None = None,
        sheet: str | int | None = None,
        mapping: dict[str, str | None] | None = None,
        places: PlaceList | None = None,
        max_problems: int = MAX_PROBLEMS,
        chunk_rows: int = 200_000,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or os.PathLike, but got {type(path).__name__}")
        check_arguments(mapping, max_problems)
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise ValueError(f"chunk_rows must be an integer ≥ 1, but got {chunk_rows!r}")
        if encoding is not None:
            codec_name(encoding)  # an unknown codec is a ValueError now, not after a first chunk
        self.path, self.encoding, self.sheet, self.mapping = Path(path), encoding, sheet, mapping
        self.places, self.max_problems, self.chunk_rows = places, max_problems, chunk_rows
        self._done: Callable[[], FrameResult] | None = None
        self._extra: list[Problem] = []
        self._extra_count = 0

    @property
    def result(self) -> FrameResult:
        """After chunks() is exhausted: frame=None, problems merged over chunks in row order and capped at
        max_problems, problem_count = all of them, rows = data rows, mapping = header→column used, unknown =
        UnknownValue groups merged across chunks. File-level problems appear as read_frame reports them."""
        if self._done is None:
            raise RuntimeError("FrameStream.result is known once chunks() has been read to the end")
        return self._done()

    def add_problems(self, problems: list[Problem], count: int | None = None) -> None:
        """Problems found outside (e.g. duplicate ids across chunks, found by the store): merged into result.

        ``count`` is how many there are in all (default ``len(problems)``), when only the first are given.
        """
        self._extra += problems
        self._extra_count += len(problems) if count is None else count

    def chunks(self) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """Yield (frame, rows) per chunk whose rows have no problem: ``frame`` has OUTPUT_COLUMNS exactly as
        read_frame's frame would have for those rows, ``rows`` the spreadsheet row numbers (as in problems).
        A chunk with any problem is not yielded (the import will fail) but is still validated so every
        problem is counted."""
        self._done = None
        table, problem = _source(self.path, self.encoding, self.sheet)
        if problem is not None:
            self._done = lambda: failed([problem])
            return
        merged = _Merged(self.max_problems)
        header = yield from self._read(table, merged)
        self._done = lambda: self._finish(table, merged, header)

    def _read(
        self, table: _CsvTable | _WholeTable, merged: _Merged
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """Yield the valid chunks; return the header (``_Header``) or the result that stops at it."""
        blocks = table.blocks()
        head: list[pd.DataFrame] = []
        for block in blocks:  # the header is searched in the table's first 100 rows
            head.append(block)
            if table.leading + sum(map(len, head)) >= 100:
                break
        parsed = pd.concat(head, ignore_index=True) if head else None
        del head
        header, stop = self._header(parsed, table.leading)
        if stop is not None:
            below = sum(len(b) for b in blocks)  # read to the end: a problem further down comes first
            if header is None:
                return stop
            total = table.leading + len(parsed) + below  # the table's rows, as read_frame counts them
            return failed(list(stop.problems), total - header.row - 1, stop.mapping)
        start = header.row + 1  # table index of the first pending row
        body = parsed.iloc[start - table.leading :]
        size = max(1, min(self.chunk_rows, frame_read.MAX_CELLS // len(header.names)))
        pending: list[pd.DataFrame] = []
        count = 0
        for block in itertools.chain([body], blocks):
            pending.append(block)
            count += len(block)
            if count < size:
                continue
            rows = pd.concat(pending, ignore_index=True)
            while len(rows) >= size:
                yield from self._validate(rows.iloc[:size], start, header, merged)
                rows, start = rows.iloc[size:], start + size
            pending, count = [rows], len(rows)
        if count:
            yield from self._validate(pd.concat(pending, ignore_index=True), start, header, merged)
        return header

    def _header(self, parsed: pd.DataFrame | None, leading: int) -> tuple[_Header | None, FrameResult | None]:
        """The header row of the table's head (read_frame's ``validate_table``), and the result that stops
        the import there (mapping problems come with their header: their ``rows`` count the whole table)."""
        if parsed is None:
            return None, failed([make_problem("empty_file")])
        if parsed.shape[1] > MAX_COLUMNS:  # a quoted line break hid a wider line from the head check
            return None, failed([_too_many_columns(f"{parsed.shape[1]:,}")])
        head = parsed.iloc[:100]
        if leading:
            blank = pd.DataFrame([[""] * parsed.shape[1]] * min(leading, 100), dtype="str")
            head = pd.concat([blank, head], ignore_index=True)
        h = find_header_row(head, self.mapping)
        if h is None:
            return None, failed([make_problem("empty_file")])
        names = [str(v).strip() for v in head.iloc[h]]
        index, problems = resolve_headers(names, self.mapping)
        used = {names[j].strip().lstrip("\ufeff"): c for c, j in index.items()}
        header = _Header(h, names, index, used)
        return header, (failed(problems, 0, used) if problems else None)

    def _validate(
        self, frame: pd.DataFrame, start: int, header: _Header, merged: _Merged
    ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        columns = [frame.iloc[:, j].reset_index(drop=True) for j in range(frame.shape[1])]
        rows = np.arange(start, start + len(frame)) + 1
        result, kept = validate_rows(
            header.names,
            columns,
            rows,
            self.mapping,
            self.max_problems,
            self.places,
            unknown_limit=len(frame) + 1,
        )
        if result.rows == 0:  # only blank rows
            return
        merged.add(result)
        if result.ok:
            yield result.frame, kept

    def _finish(
        self, table: _CsvTable | _WholeTable, merged: _Merged, header: _Header | FrameResult
    ) -> FrameResult:
        if table.problem is not None:
            return failed([table.problem])
        if isinstance(header, FrameResult):
            return header
        if merged.rows == 0:
            return failed([make_problem("no_data_rows")], 0, header.used)
        order = header.index
        problems = sorted(merged.problems + self._extra, key=lambda p: (p.row or 0, order.get(p.column, -1)))[
            : self.max_problems
        ]
        count = merged.count + self._extra_count
        return FrameResult(None, tuple(problems), count, merged.rows, header.used, merged.groups())


class _Header(NamedTuple):
    """The header row found: its table index, the stripped header cells, ``{column: position}`` and the mapping."""

    row: int
    names: list[str]
    index: dict[str, int]
    used: dict[str, str]
