"""The upload preview finds the header row exactly as read_frame does; PRNs hashed in parallel are identical."""

import hashlib

import pandas as pd
import pytest

from sampling.frame import find_header_row, read_frame, read_table
from sampling.frame_upload import peek
from sampling.prn import prn_array

TITLED = "2026年客户名单,,,\n,,,\n户号,户名,供电单位,用户类别\n001,甲,福州,居民\n002,乙,厦门,农业\n".encode(
    "gbk"
)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["户号", "供电单位"], ["1", "福州"]], 0),
        ([["客户名单", ""], ["", ""], ["户号", "供电单位"], ["1", "福州"]], 2),
        ([["a", "b"], ["1", "2"]], 0),  # no known header: the first non-blank row
        ([["", ""], [" ", ""]], None),
    ],
)
def test_find_header_row(rows, expected):
    assert find_header_row(pd.DataFrame(rows)) == expected


def test_find_header_row_honours_a_user_mapping():
    table = pd.DataFrame([["标题", ""], ["编号", "单位"], ["1", "福州"]])
    assert find_header_row(table) == 0
    assert find_header_row(table, {"编号": "id"}) == 1


def test_peek_skips_title_rows_like_read_frame():
    table, problem = read_table(TITLED, "f.csv")
    assert problem is None and find_header_row(table) == 2
    head = peek(TITLED, "f.csv")
    assert head.headers == ("户号", "户名", "供电单位", "用户类别")
    assert head.rows["户号"].tolist() == ["001", "002"]
    result = read_frame(TITLED)
    assert result.ok and result.frame["id"].tolist() == head.rows["户号"].tolist()


def test_peek_reports_file_problems():
    assert "empty" in peek(b"", "f.csv").problem


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_prn_array_in_parallel_equals_the_formula(processes):
    ids = [f"35{i:010d}" for i in range(5_003)] + [7, "户号"]
    expected = [int(hashlib.sha256(f"k{i}".encode()).hexdigest()[:13], 16) / 16**13 for i in ids]
    assert prn_array("k", ids, processes=processes).tolist() == expected
    assert prn_array("k", pd.Series(ids[:-2], dtype="str"), processes=processes).tolist() == expected[:-2]


def test_prn_array_rejects_bad_processes():
    with pytest.raises(ValueError, match="processes must be a positive integer or None, but got 0"):
        prn_array("k", ["1"], processes=0)
