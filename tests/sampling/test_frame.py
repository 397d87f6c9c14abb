"""Tests for sampling.frame: reading and validating customer frame files (issue 3 "Frame import", issue 6 "Bad input").

Expected values are written by hand from the file contents (row numbers as Excel shows them: header = row 1).
"""

import codecs
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling.frame as frame_module
import sampling.frame_read as frame_read
from sampling.frame import (
    COLUMN_ALIASES,
    MAX_PROBLEMS,
    OUTPUT_COLUMNS,
    FrameResult,
    Problem,
    problems_table,
    read_frame,
    validate_frame,
)

HEADER_ZH = "户号,户名,联系电话,供电单位,区县,用户类别,城乡类别,近12个月投诉次数,拒访"
HEADER_EN = "id,name,phone,region,district,customer_type,urban_rural,complaints_12m,opted_out"
GOOD_ROWS = [
    "0012345,张三,13812345678,福州,鼓楼区,居民,城镇,0,否",
    "0012346,李四,,厦门,思明区,一般工商业,农村,2,是",
    "0012347,王五,0591-87654321,泉州,丰泽区,大工业,,,",
]


def csv_text(*rows: str, header: str = HEADER_ZH) -> str:
    return "\n".join([header, *rows]) + "\n"


def codes(result: FrameResult) -> list[str]:
    return [p.code for p in result.problems]


@pytest.fixture(params=[True, False], ids=["pyarrow", "pandas-c"])
def engine(request, monkeypatch):
    """Run a test with both CSV parsers: pyarrow's and pandas' C parser (the fallback)."""
    monkeypatch.setattr(frame_read, "_USE_PYARROW", request.param)
    return request.param


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


@pytest.mark.parametrize(
    "encoding, prefix",
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b""), ("gb18030", b""), ("utf-16", b"")],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "utf-16-bom"],
)
def test_encodings_are_detected(tmp_path, engine, encoding, prefix):
    name = "𠮷野家" if encoding == "gb18030" else "张三"  # 𠮷 exists in GB18030 but not in GBK
    text = csv_text(f"0012345,{name},13812345678,福州,鼓楼区,居民,城镇,1,否")
    path = tmp_path / "frame.csv"
    path.write_bytes(prefix + text.encode(encoding))
    result = read_frame(path)
    assert result.ok, result.problems
    assert result.frame.loc[0, "name"] == name and result.frame.loc[0, "region"] == "福州"
    assert result.frame.loc[0, "id"] == "0012345"


def test_gb18030_only_character_is_not_gbk():
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")


@pytest.mark.parametrize(
    "given, data_encoding", [("gbk", "gbk"), ("GB2312", "gbk"), ("utf-8", "utf-8"), ("gb18030", "gbk")]
)
def test_explicit_encoding(given, data_encoding):
    result = read_frame(csv_text(*GOOD_ROWS).encode(data_encoding), encoding=given)
    assert result.ok and result.frame["name"].tolist() == ["张三", "李四", "王五"]


def test_explicit_encoding_that_does_not_fit_names_the_line():
    data = (csv_text() + "1,张三,,福州,,居民,,,\n").encode("gbk")
    result = read_frame(data, encoding="utf-8")
    assert codes(result) == ["bad_encoding"] and result.problems[0].row == 1  # the GBK header is line 1
    assert "utf-8" in result.problems[0].message_en


def test_unknown_encoding_name_is_a_value_error():
    with pytest.raises(ValueError, match="encoding must be a known codec name, but got 'klingon'"):
        read_frame(b"a,b\n", encoding="klingon")


@pytest.mark.parametrize(
    "lines, bad_line",
    [
        ([("utf-8", HEADER_ZH), ("utf-8", GOOD_ROWS[0]), ("gbk", GOOD_ROWS[1])], 3),
        ([("gbk", HEADER_ZH), ("utf-8", GOOD_ROWS[0]), ("gbk", GOOD_ROWS[1])], 2),
        ([("utf-8", HEADER_EN), ("gbk", GOOD_ROWS[0]), ("utf-8", GOOD_ROWS[1])], 3),
        ([("utf-8", HEADER_EN), ("utf-8", GOOD_ROWS[0]), ("utf-8", GOOD_ROWS[1]), ("gbk", GOOD_ROWS[2])], 4),
    ],
)
def test_mixed_encodings_name_the_first_offending_line(lines, bad_line):
    data = b"\n".join(text.encode(enc) for enc, text in lines) + b"\n"
    result = read_frame(data)
    assert codes(result) == ["mixed_encoding"]
    assert result.problems[0].row == bad_line
    assert (
        f"line {bad_line}" in result.problems[0].message_en
        and f"第 {bad_line} 行" in result.problems[0].message_zh
    )


@pytest.mark.parametrize("name", ["瀹扮酱", "娈宠嫉", "韬坚抗"])
def test_gbk_line_that_happens_to_be_valid_utf8_is_not_called_mixed(name):
    # these names in GBK are valid UTF-8 too, reading as ideographs ('宰罴', '殳輵', '躼Ό')
    assert any("\u4e00" <= c <= "\u9fff" for c in name.encode("gbk").decode("utf-8"))
    text = csv_text("1,张三,,福州,,居民,,,", f"2,{name},,fz,,residential,,,", header=HEADER_EN)
    result = read_frame(text.encode("gbk"))
    assert result.ok, result.problems
    assert result.frame["name"].tolist() == ["张三", name]


@pytest.mark.parametrize(
    "data, line",
    [(b"id,region\n\x80\x80\xff\n", 2), (b"\xff\x80\x81", 1), (b"id\n1\n2\n\xff", 4)],
)
def test_bytes_that_are_neither_utf8_nor_gbk(data, line):
    result = read_frame(data)
    assert codes(result) == ["not_text"] and result.problems[0].row == line
    assert "file is not UTF-8 or GBK/GB18030" in result.problems[0].message_en


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_other_delimiters(engine, sep):
    text = csv_text(*GOOD_ROWS).replace(",", sep)
    result = read_frame(text.encode("utf-8"))
    assert result.ok and result.frame["customer_type"].tolist() == ["居民", "一般工商业", "大工业"]


def test_quoted_cells_with_commas_and_newlines_keep_excel_row_numbers(engine):
    text = csv_text('1,"张,三",,福州,,居民,,,', '2,"多行\n名字",,福州,,居民,,,', "3,王五,,福州,,外星人,,,")
    result = read_frame(text.encode("utf-8"))
    assert codes(result) == ["unknown_customer_type"] and result.problems[0].row == 4  # record 4, line 5
    ok = read_frame(text.replace("外星人", "农业").encode("utf-8"))
    assert ok.frame["name"].tolist() == ["张,三", "多行\n名字", "王五"]


def test_blank_lines_are_skipped_but_counted_in_row_numbers(engine):
    text = csv_text("", "1,a,,福州,,居民,,,", ",,,,,,,,", "", "2,b,,,,居民,,,", "", "")
    result = read_frame(text.encode("utf-8"))
    assert result.rows == 2
    assert [(p.code, p.row, p.column) for p in result.problems] == [("empty_required", 6, "region")]


@pytest.mark.parametrize(
    "text, rows",
    [
        ("\n \r\n户号,供电单位,用户类别\n1,福州,居民\n1,福州,\n", [5, 5]),  # two blank lines above the header
        ("2024年客户清单,,\n户号,供电单位,用户类别\n1,福州,居民\n1,福州,\n", [4, 4]),  # a title row
        (
            "客户清单,,\n导出日期：2024-01-01,,\n编号,单位,类别\n1,福州,居民\n1,福州,\n",
            [5, 5],
        ),  # title rows + mapping
    ],
)
def test_blank_and_title_rows_above_the_header(engine, text, rows):
    mapping = {"编号": "id", "单位": "region", "类别": "customer_type"} if "编号" in text else None
    result = read_frame(text.encode("gbk"), mapping=mapping)
    assert [(p.code, p.row) for p in result.problems] == [
        ("duplicate_id", rows[0]),
        ("empty_required", rows[1]),
    ]


@pytest.mark.parametrize(
    "text, row",
    [("a,b,c\n1,2,3\n1,2,3,4\n", 3), ('a,b\n"1,2\n', 2)],
    ids=["too-many-fields", "unclosed-quote"],
)
def test_malformed_csv_is_a_problem(engine, text, row):
    result = read_frame(text.encode("utf-8"))
    assert codes(result) == ["parse_error"] and result.problems[0].row == row


def test_short_rows_are_padded_with_empty_cells():
    result = read_frame("户号,供电单位,用户类别,手机\n1,福州,居民\n".encode())
    assert result.ok and result.frame["phone"].tolist() == [""]


# -------------------------------------------------------------------------------------------- source kinds


class FakeUpload(io.BytesIO):
    """Like Streamlit's UploadedFile: a BytesIO with a name, possibly already read by a preview."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name


def test_sources_path_bytes_and_file_like(tmp_path):
    data = csv_text(*GOOD_ROWS).encode("gbk")
    (tmp_path / "f.csv").write_bytes(data)
    upload = FakeUpload(data, "f.csv")
    upload.read()  # a preview read it already; read_frame starts from the beginning
    results = [read_frame(tmp_path / "f.csv"), read_frame(str(tmp_path / "f.csv")), read_frame(data),
               read_frame(bytearray(data)), read_frame(io.BytesIO(data)), read_frame(upload)]  # fmt: skip
    for result in results:
        assert result.ok and result.frame["id"].tolist() == ["0012345", "0012346", "0012347"]


@pytest.mark.parametrize("source", [42, None, ["a"]])
def test_wrong_source_type_is_a_type_error(source):
    with pytest.raises(TypeError, match="source must be a path, bytes or a binary file-like object"):
        read_frame(source)


def test_text_mode_file_is_a_type_error():
    with pytest.raises(TypeError, match="binary mode"):
        read_frame(io.StringIO("a,b\n"))


# ---------------------------------------------------------------------------------------------------- xlsx


def write_xlsx(path, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    book.save(path)


XLSX_ROWS = [
    ["户号", "户名", "手机", "供电单位", "用户类别", "投诉次数", "拒访"],
    ["0012345", "张三", 13812345678, "福州", "居民", 3, True],
    ["0012346", "李四", None, "厦门", "commercial", 0.0, False],
]


def test_xlsx_reads_first_sheet_with_numbers_and_booleans(tmp_path):
    write_xlsx(tmp_path / "f.xlsx", {"客户": XLSX_ROWS, "说明": [["x"]]})
    result = read_frame(tmp_path / "f.xlsx")
    assert result.ok, result.problems
    df = result.frame
    assert df["id"].tolist() == ["0012345", "0012346"]
    assert df["phone"].tolist() == ["13812345678", ""]
    assert df["customer_type"].tolist() == ["居民", "一般工商业"]
    assert df["complaints_12m"].tolist() == [3, 0] and df["opted_out"].tolist() == [True, False]


@pytest.mark.parametrize("sheet", ["客户", 1])
def test_xlsx_sheet_by_name_or_index(tmp_path, sheet):
    write_xlsx(tmp_path / "f.xlsx", {"说明": [["x"]], "客户": XLSX_ROWS})
    assert read_frame(tmp_path / "f.xlsx", sheet=sheet).ok


@pytest.mark.parametrize("sheet", ["Sheet9", 5, -1])
def test_xlsx_wrong_sheet_lists_the_available_ones(tmp_path, sheet):
    write_xlsx(tmp_path / "f.xlsx", {"客户": XLSX_ROWS, "说明": [["x"]]})
    result = read_frame(tmp_path / "f.xlsx", sheet=sheet)
    assert codes(result) == ["sheet_not_found"]
    assert "客户、说明" in result.problems[0].message_zh and "客户、说明" in result.problems[0].message_en


def test_xlsx_sheet_of_wrong_type_is_a_type_error(tmp_path):
    write_xlsx(tmp_path / "f.xlsx", {"客户": XLSX_ROWS})
    with pytest.raises(TypeError, match="sheet must be"):
        read_frame(tmp_path / "f.xlsx", sheet=1.5)


def test_xlsx_row_numbers_match_excel_and_formulas_are_refused(tmp_path):
    rows = [None, ["户号", "供电单位", "用户类别", "户名"], ["1", "福州", "居民", "=HYPERLINK(\"http://x\")"], None,
            ["2", "福州", "居民", "ok"], ["3", "福州", "怪", "ok"]]  # fmt: skip
    write_xlsx(tmp_path / "f.xlsx", {"客户": [r or [] for r in rows]})
    result = read_frame(tmp_path / "f.xlsx")
    assert [(p.code, p.row, p.column) for p in result.problems] == [
        ("formula", 3, "name"),
        ("unknown_customer_type", 6, "customer_type"),
    ]


def test_xlsx_title_row_above_the_header(tmp_path):
    write_xlsx(
        tmp_path / "f.xlsx",
        {"客户": [["福州供电公司客户清单"], *XLSX_ROWS, ["0012345", "", "", "福州", "居民"]]},
    )
    result = read_frame(tmp_path / "f.xlsx")
    assert [(p.code, p.row) for p in result.problems] == [("duplicate_id", 5)]


def test_xlsx_detected_by_magic_bytes_and_by_name(tmp_path):
    write_xlsx(tmp_path / "f.xlsx", {"客户": XLSX_ROWS})
    data = (tmp_path / "f.xlsx").read_bytes()
    assert read_frame(data).ok
    assert read_frame(FakeUpload(data, "upload.xlsx")).ok


@pytest.mark.parametrize(
    "data, filename, code",
    [
        (b"PK\x03\x04 this is no zip", None, "bad_xlsx"),
        (b"hello", "frame.xlsx", "bad_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, None, "unsupported_format"),
        (b"anything", "old.xls", "unsupported_format"),
    ],
)
def test_broken_or_old_excel_files(data, filename, code):
    assert codes(read_frame(data, filename=filename)) == [code]


def test_empty_xlsx_is_an_empty_file(tmp_path):
    write_xlsx(tmp_path / "f.xlsx", {"Sheet1": []})
    assert codes(read_frame(tmp_path / "f.xlsx")) == ["empty_file"]


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


# --------------------------------------------------------------------------------------- empty/header only


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"   \r\n", b",,,\n,,,\n"])
def test_empty_file(data):
    result = read_frame(data)
    assert codes(result) == ["empty_file"] and result.frame is None and not result.ok


@pytest.mark.parametrize("text", [csv_text(), csv_text(",,,,,,,,", "")])
def test_header_only(text):
    result = read_frame(text.encode("utf-8"))
    assert codes(result) == ["no_data_rows"] and result.rows == 0


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


# -------------------------------------------------------------------------------------- robustness / speed


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=2000), prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe"])
)
def test_random_bytes_never_crash(data, prefix):
    result = read_frame(prefix + data)
    assert isinstance(result, FrameResult)
    assert result.ok == (result.problem_count == 0) and (result.frame is not None) == result.ok
    assert len(result.problems) == min(result.problem_count, MAX_PROBLEMS)


cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), max_size=8),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_random_cells_never_crash(rows, encoding):
    buffer = io.StringIO()
    pd.DataFrame(rows, columns=["户号", "供电单位", "用户类别"]).to_csv(buffer, index=False)
    result = read_frame(buffer.getvalue().encode(encoding))
    assert isinstance(result, FrameResult)
    if result.ok:
        assert result.rows == len(result.frame) <= len(rows)


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


def _variants() -> dict[str, bytes]:
    body = [f"{i:07d},张三{i},13812345678,福州,鼓楼区,居民,城镇,0,否" for i in range(3000)]  # > 64 KB
    plain = csv_text(*body)
    gbk_line = "9999999,李四,13812345678,厦门,思明区,居民,城镇,0,否\n".encode("gbk")
    return {
        "utf8": plain.encode(),
        "utf8 BOM": codecs.BOM_UTF8 + plain.encode(),
        "CRLF": plain.replace("\n", "\r\n").encode(),
        "quoted newline": csv_text('1,"张\n三",,福州,,居民,,,').encode(),
        "header only": (HEADER_ZH + "\n").encode(),
        "ragged row": csv_text(GOOD_ROWS[0], "1,2,3,4,5,6,7,8,9,10,11").encode(),
        "GBK": plain.encode("gbk"),
        "GBK line deep down": plain.encode() + gbk_line,  # mixed encodings, first bad line far past 64 KB
        "blank lines above": ("\n\n" + plain).encode(),
        "CR only": plain.replace("\n", "\r").encode(),
        "semicolons": plain.replace(",", ";").encode(),
        "UTF-16": plain.encode("utf-16"),
    }


@pytest.mark.parametrize("name", list(_variants()))
def test_fast_utf8_path_reads_exactly_what_the_general_path_reads(monkeypatch, name):
    """read_table parses plain UTF-8 with Arrow straight from the bytes (no Python decode of the whole
    file); every other file takes the general path. Either way the table and the problem are the same."""
    data = _variants()[name]
    taken = []
    real = frame_read._read_plain_utf8
    monkeypatch.setattr(frame_read, "_read_plain_utf8", lambda d: taken.append(real(d)) or taken[-1])
    fast_table, fast_problem = frame_read.read_table(data, "f.csv")
    monkeypatch.setattr(frame_read, "_read_plain_utf8", lambda d: None)
    slow_table, slow_problem = frame_read.read_table(data, "f.csv")
    assert fast_problem == slow_problem
    if slow_table is None:
        assert fast_table is None
    else:
        pd.testing.assert_frame_equal(fast_table, slow_table)
    expect_fast = name in {"utf8", "utf8 BOM", "CRLF", "quoted newline", "header only", "semicolons"}
    assert (taken[0] is not None) == expect_fast, name


def test_a_gbk_line_far_down_a_utf8_file_is_still_named():
    data = _variants()["GBK line deep down"]
    result = read_frame(data)
    assert codes(result) == ["mixed_encoding"] and result.problems[0].row == 3002
