"""Customer frame import: read a CSV or XLSX file and validate it into a clean DataFrame.

Pure (no database): ``survey/`` stores a valid frame in one transaction. Every problem is reported at once with
its spreadsheet row (header = row 1, first data row = 2), column, value and a message in Chinese and English;
the stored list is capped at ``max_problems`` while ``problem_count`` counts them all.

Decisions worth knowing:

- Encoding: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312, as Chinese Excel saves CSV);
  UTF-16 with a BOM (Excel "Unicode text") is accepted too. A file whose lines mix UTF-8 and GBK is refused,
  naming the first line that differs from the earlier ones (see ``_first_utf8_line`` for how a line is judged;
  a UTF-8 line holding a single rare hanzi and nothing else may go unnoticed).
- Fully blank rows (every mapped cell empty, e.g. Excel's trailing ``,,,,``) are skipped; row numbers still count
  them. Unmapped columns are ignored.
- Phones: a mobile ``1[3-9]`` + 9 digits (optionally ``+86``/``86``/``0086``, spaces, dashes, brackets,
  full-width digits) or a landline ``0`` + area code + number (10-12 digits, e.g. ``0591-87654321``); stored as
  digits only. An empty phone is allowed (``has_valid_phone`` is False); a malformed non-empty one is an error.
  Extensions (``转123``) are not supported.
- Formula injection: a cell starting with ``=`` or ``@``, or with ``+``/``-`` followed by anything but digits,
  spaces, dots, brackets and dashes, is refused. So ``+86 138 1234 5678`` is a phone and ``-1`` a (negative,
  hence invalid) number, while ``=cmd|' /C calc'!A0`` and ``-2+3`` are formulas.
- One problem per cell: formula first, then over-long cell (> ``MAX_CELL_CHARS``), then the column's own rule.
- Optional text columns missing or empty become ``""`` (not NA, so grouping by strata never drops rows).

Problem codes: empty_file, no_data_rows, not_text, bad_encoding, mixed_encoding, parse_error,
unsupported_format, bad_xlsx, sheet_not_found, mapping_column_not_found, duplicate_column, missing_columns,
formula, cell_too_long, scientific_notation, empty_required, duplicate_id, unknown_customer_type, unknown_urban_rural, bad_phone,
bad_complaints, bad_opted_out.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

CANONICAL_COLUMNS = (
    "id", "name", "phone", "region", "district", "customer_type", "urban_rural", "complaints_12m", "opted_out",
)  # fmt: skip
REQUIRED_COLUMNS = ("id", "region", "customer_type")
OUTPUT_COLUMNS = (*CANONICAL_COLUMNS, "has_valid_phone")
CUSTOMER_TYPES = ("居民", "一般工商业", "大工业", "农业")
URBAN_RURAL = ("城镇", "农村")
MAX_PROBLEMS = 1000
MAX_CELL_CHARS = 200

_ALIAS_LISTS = {
    "id": "户号 客户编号 用户编号 客户号 用户号 客户编码 用户编码 customer_id customer_no id",
    "name": "户名 客户名称 用户名称 客户名 用户名 姓名 name customer_name",
    "phone": "联系电话 手机 手机号 手机号码 电话 电话号码 phone mobile telephone tel",
    "region": "供电单位 地市 供电公司 地市公司 所属地市 市 城市 region city",
    "district": "区县 县区 区县公司 区 县 district county",
    "customer_type": "用户类别 客户类型 用电类别 客户类别 用户类型 customer_type type",
    "urban_rural": "城乡类别 城乡 城乡属性 urban_rural",
    "complaints_12m": "近12个月投诉次数 投诉次数 complaints_12m complaints",
    "opted_out": "拒访 免打扰 opted_out opt_out",
}
COLUMN_ALIASES: dict[str, str] = {a: col for col, names in _ALIAS_LISTS.items() for a in names.split()}
"""Header (as normalised by ``_key``: NFKC, lower case, spaces → ``_``, ``*`` and ``(…)`` dropped) → column."""

_TYPE_ALIAS_LISTS = {
    "居民": "居民 居民生活 居民生活用电 城乡居民生活用电 residential resident household",
    "一般工商业": "一般工商业 一般工商业用电 工商业 commercial general_industry_commerce business",
    "大工业": "大工业 大工业用电 large_industry large_industrial",
    "农业": "农业 农业用电 农业生产 农业生产用电 agricultural agriculture",
}
CUSTOMER_TYPE_ALIASES = {a: t for t, names in _TYPE_ALIAS_LISTS.items() for a in names.split()}
URBAN_RURAL_ALIASES = {
    "城镇": "城镇",
    "城市": "城镇",
    "urban": "城镇",
    "农村": "农村",
    "乡村": "农村",
    "rural": "农村",
}
_BOOL_VALUES = {"是": True, "否": False, "1": True, "0": False, "true": True, "false": False,
                "yes": True, "no": False, "y": True, "n": False}  # fmt: skip

_LABEL_ZH = dict(
    zip(
        CANONICAL_COLUMNS,
        "户号 户名 联系电话 供电单位 区县 用户类别 城乡类别 近12个月投诉次数 拒访".split(),
        strict=True,
    )
)
_MESSAGES = {
    "empty_file": ("文件是空的", "the file is empty"),
    "no_data_rows": ("只有表头，没有数据行", "the file has a header row but no data rows"),
    "not_text": ("文件不是 UTF-8 或 GBK/GB18030 编码的文本（第 {row} 行起无法解码）",
                 "file is not UTF-8 or GBK/GB18030 (undecodable bytes from line {row})"),
    "bad_encoding": ("文件不是有效的 {encoding} 编码：第 {row} 行有无法解码的字节",
                     "file is not valid {encoding}: undecodable bytes in line {row}"),
    "mixed_encoding": ("文件混用了 UTF-8 和 GBK 编码：第 {row} 行与前面各行的编码不同，请整体另存为一种编码",
                       "file mixes UTF-8 and GBK: line {row} is not in the encoding of the lines before it; "
                       "save the whole file in one encoding"),
    "parse_error": ("CSV 格式错误：{detail}", "malformed CSV: {detail}"),
    "unsupported_format": ("不支持旧版 .xls 文件，请另存为 .xlsx 或 CSV",
                           "old .xls files are not supported; save as .xlsx or CSV"),
    "bad_xlsx": ("无法读取 Excel 文件：{detail}", "cannot read the Excel file: {detail}"),
    "sheet_not_found": ("找不到工作表“{value}”，可用的工作表：{sheets}", "sheet {value!r} not found; available sheets: {sheets}"),
    "mapping_column_not_found": ("列映射中的列“{value}”不在文件中（文件中的列：{found}）",
                                 "mapped column {value!r} is not in the file (columns found: {found})"),
    "duplicate_column": ("列“{other}”和“{value}”都对应{label}，请删除一列或指定列映射",
                         "columns {other!r} and {value!r} both map to {column}; remove one or give a mapping"),
    "missing_columns": ("缺少必需的列：{missing}（文件中的列：{found}）", "missing required columns: {missing} (columns found: {found})"),
    "formula": ("{label}“{value}”看起来像电子表格公式（以 = + - @ 开头），为防止公式注入不予导入",
                "{column} {value!r} looks like a spreadsheet formula (starts with = + - @); refused"),
    "cell_too_long": ("{label}过长（{length} 个字符，上限 {limit}）", "{column} is too long ({length} characters, at most {limit})"),
    "scientific_notation": ("{label}“{value}”是 Excel 科学计数法，原始数字已丢失；请把该列设为文本格式后重新导出",
                            "{column} {value!r} is Excel scientific notation and its digits are lost; "
                            "format the column as text and export again"),
    "empty_required": ("{label}不能为空", "{column} must not be empty"),
    "duplicate_id": ("户号“{value}”重复，首次出现在第 {first_row} 行", "duplicate id {value!r}, first seen in row {first_row}"),
    "unknown_customer_type": ("未知的用户类别“{value}”，允许：居民、一般工商业、大工业、农业",
                              "unknown customer type {value!r}; allowed: 居民 (residential), 一般工商业 (commercial), "
                              "大工业 (large_industry), 农业 (agricultural)"),
    "unknown_urban_rural": ("未知的城乡类别“{value}”，允许：城镇、农村（或留空）",
                            "unknown urban_rural {value!r}; allowed: 城镇 (urban), 农村 (rural) or empty"),
    "bad_phone": ("电话号码格式不正确：“{value}”（应为手机号如 13812345678 或固话如 0591-87654321）",
                  "malformed phone {value!r} (expected a mobile like 13812345678 or a landline like 0591-87654321)"),
    "bad_complaints": ("投诉次数必须是不小于 0 的整数，但得到“{value}”", "complaints_12m must be a whole number ≥ 0, but got {value!r}"),
    "bad_opted_out": ("拒访标记应为 是/否（或 1/0、true/false、yes/no），但得到“{value}”",
                      "opted_out must be 是/否, 1/0, true/false or yes/no, but got {value!r}"),
}  # fmt: skip

_MOBILE_OR_LANDLINE = r"1[3-9][0-9]{9}|0[1-9][0-9]{8,10}"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_USE_PYARROW = True  # tests switch this off to exercise pandas' C parser


@dataclass(frozen=True)
class Problem:
    """One problem in a frame file; ``row`` as the user sees it in Excel (header = 1), None for file-level ones."""

    row: int | None
    column: str | None
    value: str | None
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class FrameResult:
    """Outcome of a frame import: the clean frame (None unless valid), problems (capped) and their full count."""

    frame: pd.DataFrame | None
    problems: tuple[Problem, ...]
    problem_count: int
    rows: int
    mapping: dict[str, str]

    @property
    def ok(self) -> bool:
        """True when the frame has no problem at all and may be stored."""
        return self.problem_count == 0


def _short(value: Any, limit: int = 100) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _problem(
    code: str, row: int | None = None, column: str | None = None, value: Any = None, **fmt: Any
) -> Problem:
    shown = None if value is None else _short(value)
    fmt = {"row": row, "column": column, "label": _LABEL_ZH.get(column or "", column), "value": shown, **fmt}
    zh, en = _MESSAGES[code]
    return Problem(row, column, shown, code, zh.format(**fmt), en.format(**fmt))


def _failed(problems: list[Problem], rows: int = 0, mapping: dict[str, str] | None = None) -> FrameResult:
    return FrameResult(None, tuple(problems), len(problems), rows, mapping or {})


def _key(text: Any) -> str:
    """Normalise a header or category value for alias lookup."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lstrip("\ufeff").strip().rstrip("*").strip()
    text = re.sub(r"\s*\([^()]*\)$", "", text).lower()
    return re.sub(r"[\s\-]+", "_", text)


# ---------------------------------------------------------------------------------------------------- reading


def read_frame(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: dict[str, str | None] | None = None,
    filename: str | None = None,
    max_problems: int = MAX_PROBLEMS,
) -> FrameResult:
    """Read a customer frame from CSV or XLSX and validate it.

    Parameters
    ----------
    source : path, bytes or binary file-like (e.g. Streamlit's ``UploadedFile``; read from its start)
    encoding : CSV encoding; None detects UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (GBK).
    sheet : XLSX sheet name or 0-based index; None takes the first sheet.
    mapping : ``{header in file: canonical column or None to ignore it}``, overriding ``COLUMN_ALIASES``.
    filename : name used to tell XLSX from CSV by suffix (else taken from ``source``; ``PK`` magic also means XLSX).
    max_problems : how many problems to keep in ``problems`` (all are counted in ``problem_count``).

    Returns
    -------
    FrameResult
        ``frame`` has ``OUTPUT_COLUMNS`` when ``ok``, else None. Problems in the file never raise.

    Examples
    --------
    >>> r = read_frame("户号,供电单位,用户类别\\n0012,福州,居民\\n".encode("gbk"))
    >>> r.ok, r.frame["id"].tolist(), r.frame["customer_type"].tolist()
    (True, ['0012'], ['居民'])
    """
    _check_arguments(mapping, max_problems)
    data, name = _read_source(source, filename)
    if not data:
        return _failed([_problem("empty_file")])
    suffix = Path(name).suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix in (".xlsx", ".xlsm"):
        raw, problem = _read_xlsx(data, sheet)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or suffix == ".xls":
        raw, problem = None, _problem("unsupported_format")
    else:
        raw, problem = _read_csv(data, encoding)
    if problem is not None:
        return _failed([problem])
    return _validate_raw(raw, mapping, max_problems)


def _check_arguments(mapping: Any, max_problems: Any) -> None:
    if mapping is not None and not isinstance(mapping, dict):
        raise TypeError(f"mapping must be a dict or None, but got {type(mapping).__name__}")
    for target in (mapping or {}).values():
        if target is not None and target not in CANONICAL_COLUMNS:
            raise ValueError(f"mapping values must be one of {CANONICAL_COLUMNS} or None, but got {target!r}")
    if isinstance(max_problems, bool) or not isinstance(max_problems, int) or max_problems < 0:
        raise ValueError(f"max_problems must be an integer ≥ 0, but got {max_problems!r}")


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
    text, codec, problem = _decode(data, encoding)
    if problem is not None:
        return None, problem
    if not text or text.isspace():
        return None, _problem("empty_file")
    leading = re.match(r"(?:[ \t]*(?:\r\n|\r|\n))*", text).group()  # blank lines above the header
    end = text.find("\n", len(leading))
    first_line = text[len(leading) :] if end < 0 else text[len(leading) : end]
    sep = max([",", "\t", ";"], key=lambda c: (first_line.count(c), c == ","))
    try:
        if codec == "utf-8":  # the ASCII blank lines are as long in bytes as in characters
            payload = data.removeprefix(codecs.BOM_UTF8)[len(leading) :]
        else:
            payload = text[len(leading) :].encode("utf-8")
        raw = _parse_csv(payload, sep)
        blank = pd.DataFrame([[""] * raw.shape[1]] * len(re.findall(r"\r\n|\r|\n", leading)), dtype="str")
        return pd.concat([blank, raw], ignore_index=True) if len(blank) else raw, None
    except Exception as exc:  # any parser failure is a problem in the file, not a crash
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        line = re.search(r"line (\d+)", detail)
        row = re.search(r"row (\d+)", detail)
        where = int(line.group(1)) if line else (int(row.group(1)) + 1 if row else None)
        return None, _problem("parse_error", row=where, detail=_short(detail, 200))


def _decode(data: bytes, encoding: str | None) -> tuple[str, str, Problem | None]:
    """Decoded text, the codec used and a problem (if the bytes are not text in a supported encoding)."""
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"encoding must be a known codec name, but got {encoding!r}") from None
        codec = "gb18030" if codec in ("gbk", "gb2312", "cp936") else codec
        try:
            return data.decode("utf-8-sig" if codec == "utf-8" else codec).lstrip("\ufeff"), codec, None
        except UnicodeDecodeError as exc:
            return (
                "",
                codec,
                _problem("bad_encoding", row=data.count(b"\n", 0, exc.start) + 1, encoding=encoding),
            )
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16").lstrip("\ufeff"), "utf-16", None
        except UnicodeDecodeError as exc:
            return "", "utf-16", _problem("not_text", row=data.count(b"\n", 0, exc.start) + 1)
    try:
        return data.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError as exc:
        first_bad_line = data.count(b"\n", 0, exc.start) + 1
    utf8_line = _first_utf8_line(data.decode("utf-8", errors="replace"))
    if utf8_line is not None:
        return "", "", _problem("mixed_encoding", row=max(utf8_line, first_bad_line))
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("gb18030"), "gb18030", None
    except UnicodeDecodeError as exc:
        return "", "", _problem("not_text", row=body.count(b"\n", 0, exc.start) + 1)


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


def _parse_csv(payload: bytes, sep: str) -> pd.DataFrame:
    """Parse UTF-8 CSV bytes into a header-less all-string table (pyarrow when it can, else pandas' C parser)."""
    if _USE_PYARROW:
        try:
            import pyarrow as pa
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(
                io.BytesIO(payload),
                read_options=pacsv.ReadOptions(autogenerate_column_names=True),
                parse_options=pacsv.ParseOptions(
                    delimiter=sep, newlines_in_values=True, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={
                        f"f{i}": pa.large_string() for i in range(payload.count(sep.encode(), 0, 65536) + 2)
                    },
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                    null_values=[],
                    auto_dict_encode=False,
                ),
            )
            if all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in table.schema.types):
                frame = table.to_pandas()
                frame.columns = range(frame.shape[1])
                return frame
        except Exception:  # ragged rows etc.: pandas' parser below reports them by line
            pass
    return pd.read_csv(
        io.BytesIO(payload), header=None, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
        engine="c", encoding="utf-8",
    )  # fmt: skip


def _read_xlsx(data: bytes, sheet: str | int | None) -> tuple[pd.DataFrame | None, Problem | None]:
    if sheet is not None and (isinstance(sheet, bool) or not isinstance(sheet, (str, int))):
        raise TypeError(
            f"sheet must be a sheet name, a 0-based index or None, but got {type(sheet).__name__}"
        )
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # corrupt zip, not a workbook, …
        return None, _problem("bad_xlsx", detail=_short(f"{type(exc).__name__}: {exc}", 200))
    try:
        names = book.sheetnames
        if sheet is None:
            sheet = 0
        if (isinstance(sheet, str) and sheet not in names) or (
            isinstance(sheet, int) and not 0 <= sheet < len(names)
        ):
            return None, _problem("sheet_not_found", value=sheet, sheets="、".join(names))
        ws = book[sheet] if isinstance(sheet, str) else book.worksheets[sheet]
        ws.reset_dimensions()  # some writers store a wrong dimension tag
        rows = [tuple(_cell_text(v) for v in row) for row in ws.iter_rows(min_row=1, values_only=True)]
    except Exception as exc:
        return None, _problem("bad_xlsx", detail=_short(f"{type(exc).__name__}: {exc}", 200))
    finally:
        book.close()
    if not any(any(row) for row in rows):
        return None, _problem("empty_file")
    width = max(map(len, rows))
    return pd.DataFrame([row + ("",) * (width - len(row)) for row in rows], dtype=object).astype("str"), None


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


# ------------------------------------------------------------------------------------------------- validation


def validate_frame(
    df: pd.DataFrame, *, mapping: dict[str, str | None] | None = None, max_problems: int = MAX_PROBLEMS
) -> FrameResult:
    """Validate an already-read frame with the same checks ``read_frame`` runs after decoding and parsing.

    Parameters
    ----------
    df : DataFrame with the file's headers as column labels; cells preferably strings (``dtype=str,
        keep_default_na=False``), other values are turned into text and missing ones into ``""``.
    mapping : ``{header: canonical column or None}``, overriding ``COLUMN_ALIASES``.
    max_problems : how many problems to keep (all are counted).

    Returns
    -------
    FrameResult
        Problem rows assume row 1 of the sheet is the header, so ``df``'s i-th row (0-based) is row i + 2.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, but got {type(df).__name__}")
    _check_arguments(mapping, max_problems)
    headers = [str(c) for c in df.columns]
    columns = [df.iloc[:, j].reset_index(drop=True) for j in range(df.shape[1])]
    return _validate(headers, columns, np.arange(len(df)) + 2, mapping, max_problems)


def _validate_raw(raw: pd.DataFrame, mapping: dict[str, str | None] | None, max_problems: int) -> FrameResult:
    head = raw.iloc[:100]
    nonblank = [i for i in range(len(head)) if any(str(v).strip() for v in head.iloc[i])]
    if not nonblank:
        return _failed([_problem("empty_file")])
    user = {str(k).strip(): v for k, v in (mapping or {}).items()}

    def names_a_required_column(i: int) -> bool:
        cells = [str(v).strip() for v in head.iloc[i]]
        return any((user[c] if c in user else COLUMN_ALIASES.get(_key(c))) in REQUIRED_COLUMNS for c in cells)

    # the header is the first non-blank row naming a required column (skipping title rows), else the first one
    h = next((i for i in nonblank[:20] if names_a_required_column(i)), nonblank[0])
    headers = [str(v).strip() for v in raw.iloc[h]]
    body = raw.iloc[h + 1 :]
    columns = [body.iloc[:, j].reset_index(drop=True) for j in range(raw.shape[1])]
    return _validate(headers, columns, np.arange(h + 1, len(raw)) + 1, mapping, max_problems)


def _resolve(
    headers: list[str], mapping: dict[str, str | None] | None
) -> tuple[dict[str, int], list[Problem]]:
    mapping = {str(k).strip(): v for k, v in (mapping or {}).items()}
    stripped = [h.strip().lstrip("\ufeff") for h in headers]
    found = ", ".join(h for h in stripped if h) or "-"
    problems = [
        _problem("mapping_column_not_found", value=k, found=found) for k in mapping if k not in stripped
    ]
    overridden = {t for t in mapping.values() if t is not None}
    index: dict[str, int] = {}
    for j, header in enumerate(stripped):
        if header in mapping:
            target = mapping[header]
        else:
            target = COLUMN_ALIASES.get(_key(header))
            target = None if target in overridden else target
        if target is None:
            continue
        if target in index:
            problems.append(
                _problem("duplicate_column", column=target, value=header, other=stripped[index[target]])
            )
        else:
            index[target] = j
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        shown = ", ".join(f"{c}（{_LABEL_ZH[c]}）" for c in missing)
        problems.append(_problem("missing_columns", missing=shown, found=found))
    return index, problems


class _Collector:
    """Counts problems flagged by boolean masks and keeps the first ``limit`` of each check."""

    def __init__(self, rows: np.ndarray, limit: int) -> None:
        self.rows, self.limit, self.count, self.items = rows, limit, 0, []

    def add(self, mask: Any, code: str, column: str, cells: pd.Series, **extra: Any) -> None:
        where = np.flatnonzero(np.asarray(mask, dtype=bool))
        self.count += len(where)
        if not len(where):
            return
        head = where[: self.limit]
        values = cells.iloc[head].tolist()
        for k, i in enumerate(head):
            fmt = {name: (v(i) if callable(v) else v) for name, v in extra.items()}
            self.items.append(_problem(code, int(self.rows[i]), column, values[k], **fmt))


def _blank(n: int) -> pd.Series:
    return pd.Series([""], dtype="str").take(np.zeros(n, dtype=np.intp)).reset_index(drop=True)


def _as_text(series: pd.Series) -> pd.Series:
    if not pd.api.types.is_string_dtype(series) or series.hasnans:
        series = series.astype(object).where(series.notna(), "")
    return series.astype("str").str.strip()


def _lookup(cells: pd.Series, table: dict[str, Any], default: Any) -> tuple[np.ndarray, np.ndarray]:
    """Map cells through ``table`` by their ``_key``, once per distinct value (a million rows cost little).

    Returns the mapped values (``default`` where unknown) and a mask of the unknown cells.
    """
    codes, uniques = pd.factorize(cells)
    mapped = [table.get(_key(u)) for u in uniques]
    unknown = np.array([m is None for m in mapped] + [True])[codes]
    values = np.array([default if m is None else m for m in mapped] + [default])
    return values[codes], unknown


def _text_lookup(cells: pd.Series, table: dict[str, str]) -> tuple[pd.Series, np.ndarray]:
    """Like ``_lookup`` for text values, built with a vectorised take (no million Python strings)."""
    codes, uniques = pd.factorize(cells)
    mapped = [table.get(_key(u)) for u in uniques]
    unknown = np.array([m is None for m in mapped] + [True])[codes]
    values = pd.Series([m or "" for m in mapped] + [""], dtype="str")
    return values.take(codes).reset_index(drop=True), unknown


def _validate(
    headers: list[str],
    columns: list[pd.Series],
    rows: np.ndarray,
    mapping: dict[str, str | None] | None,
    max_problems: int,
) -> FrameResult:
    index, problems = _resolve(headers, mapping)
    used = {headers[j].strip().lstrip("\ufeff"): c for c, j in index.items()}
    if problems:
        return _failed(problems, len(rows), used)
    cells = {c: _as_text(columns[j]) for c, j in index.items()}
    blank = np.logical_and.reduce([(s == "").to_numpy() for s in cells.values()])
    if blank.any():
        keep = ~blank
        cells = {c: s[keep].reset_index(drop=True) for c, s in cells.items()}
        rows = rows[keep]
    n = len(rows)
    if n == 0:
        return _failed([_problem("no_data_rows")], 0, used)

    out = _Collector(rows, max_problems)
    flagged = {}
    for column, s in cells.items():
        formula = s.str.startswith(("=", "+", "-", "@")).to_numpy(dtype=bool, copy=True)
        if formula.any():  # a signed number or phone is fine, anything else starting so is a formula
            risky = s[formula]
            plain = risky.str.fullmatch(r"[+\-][0-9\s().\-]*").to_numpy(dtype=bool, na_value=False)
            formula[np.flatnonzero(formula)[plain]] = False
        length = s.str.len()
        huge = (length > MAX_CELL_CHARS).to_numpy() & ~formula
        out.add(formula, "formula", column, s)
        out.add(
            huge,
            "cell_too_long",
            column,
            s,
            length=lambda i, length=length: int(length.iloc[i]),
            limit=MAX_CELL_CHARS,
        )
        flagged[column] = formula | huge
        if column in ("id", "phone"):  # Excel turned a long number into 1.38123E+10: the digits are gone
            sci = s.str.contains("E+", regex=False).to_numpy(dtype=bool, na_value=False) & ~flagged[column]
            if sci.any():
                sci[sci] = (
                    s[sci].str.fullmatch(r"[0-9]+(\.[0-9]+)?E\+[0-9]+").to_numpy(dtype=bool, na_value=False)
                )
                out.add(sci, "scientific_notation", column, s)
                flagged[column] |= sci

    def empty(col: str) -> np.ndarray:
        return (cells[col] == "").to_numpy()

    for col in REQUIRED_COLUMNS:
        out.add(empty(col) & ~flagged[col], "empty_required", col, cells[col])
    ids = cells["id"]
    codes = pd.factorize(ids)[0]  # codes number distinct ids in order of first appearance
    first_pos = np.searchsorted(np.maximum.accumulate(codes), np.arange(codes.max() + 1))
    duplicate = (first_pos[codes] != np.arange(n)) & ~empty("id") & ~flagged["id"]
    out.add(duplicate, "duplicate_id", "id", ids, first_row=lambda i: int(rows[first_pos[codes[i]]]))

    customer_type, unknown = _text_lookup(cells["customer_type"], CUSTOMER_TYPE_ALIASES)
    bad = unknown & ~empty("customer_type") & ~flagged["customer_type"]
    out.add(bad, "unknown_customer_type", "customer_type", cells["customer_type"])

    urban_rural = _blank(n)
    if "urban_rural" in cells:
        urban_rural, unknown = _text_lookup(cells["urban_rural"], URBAN_RURAL_ALIASES)
        bad = unknown & ~empty("urban_rural") & ~flagged["urban_rural"]
        out.add(bad, "unknown_urban_rural", "urban_rural", cells["urban_rural"])

    complaints = np.zeros(n, dtype=np.int64)
    if "complaints_12m" in cells:
        complaints, unknown = _lookup(cells["complaints_12m"], _COUNTS, 0)
        bad = unknown & ~empty("complaints_12m") & ~flagged["complaints_12m"]
        out.add(bad, "bad_complaints", "complaints_12m", cells["complaints_12m"])
        complaints = complaints.astype(np.int64)

    opted_out = np.zeros(n, dtype=bool)
    if "opted_out" in cells:
        opted_out, unknown = _lookup(cells["opted_out"], _BOOL_VALUES, False)
        bad = unknown & ~empty("opted_out") & ~flagged["opted_out"]
        out.add(bad, "bad_opted_out", "opted_out", cells["opted_out"])
        opted_out = opted_out.astype(bool)

    phone, has_phone = _blank(n), np.zeros(n, dtype=bool)
    if "phone" in cells:
        phone, has_phone = _normalise_phones(cells["phone"])
        out.add(~has_phone & ~empty("phone") & ~flagged["phone"], "bad_phone", "phone", cells["phone"])

    if out.count:
        order = index
        items = sorted(out.items, key=lambda p: (p.row, order.get(p.column, -1)))[:max_problems]
        return FrameResult(None, tuple(items), out.count, n, used)

    def text(col: str) -> pd.Series:
        return cells[col] if col in cells else _blank(n)

    frame = pd.DataFrame({
        "id": ids, "name": text("name"), "phone": phone, "region": cells["region"], "district": text("district"),
        "customer_type": customer_type, "urban_rural": urban_rural,
        "complaints_12m": complaints, "opted_out": opted_out, "has_valid_phone": has_phone,
    })  # fmt: skip
    return FrameResult(frame, (), 0, n, used)


class _CountTable(dict):
    """``_key(cell) → int`` for whole numbers ≥ 0 written as ``3`` or ``3.0`` (at most 9 digits)."""

    def get(self, key: str, default: Any = None) -> Any:
        match = re.fullmatch(r"([0-9]{1,9})(?:\.0*)?", key)
        return int(match.group(1)) if match else default


_COUNTS = _CountTable()


def _normalise_phones(cells: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Digits-only phones and a validity mask; only cells not already in canonical form are rewritten."""
    valid = cells.str.fullmatch(_MOBILE_OR_LANDLINE).to_numpy(dtype=bool, na_value=False, copy=True)
    todo = ~valid & (cells != "").to_numpy()
    phones = cells.copy()
    if todo.any():
        sub = cells[todo]
        wide = ~sub.str.isascii()
        if wide.any():
            sub = sub.where(~wide, sub.str.normalize("NFKC"))
        for separator in (" ", "-", "(", ")", "\t"):
            sub = sub.str.replace(separator, "", regex=False)
        prefixed = sub.str.fullmatch(r"(?:\+86|0086|86)1[3-9][0-9]{9}")
        sub = sub.where(~prefixed, sub.str[-11:])
        ok = sub.str.fullmatch(_MOBILE_OR_LANDLINE).to_numpy(dtype=bool, na_value=False)
        phones[todo] = sub.where(ok, cells[todo])
        valid[np.flatnonzero(todo)[ok]] = True
    return phones, valid


def problems_table(result: FrameResult, lang: str = "zh") -> pd.DataFrame:
    """Problems as a table for the UI.

    Parameters
    ----------
    result : a ``FrameResult``.
    lang : ``"zh"`` or ``"en"``, the language of the message column.

    Returns
    -------
    DataFrame
        Columns ``row`` (nullable Int64; empty for file-level problems), ``column`` (the file's own header when
        known, else the canonical name), ``value`` and ``message``; at most ``len(result.problems)`` rows.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    header_of = {c: h for h, c in result.mapping.items()}
    records = [
        (p.row, header_of.get(p.column, p.column) if p.column else None, p.value,
         p.message_zh if lang == "zh" else p.message_en)
        for p in result.problems
    ]  # fmt: skip
    table = pd.DataFrame(records, columns=["row", "column", "value", "message"])
    table["row"] = table["row"].astype("Int64")
    return table
