"""Hostile frame files are refused before they are parsed (issue 11, item 8).

Before: a 10 MB CSV with 1,000,000 columns ran > 600 s in header detection; an XLSX with one cell in column
XFD per row (2.5 KB) took 108 s and 1.2 GB. Each test makes the parsers fail if they are reached, so
"refused before parsing" is checked directly, not through a timing.
"""

from __future__ import annotations

import io
import re
import time
import zipfile

import openpyxl
import pytest
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from sampling import frame_read
from sampling.frame import read_frame
from sampling.frame_read import MAX_COLUMNS, read_table
from sampling.frame_upload import peek

HEADER = "户号,供电单位,用户类别"


@pytest.fixture
def no_csv_parsing(monkeypatch):
    """Any CSV decoding or parsing fails the test."""

    def reached(*args, **kwargs):
        raise AssertionError("the file was decoded or parsed; it should have been refused before")

    for name in ("_read_plain_utf8", "_parse_arrow", "_parse_csv", "_decode"):
        monkeypatch.setattr(frame_read, name, reached)


def _refused(data: bytes, code: str, filename: str = "") -> str:
    table, problem = read_table(data, filename)
    assert table is None and problem is not None and problem.code == code, problem
    assert str(MAX_COLUMNS) in problem.message_en or code != "too_many_columns"
    return problem.message_zh + " / " + problem.message_en


def test_million_column_csv_is_refused_before_parsing(no_csv_parsing):
    data = (",".join(f"c{i}" for i in range(1_000_000)) + "\n" + "1," * 999_999 + "1\n").encode()
    assert len(data) > 9_000_000
    started = time.perf_counter()
    message = _refused(data, "too_many_columns")
    assert time.perf_counter() - started < 1
    assert "列数过多" in message and "at most 200" in message
    result = read_frame(data)  # the public entry point says the same
    assert not result.ok and result.problems[0].code == "too_many_columns"
    assert "列数过多" in peek(data).problem


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(("a," * MAX_COLUMNS + "a\n1\n").encode(), "too_many_columns", id="201 columns"),
        pytest.param(("a\t" * 5000 + "a\n").encode(), "too_many_columns", id="tabs"),
        pytest.param(("a;" * 5000 + "a\n").encode(), "too_many_columns", id="semicolons"),
        pytest.param(("a," * 5000 + "a\n").encode("utf-16"), "too_many_columns", id="utf-16"),
        pytest.param(("户号," * 5000 + "x\n").encode("gb18030"), "too_many_columns", id="gbk"),
        pytest.param(b"\n\n\r\n" + b"a," * 5000 + b"\n", "too_many_columns", id="blank lines first"),
        pytest.param(("客户名单\n" + "a," * 5000 + "\n").encode(), "too_many_columns", id="title row first"),
        pytest.param((HEADER + "\n").encode() * 50 + b"a," * 5000 + b"\n", "too_many_columns", id="line 51"),
        pytest.param(b"\xef\xbb\xbf" + b"a," * 300_000, "too_many_columns", id="bom, no line break"),
        pytest.param(b"x" * 10_000_000, "line_too_long", id="10 MB cell"),
        pytest.param(b"a\r" + b"x" * 1_000_000, "line_too_long", id="CR line endings"),
    ],
)
def test_every_oversized_csv_shape_is_refused_before_parsing(data, code, no_csv_parsing):
    _refused(data, code, "frame.csv")


def test_two_hundred_columns_are_still_read():
    data = (
        HEADER
        + ",".join([""] + [f"x{i}" for i in range(MAX_COLUMNS - 3)])
        + "\n1,福州,居民"
        + "," * 197
        + "\n"
    )
    table, problem = read_table(data.encode())
    assert problem is None and table.shape == (2, MAX_COLUMNS)


def test_cells_and_bytes_are_bounded(monkeypatch, no_csv_parsing):
    monkeypatch.setattr(frame_read, "MAX_CELLS", 1_000)
    message = _refused((HEADER + "\n" + "1,福州,居民\n" * 400).encode(), "too_many_cells")
    assert "401 rows × 3 columns = 1,203 cells, at most 1,000" in message
    monkeypatch.setattr(frame_read, "MAX_FRAME_BYTES", 2**20)
    message = _refused(b"a,b\n" + b"1,2\n" * 300_000, "file_too_large")
    assert "at most 1 MB" in message and "文件过大" in message


def test_a_wide_line_further_down_fails_fast_as_a_parse_error():
    data = (HEADER + "\n" + "1,福州,居民\n" * 200).encode() + b"1," * 1_000_000 + b"\n"
    started = time.perf_counter()
    table, problem = read_table(data)
    assert table is None and problem.code == "parse_error"
    assert time.perf_counter() - started < 10


# --- XLSX ------------------------------------------------------------------------------------------------


def _xfd_workbook(rows: int, *, drop_dimension: bool = False, column: int = 16_384) -> bytes:
    """A workbook with a normal header and data, plus one cell in ``column`` (XFD) on every row."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(HEADER.split(","))
    for i in range(rows):
        ws.append([str(i + 1), "福州", "居民"])
    for r in range(1, rows + 2):
        ws.cell(row=r, column=column, value="x")
    out = io.BytesIO()
    book.save(out)
    if not drop_dimension:
        return out.getvalue()
    rewritten = io.BytesIO()  # a writer that stores no dimension tag: only the cells tell the width
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as src, zipfile.ZipFile(rewritten, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<dimension [^>]*/>", b"", content)
            dst.writestr(item, content)
    return rewritten.getvalue()


def test_xlsx_with_a_cell_in_column_xfd_is_refused_from_its_dimension(monkeypatch):
    def reached(*args, **kwargs):
        raise AssertionError("cells were read; the sheet should have been refused from its dimension")

    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", reached)
    data = _xfd_workbook(100)
    message = _refused(data, "too_many_columns", "frame.xlsx")
    assert "16,384" in message and "工作表“Sheet”" in message and "sheet 'Sheet'" in message


def test_xlsx_without_dimension_tag_and_a_value_far_right_is_refused_quickly():
    """Read at most one column past the limit (108 s and 1.2 GB before), and a value further right is refused
    naming its column — not silently dropped (the rows used to be cut at column 201)."""
    data = _xfd_workbook(2_000, drop_dimension=True)
    started = time.perf_counter()
    table, problem = read_table(data, "frame.xlsx")
    assert time.perf_counter() - started < 10
    assert table is None and problem.code == "too_many_columns" and "16,384" in problem.message_en
    assert _refused(_xfd_workbook(3, drop_dimension=True, column=300), "too_many_columns", "f.xlsx")


def test_xlsx_without_dimension_tag_within_the_limit_reads_every_column():
    table, problem = read_table(_xfd_workbook(4, drop_dimension=True, column=MAX_COLUMNS), "f.xlsx")
    assert problem is None and table.shape == (5, MAX_COLUMNS) and set(table.iloc[:, -1]) == {"x"}


def test_xlsx_without_dimension_tag_and_too_many_filled_columns_is_refused():
    _refused(_xfd_workbook(5, drop_dimension=True, column=MAX_COLUMNS + 1), "too_many_columns", "f.xlsx")


def test_xlsx_cells_and_unzipped_size_are_bounded(monkeypatch):
    data = _xfd_workbook(50, column=3)
    monkeypatch.setattr(frame_read, "MAX_CELLS", 100)
    assert "51 rows × 3 columns" in _refused(data, "too_many_cells", "f.xlsx")
    monkeypatch.setattr(frame_read, "MAX_XLSX_UNZIPPED", 1_000)
    assert "unzipped" in _refused(data, "file_too_large", "f.xlsx")
