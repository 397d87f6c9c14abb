"""What every engine offers the draw: the frame's columns and fingerprint, cell counts (pass 1), the selection
(pass 2), duplicates of picked ids (pass 3) and where rows are (for problem reports)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from sampling.engines.rule import CELL_FIELDS, FRAME_FIELDS, FrameSourceError, candidate_threshold

#: Key of a prepared frame's Parquet key-value metadata.
PREPARED_KEY = "survey.prepared"
#: Columns of the cell counts (pass 1).
CELL_COUNT_COLUMNS = (*CELL_FIELDS, "has_phone", "blank_id", "n")
#: What a frame file that is not UTF-8 should become (the engines read UTF-8 only).
NOT_UTF8 = "save it as UTF-8 (import-frame also reads GBK files into the store)"
#: Columns of a selection (pass 2).
SELECTION_COLUMNS = ("id", *(f"raw_{f}" for f in FRAME_FIELDS), "stratum", "prn", "pos", "candidates")


@dataclass(frozen=True)
class PreparedInfo:
    """What ``prepare-frame`` recorded in the Parquet file: the salt's id, the strata it sorted by, rows, the
    cell counts with their stratum labels then, and whether its ids were checked unique."""

    salt_id: str
    strata: tuple[str, ...]
    rows: int
    cells: pd.DataFrame  # CELL_COUNT_COLUMNS + "stratum"
    unique_ids: bool
    source: dict

    def to_json(self) -> str:
        return json.dumps(
            {
                "salt_id": self.salt_id,
                "strata": list(self.strata),
                "rows": self.rows,
                "unique_ids": self.unique_ids,
                "source": self.source,
                "cells": self.cells.astype(object).values.tolist(),
                "cell_columns": list(self.cells.columns),
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> PreparedInfo:
        data = json.loads(text)
        cells = pd.DataFrame(data["cells"], columns=data["cell_columns"])
        return cls(data["salt_id"], tuple(data["strata"]), int(data["rows"]), cells, bool(data["unique_ids"]),
                   data.get("source", {}))  # fmt: skip


def cells_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """Cell counts with plain types (text keys, bool flags, int counts), whatever the engine returned."""
    out = counts.copy()
    for c in CELL_FIELDS:
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    for c in ("has_phone", "blank_id"):
        out[c] = out[c].astype(bool)
    out["n"] = out["n"].astype("int64")
    return out.reset_index(drop=True)


def takes_frame(starts: Mapping[str, float], takes: Mapping[str, int], populations: Mapping[str, int],
                *, full: Sequence[str] = ()) -> pd.DataFrame:  # fmt: skip
    """``survey_takes``: per stratum its start, how many units to take and the pre-filter threshold (1 for the
    strata in ``full``)."""
    rows = [
        (h, float(starts[h]), int(k), 1.0 if h in full else candidate_threshold(int(k), int(populations[h])))
        for h, k in takes.items()
        if k > 0
    ]
    return pd.DataFrame(rows, columns=["stratum", "start", "take", "threshold"])


Method = TypeVar("Method", bound=Callable)


def reads_frame(method: Method) -> Method:
    """An engine method that reads the frame: when the engine cannot read it (a corrupt Parquet file, a CSV
    that is not UTF-8 or whose row has too few fields), :class:`FrameSourceError` names the source and says what
    the engine found, instead of the engine's traceback (``FrameEngine.read_error`` recognises those failures;
    anything else, a bug of ours included, is raised as it was)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except FrameSourceError:
            raise
        except Exception as exc:
            error = self.read_error(exc)
            if error is None:
                raise
            raise error from exc

    return wrapper  # type: ignore[return-value]


def first_lines(text: str, *, stop: Sequence[str] = ()) -> str:
    """An engine's error text as one line: its lines up to the first that starts with one of ``stop``, blank
    ones dropped, joined by "; "."""
    kept = []
    for line in str(text).splitlines():
        line = line.strip()
        if any(line.startswith(s) for s in stop):
            break
        if line:
            kept.append(line)
    return "; ".join(kept)


class FrameEngine:
    """The interface of :class:`~sampling.engines.duckdb_engine.DuckDBEngine` and
    :class:`~sampling.engines.spark_engine.SparkEngine`."""

    name = "engine"
    mapping: dict[str, str]
    prepared: PreparedInfo | None = None

    def describe(self) -> dict:
        """The frame's fingerprint: source, kind, files with sizes, row count, content or Parquet footer hash."""
        raise NotImplementedError

    def cell_counts(self, excluded: Sequence[str] = ()) -> pd.DataFrame:
        """Pass 1: customers per raw cell (``CELL_COUNT_COLUMNS``), the ``excluded`` ids left out."""
        raise NotImplementedError

    def select(
        self, salt: str, cells: pd.DataFrame, takes: pd.DataFrame, excluded: Sequence[str] = (),
        *, ranges: Sequence[tuple[str, float, float]] | None = None,
    ) -> pd.DataFrame:  # fmt: skip
        """Pass 2: ``SELECTION_COLUMNS`` of the first ``take`` units per stratum in rotation order.

        ``cells`` are the eligible raw cells with their ``stratum``; ``takes`` has ``stratum, start, take,
        threshold``; ``ranges`` (prepared frames) restricts the scan to those ``(stratum, lo, hi)`` PRN ranges."""
        raise NotImplementedError

    def duplicate_ids(self, ids: Sequence[str]) -> dict[str, int]:
        """Pass 3: ``{id: occurrences}`` of the given ids that occur more than once in the frame."""
        raise NotImplementedError

    def locate(self, ids: Sequence[str]) -> dict[str, tuple[str, int | None]]:
        """``{id: (file, row)}`` for problem reports (row 1-based; a CSV's header is row 1; None if unknown)."""
        raise NotImplementedError

    def read_error(self, exc: Exception) -> FrameSourceError | None:
        """The :class:`FrameSourceError` for ``exc`` if it is the engine failing to read the frame, else None."""
        return None

    def close(self) -> None:
        pass

    def __enter__(self) -> FrameEngine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
