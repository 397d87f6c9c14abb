"""Customer frame schema: canonical columns, header and value aliases, problems and their messages (pure).

Shared by :mod:`sampling.frame_read` (file-level problems) and :mod:`sampling.frame_validate` (cell problems);
:mod:`sampling.frame` re-exports the public names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

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
    "district": "区县 县区 所属区县 所属县区 区县公司 区 县 district county",
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
#: The allowed customer types as the messages list them when no list is given (``allowed``, ``allowed_en``).
TYPES_ALLOWED = (
    "居民、一般工商业、大工业、农业",
    "居民 (residential), 一般工商业 (commercial), 大工业 (large_industry), 农业 (agricultural)",
)
BOOL_VALUES = {"是": True, "否": False, "1": True, "0": False, "true": True, "false": False,
                "yes": True, "no": False, "y": True, "n": False}  # fmt: skip

LABELS_ZH = dict(
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
    "file_too_large": ("文件过大：{found}，上限 {limit}；请分批导入或只保留需要的列",
                       "the file is too large: {found}, at most {limit}; import it in parts or keep only the needed columns"),
    "line_too_long": ("第 {row} 行过长：超过 {limit} 仍未换行，不是正常的客户名单",
                      "line {row} is longer than {limit} without a line break; this is not a customer list"),
    "too_many_columns": ("列数过多：{where}有 {found} 列，上限 {limit} 列；请只保留需要的列后重新导出",
                         "too many columns: {where_en} has {found} columns, at most {limit}; keep only the needed "
                         "columns and export again"),
    "too_many_cells": ("表格过大：{where}约 {rows} 行 × {columns} 列 = {found} 个单元格，上限 {limit}；请分批导入或只保留需要的列",
                       "the table is too large: {where_en} has about {rows} rows × {columns} columns = {found} cells, "
                       "at most {limit}; import it in parts or keep only the needed columns"),
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
    "nul_character": ("{label}“{value}”含有空字符（NUL），像是二进制或损坏的导出文件；请检查该行后重新导出",
                      "{column} {value!r} holds a NUL character (a binary or broken export); check the row and "
                      "export again"),
    "empty_required": ("{label}不能为空", "{column} must not be empty"),
    "duplicate_id": ("户号“{value}”重复，首次出现在第 {first_row} 行", "duplicate id {value!r}, first seen in row {first_row}"),
    "unknown_customer_type": ("未知的用户类别“{value}”，允许：{allowed}", "unknown customer type {value!r}; allowed: {allowed_en}"),
    "unknown_region": ("供电单位“{value}”不在地区列表中（列表：{allowed}）；请把它对应到已有地区，或明确新增为地区",
                       "region {value!r} is not in the region list ({allowed_en}); map it to a region or add it "
                       "as a new one explicitly"),
    "unknown_urban_rural": ("未知的城乡类别“{value}”，允许：城镇、农村（或留空）",
                            "unknown urban_rural {value!r}; allowed: 城镇 (urban), 农村 (rural) or empty"),
    "bad_phone": ("电话号码格式不正确：“{value}”（应为手机号如 13812345678 或固话如 0591-87654321）",
                  "malformed phone {value!r} (expected a mobile like 13812345678 or a landline like 0591-87654321)"),
    "bad_complaints": ("投诉次数必须是不小于 0 的整数，但得到“{value}”", "complaints_12m must be a whole number ≥ 0, but got {value!r}"),
    "bad_opted_out": ("拒访标记应为 是/否（或 1/0、true/false、yes/no），但得到“{value}”",
                      "opted_out must be 是/否, 1/0, true/false or yes/no, but got {value!r}"),
}  # fmt: skip


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
class UnknownValue:
    """A region or customer type that is not in the list, with where it occurs.

    ``column`` is the canonical column, ``header`` the file's own header, ``rows`` the first
    ``UNKNOWN_ROWS_SHOWN`` spreadsheet rows holding it and ``count`` all of them.
    """

    column: str
    header: str
    value: str
    count: int
    rows: tuple[int, ...]

    def describe(self, lang: str = "en") -> str:
        """One line naming the value, the column and the rows, e.g. ``region '泉州电业局' in column 供电单位,
        3 rows: 2, 5, 9``."""
        rows = ", ".join(str(r) for r in self.rows) + (", …" if self.count > len(self.rows) else "")
        if lang == "zh":
            what = "供电单位（地区）" if self.column == "region" else "用户类别"
            return f"{what}“{self.value}”（列“{self.header}”）共 {self.count:,} 行" + (
                f"：第 {rows} 行" if self.rows else ""
            )
        what = "region" if self.column == "region" else "customer type"
        noun = "row" if self.count == 1 else "rows"
        return f"{what} {self.value!r} in column {self.header}, {self.count:,} {noun}" + (
            f": {rows}" if self.rows else ""
        )


UNKNOWN_ROWS_SHOWN = 5


@dataclass(frozen=True)
class FrameResult:
    """Outcome of a frame import: the clean frame (None unless valid), problems (capped) and their full count.

    ``unknown`` groups the unknown regions and customer types (one entry per distinct value, in order of
    first row): what the import's value-mapping step asks about.
    """

    frame: pd.DataFrame | None
    problems: tuple[Problem, ...]
    problem_count: int
    rows: int
    mapping: dict[str, str]
    unknown: tuple[UnknownValue, ...] = ()

    @property
    def only_unknown_values(self) -> bool:
        """True when every problem is an unknown region or customer type (a mapping can fix the import)."""
        return bool(self.unknown) and self.problem_count == sum(u.count for u in self.unknown)

    @property
    def ok(self) -> bool:
        """True when the frame has no problem at all and may be stored."""
        return self.problem_count == 0


def shorten(value: Any, limit: int = 100) -> str:
    """``value`` as text, cut to ``limit`` characters with an ellipsis."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def make_problem(
    code: str, row: int | None = None, column: str | None = None, value: Any = None, **fmt: Any
) -> Problem:
    """A ``Problem`` with its Chinese and English message (``code`` is a key of the message table)."""
    shown = None if value is None else shorten(value)
    fmt = {"row": row, "column": column, "label": LABELS_ZH.get(column or "", column), "value": shown, **fmt}
    zh, en = _MESSAGES[code]
    return Problem(row, column, shown, code, zh.format(**fmt), en.format(**fmt))


def failed(problems: list[Problem], rows: int = 0, mapping: dict[str, str] | None = None) -> FrameResult:
    """A ``FrameResult`` without a frame, for ``problems``."""
    return FrameResult(None, tuple(problems), len(problems), rows, mapping or {})


def header_key(text: Any) -> str:
    """Normalise a header or category value for alias lookup (NFKC, lower case, spaces → ``_``, ``*`` and a
    trailing ``(…)`` dropped).

    >>> header_key(" 户号(必填)* "), header_key("Customer ID")
    ('户号', 'customer_id')
    """
    text = unicodedata.normalize("NFKC", str(text)).strip().lstrip("\ufeff").strip().rstrip("*").strip()
    text = re.sub(r"\s*\([^()]*\)$", "", text).lower()
    return re.sub(r"[\s\-]+", "_", text)
