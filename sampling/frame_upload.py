"""Helpers for the frame upload page: sheet names, a raw preview and the column mapping (pure)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sampling.frame import (
    CANONICAL_COLUMNS,
    COLUMN_ALIASES,
    REQUIRED_COLUMNS,
    find_header_row,
    header_key,
    read_table,
)

ENCODINGS = ("auto", "utf-8", "gb18030")


@dataclass(frozen=True)
class Peek:
    """The first rows of an uploaded file as written (header row and data rows as text), or a problem message."""

    headers: tuple[str, ...]
    rows: pd.DataFrame
    problem: str | None = None


def is_xlsx(data: bytes, filename: str = "") -> bool:
    return data[:4] == b"PK\x03\x04" or Path(filename).suffix.lower() in (".xlsx", ".xlsm")


def sheet_names(data: bytes) -> list[str]:
    """Sheet names of an .xlsx file ([] when it cannot be read)."""
    from openpyxl import load_workbook

    try:
        return list(load_workbook(io.BytesIO(data), read_only=True).sheetnames)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []


def peek(
    data: bytes,
    filename: str = "",
    *,
    encoding: str = "auto",
    sheet: str | None = None,
    rows: int = 10,
    mapping: dict[str, str | None] | None = None,
) -> Peek:
    """Headers and the first ``rows`` data rows of a CSV/XLSX upload, without validating anything.

    The file is read and its header row found exactly as :func:`sampling.frame.read_frame` does
    (:func:`sampling.frame.read_table`, :func:`sampling.frame.find_header_row`), so title rows above the
    header are skipped in the preview too.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, but got {encoding!r}")
    table, problem = read_table(
        data, filename, encoding=None if encoding == "auto" else encoding, sheet=sheet
    )
    if problem is not None:
        return Peek((), pd.DataFrame(), problem.message_zh + " / " + problem.message_en)
    at = find_header_row(table, mapping)
    if at is None:
        return Peek((), pd.DataFrame())
    headers = tuple(str(v).strip().lstrip("\ufeff") for v in table.iloc[at])
    body = table.iloc[at + 1 : at + 1 + rows].reset_index(drop=True)
    body.columns = [h or f"#{j + 1}" for j, h in enumerate(headers)]
    return Peek(headers, body)


def guess_mapping(headers: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    """``{canonical column: header in the file or None}``, prefilled from the known aliases.

    >>> guess_mapping(["户号", "供电单位", "foo"])["region"]
    '供电单位'
    """
    found: dict[str, str | None] = dict.fromkeys(CANONICAL_COLUMNS)
    for header in headers:
        column = COLUMN_ALIASES.get(header_key(header))
        if column is not None and found[column] is None:
            found[column] = header
    return found


def needs_mapping(headers: tuple[str, ...] | list[str]) -> bool:
    """True when a required column is not recognised from the headers."""
    guessed = guess_mapping(headers)
    return any(guessed[c] is None for c in REQUIRED_COLUMNS)


def file_mapping(
    selection: dict[str, str | None], headers: tuple[str, ...] | list[str]
) -> dict[str, str | None]:
    """Turn the page's ``{canonical: header}`` choice into read_frame's ``{header: canonical or None}``."""
    chosen = {h: c for c, h in selection.items() if h}
    return {h: chosen.get(h) for h in headers if h}
