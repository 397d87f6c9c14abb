"""The dashboard's report of a round: a workbook a manager forwards as is, and the same tables for analysts.

One view (:class:`ReportView`: round, item, scope, filters, post-stratification) gives one
:class:`Report` (:func:`build_report`), from which come

* :func:`survey.report_workbook.report_workbook` — the manager's Excel file in Chinese or English: a cover sheet (round, draw and
  answer dates, scope and filters, responses and response rates, headline results, the findings sentences
  of :func:`analysis.findings.design_findings` over every item × pair, the methods in plain words), then
  one sheet per table with headers in words, numbers kept numeric and shown rounded by Excel number
  formats (percentages as percentages), frozen header rows, filters and column widths;
* :func:`analyst_tables` → :func:`report_json` / :func:`report_csv` — the same tables with stable
  snake_case columns and unrounded values, for analysts.

:func:`export_report` builds one of them and writes the audit line. Text cells are neutralised against
formula injection in the workbook and the CSV files (OWASP); the JSON keeps values as they are.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.contrasts import ADJUST_METHODS
from analysis.findings import design_findings, overall_sentence
from analysis.rates import DispositionCounts, outcome_rates
from survey.dashboard import OVERALL, DashboardStats, dashboard_statistics
from survey.monitoring import STATUS_DISPOSITION
from survey.regions import CUSTOMER_TYPES_EN, region_name_en
from survey.report_text import ITEM_NAMES, text
from survey.results import (
    frame_totals,
    likert_items,
    poststratified,
    responses_frame,
    scope_mask,
    spreadsheet_safe,
)
from survey.store import audit, transaction
from survey.users import parse_regions, region_filter

__all__ = ["FORMATS", "Report", "ReportError", "ReportView", "analyst_tables", "build_report", "export_report",
           "report_csv", "report_json"]  # fmt: skip

#: File formats of :func:`export_report`: the manager's workbook, and the analysts' JSON and CSV (zip).
FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "csv": "application/zip",
}


class ReportError(LookupError):
    "The report cannot be built for this view (no responses, unknown round or item)"


@dataclass(frozen=True)
class ReportView:
    """What the report is about: the round, the compared item, and the domain of the round's design.

    ``scope`` is the account's region scope (None: all regions); ``region`` and ``customer_type`` are the
    manager's own filters. With a scope or a region the groups are districts, else regions.
    """

    round_id: int
    item: str = "overall"
    scope: str | None = None
    region: str | None = None
    customer_type: str | None = None
    poststratify: bool = False

    @property
    def group(self) -> str:
        return "district" if (self.scope or self.region) else "region"

    def detail(self) -> str:
        """The view as audit-log text."""
        return (f"round={self.round_id} scope={self.scope or 'all'} region={self.region or 'all'} "
                f"type={self.customer_type or 'all'} item={self.item} post={int(self.poststratify)}")  # fmt: skip


@dataclass(frozen=True)
class Report:
    """Everything the report shows for one :class:`ReportView` (:func:`build_report`)."""

    view: ReportView
    round_name: str
    round_status: str
    drawn_at: str | None
    first_answer: str | None
    last_answer: str | None
    responses: int
    issued: int
    rr1: float
    rr3: float
    stats: DashboardStats
    items: dict[str, dict]
    topics: pd.DataFrame
    exported_at: str
    exported_by: str | None = None
    extra: dict = field(default_factory=dict)


def _rates(db: sqlite_utils.Database, view: ReportView) -> tuple[int, float, float]:
    """Issued units and AAPOR RR1 / RR3 of the view's sample (scope, region and customer type)."""
    sql = ("SELECT a.status, COUNT(*) FROM assignments a WHERE a.round_id = ?"
           " AND (a.is_reserve = 0 OR a.released_at IS NOT NULL)")  # fmt: skip
    params: list = [view.round_id]
    for regions in (view.scope, view.region):
        fragment, values = region_filter("a.region", regions)
        sql, params = sql + fragment, params + values
    if view.customer_type:
        sql, params = sql + " AND a.customer_type = ?", [*params, view.customer_type]
    codes: list[str] = []
    issued = 0
    for status, n in db.execute(sql + " GROUP BY a.status", params):
        codes += [STATUS_DISPOSITION[status]] * n
        issued += n
    if not issued:
        return 0, math.nan, math.nan
    rates = outcome_rates(DispositionCounts.from_dispositions(codes))
    return issued, rates.rr1, rates.rr3


def view_frame(db: sqlite_utils.Database, view: ReportView) -> tuple[pd.DataFrame, np.ndarray]:
    """The whole round's respondents (post-stratified when asked) and the mask of the view's domain."""
    frame = responses_frame(db, view.round_id)
    if view.poststratify and not frame.empty:
        frame = poststratified(frame, frame_totals(db, round_id=view.round_id))
    mask = scope_mask(frame, view.scope) & scope_mask(frame, view.region, customer_type=view.customer_type)
    return frame, mask


def build_report(
    db: sqlite_utils.Database,
    view: ReportView,
    *,
    frame: pd.DataFrame | None = None,
    stats: DashboardStats | None = None,
    topics: pd.DataFrame | None = None,
    user: str | None = None,
) -> Report:
    """The report of ``view``. ``frame`` (the view's rows), ``stats`` and ``topics`` may be passed by a page
    that has them already; else they are computed as the dashboard does."""
    row = db.execute("SELECT name, status, created_at FROM rounds WHERE id = ?", [view.round_id]).fetchone()
    if row is None:
        raise ReportError(f"round {view.round_id} does not exist")
    items = likert_items(db, view.round_id)
    if view.item not in items:
        raise ReportError(f"item must be one of {', '.join(items)}, but got {view.item!r}")
    if stats is None or frame is None:
        whole, mask = view_frame(db, view)
        if not mask.any():
            raise ReportError(f"round {view.round_id} has no responses in this view ({view.detail()})")
        stats = dashboard_statistics(whole, list(items), view.item, group=view.group, domain=mask)
        frame = whole[mask].reset_index(drop=True)
    if topics is None:  # complaints and praise per topic from the stored classification (survey.topic_models)
        from survey.topic_classification import topic_summary

        topics = topic_summary(db, view.round_id, scope=view.scope, response_ids=frame["response_id"])
    submitted = frame["submitted_at"].dropna() if "submitted_at" in frame else pd.Series(dtype=str)
    issued, rr1, rr3 = _rates(db, view)
    round_name, round_status, drawn_at = row
    return Report(view=view, round_name=round_name, round_status=round_status, drawn_at=drawn_at,
                  first_answer=submitted.min() if len(submitted) else None,
                  last_answer=submitted.max() if len(submitted) else None,
                  responses=int(stats.n), issued=issued, rr1=rr1, rr3=rr3, stats=stats, items=items,
                  topics=topics.drop(columns=["examples"], errors="ignore"),
                  exported_at=datetime.now(UTC).isoformat(timespec="seconds"), exported_by=user)  # fmt: skip


# ---- words -------------------------------------------------------------------------------------------


def local_stamp(stamp: str | None, *, date_only: bool = True) -> str:
    """An ISO timestamp as local (``$SURVEY_TZ``, default Beijing) date or date and time."""
    if not stamp:
        return "—"
    try:
        value = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(os.environ.get("SURVEY_TZ") or "Asia/Shanghai"))
    return value.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def item_name(report: Report, item: str, lang: str) -> str:
    if item in ITEM_NAMES:
        return ITEM_NAMES[item][lang == "en"]
    labels = report.items.get(item, {})
    return str(labels.get(lang) or labels.get("zh") or item)


def place_name(value: object, column: str, lang: str) -> str:
    if value == OVERALL:
        return text("all", lang)
    if lang == "en" and column == "region":
        return region_name_en(str(value))
    if lang == "en" and column == "customer_type":
        return CUSTOMER_TYPES_EN.get(str(value), str(value))
    return str(value)


def regions_text(scope: str, lang: str) -> str:
    regions = parse_regions(scope) or ()
    return "、".join(regions) if lang == "zh" else ", ".join(region_name_en(r) for r in regions)


def findings(report: Report, lang: str) -> tuple[str, list[str]]:
    """The headline sentence on the compared item and one sentence per significant pair of every item
    (the same design-based, adjusted result as the dashboard's sentences and letters)."""
    stats, group = report.stats, report.view.group
    word = {"region": ("地区", "regions"), "district": ("区县", "districts")}[group][lang == "en"]
    family = int(stats.all_pairs["tested"].sum()) if len(stats.all_pairs) else 0
    headline = overall_sentence(stats.pairs, item_name(report, report.view.item, lang), lang, family=family,
                                method=ADJUST_METHODS[stats.adjust], group_word=word,
                                where="本报告" if lang == "zh" else "in this report")  # fmt: skip
    labels = {i: {"zh": item_name(report, i, "zh"), "en": item_name(report, i, "en")} for i in report.items}
    pairs = stats.all_pairs
    groups = set(pairs["group_a"]) | set(pairs["group_b"]) if len(pairs) else set()
    names = {g: place_name(g, group, lang) for g in groups}
    sentences = design_findings(pairs, labels, lang, group_labels=names) if len(pairs) else []
    return headline, sentences


def filters_text(report: Report, lang: str) -> str:
    view, parts = report.view, []
    if view.region:
        parts.append(text("filter_region", lang, value=regions_text(view.region, lang)))
    if view.customer_type:
        parts.append(text("filter_type", lang, value=place_name(view.customer_type, "customer_type", lang)))
    return ("；" if lang == "zh" else "; ").join(parts) or text("filters_none", lang)


# ---- tables (analysts: stable snake_case columns, unrounded) ----------------------------------------

PAIR_COLUMNS = ["item", "kind", "group_a", "group_b", "estimate_a", "estimate_b", "n_a", "n_b", "difference",
                "se", "statistic", "df", "pvalue", "pvalue_adj", "tested", "significant"]  # fmt: skip
ESTIMATE_COLUMNS = ["indicator", "item", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"]


def analyst_tables(report: Report) -> dict[str, pd.DataFrame]:
    """The report's tables with stable snake_case columns (the same whatever the view or language):
    ``meta`` (one row), ``indicators`` (``group_by``, ``group`` + estimates), ``pairs``, ``drill_down``,
    ``topics``, ``weights`` and ``tests``."""
    stats, view = report.stats, report.view
    group = view.group
    ind = stats.indicators
    indicators = pd.DataFrame({"group_by": group, "group": ind[group].to_numpy()} if len(ind) else
                              {"group_by": [], "group": []})  # fmt: skip
    indicators = pd.concat([indicators, ind.reindex(columns=ESTIMATE_COLUMNS).reset_index(drop=True)], axis=1)
    pairs = stats.all_pairs.reindex(columns=PAIR_COLUMNS).reset_index(drop=True)
    pairs.insert(2, "group_by", group)
    drill = stats.drill.reindex(columns=["customer_type", *ESTIMATE_COLUMNS]).reset_index(drop=True)
    topics = report.topics.reindex(columns=["topic", "label_zh", "label_en", "count", "complaints", "praise", "share",
                                            "weighted_share"])  # fmt: skip
    w = stats.weights
    weights = pd.DataFrame([{"n": w.n, "sum": w.sum, "min": w.min, "max": w.max, "kish_deff": w.kish_deff,
                             "effective_n": w.effective_n}])  # fmt: skip
    rs = stats.top2_test
    tests = pd.DataFrame([
        {"test": "rao_scott_top2", "item": view.item, "group_by": group, "statistic": rs.statistic,
         "df_num": rs.df_num, "df_den": rs.df_den, "pvalue": rs.pvalue, "effect": stats.top2_cramers_v},
        {"test": "kruskal_wallis", "item": view.item, "group_by": group, "statistic": stats.kruskal.statistic,
         "df_num": stats.kruskal.n_groups - 1, "df_den": np.nan, "pvalue": stats.kruskal.pvalue,
         "effect": stats.kruskal.epsilon_squared},
    ])  # fmt: skip
    meta = pd.DataFrame([{
        "round_id": view.round_id, "round_name": report.round_name, "round_status": report.round_status,
        "drawn_at": report.drawn_at, "first_answer": report.first_answer, "last_answer": report.last_answer,
        "item": view.item, "group_by": group, "scope": view.scope, "region": view.region,
        "customer_type": view.customer_type, "poststratified": view.poststratify, "responses": report.responses,
        "issued": report.issued, "rr1": report.rr1, "rr3": report.rr3, "min_base": stats.min_n,
        "adjust": stats.adjust, "family": int(stats.all_pairs["tested"].sum()) if len(stats.all_pairs) else 0,
        "exported_at": report.exported_at,
    }])  # fmt: skip
    return {"meta": meta, "indicators": indicators, "pairs": pairs, "drill_down": drill, "topics": topics,
            "weights": weights, "tests": tests}  # fmt: skip


def plain_value(value: object) -> object:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def report_json(report: Report) -> bytes:
    """The analyst tables as one JSON document: ``{"meta": {...}, "tables": {name: [records]}}``;
    missing values are ``null``."""
    tables = analyst_tables(report)
    meta = {k: plain_value(v) for k, v in tables.pop("meta").iloc[0].items()}
    meta["findings"] = {lang: dict(zip(("headline", "pairs"), findings(report, lang), strict=True))
                        for lang in ("zh", "en")}  # fmt: skip
    body = {name: [{k: plain_value(v) for k, v in row.items()} for row in table.to_dict("records")]
            for name, table in tables.items()}  # fmt: skip
    return json.dumps({"meta": meta, "tables": body}, ensure_ascii=False, indent=1).encode("utf-8")


def report_csv(report: Report) -> bytes:
    """The analyst tables as a zip of UTF-8 CSV files (with BOM, so Excel reads the Chinese), one per
    table; text cells neutralised against formula injection."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, table in analyst_tables(report).items():
            safe = table.apply(
                lambda col: col.map(spreadsheet_safe) if not pd.api.types.is_numeric_dtype(col) else col
            )
            archive.writestr(f"{name}.csv", safe.to_csv(index=False).encode("utf-8-sig"))
    return out.getvalue()


def export_report(
    db: sqlite_utils.Database,
    view: ReportView,
    *,
    fmt: str = "xlsx",
    lang: str = "zh",
    user: str | None = None,
    channel: str = "page",
    **computed,
) -> bytes:
    """The report of ``view`` as ``fmt`` (``"xlsx"``: the manager's workbook in ``lang``; ``"json"`` or
    ``"csv"``: the analyst tables), with an audit line naming who exported what. ``computed`` passes
    ``frame``/``stats``/``topics`` a page already has to :func:`build_report`."""
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, but got {fmt!r}")
    report = build_report(db, view, user=user, **computed)
    from survey.report_workbook import report_workbook

    data = {"xlsx": lambda: report_workbook(report, lang), "json": lambda: report_json(report),
            "csv": lambda: report_csv(report)}[fmt]()  # fmt: skip
    with transaction(db):
        audit(db, user, "dashboard_export", f"{view.detail()} format={fmt} lang={lang} {channel}")
    return data
