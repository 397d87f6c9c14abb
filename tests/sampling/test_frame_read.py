"""Reading customer frame files: encodings, CSV dialects, blank and title rows, sources, XLSX, the fast UTF-8 path
(split from test_frame.py; issue 3 "Frame import", issue 6 "Bad input").

Expected values are written by hand from the file contents (row numbers as Excel shows them: header = row 1).
"""

import codecs
import io

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sampling.frame_read as frame_read
from sampling.frame import MAX_PROBLEMS, FrameResult, read_frame
from tests.sampling.frame_samples import GOOD_ROWS, HEADER_EN, HEADER_ZH, codes, csv_text


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


# --------------------------------------------------------------------------------------- empty/header only


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\n", b"   \r\n", b",,,\n,,,\n"])
def test_empty_file(data):
    result = read_frame(data)
    assert codes(result) == ["empty_file"] and result.frame is None and not result.ok


@pytest.mark.parametrize("text", [csv_text(), csv_text(",,,,,,,,", "")])
def test_header_only(text):
    result = read_frame(text.encode("utf-8"))
    assert codes(result) == ["no_data_rows"] and result.rows == 0


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
