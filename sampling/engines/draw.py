"""The engine-independent steps of a draw from an external frame (pure): cells onto the region list, N_h,
the selection with its retry, and the validation of the selected rows as an import validates them.

A frame in the data platform is never copied: pass 1 counts customers per raw cell (region, district,
customer type, urban/rural, opt-out as written, phone present); each distinct cell is resolved here with the
import's own rules (:func:`sampling.frame_validate.validate_frame` onto the region list, 泉州市供电公司 → 泉州),
which gives every cell its stratum and eligibility, and so N_h; pass 2 selects by the PRN rule in the engine;
the selected rows are validated like an import's rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sampling.engines.base import FrameEngine, takes_frame
from sampling.engines.rule import CELL_FIELDS, FRAME_FIELDS
from sampling.frame_schema import LABELS_ZH, Problem
from sampling.frame_validate import validate_frame
from sampling.places import PlaceList
from sampling.select import stratum_key

#: Problems shown at most (all are counted).
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class FrameProblem:
    """A problem of an external frame: where (file and row when known, else the customer id), column, value and
    the message in Chinese and English (as an import reports it)."""

    file: str
    row: int | None
    customer_id: str | None
    column: str | None
    value: str | None
    message_zh: str
    message_en: str
    count: int = 1

    def describe(self, lang: str = "en") -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"第 {self.row} 行" if lang == "zh" else f"row {self.row}")
        elif self.customer_id is not None:
            where.append(f"户号 {self.customer_id}" if lang == "zh" else f"id {self.customer_id}")
        if self.column:
            where.append(LABELS_ZH.get(self.column, self.column) if lang == "zh" else self.column)
        if self.value:
            where.append(f"“{self.value}”" if lang == "zh" else f"value {self.value!r}")
        if self.count > 1:
            where.append(f"共 {self.count:,} 行" if lang == "zh" else f"{self.count:,} rows")
        return ("：" if lang == "zh" else ": ").join([", ".join(where), self.message_zh if lang == "zh" else
                                                       self.message_en])  # fmt: skip


class FrameProblems(ValueError):
    "The external frame has problems; nothing was drawn."

    def __init__(self, source: str, problems: Sequence[FrameProblem], total: int | None = None) -> None:
        self.source = source
        self.problems = tuple(problems)
        self.total = total if total is not None else sum(p.count for p in problems)
        first = self.problems[0].describe("en") if self.problems else ""
        super().__init__(f"{source}: {self.total} problem(s) in the frame; nothing was drawn ({first})")


def resolve_cells(
    counts: pd.DataFrame, strata: Sequence[str], places: PlaceList | None, *, source: str = "frame"
) -> pd.DataFrame:
    """Every raw cell of pass 1 with its canonical values, stratum label and eligibility.

    The cells go through :func:`sampling.frame_validate.validate_frame` (one row per distinct cell), so regions,
    districts and customer types resolve onto the region list and opt-out flags parse exactly as in an import.
    An unknown or empty region or customer type, a malformed opt-out flag or a blank id stops the draw
    (:class:`FrameProblems`, with the number of rows holding the value), as it stops an import.

    Returns the cells with ``stratum`` and ``eligible`` (not opted out, a phone, an id) and the canonical
    ``c_region, c_district, c_customer_type, c_urban_rural``.
    """
    counts = counts.reset_index(drop=True)
    problems: list[FrameProblem] = []
    blank = counts[counts["blank_id"]]
    if len(blank):
        problems.append(FrameProblem(source, None, None, "id", None, "户号不能为空", "id must not be empty",
                                     int(blank["n"].sum())))  # fmt: skip
    table = pd.DataFrame({"id": [f"cell{i}" for i in range(len(counts))]})
    for field in CELL_FIELDS:
        table[field] = counts[field].astype(str)
    result = validate_frame(table, places=places, max_problems=len(counts) * len(CELL_FIELDS) + 1)
    grouped: dict[tuple[str | None, str | None, str], FrameProblem] = {}
    for p in result.problems:
        n = int(counts["n"].iloc[p.row - 2])
        key = (p.column, p.value, p.code)
        old = grouped.get(key)
        grouped[key] = FrameProblem(source, None, None, p.column, p.value, p.message_zh, p.message_en,
                                    n + (old.count if old else 0))  # fmt: skip
    problems += sorted(grouped.values(), key=lambda q: -q.count)
    if problems:
        raise FrameProblems(source, problems[:MAX_PROBLEMS], sum(q.count for q in problems))
    clean = result.frame
    out = counts.copy()
    for field in ("region", "district", "customer_type", "urban_rural"):
        out["c_" + field] = clean[field].astype(str).to_numpy()
    out["stratum"] = [stratum_key(v) for v in out[["c_" + s for s in strata]].itertuples(index=False)]
    out["eligible"] = (
        ~clean["opted_out"].to_numpy(dtype=bool) & out["has_phone"].to_numpy() & ~out["blank_id"]
    )
    return out


def eligible_counts(cells: pd.DataFrame, strata: Sequence[str]) -> dict[tuple, int]:
    """``{stratum values: N_h}`` over eligible cells, as :func:`survey.design.eligible_counts` gives them."""
    use = cells[cells["eligible"]]
    if not strata:
        return {(): int(use["n"].sum())} if len(use) else {}
    sums = use.groupby([f"c_{s}" for s in strata], sort=True)["n"].sum()
    out = {}
    for key, n in sums.items():
        values = key if isinstance(key, tuple) else (key,)
        if n > 0:
            out[tuple(str(v) for v in values)] = int(n)
    return out


def cell_totals(cells: pd.DataFrame, columns: Sequence[str] = ("region", "customer_type")) -> dict[str, int]:
    """Eligible customers per ``columns`` cell (the round's post-stratification totals)."""
    return {stratum_key(v): n for v, n in eligible_counts(cells, columns).items()}


def select_all(
    engine: FrameEngine,
    salt: str,
    cells: pd.DataFrame,
    starts: Mapping[str, float],
    takes: Mapping[str, int],
    populations: Mapping[str, int],
    excluded: Sequence[str] = (),
    *,
    ranges: bool = False,
) -> pd.DataFrame:
    """The first ``takes[h]`` units of each stratum in rotation order from ``starts[h]`` (Ohlsson 1995, the PRN
    rule of DESIGN.md), run in ``engine``; a stratum whose pre-filter kept too few candidates is selected
    again without it. ``ranges``: a prepared frame sorted by these strata is read by PRN ranges only.

    Returns the engine's selection sorted by stratum and position.
    """
    eligible = cells[cells["eligible"]][[*CELL_FIELDS, "has_phone", "stratum"]].drop_duplicates()
    eligible = eligible.reset_index(drop=True)
    plan = takes_frame(starts, takes, populations)
    out = _run(engine, salt, eligible, plan, excluded, ranges)
    short = _short(out, plan)
    if short:
        plan = takes_frame(starts, {h: takes[h] for h in short}, populations, full=short)
        again = _run(engine, salt, eligible, plan, excluded, ranges)
        out = pd.concat([out[~out["stratum"].isin(short)], again], ignore_index=True)
    return out.sort_values(["stratum", "pos"], kind="stable").reset_index(drop=True)


def _run(engine, salt, eligible, plan, excluded, ranges: bool) -> pd.DataFrame:
    scan = None
    if ranges:
        scan = []
        for row in plan.itertuples(index=False):
            lo, hi = row.start, row.start + row.threshold
            scan.append((row.stratum, lo, min(hi, 1.0)))
            if hi > 1.0:
                scan.append((row.stratum, 0.0, hi - 1.0))
    return engine.select(salt, eligible, plan, excluded, ranges=scan)


def _short(selection: pd.DataFrame, plan: pd.DataFrame) -> list[str]:
    """Strata whose pre-filter (threshold < 1) kept fewer candidates than they take."""
    got = selection.groupby("stratum")["candidates"].max() if len(selection) else pd.Series(dtype=int)
    return [
        r.stratum
        for r in plan.itertuples(index=False)
        if r.threshold < 1.0 and int(got.get(r.stratum, 0)) < r.take
    ]


def validate_selected(
    selection: pd.DataFrame, places: PlaceList | None, cells: pd.DataFrame
) -> tuple[pd.DataFrame | None, list[tuple[int, Problem]]]:
    """The selected rows validated as an import validates its rows (phone, name, formulas, complaints, …).

    Returns the clean rows (canonical values, digits-only phones) in the selection's order, or None, and the
    problems with the position of their row in ``selection``. A clean row must land in the stratum the
    engine gave it (the cells' resolution and the rows' agree) and have a valid phone."""
    raw = pd.DataFrame({f: selection[f"raw_{f}"].astype(object).where(selection[f"raw_{f}"].notna(), "")
                        for f in FRAME_FIELDS})  # fmt: skip
    result = validate_frame(raw, places=places, max_problems=MAX_PROBLEMS)
    if not result.ok:
        return None, [(p.row - 2 if p.row else -1, p) for p in result.problems]
    clean = result.frame
    if not np.array_equal(clean["id"].to_numpy(dtype=object), selection["id"].to_numpy(dtype=object)):
        raise AssertionError("the engine's ids and the import's stripped ids differ")
    if not clean["has_valid_phone"].all() or clean["opted_out"].any():
        raise AssertionError("an ineligible customer was selected")
    return clean, []
