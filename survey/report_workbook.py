"""The manager's Excel workbook of a :class:`survey.report.Report`: cover, then one sheet per table.

Sheet names, headers and sentences in the report's language (:mod:`survey.report_text`); numbers stay
numeric and are shown rounded by Excel number formats (:data:`NUMBER_FORMATS`; shares as percentages);
groups below the minimum base show no number; header rows are frozen, columns sized to their text, and
every text cell is stored as text and neutralised against formula injection.
"""

from __future__ import annotations

import io
import unicodedata

import pandas as pd

from analysis.contrasts import ADJUST_METHODS
from survey.dashboard import OVERALL
from survey.report import (
    Report,
    filters_text,
    findings,
    item_name,
    local_stamp,
    place_name,
    plain_value,
    regions_text,
)
from survey.report_text import text
from survey.results import spreadsheet_safe

__all__ = ["NUMBER_FORMATS", "report_workbook"]

#: Excel number formats: numbers stay numbers, shown rounded.
NUMBER_FORMATS = {
    "mean": "0.00",
    "index": "0.0",
    "top2": "0.0%",
    "share": "0.0%",
    "count": "#,##0",
    "difference": "+0.00;-0.00;0.00",
    "difference_top2": "+0.0%;-0.0%;0.0%",
    "p": '[<0.001]"<0.001";0.000',
}


# ---- sheets -------------------------------------------------------------------------


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return 8
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in str(value))


def _cell_value(value: object) -> object:
    value = plain_value(spreadsheet_safe(plain_value(value)))
    return value


class _Sheet:
    """One table sheet: a header row in words, rows of values with their number formats."""

    def __init__(self, book, name: str) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill

        self.sheet = book.create_sheet(name[:31].translate(str.maketrans("[]:*?/\\", "_______")))
        self.bold, self.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.widths: dict[int, int] = {}

    def row(self, values: list, formats: list | None = None, *, header: bool = False) -> None:
        self.sheet.append([_cell_value(v) for v in values])
        r = self.sheet.max_row
        for c in range(1, len(values) + 1):
            cell = self.sheet.cell(row=r, column=c)
            if isinstance(cell.value, str):
                cell.data_type = "s"
            fmt = formats[c - 1] if formats else None
            if fmt and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = NUMBER_FORMATS[fmt]
            if header:
                cell.font, cell.fill, cell.alignment = self.bold, self.fill, self.wrap
            self.widths[c] = max(self.widths.get(c, 0), _width(cell.value))

    def finish(self, *, freeze: str | None = "A2", filter_rows: bool = True, max_width: int = 50) -> None:
        from openpyxl.utils import get_column_letter

        for c, w in self.widths.items():
            self.sheet.column_dimensions[get_column_letter(c)].width = min(max(w + 2, 8), max_width)
        if freeze:
            self.sheet.freeze_panes = freeze
        if filter_rows and self.sheet.max_row > 1:
            self.sheet.auto_filter.ref = self.sheet.dimensions


def _estimate_cells(row: pd.Series | None, kind: str) -> tuple[list, list]:
    """Estimate and CI bounds of one indicator row, or blanks below the minimum base."""
    if row is None or bool(row.get("small_cell")) or pd.isna(row.get("estimate")):
        return [None, None, None], [None] * 3
    return [row["estimate"], row["ci_low"], row["ci_high"]], [kind] * 3


def _cover(book, report: Report, lang: str) -> None:
    from openpyxl.styles import Font

    stats, view = report.stats, report.view
    sheet = _Sheet(book, text("sheet_cover", lang))
    ws = sheet.sheet
    ws.append([text("title", lang)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    period = (text("period", lang, first=local_stamp(report.first_answer), last=local_stamp(report.last_answer))
              if report.first_answer else "—")  # fmt: skip
    scope = (
        text("scope_account", lang, regions=regions_text(view.scope, lang))
        if view.scope
        else text("scope_all", lang)
    )
    status = text("status_closed" if report.round_status == "closed" else "status_open", lang)
    weighting = text("weighting_post" if view.poststratify else "weighting_design", lang)
    facts = [
        ("cover_round", f"{view.round_id} · {report.round_name}", None),
        ("cover_status", status, None),
        ("cover_drawn", local_stamp(report.drawn_at), None),
        ("cover_answers", period, None),
        ("cover_scope", scope, None),
        ("cover_filters", filters_text(report, lang), None),
        ("cover_item", item_name(report, view.item, lang), None),
        ("cover_weighting", weighting, None),
        ("cover_responses", report.responses, "count"),
        ("cover_issued", report.issued, "count"),
        ("cover_rr1", report.rr1, "share"),
        ("cover_rr3", report.rr3, "share"),
        ("cover_exported", local_stamp(report.exported_at, date_only=False), None),
    ]
    if report.exported_by:
        facts.append(("cover_exported_by", report.exported_by, None))
    for key, value, fmt in facts:
        sheet.row([text(key, lang), value], [None, fmt])
        ws.cell(row=ws.max_row, column=1).font = sheet.bold
    # headline results of the whole view
    ws.append([])
    sheet.row([text("section_results", lang)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
    sheet.row([text(k, lang) for k in ("col_indicator", "col_estimate", "col_low", "col_high", "col_n")],
              header=True)  # fmt: skip
    overall = stats.indicators[stats.indicators[view.group] == OVERALL].set_index(["indicator", "item"])
    compared = item_name(report, view.item, lang)
    for kind, item, label in (("index", "", text("ind_index", lang)),
                              ("top2", view.item, f"{compared} · {text('ind_top2', lang)}"),
                              ("mean", view.item, f"{compared} · {text('ind_mean', lang)}")):  # fmt: skip
        row = overall.loc[(kind, item)] if (kind, item) in overall.index else None
        values, formats = _estimate_cells(row, kind)
        n = int(row["n"]) if row is not None else None
        sheet.row([label, *values, n], [None, *formats, "count"])
    # findings
    headline, sentences = findings(report, lang)
    ws.append([])
    sheet.row([text("section_findings", lang)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
    first = ws.max_row + 1
    for sentence in [headline, *(sentences or [text("no_findings", lang)])]:
        sheet.row([sentence])
    ws.cell(row=first, column=1).font = sheet.bold
    # methods in plain words
    ws.append([])
    sheet.row([text("section_methods", lang)])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
    family = int(stats.all_pairs["tested"].sum()) if len(stats.all_pairs) else 0
    neff = f"{stats.weights.effective_n:,.0f}" if stats.weights else "—"
    for line in text("methods", lang):
        sheet.row(
            [line.format(family=family, method=ADJUST_METHODS[stats.adjust], min_n=stats.min_n, neff=neff)]
        )
    ws.column_dimensions["A"].width = 34
    for col in "BCDE":
        ws.column_dimensions[col].width = 16
    ws.column_dimensions["B"].width = 40
    ws.sheet_view.showGridLines = False


def _groups_sheet(book, report: Report, lang: str) -> None:
    stats, view, group = report.stats, report.view, report.view.group
    sheet = _Sheet(book, text(f"sheet_groups_{group}", lang))
    item = item_name(report, view.item, lang)
    headers = [text(f"col_{group}", lang), text("col_n", lang), text("col_mean", lang, item=item),
               text("col_low", lang), text("col_high", lang), text("col_letters", lang),
               text("col_top2", lang, item=item), text("col_top2_low", lang), text("col_top2_high", lang),
               text("col_index", lang), text("col_index_low", lang), text("col_index_high", lang),
               text("col_note", lang)]  # fmt: skip
    sheet.row(headers, header=True)
    ind = stats.indicators.set_index([group, "indicator", "item"])
    names = [g for g in dict.fromkeys(stats.indicators[group]) if g != OVERALL]
    means = {g: ind.loc[(g, "mean", view.item)] for g in names if (g, "mean", view.item) in ind.index}

    def rank(g: object) -> tuple[bool, float]:  # highest mean first, groups below the base last
        mean = means.get(g)
        shown = mean is not None and not bool(mean["small_cell"]) and pd.notna(mean["estimate"])
        return (not shown, -float(mean["estimate"]) if shown else 0.0)

    order = sorted(names, key=rank)
    for g in [*order, OVERALL]:
        cells, formats = [place_name(g, group, lang)], [None]
        mean = ind.loc[(g, "mean", view.item)] if (g, "mean", view.item) in ind.index else None
        n = int(mean["n"]) if mean is not None else 0
        cells.append(n)
        formats.append("count")
        values, fmts = _estimate_cells(mean, "mean")
        cells += [*values, stats.letters.get(g, "") if g != OVERALL else ""]
        formats += [*fmts, None]
        for kind, it in (("top2", view.item), ("index", "")):
            row = ind.loc[(g, kind, it)] if (g, kind, it) in ind.index else None
            values, fmts = _estimate_cells(row, kind)
            cells += values
            formats += fmts
        small = mean is None or bool(mean["small_cell"])
        cells.append(text("too_few", lang, n=n) if small else "")
        formats.append(None)
        sheet.row(cells, formats)
    sheet.finish(freeze="B2")


def _items_sheet(book, report: Report, lang: str) -> None:
    stats, group = report.stats, report.view.group
    sheet = _Sheet(book, text("sheet_items", lang))
    sheet.row([text("col_item", lang), text("ind_mean", lang), text("col_low", lang), text("col_high", lang),
               text("ind_top2", lang), text("col_top2_low", lang), text("col_top2_high", lang),
               text("col_n", lang)], header=True)  # fmt: skip
    ind = stats.indicators[stats.indicators[group] == OVERALL].set_index(["indicator", "item"])
    for item in report.items:
        mean = ind.loc[("mean", item)] if ("mean", item) in ind.index else None
        top2 = ind.loc[("top2", item)] if ("top2", item) in ind.index else None
        m, mf = _estimate_cells(mean, "mean")
        s, sf = _estimate_cells(top2, "top2")
        sheet.row([item_name(report, item, lang), *m, *s, int(mean["n"]) if mean is not None else 0],
                  [None, *mf, *sf, "count"])  # fmt: skip
    sheet.finish(freeze="B2")


def _pairs_sheet(book, report: Report, lang: str) -> None:
    stats, group = report.stats, report.view.group
    sheet = _Sheet(book, text("sheet_pairs", lang))
    sheet.row([text(k, lang) for k in ("col_item", "col_group_a", "col_group_b", "col_mean_a", "col_mean_b",
                                       "col_difference", "col_p_adj", "col_significant")], header=True)  # fmt: skip
    pairs = stats.all_pairs
    for row in pairs.itertuples(index=False) if len(pairs) else []:
        kind = getattr(row, "kind", "mean")
        value_fmt = "top2" if kind == "top2" else "mean"
        diff_fmt = "difference_top2" if kind == "top2" else "difference"
        if row.tested:
            verdict = text("yes", lang) if row.significant else text("no", lang)
            numbers = [row.estimate_a, row.estimate_b, row.difference, row.pvalue_adj]
        else:  # a group below the minimum base: no estimate, no test
            verdict, numbers = text("not_tested", lang), [None] * 4
        names = [
            item_name(report, row.item, lang),
            place_name(row.group_a, group, lang),
            place_name(row.group_b, group, lang),
        ]
        sheet.row([*names, *numbers, verdict], [None, None, None, value_fmt, value_fmt, diff_fmt, "p", None])
    sheet.finish(freeze="A2")


def _drill_sheet(book, report: Report, lang: str) -> None:
    sheet = _Sheet(book, text("sheet_drill", lang))
    sheet.row([text(k, lang) for k in ("col_customer_type", "col_indicator", "col_item", "col_estimate", "col_low",
                                       "col_high", "col_n", "col_note")], header=True)  # fmt: skip
    drill = report.stats.drill
    for row in drill.to_dict("records") if len(drill) else []:
        kind = row["indicator"]
        values, formats = _estimate_cells(pd.Series(row), kind)
        item = item_name(report, row["item"], lang) if row["item"] else "—"
        note = text("too_few", lang, n=int(row["n"])) if row["small_cell"] else ""
        sheet.row([place_name(row["customer_type"], "customer_type", lang), text(f"ind_{kind}", lang), item, *values,
                   int(row["n"]), note], [None, None, None, *formats, "count", None])  # fmt: skip
    sheet.finish(freeze="B2")


def _topics_sheet(book, report: Report, lang: str) -> None:
    sheet = _Sheet(book, text("sheet_topics", lang))
    sheet.row([text(k, lang) for k in ("col_topic", "col_complaints", "col_share", "col_praise", "col_count")],
              header=True)  # fmt: skip
    topics = report.topics
    if not len(topics):
        sheet.row([text("no_topics", lang)])
    for row in topics.to_dict("records") if len(topics) else []:  # complaints per topic, praise beside them
        sheet.row([row["label_en" if lang == "en" else "label_zh"], int(row["complaints"]), row["share"],
                   int(row.get("praise", 0)), int(row["count"])], [None, "count", "share", "count", "count"])  # fmt: skip
    sheet.finish(freeze="A2")


def report_workbook(report: Report, lang: str = "zh") -> bytes:
    """The manager's .xlsx of ``report`` in ``lang``: cover, groups, items, pairwise comparisons, customer
    types, suggestion topics (sheet names and headers in ``lang``; numbers numeric with number formats)."""
    from openpyxl import Workbook

    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    book = Workbook()
    book.remove(book.active)
    _cover(book, report, lang)
    _groups_sheet(book, report, lang)
    _items_sheet(book, report, lang)
    _pairs_sheet(book, report, lang)
    _drill_sheet(book, report, lang)
    _topics_sheet(book, report, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
