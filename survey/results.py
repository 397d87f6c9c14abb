"""Respondent data of a round, with design columns, for analysis and the dashboard."""

from __future__ import annotations

import pandas as pd
import sqlite_utils

from analysis.estimates import survey_mean
from survey.forms import round_questionnaire

DESIGN_COLUMNS = (
    "response_id",
    "stratum",
    "N_h",
    "region",
    "district",
    "customer_type",
    "urban_rural",
    "mode",
    "submitted_at",
)


def responses_frame(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> pd.DataFrame:
    """One row per response of the round: design columns, nonresponse-adjusted weight, answers.

    The weight is ``N_h / r_h`` (base weight N_h/n_h times the within-stratum response
    adjustment n_h/r_h; Lohr 2019, §8.5.2), so respondents carry their stratum. Numeric items
    are numbers; multiple-choice answers stay JSON text. ``region`` restricts the rows
    returned (the weights are still computed over the whole round).
    """
    rows = db.execute(
        """
        SELECT r.id, a.stratum, s.population, a.region, a.district, a.customer_type, a.urban_rural, r.mode, r.submitted_at
        FROM responses r
        JOIN assignments a ON a.id = r.assignment_id
        JOIN round_strata s ON s.round_id = a.round_id AND s.stratum = a.stratum
        WHERE a.round_id = ?
        """,
        [round_id],
    ).fetchall()
    frame = pd.DataFrame(rows, columns=list(DESIGN_COLUMNS))
    answers = pd.DataFrame(
        db.execute(
            "SELECT x.response_id, x.question_id, x.value FROM answers x JOIN responses r ON r.id = x.response_id"
            " JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id = ?",
            [round_id],
        ).fetchall(),
        columns=["response_id", "question_id", "value"],
    )
    questionnaire = round_questionnaire(db, round_id)
    wide = answers.pivot(index="response_id", columns="question_id", values="value") if len(answers) else None
    for q in questionnaire.questions:
        if q.type == "note":
            continue
        col = wide[q.id] if wide is not None and q.id in wide.columns else pd.Series(dtype=object)
        values = frame["response_id"].map(col)
        if q.type in ("likert5", "rating10", "number"):
            values = pd.to_numeric(values, errors="coerce")
        frame[q.id] = values
    r_h = frame.groupby("stratum")["response_id"].transform("count")
    frame["weight"] = frame["N_h"] / r_h
    if region is not None:
        frame = frame[frame["region"] == region].reset_index(drop=True)
    return frame


def region_estimates(frame: pd.DataFrame, item: str = "overall", *, confidence: float = 0.95) -> pd.DataFrame:
    """Weighted mean of ``item`` per region plus an overall row ``region = "全部"``, with CIs.

    Design-based (stratified, one stage, fpc from N_h), as R
    ``svyby(~item, ~region, svydesign(ids=~1, strata=~stratum, weights=~weight, fpc=~N_h), svymean)``.
    """
    if frame.empty:
        return pd.DataFrame(columns=["region", "estimate", "se", "ci_low", "ci_high", "n"])
    design = dict(strata="stratum", weights="weight", fpc="N_h", confidence=confidence)
    by_region = survey_mean(frame, item, by="region", **design)
    overall = survey_mean(frame, item, **design).assign(region="全部")
    return pd.concat([by_region, overall], ignore_index=True)


# ---------------------------------------------------------------------------- dashboard statistics
# (imports here keep the original module head intact; they are cheap and pure)
import io  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

from analysis.compare import (  # noqa: E402
    KruskalResult,
    RaoScottResult,
    compact_letters,
    cramers_v,
    dunn_pairs,
    kruskal_regions,
    rao_scott_chisq,
)
from analysis.indicators import headline_indicators, round_change, top2_column  # noqa: E402
from analysis.weights import WeightSummary, poststratify, weight_summary  # noqa: E402
from survey.store import audit, transaction  # noqa: E402
from survey.users import parse_regions  # noqa: E402

OVERALL = "全部"
DESIGN = dict(strata="stratum", weights="weight", fpc="N_h")


def likert_items(db: sqlite_utils.Database, round_id: int) -> dict[str, dict]:
    """The round's likert-5 items: ``{question id: {"zh": label, "en": label}}`` in questionnaire order."""
    return {q.id: dict(q.label) for q in round_questionnaire(db, round_id).questions if q.type == "likert5"}


def data_version(db: sqlite_utils.Database, round_id: int) -> tuple[int, int]:
    """``(max response id, number of responses)`` of the round: a cache key that changes with new data."""
    row = db.execute(
        "SELECT COALESCE(MAX(r.id), 0), COUNT(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE a.round_id = ?",
        [round_id],
    ).fetchone()
    return int(row[0]), int(row[1])


def scoped(frame: pd.DataFrame, region: str | None) -> pd.DataFrame:
    """Rows of the user's region scope (None = all; a comma-separated list allowed)."""
    regions = parse_regions(region)
    if not regions:
        return frame
    return frame[frame["region"].isin(regions)].reset_index(drop=True)


def frame_totals(db: sqlite_utils.Database, cells: tuple[str, ...] = ("region", "customer_type")) -> dict:
    """Active customers in the frame per cell (``"region|customer_type"``): totals for post-stratification."""
    allowed = {"region", "customer_type", "urban_rural", "district"}
    if not cells or set(cells) - allowed:
        raise ValueError(f"cells must be among {sorted(allowed)}, but got {cells!r}")
    cols = ", ".join(cells)
    rows = db.execute(f"SELECT {cols}, COUNT(*) FROM customers WHERE active = 1 GROUP BY {cols}").fetchall()  # noqa: S608 (whitelisted names, values bound)
    return {"|".join(str(v) for v in row[:-1]): int(row[-1]) for row in rows}


def poststratified(
    frame: pd.DataFrame, totals: dict, cells: tuple[str, ...] = ("region", "customer_type")
) -> pd.DataFrame:
    """The frame with ``weight`` post-stratified to frame totals per cell (Lohr 2019, §4.4).

    Cells without respondents cannot be adjusted: their weight stays, and the totals of such
    cells are left out. SEs from :func:`survey_mean` then ignore the post-stratification
    (they treat the adjusted weights as fixed), a usual, slightly conservative approximation.
    """
    if frame.empty:
        return frame
    cell = frame[list(cells)].astype(str).agg("|".join, axis=1)
    present = set(cell)
    out = frame.assign(_cell=cell)
    covered = out["_cell"].isin([c for c in totals if c in present])
    adjusted = poststratify(
        out[covered], weight="weight", cell="_cell", totals={c: totals[c] for c in present if c in totals}
    )
    out.loc[covered, "weight"] = adjusted.to_numpy()
    return out.drop(columns="_cell")


@dataclass(frozen=True)
class DashboardStats:
    """Everything the dashboard shows for one round, item and grouping (see :func:`dashboard_statistics`)."""

    group: str
    item: str
    indicators: pd.DataFrame
    kruskal: KruskalResult
    pairs: pd.DataFrame
    letters: dict
    top2_test: RaoScottResult
    top2_cramers_v: float
    drill: pd.DataFrame
    weights: WeightSummary | None
    n: int


def dashboard_statistics(
    frame: pd.DataFrame,
    items: list[str],
    item: str,
    *,
    group: str = "region",
    drill_by: str = "customer_type",
) -> DashboardStats:
    """Indicators per ``group`` (and overall), the comparison of ``item`` across groups, the drill-down.

    * indicators: :func:`analysis.indicators.headline_indicators` (design-based);
    * Kruskal-Wallis and Dunn/Holm pairs on ``item`` (simple random sample assumption) with
      compact letters ordered by the design-based group means;
    * Rao-Scott F on top-2-box × group (design-based) and Cramér's V of the weighted table
      scaled to the sample size (effect size);
    * drill-down: the indicators of every item by ``drill_by`` (design-based).
    """
    if item not in items:
        raise ValueError(f"item must be one of {items!r}, but got {item!r}")
    if frame.empty:
        empty = pd.DataFrame()
        nan_k = KruskalResult(np.nan, np.nan, np.nan, 0, 0)
        nan_r = RaoScottResult(np.nan, np.nan, np.nan, np.nan, np.nan)
        return DashboardStats(group, item, empty, nan_k, empty, {}, nan_r, np.nan, empty, None, 0)
    indicators = headline_indicators(frame, items, by=group, overall_label=OVERALL, **DESIGN)
    kruskal = kruskal_regions(frame, item, group)
    pairs = dunn_pairs(frame, item, group)
    means = indicators[(indicators["indicator"] == "mean") & (indicators["item"] == item)]
    means = means[means[group] != OVERALL].dropna(subset=["estimate"])
    letters = (
        compact_letters(dict(zip(means[group], means["estimate"], strict=True)), pairs) if len(pairs) else {}
    )
    top2 = frame.assign(**{top2_column(item): np.where(frame[item].notna(), frame[item] >= 4, np.nan)})
    test = rao_scott_chisq(top2, group, top2_column(item), **DESIGN)
    table = top2.dropna(subset=[top2_column(item)]).pivot_table(
        index=group, columns=top2_column(item), values="weight", aggfunc="sum", fill_value=0
    )
    scaled = (
        table / table.to_numpy().sum() * len(top2.dropna(subset=[top2_column(item)])) if table.size else table
    )
    effect = cramers_v(scaled.to_numpy()) if scaled.size else np.nan
    drill = headline_indicators(frame, items, by=drill_by, overall_label=OVERALL, **DESIGN)
    return DashboardStats(group, item, indicators, kruskal, pairs, letters, test, effect, drill,
                          weight_summary(frame["weight"]), len(frame))  # fmt: skip


def trend_table(
    db: sqlite_utils.Database,
    items: list[str],
    *,
    indicator: str = "index",
    item: str = "",
    region: str | None = None,
) -> pd.DataFrame:
    """One indicator across every round with responses (oldest first), with CIs and the change test.

    ``indicator`` is ``"mean"``, ``"top2"`` or ``"index"``; ``change``/``change_p``/``significant``
    compare each round with the previous one (:func:`analysis.indicators.round_change`).
    """
    if indicator not in ("mean", "top2", "index"):
        raise ValueError(f"indicator must be 'mean', 'top2' or 'index', but got {indicator!r}")
    rows = []
    for rid, name in db.execute("SELECT id, name FROM rounds ORDER BY id").fetchall():
        frame = scoped(responses_frame(db, rid), region)
        present = [i for i in items if i in frame.columns]
        if frame.empty or not present or (indicator != "index" and item not in present):
            continue
        table = headline_indicators(frame, present, **DESIGN)
        row = table[
            (table["indicator"] == indicator) & (table["item"] == (item if indicator != "index" else ""))
        ]
        rows.append({"round_id": rid, "round": name, **row.iloc[0].drop(["indicator", "item"]).to_dict()})
    out = pd.DataFrame(
        rows, columns=["round_id", "round", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"]
    )
    changes = [None] + [round_change(a.estimate, a.se, b.estimate, b.se) for a, b in
                        zip(out.iloc[:-1].itertuples(), out.iloc[1:].itertuples(), strict=True)]  # fmt: skip
    out["change"] = [c.difference if c else np.nan for c in changes]
    out["change_p"] = [c.pvalue if c else np.nan for c in changes]
    out["significant"] = [c.significant() if c else False for c in changes]
    return out


def _safe(value: object) -> object:
    """Neutralise text that a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, list | tuple | dict):
        return _safe(" | ".join(map(str, value)) if not isinstance(value, dict) else str(value))
    return value


def workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """One .xlsx workbook, one sheet per table (names cut to Excel's 31 characters), text cells
    stored as text and neutralised against formulas."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, table in tables.items():
        sheet = book.create_sheet(str(name)[:31].translate(str.maketrans("[]:*?/\\", "_______")))
        sheet.append([str(_safe(c)) for c in table.columns])
        for record in table.itertuples(index=False):
            values = []
            for v in record:
                v = _safe(v.item() if isinstance(v, np.generic) else v)
                values.append(None if isinstance(v, float) and np.isnan(v) else v)
            sheet.append(values)
        for row in sheet.iter_rows(min_row=1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_tables(
    db: sqlite_utils.Database, tables: dict[str, pd.DataFrame], *, user: str | None, detail: str
) -> bytes:
    """The workbook of :func:`workbook_bytes`, with an audit line naming who exported which tables."""
    data = workbook_bytes(tables)
    with transaction(db):
        audit(db, user, "dashboard_export", f"{detail} sheets={','.join(tables)}")
    return data
