"""Tests for sampling.frame: validating customer frame files — headers, cell rules, problems (reading: test_frame_read.py).

Expected values are written by hand from the file contents (row numbers as Excel shows them: header = row 1).
"""

import numpy as np
import pandas as pd
import pytest

import sampling.frame as frame_module
from sampling.frame import (
    COLUMN_ALIASES,
    MAX_PROBLEMS,
    OUTPUT_COLUMNS,
    Problem,
    problems_table,
    read_frame,
    validate_frame,
)
from tests.sampling.frame_samples import GOOD_ROWS, HEADER_EN, HEADER_ZH, codes, csv_text

# --------------------------------------------------------------------------------------------- good frames


def test_good_frame_is_clean_and_normalised(engine):
    result = read_frame(csv_text(*GOOD_ROWS).encode("utf-8"))
    assert result.ok and result.problems == () and result.problem_count == 0 and result.rows == 3
    df = result.frame
    assert list(df.columns) == list(OUTPUT_COLUMNS)
    assert df["id"].tolist() == ["0012345", "0012346", "0012347"]  # leading zeros kept
    assert df["name"].tolist() == ["张三", "李四", "王五"]
    assert df["phone"].tolist() == ["13812345678", "", "059187654321"]
    assert df["has_valid_phone"].tolist() == [True, False, True]
    assert df["region"].tolist() == ["福州", "厦门", "泉州"]
    assert df["customer_type"].tolist() == ["居民", "一般工商业", "大工业"]
    assert df["urban_rural"].tolist() == ["城镇", "农村", ""]
    assert df["complaints_12m"].tolist() == [0, 2, 0]
    assert df["opted_out"].tolist() == [False, True, False]
    assert df["complaints_12m"].dtype == np.int64 and df["opted_out"].dtype == bool
    assert result.mapping == {
        "户号": "id", "户名": "name", "联系电话": "phone", "供电单位": "region", "区县": "district",
        "用户类别": "customer_type", "城乡类别": "urban_rural", "近12个月投诉次数": "complaints_12m", "拒访": "opted_out",
    }  # fmt: skip


# ----------------------------------------------------------------------------------------- headers/mapping


@pytest.mark.parametrize(
    "header, column",
    [("户号", "id"), ("客户编号", "id"), ("用户编号", "id"), ("客户号", "id"), ("customer_id", "id"), ("Customer ID", "id"),
     ("户号*", "id"), ("户号（必填）", "id"), (" ID ", "id"), ("户名", "name"), ("客户名称", "name"), ("姓名", "name"),
     ("联系电话", "phone"), ("手机号", "phone"), ("Mobile", "phone"), ("供电单位", "region"), ("地市", "region"),
     ("供电公司", "region"), ("City", "region"), ("区县", "district"), ("县区", "district"),
     ("用电类别", "customer_type"), ("客户类型", "customer_type"), ("type", "customer_type"), ("城乡", "urban_rural"),
     ("投诉次数", "complaints_12m"), ("近12个月投诉次数", "complaints_12m"), ("免打扰", "opted_out"),
     ("opted-out", "opted_out")],
)  # fmt: skip
def test_header_aliases(header, column):
    others = {"id": "户号", "region": "供电单位", "customer_type": "用户类别"}
    headers = [header] + [h for c, h in others.items() if c != column]
    row = {"id": "1", "region": "福州", "customer_type": "居民", "name": "张三", "phone": "13812345678",
           "district": "鼓楼区", "urban_rural": "城镇", "complaints_12m": "2", "opted_out": "是"}  # fmt: skip
    values = [row[column]] + [row[c] for c in others if c != column]
    result = read_frame((",".join(headers) + "\n" + ",".join(values) + "\n").encode("utf-8"))
    assert result.ok, result.problems
    assert result.mapping[header.strip()] == column


def test_alias_table_targets_only_canonical_columns():
    assert set(COLUMN_ALIASES.values()) == set(frame_module.CANONICAL_COLUMNS)


def test_user_mapping_overrides_aliases_and_can_ignore_columns():
    text = "编号,单位,类别,电话,手机\n1,福州,居民,0591-87654321,13812345678\n"
    assert codes(read_frame(text.encode())) == ["duplicate_column", "missing_columns"]
    mapping = {"编号": "id", "单位": "region", "类别": "customer_type", "手机": "phone"}
    result = read_frame(text.encode(), mapping=mapping)
    assert result.ok and result.frame["phone"].tolist() == ["13812345678"]
    assert result.mapping == {"编号": "id", "单位": "region", "类别": "customer_type", "手机": "phone"}
    ignore = read_frame(text.encode(), mapping={**mapping, "手机": None, "电话": "phone"})
    assert ignore.frame["phone"].tolist() == ["059187654321"]


def test_user_mapping_naming_an_absent_header_is_a_problem():
    result = read_frame(csv_text(*GOOD_ROWS).encode(), mapping={"客户代码": "id"})
    assert "mapping_column_not_found" in codes(result)
    assert "客户代码" in result.problems[0].message_en and "户号" in result.problems[0].message_en


def test_user_mapping_to_an_unknown_column_is_a_value_error():
    with pytest.raises(ValueError, match="mapping values must be one of"):
        read_frame(csv_text(*GOOD_ROWS).encode(), mapping={"户号": "customer"})


@pytest.mark.parametrize(
    "kwargs, error, match",
    [({"mapping": [("户号", "id")]}, TypeError, "mapping must be a dict or None"),
     ({"max_problems": -1}, ValueError, "max_problems must be an integer ≥ 0, but got -1"),
     ({"max_problems": 2.5}, ValueError, "max_problems must be an integer ≥ 0, but got 2.5")],
)  # fmt: skip
def test_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        read_frame(csv_text(*GOOD_ROWS).encode(), **kwargs)
    with pytest.raises(error, match=match):
        validate_frame(pd.DataFrame({"户号": ["1"]}), **kwargs)


def test_missing_required_columns_name_them_and_the_headers_found():
    result = read_frame("户号,户名,电话\n1,张三,13812345678\n".encode())
    assert codes(result) == ["missing_columns"] and result.frame is None
    problem = result.problems[0]
    assert (
        "region" in problem.message_en
        and "customer_type" in problem.message_en
        and "id" not in problem.message_en.split("(")[0]
    )
    assert "户号, 户名, 电话" in problem.message_en and "供电单位" in problem.message_zh


# ---------------------------------------------------------------------------------------------- cell rules


def test_duplicate_ids_name_the_first_row(engine):
    text = csv_text(
        "A1,,,福州,,居民,,,",
        "A2,,,福州,,居民,,,",
        "A1,,,福州,,居民,,,",
        "A1,,,福州,,居民,,,",
        " A2 ,,,福州,,居民,,,",
    )
    result = read_frame(text.encode())
    assert [(p.code, p.row, p.value) for p in result.problems] == [
        ("duplicate_id", 4, "A1"), ("duplicate_id", 5, "A1"), ("duplicate_id", 6, "A2"),
    ]  # fmt: skip
    assert (
        "first seen in row 2" in result.problems[0].message_en
        and "首次出现在第 3 行" in result.problems[2].message_zh
    )


def test_empty_required_values():
    result = read_frame(csv_text(",x,,福州,,居民,,,", "2,,,,,,,,").encode())
    assert [(p.code, p.row, p.column) for p in result.problems] == [
        ("empty_required", 2, "id"), ("empty_required", 3, "region"), ("empty_required", 3, "customer_type"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "value, expected",
    [("居民", "居民"), ("residential", "居民"), ("Residential", "居民"), ("居民生活用电", "居民"), ("commercial", "一般工商业"),
     ("一般工商业", "一般工商业"), ("large_industry", "大工业"), ("Large Industry", "大工业"), ("大工业", "大工业"),
     ("agricultural", "农业"), ("农业", "农业"), (" 农业 ", "农业")],
)  # fmt: skip
def test_customer_type_aliases(value, expected):
    result = read_frame(csv_text(f"1,,,福州,,{value},,,").encode())
    assert result.ok and result.frame["customer_type"].tolist() == [expected]


def test_unknown_customer_type_shows_value_and_allowed_ones():
    result = read_frame(csv_text("1,,,福州,,商业综合体,,,").encode())
    problem = result.problems[0]
    assert (problem.code, problem.row, problem.column, problem.value) == (
        "unknown_customer_type",
        2,
        "customer_type",
        "商业综合体",
    )
    for allowed in ("居民", "一般工商业", "大工业", "农业"):
        assert allowed in problem.message_zh and allowed in problem.message_en


@pytest.mark.parametrize(
    "column_values, expected, field",
    [
        (("城镇", "urban", "Rural", "农村", ""), ["城镇", "城镇", "农村", "农村", ""], "urban_rural"),
        (("0", "3", "12", "4.0", ""), [0, 3, 12, 4, 0], "complaints_12m"),
        (("是", "否", "1", "0", "TRUE"), [True, False, True, False, True], "opted_out"),
        (("yes", "No", "false", "y", ""), [True, False, False, True, False], "opted_out"),
    ],
)
def test_optional_value_parsing(column_values, expected, field):
    position = HEADER_EN.split(",").index(field)
    rows = []
    for k, value in enumerate(column_values):
        cells = [str(k), "", "", "福州", "", "居民", "", "", ""]
        cells[position] = value
        rows.append(",".join(cells))
    result = read_frame(csv_text(*rows, header=HEADER_EN).encode())
    assert result.ok, result.problems
    assert result.frame[field].tolist() == expected


@pytest.mark.parametrize(
    "field, value, code",
    [("urban_rural", "郊区", "unknown_urban_rural"), ("complaints_12m", "-1", "bad_complaints"),
     ("complaints_12m", "1.5", "bad_complaints"), ("complaints_12m", "三", "bad_complaints"),
     ("complaints_12m", "9999999999", "bad_complaints"), ("opted_out", "maybe", "bad_opted_out")],
)  # fmt: skip
def test_bad_optional_values(field, value, code):
    position = HEADER_EN.split(",").index(field)
    cells = ["1", "", "", "福州", "", "居民", "", "", ""]
    cells[position] = value
    result = read_frame(csv_text(",".join(cells), header=HEADER_EN).encode())
    assert [(p.code, p.row, p.column, p.value) for p in result.problems] == [(code, 2, field, value)]


@pytest.mark.parametrize(
    "raw, expected",
    [("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
     ("+86 138 1234 5678", "13812345678"), ("+8613812345678", "13812345678"), ("8613812345678", "13812345678"),
     ("0086-138-1234-5678", "13812345678"), ("１３８１２３４５６７８", "13812345678"), ("19912345678", "19912345678"),
     ("0591-87654321", "059187654321"), ("010-12345678", "01012345678"), ("(0591)87654321", "059187654321"),
     ("（0591）8765 4321", "059187654321"), ("0591-8765432", "05918765432")],
)  # fmt: skip
def test_valid_phone_formats_are_normalised(engine, raw, expected):
    result = read_frame(csv_text(f'1,,"{raw}",福州,,居民,,,').encode())
    assert result.ok, result.problems
    assert result.frame["phone"].tolist() == [expected] and result.frame["has_valid_phone"].tolist() == [True]


@pytest.mark.parametrize(
    "raw, code",
    [("12812345678", "bad_phone"), ("1381234567", "bad_phone"), ("138123456789", "bad_phone"), ("abc", "bad_phone"),
     ("0591-876", "bad_phone"), ("+1 202 555 0123", "bad_phone"), ("138****5678", "bad_phone"),
     ("1.38123E+10", "scientific_notation")],
)  # fmt: skip
def test_malformed_phones(raw, code):
    result = read_frame(csv_text(f"1,,{raw},福州,,居民,,,").encode())
    assert [(p.code, p.row, p.column, p.value) for p in result.problems] == [(code, 2, "phone", raw)]


def test_a_nul_character_is_named_and_nothing_is_imported(engine):
    """A NUL (a binary or broken export; PostgreSQL text cannot hold it) is a problem of its row and column."""
    result = read_frame(csv_text("1,张\x00三,,福州,,居民,,,\n2,李四,,福州,,居民,,,").encode())
    assert not result.ok
    assert [(p.code, p.row, p.column, p.value) for p in result.problems] == [
        ("nul_character", 2, "name", "张\x00三")
    ]
    assert "空字符" in result.problems[0].message_zh


def test_scientific_notation_id():
    result = read_frame(csv_text("1.23457E+11,,,福州,,居民,,,").encode())
    assert codes(result) == ["scientific_notation"] and "科学计数法" in result.problems[0].message_zh


@pytest.mark.parametrize(
    "column, value, is_formula",
    [("name", "=cmd|' /C calc'!A0", True), ("name", "@SUM(A1:A9)", True), ("name", "+cmd|' /C calc'!A0", True),
     ("name", "-2+3+cmd|' /C calc'!A0", True), ("district", "=1+1", True), ("id", "=HYPERLINK(\"x\")", True),
     ("region", "\t=cmd", True), ("name", "-", False), ("name", "张三=李四", False), ("phone", "+86 138 1234 5678", False),
     ("complaints_12m", "-1", False), ("phone", "+86(0591)87654321", False)],
)  # fmt: skip
def test_formula_injection(engine, column, value, is_formula):
    position = HEADER_EN.split(",").index(column)
    cells = ["1", "", "", "福州", "", "居民", "", "", ""]
    cells[position] = '"' + value.replace('"', '""') + '"'
    result = read_frame(csv_text(",".join(cells), header=HEADER_EN).encode())
    formulas = [p for p in result.problems if p.code == "formula"]
    if is_formula:
        assert [(p.row, p.column) for p in formulas] == [(2, column)] and result.problem_count == 1
        assert (
            "looks like a spreadsheet formula" in formulas[0].message_en and "公式" in formulas[0].message_zh
        )
    else:
        assert formulas == []


@pytest.mark.parametrize("column", ["id", "name", "region", "district", "phone"])
def test_huge_cells(column):
    position = HEADER_EN.split(",").index(column)
    cells = ["1", "", "", "福州", "", "居民", "", "", ""]
    cells[position] = "长" * 201
    result = read_frame(csv_text(",".join(cells), header=HEADER_EN).encode())
    problem = result.problems[0]
    assert [p.code for p in result.problems] == ["cell_too_long"] and (problem.row, problem.column) == (
        2,
        column,
    )
    assert "201" in problem.message_en and len(problem.value) == 101  # value shown truncated with an ellipsis


def test_cell_of_exactly_the_limit_is_fine():
    assert read_frame(csv_text(f"1,{'名' * 200},,福州,,居民,,,").encode()).ok


def test_ten_thousand_bad_rows_are_all_counted_but_the_list_is_capped():
    rows = [f"{i},,,福州,,外星人,,,否" for i in range(10_000)]
    result = read_frame(csv_text(*rows).encode())
    assert result.problem_count == 10_000 and len(result.problems) == MAX_PROBLEMS and result.rows == 10_000
    assert [p.row for p in result.problems] == list(range(2, 2 + MAX_PROBLEMS))  # the first ones, in order
    small = read_frame(csv_text(*rows).encode(), max_problems=5)
    assert small.problem_count == 10_000 and [p.row for p in small.problems] == [2, 3, 4, 5, 6]


def test_problems_across_columns_are_sorted_by_row_then_file_column():
    result = read_frame(csv_text("1,=x,abc,福州,,外星,,,", "1,,,,,居民,,-5,").encode())
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "name", "formula"), (2, "phone", "bad_phone"), (2, "customer_type", "unknown_customer_type"),
        (3, "id", "duplicate_id"), (3, "region", "empty_required"), (3, "complaints_12m", "bad_complaints"),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------- validate / table


def test_validate_frame_on_a_dataframe_with_nans_and_numbers():
    df = pd.DataFrame({"客户编号": ["007", "008", None], "地市": ["福州", "厦门", "泉州"],
                       "客户类型": ["居民", "农业", "居民"], "投诉次数": [1, np.nan, 2]})  # fmt: skip
    result = validate_frame(df)
    assert [(p.code, p.row) for p in result.problems] == [("empty_required", 4)]
    good = validate_frame(df.iloc[:2])
    assert (
        good.ok
        and good.frame["id"].tolist() == ["007", "008"]
        and good.frame["complaints_12m"].tolist() == [1, 0]
    )


def test_validate_frame_rejects_non_frames():
    with pytest.raises(TypeError, match="df must be a pandas DataFrame"):
        validate_frame([["a"]])


def test_problems_table_in_both_languages():
    result = read_frame("客户编号,地市,客户类型\n1,福州,居民\n1,,外星\n".encode())
    zh = problems_table(result)
    assert list(zh.columns) == ["row", "column", "value", "message"]
    assert zh["row"].tolist() == [3, 3, 3] and zh["column"].tolist() == ["客户编号", "地市", "客户类型"]
    assert zh["message"].iloc[0] == "户号“1”重复，首次出现在第 2 行"
    en = problems_table(result, lang="en")
    assert en["message"].iloc[0] == "duplicate id '1', first seen in row 2"
    file_level = problems_table(read_frame(b""))
    assert file_level["row"].isna().all() and file_level["message"].tolist() == ["文件是空的"]
    with pytest.raises(ValueError, match="lang must be 'zh' or 'en', but got 'fr'"):
        problems_table(result, lang="fr")


def test_results_are_frozen():
    result = read_frame(b"")
    with pytest.raises(AttributeError):
        result.rows = 3
    with pytest.raises(AttributeError):
        result.problems[0].code = "x"
    assert isinstance(result.problems[0], Problem)


# ---------------------------------------------------------------------------------------------------- size


def test_a_large_frame_validates_completely():
    """Every row is validated and kept (speed is measured in benchmarks/bench_import.py, not here)."""
    n = 200_000
    types = ["居民", "一般工商业", "大工业", "农业"]
    lines = [HEADER_ZH] + [
        f"{i:08d},张三,138{i:08d},福州,鼓楼区,{types[i % 4]},城镇,{i % 3},否" for i in range(n)
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    result = read_frame(data)
    assert result.ok and result.rows == n
    assert result.frame["customer_type"].value_counts().to_dict() == {t: n // 4 for t in types}


@pytest.mark.parametrize("max_problems", [MAX_PROBLEMS, 100_000])
def test_threaded_checks_find_the_same_problems_as_one_thread(monkeypatch, max_problems):
    """From PARALLEL_MIN_ROWS rows on, columns are checked in threads: same problems, same order, same frame."""
    import sampling.frame_validate as frame_validate

    bad = {  # every 97th row carries one of these (row text, expected code)
        0: ("{i:07d},=HYPERLINK(1),13812345678,福州,鼓楼区,居民,城镇,0,否", "formula"),
        1: ("{i:07d},张三,1.38123E+10,福州,鼓楼区,居民,城镇,0,否", "scientific_notation"),
        2: ("{i:07d},张三,12345,福州,鼓楼区,居民,城镇,0,否", "bad_phone"),
        3: ("{i:07d},张三,13812345678,福州,鼓楼区,外星人,城镇,0,否", "unknown_customer_type"),
        4: ("{i:07d},张三,13812345678,福州,鼓楼区,居民,海上,0,否", "unknown_urban_rural"),
        5: ("{i:07d},张三,13812345678,福州,鼓楼区,居民,城镇,-1,否", "bad_complaints"),
        6: ("{i:07d},张三,13812345678,福州,鼓楼区,居民,城镇,0,也许", "bad_opted_out"),
        7: ("{i:07d},张三,13812345678,,鼓楼区,居民,城镇,0,否", "empty_required"),
        8: ("0000001,张三,13812345678,福州,鼓楼区,居民,城镇,0,否", "duplicate_id"),
    }
    lines, expected = [], []
    for i in range(60_000):
        if i % 97 == 96:
            text, code = bad[(i // 97) % len(bad)]
            lines.append(text.format(i=i))
            expected.append((i + 2, code))
        else:
            lines.append(f"{i:07d},张三,+86 138-1234-{i % 10_000:04d},福州,鼓楼区,居民,城镇,{i % 3},否")
    data = csv_text(*lines).encode()
    results = {}
    for mode, threshold in (("threads", 0), ("one thread", 10**12)):
        monkeypatch.setattr(frame_validate, "PARALLEL_MIN_ROWS", threshold)
        results[mode] = read_frame(data, max_problems=max_problems)
    threaded, single = results["threads"], results["one thread"]
    assert threaded.problem_count == single.problem_count == len(expected)
    assert threaded.problems == single.problems
    assert [(p.row, p.code) for p in threaded.problems] == expected[:max_problems]
    good = "\n".join(line for line, k in zip(lines, range(60_000), strict=True) if k % 97 != 96)
    results = {}
    for mode, threshold in (("threads", 0), ("one thread", 10**12)):
        monkeypatch.setattr(frame_validate, "PARALLEL_MIN_ROWS", threshold)
        results[mode] = read_frame(csv_text(good).encode())
    assert results["threads"].ok and results["one thread"].ok
    pd.testing.assert_frame_equal(results["threads"].frame, results["one thread"].frame)
    assert results["threads"].frame["phone"].iloc[5] == "13812340005"  # "+86 138-1234-0005" normalised
