"""Customer frame import: read a CSV or XLSX file and validate it into a clean DataFrame.

This module is the entry point and re-exports the public names of its parts: :mod:`sampling.frame_schema`
(columns, aliases, ``Problem``, ``FrameResult``), :mod:`sampling.frame_read` (decoding, CSV/XLSX parsing,
header-row detection), :mod:`sampling.frame_validate` (the checks, ``validate_frame``)
and :mod:`sampling.frame_cells` (cells turned into values: text, lookups, counts, phones).

Pure (no database): ``survey/`` stores a valid frame in one transaction. Every problem is reported at once with
its spreadsheet row (header = row 1, first data row = 2), column, value and a message in Chinese and English;
the stored list is capped at ``max_problems`` while ``problem_count`` counts them all.

Decisions worth knowing:

- Encoding: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312, as Chinese Excel saves CSV);
  UTF-16 with a BOM (Excel "Unicode text") is accepted too. A file whose lines mix UTF-8 and GBK is refused,
  naming the first line that differs from the earlier ones (see ``sampling.frame_read._first_utf8_line``;
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
formula, cell_too_long, scientific_notation, nul_character, empty_required, duplicate_id, unknown_customer_type, unknown_region, unknown_urban_rural, bad_phone,
bad_complaints, bad_opted_out.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import pandas as pd

from sampling.frame_read import HEADER_SEARCH_ROWS, find_header_row, read_source, read_table
from sampling.frame_schema import (
    CANONICAL_COLUMNS,
    COLUMN_ALIASES,
    CUSTOMER_TYPE_ALIASES,
    CUSTOMER_TYPES,
    MAX_CELL_CHARS,
    MAX_PROBLEMS,
    OUTPUT_COLUMNS,
    REQUIRED_COLUMNS,
    URBAN_RURAL,
    URBAN_RURAL_ALIASES,
    FrameResult,
    Problem,
    UnknownValue,
    failed,
    header_key,
)
from sampling.frame_validate import check_arguments, validate_frame, validate_table
from sampling.places import PlaceList

__all__ = [
    "CANONICAL_COLUMNS", "COLUMN_ALIASES", "CUSTOMER_TYPE_ALIASES", "CUSTOMER_TYPES", "HEADER_SEARCH_ROWS",
    "MAX_CELL_CHARS", "MAX_PROBLEMS", "OUTPUT_COLUMNS", "REQUIRED_COLUMNS", "URBAN_RURAL", "URBAN_RURAL_ALIASES",
    "FrameResult", "Problem", "UnknownValue", "find_header_row", "header_key", "problems_table", "read_frame", "read_source",
    "read_table", "validate_frame", "validate_table",
]  # fmt: skip


def read_frame(
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: dict[str, str | None] | None = None,
    filename: str | None = None,
    max_problems: int = MAX_PROBLEMS,
    places: PlaceList | None = None,
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
    places : the region and customer-type list (:class:`sampling.places.PlaceList`, from the database): regions,
        types and districts are resolved onto it (aliases recognised) and an unknown region or type is a problem
        (grouped by value in ``FrameResult.unknown``). None: regions as written, types from the built-in list.

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
    check_arguments(mapping, max_problems)
    data, name = read_source(source, filename)
    table, problem = read_table(data, name, encoding=encoding, sheet=sheet)
    del data  # the file's bytes are not needed past parsing (76 MB for a 1M-row CSV)
    if problem is not None:
        return failed([problem])
    return validate_table(table, mapping, max_problems, places)


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
