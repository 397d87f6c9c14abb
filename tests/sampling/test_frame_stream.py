"""FrameStream reads what read_frame reads, chunk by chunk, in bounded memory (issue 15, item 1).

The reference is :func:`sampling.frame.read_frame` on the same file: every sample of the frame tests (and the
hostile ones) gives the same problem count, problems (code, row, column, value, message), unknown groups,
mapping and row count, and the chunks put together are read_frame's frame. Chunks of 3 and 7 rows and tiny
read pieces and parser blocks put every boundary inside the samples.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling.frame_decode as frame_decode
import sampling.frame_stream as frame_stream
from sampling.frame import OUTPUT_COLUMNS, read_frame
from sampling.frame_schema import make_problem
from sampling.frame_stream import FrameStream
from tests.sampling.frame_samples import HEADER_EN, HEADER_ZH, csv_text
from tests.sampling.stream_samples import SAMPLES, _row
from tests.sampling.test_frame_read import XLSX_ROWS, write_xlsx
from tests.sampling.test_places import PLACES


@pytest.fixture
def small_pieces(monkeypatch):
    """Read 37 bytes at a time and parse in tiny blocks, so that every boundary falls inside the samples."""
    monkeypatch.setattr(frame_decode, "PIECE_BYTES", 37)
    monkeypatch.setattr(frame_stream, "ARROW_BLOCK_BYTES", 4096)
    monkeypatch.setattr(frame_stream, "PANDAS_BLOCK_ROWS", 5)


def stream(path, chunk_rows, **kwargs):
    """The stream's result, frames and rows, with the store's part played here: duplicate ids across the
    yielded chunks are reported through add_problems, as survey/ does."""
    s = FrameStream(path, chunk_rows=chunk_rows, **kwargs)
    frames, rows, first_row = [], [], {}
    duplicates = []
    for frame, chunk_rows_seen in s.chunks():
        assert tuple(frame.columns) == OUTPUT_COLUMNS
        assert len(frame) == len(chunk_rows_seen)
        for value, row in zip(frame["id"].tolist(), chunk_rows_seen.tolist(), strict=True):
            if value in first_row:
                duplicates.append(make_problem("duplicate_id", row, "id", value, first_row=first_row[value]))
            else:
                first_row[value] = row
        frames.append(frame)
        rows.append(chunk_rows_seen)
    s.add_problems(duplicates)
    return s.result, frames, rows


def assert_same(path, chunk_rows, **kwargs):
    expected = read_frame(path, **kwargs)
    result, frames, rows = stream(path, chunk_rows, **kwargs)
    seen = [(p.code, p.row, p.column, p.value, p.message_en, p.message_zh) for p in result.problems]
    assert seen == [(p.code, p.row, p.column, p.value, p.message_en, p.message_zh) for p in expected.problems]
    assert result.problem_count == expected.problem_count
    assert (result.rows, result.mapping, result.unknown) == (
        expected.rows,
        expected.mapping,
        expected.unknown,
    )
    assert result.frame is None and result.ok == expected.ok
    if expected.ok:
        pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), expected.frame)
        numbers = np.concatenate(rows)
        assert (np.diff(numbers) > 0).all() and numbers[0] >= 2
    return result


@pytest.mark.parametrize("size", ["3", "7", "whole"])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_sample_reads_as_read_frame_reads_it(tmp_path, engine, small_pieces, name, size):
    """Chunks of 3 and 7 rows (about 8 and 3 chunks for the samples of thousands of rows: a chunk's checks
    cost ~20 ms whatever its size), and one chunk."""
    data, kwargs = SAMPLES[name]
    path = tmp_path / "frame.csv"
    path.write_bytes(data)
    lines = len(re.findall(rb"\r\n|\r|\n", data)) + 1
    chunk_rows = {"3": max(3, lines // 8), "7": max(7, lines // 3 + 1), "whole": 10**6}[size]
    assert_same(path, chunk_rows, **kwargs)


@pytest.mark.parametrize("chunk_rows", [1, 2, 1_000])
def test_workbooks_are_read_whole_and_validated_in_chunks(tmp_path, chunk_rows):
    rows = [
        ["福州供电公司客户清单"],
        [],
        *XLSX_ROWS,
        ["0012347", "", "", "福州", "怪"],
        ["3", "=HYPERLINK(1)", "", "福州", "居民"],
    ]
    write_xlsx(tmp_path / "bad.xlsx", {"客户": rows, "说明": [["x"]]})
    write_xlsx(tmp_path / "good.xlsx", {"说明": [["x"]], "客户": XLSX_ROWS})
    assert not assert_same(tmp_path / "bad.xlsx", chunk_rows).ok
    assert assert_same(tmp_path / "good.xlsx", chunk_rows, sheet="客户").ok
    assert assert_same(tmp_path / "good.xlsx", chunk_rows, sheet=5).problems[0].code == "sheet_not_found"


def _big(rows: int, line=_row) -> list[str]:
    return [line(i) for i in range(rows)]


@pytest.mark.parametrize("late_encoding, early_encoding", [("gbk", "utf-8"), ("utf-8", "gbk")])
def test_a_line_in_another_encoding_in_a_late_chunk_is_named(
    tmp_path, monkeypatch, late_encoding, early_encoding
):
    monkeypatch.setattr(frame_decode, "PIECE_BYTES", 4096)
    lines = [HEADER_ZH, *_big(3_000)]
    data = b"".join(
        (line + "\n").encode(late_encoding if k == 2_500 else early_encoding) for k, line in enumerate(lines)
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    s = FrameStream(path, chunk_rows=200)
    yielded = sum(len(frame) for frame, _ in s.chunks())
    assert yielded >= 2_000  # the chunks before the bad line were read and yielded
    assert [(p.code, p.row) for p in s.result.problems] == [("mixed_encoding", 2_501)]
    assert "line 2501" in s.result.problems[0].message_en and s.result.problem_count == 1
    assert read_frame(path).problems == s.result.problems


def test_an_ascii_file_whose_first_hanzi_is_gbk_far_down_is_read_as_gbk(tmp_path, monkeypatch):
    monkeypatch.setattr(frame_decode, "PIECE_BYTES", 4096)
    lines = [
        HEADER_EN,
        *[_row(i, name="Zhang", region="fz", district="", customer_type="residential") for i in range(3_000)],
    ]
    lines[2_500] = _row(2_499, name="李四", region="fz", district="", customer_type="residential")
    path = tmp_path / "late.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    result = assert_same(path, 200)
    assert result.ok and result.rows == 3_000


def test_a_duplicate_inside_one_chunk_is_reported_as_read_frame_does(tmp_path, engine):
    lines = _big(30)
    lines[17] = _row(12)  # rows 14 and 19 hold the same id, both in the chunk of rows 12-21
    path = tmp_path / "dup.csv"
    path.write_bytes(csv_text(*lines, header=HEADER_EN).encode())
    result = assert_same(path, 10)
    assert [(p.code, p.row, p.value) for p in result.problems] == [("duplicate_id", 19, "0000012")]
    assert "first seen in row 14" in result.problems[0].message_en


def test_duplicates_across_chunks_come_from_add_problems_in_row_order(tmp_path):
    lines = _big(30)
    lines[25] = _row(3)  # rows 5 and 27, in different chunks
    lines[12] = _row(12, region="")  # an empty region in row 14
    path = tmp_path / "dup.csv"
    path.write_bytes(csv_text(*lines, header=HEADER_EN).encode())
    result = assert_same(path, 10)  # the store (played by stream()) reports the duplicate
    assert [(p.code, p.row) for p in result.problems] == [("empty_required", 14), ("duplicate_id", 27)]
    alone = FrameStream(path, chunk_rows=10)
    list(alone.chunks())
    alone.add_problems([make_problem("duplicate_id", 27, "id", "0000003", first_row=5)] * 2, count=7)
    assert alone.result.problem_count == 8 and len(alone.result.problems) == 3


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["", "=1+1", "1.2E+11", "x"]),  # id suffix (an id stays distinct)
            st.sampled_from(["福州", "泉州市供电公司", "", "漳州", "Quanzhou"]),
            st.sampled_from(["居民", "commercial", "", "外星", "农业生产用电"]),
            st.sampled_from(["13812345678", "", "+86 138 1234 5678", "12345", "０５９１-８７６５４３２１"]),
            st.sampled_from(["张三", '"多行\n名字"', '"a,b"', "", "长" * 201]),
            st.sampled_from(["0", "", "-1", "3.0"]),
            st.booleans(),  # a blank row instead
        ),
        max_size=30,
    ),
    chunk_rows=st.integers(1, 12),
    encoding=st.sampled_from(["utf-8", "gbk"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    places=st.booleans(),
)
def test_random_frames_and_chunk_sizes(tmp_path_factory, cells, chunk_rows, encoding, newline, places):
    lines = []
    for i, (suffix, region, ctype, phone, name, complaints, blank) in enumerate(cells):
        ident = "" if suffix == "" and i % 5 == 4 else f"{i:04d}{suffix if suffix != '=1+1' else ''}"
        ident = suffix if suffix == "=1+1" else ident
        lines.append(",,,,,,,," if blank else f"{ident},{name},{phone},{region},,{ctype},,{complaints},")
    path = tmp_path_factory.mktemp("frames") / "frame.csv"
    path.write_bytes(csv_text(*lines, header=HEADER_EN).replace("\n", newline).encode(encoding))
    assert_same(path, chunk_rows, places=PLACES if places else None)


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="chunk_rows must be an integer ≥ 1, but got 0"):
        FrameStream("f.csv", chunk_rows=0)
    with pytest.raises(ValueError, match="encoding must be a known codec name, but got 'klingon'"):
        FrameStream("f.csv", encoding="klingon")
    with pytest.raises(ValueError, match="max_problems must be an integer ≥ 0"):
        FrameStream("f.csv", max_problems=-1)
    with pytest.raises(TypeError, match="path must be a str or os.PathLike, but got bytes"):
        FrameStream(b"a,b\n")
    with pytest.raises(RuntimeError, match="once chunks"):
        FrameStream("f.csv").result  # noqa: B018


# ------------------------------------------------------------------------------------------------- memory

_MEASURE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import pyarrow as pa
    from sampling.frame import read_frame
    from sampling.frame_stream import FrameStream
    path, how = sys.argv[1], sys.argv[2]
    tracemalloc.start()
    if how == "stream":
        s = FrameStream(path, chunk_rows=50_000)
        rows = sum(len(frame) for frame, _ in s.chunks())
        ok = s.result.ok
    else:
        r = read_frame(path)
        rows, ok = len(r.frame), r.ok
    python_peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"rows": rows, "ok": ok, "peak": python_peak + pa.default_memory_pool().max_memory()}))
    """
)


def _held(path, how: str) -> dict:
    """Peak bytes held by Python objects and numpy (tracemalloc) plus Arrow's pool, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), how], capture_output=True, text=True,
                         check=True, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))  # fmt: skip
    return json.loads(out.stdout)


def _write_rows(path, rows: int):
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER_ZH + "\n")
        for lo in range(0, rows, 50_000):
            f.write(
                "".join(
                    f"{i:010d},张三{i % 977},138{i:08d},福州,鼓楼区,居民,城镇,0,否\n"
                    for i in range(lo, lo + 50_000)
                )
            )
    return path


def test_memory_is_bounded_by_the_chunk_not_the_file(tmp_path):
    """300k rows in chunks of 50k: the stream holds a couple of chunks (well under read_frame's whole table),
    and twice the rows hold no more."""
    path = _write_rows(tmp_path / "300k.csv", 300_000)
    whole, streamed = _held(path, "whole"), _held(path, "stream")
    doubled = _held(_write_rows(tmp_path / "600k.csv", 600_000), "stream")
    assert whole["rows"] == streamed["rows"] == 300_000 and doubled["rows"] == 600_000
    assert whole["ok"] and streamed["ok"] and doubled["ok"]
    mb = {k: v["peak"] / 2**20 for k, v in (("whole", whole), ("300k", streamed), ("600k", doubled))}
    assert streamed["peak"] < 0.65 * whole["peak"], mb  # ~0.54 measured: 2 chunks of 6 plus the read pieces
    # the file doubled, the stream's memory did not (measured 75 → 94 MB, then 95 MB at 1.2M rows: the
    # 300k file has fewer full chunks in flight; memory that followed the file would double)
    assert doubled["peak"] < 1.5 * streamed["peak"], mb
