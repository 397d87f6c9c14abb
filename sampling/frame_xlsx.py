"""Reading an XLSX workbook's sheet into a table of text cells (pure; split from :mod:`sampling.frame_read`).

The limits are :mod:`sampling.frame_read`'s (read at call time, so a test that lowers one there lowers it here): an
XLSX that unzips to more than ``MAX_XLSX_UNZIPPED`` bytes, or whose sheet dimension (read in openpyxl's read-only
mode before any cell) exceeds ``MAX_COLUMNS`` or ``MAX_CELLS``, is refused. A sheet whose dimension tag is missing
or wrong is read at most ``MAX_COLUMNS + 1`` columns wide, and a value further right refuses it
(:func:`_watch_width`).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pandas as pd

from sampling import frame_read
from sampling.frame_schema import Problem, make_problem, shorten


def read_xlsx(data: bytes, sheet: str | int | None) -> tuple[pd.DataFrame | None, Problem | None]:
    """The sheet ``sheet`` (name, 0-based index, or None for the first) as a header-less all-text table, or
    ``(None, problem)`` for a corrupt, hostile or empty workbook."""
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise TypeError(
            f"sheet must be a sheet name, a 0-based index or None, but got {type(sheet).__name__}"
        )
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > frame_read.MAX_XLSX_UNZIPPED:
            return None, make_problem(
                "file_too_large",
                found=f"{frame_read._size(unzipped)} unzipped",
                limit=frame_read._size(frame_read.MAX_XLSX_UNZIPPED),
            )
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # corrupt zip, not a workbook, …
        return None, make_problem("bad_xlsx", detail=shorten(f"{type(exc).__name__}: {exc}", 200))
    try:
        names = book.sheetnames
        if sheet is None:
            sheet = 0
        if (isinstance(sheet, str) and sheet not in names) or (
            isinstance(sheet, int) and not 0 <= sheet < len(names)
        ):
            return None, make_problem("sheet_not_found", value=sheet, sheets="、".join(names))
        ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
        title = ws.title
        tagged_rows, tagged_columns = ws.max_row, ws.max_column  # the dimension tag, before any cell is read
        if tagged_columns and tagged_columns > frame_read.MAX_COLUMNS:
            return None, frame_read._too_many_columns(f"{tagged_columns:,}", title)
        if tagged_rows and tagged_columns and tagged_rows * tagged_columns > frame_read.MAX_CELLS:
            return None, frame_read._too_many_cells(tagged_rows, tagged_columns, title)
        ws.reset_dimensions()  # some writers store a wrong dimension tag
        rows, width = [], 0
        widest = _watch_width(ws)
        for row in ws.iter_rows(min_row=1, max_col=frame_read.MAX_COLUMNS + 1, values_only=True):
            if widest[0] > frame_read.MAX_COLUMNS:  # a value further right than is read: refused, not ignored
                return None, frame_read._too_many_columns(f"{widest[0]:,}", title)
            used = len(row)
            while used and row[used - 1] is None:  # read-only mode pads rows to max_col
                used -= 1
            if used > frame_read.MAX_COLUMNS:
                return None, frame_read._too_many_columns(f"> {frame_read.MAX_COLUMNS}", title)
            width = max(width, used)
            rows.append(tuple(_cell_text(v) for v in row[:used]))
            if len(rows) * max(width, 1) > frame_read.MAX_CELLS:
                return None, frame_read._too_many_cells(len(rows), width, title)
    except Exception as exc:
        return None, make_problem("bad_xlsx", detail=shorten(f"{type(exc).__name__}: {exc}", 200))
    finally:
        book.close()
    if not any(any(row) for row in rows):
        return None, make_problem("empty_file")
    width = max(map(len, rows))
    return pd.DataFrame([row + ("",) * (width - len(row)) for row in rows], dtype=object).astype("str"), None


def _watch_width(ws: Any) -> list[int]:
    """``[widest filled column so far]``, updated as a read-only sheet's rows are parsed.

    ``iter_rows(max_col=…)`` pads or cuts each row to ``max_col`` columns, so a value further right (a writer
    without a dimension tag) would be dropped without a word; openpyxl's parser gives each cell's column
    before that, which is watched here (openpyxl 3.1 ``ReadOnlyWorksheet._get_row``; without it, nothing is
    watched)."""
    widest = [0]
    real = getattr(ws, "_get_row", None)
    if real is None:
        return widest

    def get_row(row, min_col=1, max_col=None, values_only=False):  # noqa: ANN001, ANN202 (openpyxl's)
        for cell in reversed(row):  # cells come in column order: the filled one furthest right
            if cell.get("value") not in (None, ""):
                widest[0] = max(widest[0], int(cell["column"]))
                break
        return real(row, min_col, max_col, values_only)

    ws._get_row = get_row  # noqa: SLF001 (the instance only)
    return widest


def _cell_text(value: Any) -> str:
    """Spreadsheet cell → text as the user sees it (integral floats lose their '.0'; formulas stay '=…')."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(getattr(value, "text", value))  # ArrayFormula keeps its '=…' in .text
