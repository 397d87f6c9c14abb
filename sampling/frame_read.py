"""Reading a customer frame file into a table of text cells: decoding, CSV/XLSX parsing, header detection (pure).

No validation here: :mod:`sampling.frame_validate` checks the cells. The upload page's preview
(:func:`sampling.frame_upload.peek`) uses the same :func:`read_table` and :func:`find_header_row` as
:func:`sampling.frame.read_frame`, so what the user sees is what is imported.

Hostile files are refused before they are parsed (issue 11, item 8), each with a problem naming the limit
and what was found: more than ``MAX_FRAME_BYTES`` bytes (``file_too_large``); a CSV whose first lines (the
ones the header is searched in) are longer than ``MAX_LINE_BYTES`` (``line_too_long``) or have more than
``MAX_COLUMNS`` fields (``too_many_columns``, counted on the bytes: the separators are ASCII in every
supported encoding), or whose lines × columns exceed ``MAX_CELLS`` (``too_many_cells``); an XLSX that
unzips to more than ``MAX_XLSX_UNZIPPED`` bytes, or whose sheet dimension (read in openpyxl's read-only
mode before any cell) exceeds the columns or cells. An XLSX sheet whose dimension tag is missing or wrong
is read at most ``MAX_COLUMNS + 1`` columns wide (``iter_rows(max_col=…)``; a value in column
``MAX_COLUMNS + 1`` refuses it, values further right are not read), so one cell in column XFD per row no
longer makes 16,384-wide rows (108 s and 1.2 GB for a 2.5 KB file before).
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from sampling.frame_schema import COLUMN_ALIASES, REQUIRED_COLUMNS, Problem, header_key, make_problem, shorten

_CJK = re.compile(r"[\u4e00-\u9fff]")
_EOL = re.compile(rb"\r\n|\r|\n")
#: Lines of spaces and tabs only at the start of a decoded CSV (dropped before parsing, counted in row numbers).
LEADING_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")
_USE_PYARROW = True  # tests switch this off to exercise pandas' C parser
HEADER_SEARCH_ROWS = 20
#: Limits checked before a file is parsed (see the module docstring).
MAX_FRAME_BYTES = 512 * 2**20  # the page's upload limit is 200 MB (.streamlit/config.toml); the CLI's this
MAX_COLUMNS = 200
MAX_CELLS = 50_000_000  # e.g. 5M customers × 10 columns; the all-text table costs ~60 bytes a cell
MAX_LINE_BYTES = 256 * 2**10  # a line among the first ``HEAD_LINES`` (where the header is searched)
MAX_XLSX_UNZIPPED = 2 * 2**30
HEAD_LINES = 100


def read_source(
    source: str | os.PathLike[str] | bytes | BinaryIO, filename: str | None = None
) -> tuple[bytes, str]:
    """The bytes of ``source`` (path, bytes or binary file-like, read from its start) and its file name."""
    return _read_source(source, filename)


def read_table(
    data: bytes,
    filename: str = "",
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> tuple[pd.DataFrame | None, Problem | None]:
    """Decode and parse a CSV or XLSX file into a header-less table of strings (row 0 = the file's first line).

    Parameters
    ----------
    data : the file's bytes.
    filename : tells XLSX from CSV by suffix (``PK`` magic also means XLSX; old ``.xls`` is refused).
    encoding : CSV encoding; None detects UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (GBK).
    sheet : XLSX sheet name or 0-based index; None takes the first sheet.

    Returns
    -------
    (table, problem)
        Exactly one is None: the all-text table, or the file-level problem (empty file, bad encoding,
        malformed CSV, unreadable workbook, unknown sheet).
    """
    if not data:
        return None, make_problem("empty_file")
    if len(data) > MAX_FRAME_BYTES:
        return None, make_problem("file_too_large", found=_size(len(data)), limit=_size(MAX_FRAME_BYTES))
    suffix = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, sheet)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or suffix == ".xls":
        return None, make_problem("unsupported_format")
    problem = _check_csv_shape(data)
    if problem is not None:
        return None, problem
    table, problem = _read_csv(data, encoding)
    if table is not None and table.shape[1] > MAX_COLUMNS:  # a quoted line break hid a wider line
        return None, _too_many_columns(f"{table.shape[1]:,}")
    return table, problem


def _size(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def _too_many_columns(found: str, sheet: str | None = None) -> Problem:
    where = ("文件", "the file") if sheet is None else (f"工作表“{sheet}”", f"sheet {sheet!r}")
    return make_problem("too_many_columns", where=where[0], where_en=where[1], found=found, limit=MAX_COLUMNS)


def _too_many_cells(rows: int, columns: int, sheet: str | None = None) -> Problem:
    where = ("文件", "the file") if sheet is None else (f"工作表“{sheet}”", f"sheet {sheet!r}")
    return make_problem(
        "too_many_cells", where=where[0], where_en=where[1], rows=f"{rows:,}", columns=f"{columns:,}",
        found=f"{rows * columns:,}", limit=f"{MAX_CELLS:,}",
    )  # fmt: skip


def _check_csv_shape(data: bytes) -> Problem | None:
    """The CSV's size limits, from its bytes alone (before decoding or parsing).

    The first ``HEAD_LINES`` lines (the header is searched among them) must each be at most
    ``MAX_LINE_BYTES`` long and have at most ``MAX_COLUMNS`` fields (separators counted, quotes ignored, so
    a count may be high, never low); lines × the widest of them must stay within ``MAX_CELLS``. A wider
    line further down makes the parser fail on its field count (a ``parse_error``), and the parsed width is
    checked again after parsing.
    """
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if data.startswith(bom):
            data = data[len(bom) :]
            break
    problem, widest = check_csv_head(data)
    if problem is not None:
        return problem
    lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + (not data.endswith((b"\n", b"\r")))
    if lines * widest > MAX_CELLS:
        return _too_many_cells(lines, widest)
    return None


def check_csv_head(data: bytes) -> tuple[Problem | None, int]:
    """The line limits of :func:`_check_csv_shape` on the first ``HEAD_LINES`` lines of ``data`` (its BOM
    removed): a ``line_too_long`` or ``too_many_columns`` problem, and the widest field count seen.

    ``data`` may be the head of the file only (:mod:`sampling.frame_stream`), provided it holds those lines
    in full or at least ``HEAD_LINES × (MAX_LINE_BYTES + 2)`` bytes.
    """
    position, widest, line_no = 0, 1, 0  # UTF-16 too: its ASCII separators and line breaks are bytes here
    for _ in range(HEAD_LINES):
        if position >= len(data):
            break
        eol = _EOL.search(data, position, position + MAX_LINE_BYTES + 2)
        if eol is None and len(data) - position > MAX_LINE_BYTES + 1:
            window = data[position : position + MAX_LINE_BYTES]
            fields = 1 + max(window.count(sep) for sep in (b",", b"\t", b";"))
            if fields > MAX_COLUMNS:  # 1,000,000 columns on one line: say so, not only "too long"
                found = f"> {fields:,}" + ("" if line_no == 0 else f" (line {line_no + 1})")
                return _too_many_columns(found), widest
            return make_problem("line_too_long", row=line_no + 1, limit=_size(MAX_LINE_BYTES)), widest
        end = len(data) if eol is None else eol.start()
        line = data[position:end]
        line_no += 1
        fields = 1 + max(line.count(sep) for sep in (b",", b"\t", b";"))
        if fields > MAX_COLUMNS:
            return _too_many_columns(f"{fields:,}" + ("" if line_no == 1 else f" (line {line_no})")), widest
        widest = max(widest, fields)
        position = len(data) if eol is None else eol.end()
    return None, widest


def find_header_row(table: pd.DataFrame, mapping: dict[str, str | None] | None = None) -> int | None:
    """Index of the header row of a table from :func:`read_table`, None when its first 100 rows are blank.

    The header is the first non-blank row (among the first ``HEADER_SEARCH_ROWS`` non-blank ones) with a
    cell naming a required column — through ``mapping`` ``{header: column or None}`` or the known aliases —,
    so title rows above the header are skipped; failing that, the first non-blank row.

    >>> find_header_row(pd.DataFrame([["客户名单", ""], ["户号", "供电单位"], ["1", "福州"]]))
    1
    """
    head = table.iloc[:100]
    nonblank = [i for i in range(len(head)) if any(str(v).strip() for v in head.iloc[i])]
    if not nonblank:
        return None
    user = {str(k).strip(): v for k, v in (mapping or {}).items()}

    def names_a_required_column(i: int) -> bool:
        cells = [str(v).strip() for v in head.iloc[i]]
        return any(
            (user[c] if c in user else COLUMN_ALIASES.get(header_key(c))) in REQUIRED_COLUMNS for c in cells
        )

    return next((i for i in nonblank[:HEADER_SEARCH_ROWS] if names_a_required_column(i)), nonblank[0])


def _read_source(source: Any, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return path.read_bytes(), filename or path.name
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or ""
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(
                f"source must be opened in binary mode, but read() returned {type(data).__name__}"
            )
        return bytes(data), filename or str(getattr(source, "name", "") or "")
    raise TypeError(
        f"source must be a path, bytes or a binary file-like object, but got {type(source).__name__}"
    )


def _read_csv(data: bytes, encoding: str | None) -> tuple[pd.DataFrame | None, Problem | None]:
    if encoding is None and _USE_PYARROW:
        table = _read_plain_utf8(data)
        if table is not None:
            return table, None
    text, codec, problem = _decode(data, encoding)
    if problem is not None:
        return None, problem
    if not text or text.isspace():
        return None, make_problem("empty_file")
    leading = LEADING_BLANK_LINES.match(text).group()  # blank lines above the header
    end = text.find("\n", len(leading))
    first_line = text[len(leading) :] if end < 0 else text[len(leading) : end]
    sep = separator(first_line)
    try:
        if codec == "utf-8":  # the ASCII blank lines are as long in bytes as in characters
            payload = data.removeprefix(codecs.BOM_UTF8)[len(leading) :]
        else:
            payload = text[len(leading) :].encode("utf-8")
        raw = _parse_csv(payload, sep)
        blank = pd.DataFrame([[""] * raw.shape[1]] * len(re.findall(r"\r\n|\r|\n", leading)), dtype="str")
        return pd.concat([blank, raw], ignore_index=True) if len(blank) else raw, None
    except Exception as exc:  # any parser failure is a problem in the file, not a crash
        return None, parse_error(exc)


def parse_error(exc: Exception) -> Problem:
    """The ``parse_error`` problem for a CSV parser's exception (its line, when the message names one)."""
    detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    line = re.search(r"line (\d+)", detail)
    row = re.search(r"row (\d+)", detail)
    where = int(line.group(1)) if line else (int(row.group(1)) + 1 if row else None)
    return make_problem("parse_error", row=where, detail=shorten(detail, 200))


def separator(first_line: str) -> str:
    """The CSV separator of a file whose first non-blank line is ``first_line``: the most frequent of
    ``,``, tab and ``;`` (a comma on a tie)."""
    return max([",", "\t", ";"], key=lambda c: (first_line.count(c), c == ","))


def codec_name(encoding: str) -> str:
    """The codec an explicit ``encoding`` is read with (GBK and GB2312 as their superset GB18030)."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"encoding must be a known codec name, but got {encoding!r}") from None
    return "gb18030" if codec in ("gbk", "gb2312", "cp936") else codec


def _decode(data: bytes, encoding: str | None) -> tuple[str, str, Problem | None]:
    """Decoded text, the codec used and a problem (if the bytes are not text in a supported encoding)."""
    if encoding is not None:
        codec = codec_name(encoding)
        try:
            return data.decode("utf-8-sig" if codec == "utf-8" else codec).lstrip("\ufeff"), codec, None
        except UnicodeDecodeError as exc:
            return (
                "",
                codec,
                make_problem("bad_encoding", row=data.count(b"\n", 0, exc.start) + 1, encoding=encoding),
            )
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16").lstrip("\ufeff"), "utf-16", None
        except UnicodeDecodeError as exc:
            return "", "utf-16", make_problem("not_text", row=data.count(b"\n", 0, exc.start) + 1)
    try:
        return data.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError as exc:
        first_bad_line = data.count(b"\n", 0, exc.start) + 1
    utf8_line = _first_utf8_line(data.decode("utf-8", errors="replace"))
    if utf8_line is not None:
        return "", "", make_problem("mixed_encoding", row=max(utf8_line, first_bad_line))
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("gb18030"), "gb18030", None
    except UnicodeDecodeError as exc:
        return "", "", make_problem("not_text", row=body.count(b"\n", 0, exc.start) + 1)


def _first_utf8_line(loose: str) -> int | None:
    """1-based number of the first line that is UTF-8 Chinese, if any.

    A candidate line decoded cleanly as UTF-8 and holds a CJK ideograph. GBK text is accidentally valid UTF-8
    in a few lines per million; such lines then decode to rarer characters than they do as GB18030, so a
    candidate counts as UTF-8 only when its UTF-8 reading is the more plausible (``_plausibility``).
    """
    position = 0
    while (hit := _CJK.search(loose, position)) is not None:
        start = loose.rfind("\n", 0, hit.start()) + 1
        end = loose.find("\n", hit.start())
        end = len(loose) if end < 0 else end
        line = loose[start:end]
        if "\ufffd" not in line:
            as_gbk = line.encode("utf-8").decode("gb18030", errors="replace")
            if _plausibility(line) > _plausibility(as_gbk):
                return loose.count("\n", 0, start) + 1
        position = end
    return None


def _plausibility(text: str) -> float:
    """Mean commonness of the characters: ASCII and GB2312 level-1 hanzi 1, level-2 hanzi 0.5, others 0."""
    return sum(map(_char_weight, text)) / max(len(text), 1)


@functools.lru_cache(maxsize=65536)
def _char_weight(char: str) -> float:
    if char.isascii():
        return 1.0
    try:
        lead = char.encode("gb2312")[0]
    except UnicodeEncodeError:
        return 0.0
    return 1.0 if lead == 0xA1 or 0xB0 <= lead <= 0xD7 else 0.5


def _read_plain_utf8(data: bytes) -> pd.DataFrame | None:
    """The fast path for the usual file: UTF-8 (BOM or not) whose first line is the header.

    Arrow parses the bytes directly and checks the UTF-8 of every cell itself (all columns are read as
    strings), so the whole file is not decoded in Python first (≈ 0.2 s and ~100 MB for 1M rows). None
    sends the file down the general path of :func:`_read_csv` (other encodings, blank lines above the
    header, anything Arrow refuses), which gives the same table for every file this one accepts.
    """
    body = data.removeprefix(codecs.BOM_UTF8)
    if body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return None
    end = body.find(b"\n", 0, 65536)
    if end < 0:
        return None
    try:
        first_line = body[:end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not first_line.strip():
        return None
    sep = separator(first_line)
    try:
        return _parse_arrow(body, sep)
    except Exception:  # invalid UTF-8 further down, ragged rows…: the general path reports it
        return None


def _parse_arrow(payload: bytes, sep: str) -> pd.DataFrame | None:
    """Parse UTF-8 CSV bytes with pyarrow into a header-less all-string table (raises on bad input;
    None when a column did not come out as text)."""
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(io.BytesIO(payload), **arrow_csv_options(payload, sep))
    if not all_text(table.schema):
        return None
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return frame


def arrow_csv_options(head: bytes, sep: str, block_size: int | None = None) -> dict[str, Any]:
    """pyarrow.csv's ``read_options``, ``parse_options`` and ``convert_options`` for a payload starting with
    ``head`` (its first 64 KB at least, when it has them): every column read as text, nothing as null."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = {} if block_size is None else {"block_size": block_size}
    return {
        "read_options": pacsv.ReadOptions(autogenerate_column_names=True, **read),
        "parse_options": pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
        "convert_options": pacsv.ConvertOptions(
            column_types={f"f{i}": pa.large_string() for i in range(head.count(sep.encode(), 0, 65536) + 2)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
            auto_dict_encode=False,
            check_utf8=True,
        ),
    }


def all_text(schema: Any) -> bool:
    """True when every column of an Arrow ``schema`` is a string column."""
    import pyarrow as pa

    return all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in schema.types)


def _parse_csv(payload: bytes, sep: str) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a header-less all-string table (pyarrow when it can, else pandas' C parser)."""
    if _USE_PYARROW:
        try:
            frame = _parse_arrow(payload, sep)
            if frame is not None:
                return frame
        except Exception:  # ragged rows etc.: pandas' parser below reports them by line
            pass
    return pd.read_csv(io.BytesIO(payload), sep=sep, **PANDAS_CSV_OPTIONS)


#: pandas' C parser options for a header-less all-text table (the fallback parser).
PANDAS_CSV_OPTIONS: dict[str, Any] = {
    "header": None, "dtype": str, "keep_default_na": False, "skip_blank_lines": False, "engine": "c",
    "encoding": "utf-8",
}  # fmt: skip


def _read_xlsx(data: bytes, sheet: str | int | None) -> tuple[pd.DataFrame | None, Problem | None]:
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise TypeError(
            f"sheet must be a sheet name, a 0-based index or None, but got {type(sheet).__name__}"
        )
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
        if unzipped > MAX_XLSX_UNZIPPED:
            return None, make_problem(
                "file_too_large", found=f"{_size(unzipped)} unzipped", limit=_size(MAX_XLSX_UNZIPPED)
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
        if tagged_columns and tagged_columns > MAX_COLUMNS:
            return None, _too_many_columns(f"{tagged_columns:,}", title)
        if tagged_rows and tagged_columns and tagged_rows * tagged_columns > MAX_CELLS:
            return None, _too_many_cells(tagged_rows, tagged_columns, title)
        ws.reset_dimensions()  # some writers store a wrong dimension tag
        rows, width = [], 0
        widest = _watch_width(ws)
        for row in ws.iter_rows(min_row=1, max_col=MAX_COLUMNS + 1, values_only=True):
            if widest[0] > MAX_COLUMNS:  # a value further right than is read: refused, not ignored
                return None, _too_many_columns(f"{widest[0]:,}", title)
            used = len(row)
            while used and row[used - 1] is None:  # read-only mode pads rows to max_col
                used -= 1
            if used > MAX_COLUMNS:
                return None, _too_many_columns(f"> {MAX_COLUMNS}", title)
            width = max(width, used)
            rows.append(tuple(_cell_text(v) for v in row[:used]))
            if len(rows) * max(width, 1) > MAX_CELLS:
                return None, _too_many_cells(len(rows), width, title)
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
