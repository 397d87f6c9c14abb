"""Respondent data of a round, with design columns, for analysis and the dashboard."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.indicators import headline_indicators
from analysis.rates import DISPOSITION_CLASS
from analysis.weights import eligible_population, poststratify
from survey.dashboard import OVERALL, DashboardStats, dashboard_statistics, trend_table
from survey.forms import round_questionnaire
from survey.frame_apply import visible
from survey.store import audit, transaction
from survey.users import parse_regions

__all__ = [
    "OVERALL", "DashboardStats", "dashboard_statistics", "data_version", "export_tables", "frame_totals",
    "likert_items", "poststratified", "region_estimates", "responses_frame", "scope_mask", "scoped",
    "round_values", "spreadsheet_safe", "stratum_populations", "trend_table", "workbook_bytes",
]  # fmt: skip

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


def stratum_populations(db: sqlite_utils.Database, round_id: int) -> dict[str, dict]:
    """Per stratum of the round: ``N_h`` as drawn, the sampled units found eligible / not eligible, and
    the estimated eligible population ``N̂_h`` (:func:`analysis.weights.eligible_population`).

    Sampled units are the sample and the released reserves; dispositions map to AAPOR classes as in
    :data:`analysis.rates.DISPOSITION_CLASS` (NE: wrong number, not eligible; unknown: no outcome yet).
    """
    strata = {s: {"N_h": n, "eligible": 0, "ineligible": 0}
              for s, n in db.execute("SELECT stratum, population FROM round_strata WHERE round_id = ?", [round_id])}  # fmt: skip
    for stratum, status, count in db.execute(
        "SELECT stratum, status, COUNT(*) FROM assignments WHERE round_id = ?"
        " AND (is_reserve = 0 OR released_at IS NOT NULL) GROUP BY stratum, status",
        [round_id],
    ):
        klass = DISPOSITION_CLASS.get(status)
        if klass == "NE":
            strata[stratum]["ineligible"] += count
        elif klass in ("I", "P", "R", "NC", "O"):
            strata[stratum]["eligible"] += count
    for values in strata.values():
        values["N_hat"] = eligible_population(values["N_h"], values["eligible"], values["ineligible"])
    return strata


def responses_frame(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> pd.DataFrame:
    """One row per response of the round: design columns as drawn, nonresponse-adjusted weight, answers.

    The design and reporting columns (stratum, region, district, customer type, urban/rural) are the
    assignment's snapshot taken at the draw, so a later frame import never changes a round's results.
    The weight is ``N̂_h / r_h``: the stratum's estimated eligible population (``N_h`` times its eligible
    share, :func:`stratum_populations`) over its respondents — the base weight times the within-stratum
    response adjustment (Lohr 2019, §8.5.2), without counting ineligible units replaced from the reserve.
    ``N_h`` (the fpc column) is that same ``N̂_h``; ``N_frame`` is the frame count at the draw. Numeric
    items are numbers; multiple-choice answers stay JSON text. ``region`` restricts the rows returned
    (the weights are still computed over the whole round).
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
    populations = stratum_populations(db, round_id)
    frame["N_frame"] = frame["N_h"]
    frame["N_h"] = frame["stratum"].map({s: v["N_hat"] for s, v in populations.items()}).astype(float)
    r_h = frame.groupby("stratum")["response_id"].transform("count")
    frame["weight"] = frame["N_h"] / r_h
    if region is not None:
        frame = frame[frame["region"] == region].reset_index(drop=True)
    return frame


def region_estimates(
    frame: pd.DataFrame,
    item: str = "overall",
    *,
    confidence: float = 0.95,
    domain: np.ndarray | pd.Series | None = None,
    min_n: int | None = None,
) -> pd.DataFrame:
    """Weighted mean of ``item`` per region plus an overall row ``region = "全部"``, with bounded CIs.

    Design-based (stratified, one stage, fpc from N̂_h), as R
    ``svyby(~item, ~region, subset(des, domain), svymean)`` for the estimate and SE; the interval is the
    logit interval of the rescaled mean (:func:`analysis.indicators.bounded_interval`). ``domain`` is the
    view (a scope) within the whole round; ``small_cell`` marks regions below the minimum base.
    """
    from survey.dashboard import min_base

    columns = ["region", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    table = headline_indicators(frame, [item], by="region", overall_label=OVERALL, domain=domain,
                                min_n=min_base() if min_n is None else min_n, confidence=confidence,
                                strata="stratum", weights="weight", fpc="N_h")  # fmt: skip
    means = table[table["indicator"] == "mean"]
    return pd.concat([means[means["region"] != OVERALL], means[means["region"] == OVERALL]])[
        columns
    ].reset_index(drop=True)


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
    """Rows of the user's region scope (None = all; a comma-separated list allowed).

    For listing rows (suggestions, exports of answers). Estimates over a scope are domains of the whole
    round: use :func:`scope_mask` with :func:`survey.dashboard.dashboard_statistics` instead.
    """
    regions = parse_regions(region)
    if not regions:
        return frame
    return frame[frame["region"].isin(regions)].reset_index(drop=True)


def scope_mask(frame: pd.DataFrame, scope: str | None, **equal: object) -> np.ndarray:
    """Boolean mask of the rows in the region scope (None = all) and with ``column == value`` for each
    of ``equal`` whose value is not None/empty: the domain a filtered view estimates."""
    mask = np.ones(len(frame), dtype=bool)
    regions = parse_regions(scope)
    if regions:
        mask &= frame["region"].isin(regions).to_numpy()
    for column, value in equal.items():
        if value not in (None, ""):
            mask &= (frame[column] == value).to_numpy()
    return mask


def frame_totals(
    db: sqlite_utils.Database,
    cells: tuple[str, ...] = ("region", "customer_type"),
    *,
    round_id: int | None = None,
) -> dict:
    """Population totals per cell (``"region|customer_type"``) for post-stratification.

    With ``round_id``: the eligible customers per cell as counted when the round was drawn (stored with the
    round), so a later import does not change a round's post-stratified results; rounds drawn before those
    counts were stored use the strata's ``N_h`` when the strata are the cells, else the current frame.
    Without it: the active customers in the frame now.
    """
    allowed = {"region", "customer_type", "urban_rural", "district"}
    if not cells or set(cells) - allowed:
        raise ValueError(f"cells must be among {sorted(allowed)}, but got {cells!r}")
    if round_id is not None:
        import json

        row = db.execute("SELECT design FROM rounds WHERE id = ?", [round_id]).fetchone()
        design = json.loads(row[0]) if row else {}
        stored = (design.get("cell_totals") or {}).get("|".join(cells))
        if stored:
            return {k: int(v) for k, v in stored.items()}
        if tuple(design.get("strata", [])) == tuple(cells):
            return {s: int(n) for s, n in db.execute(
                "SELECT stratum, population FROM round_strata WHERE round_id = ?", [round_id])}  # fmt: skip
    cols = ", ".join(cells)
    hidden_sql, hidden_params = visible(db)  # not the new customers of an import still running
    rows = db.execute(
        f"SELECT {cols}, COUNT(*) FROM customers WHERE active = 1{hidden_sql} GROUP BY {cols}",  # noqa: S608 (whitelisted names, values bound)
        hidden_params,
    ).fetchall()
    return {"|".join(str(v) for v in row[:-1]): int(row[-1]) for row in rows}


def poststratified(
    frame: pd.DataFrame, totals: dict, cells: tuple[str, ...] = ("region", "customer_type")
) -> pd.DataFrame:
    """The frame with ``weight`` post-stratified to the totals per cell (Lohr 2019, §4.4).

    Adds ``post_cell`` and ``base_weight`` (the weight before), which
    :func:`survey.dashboard.dashboard_statistics` passes on so that SEs are the linearised variance of
    the post-stratified estimator (R ``postStratify`` + ``svymean``, :mod:`analysis.contrasts`). Cells
    without respondents cannot be adjusted: their weight stays, and the totals of such cells are left out.
    """
    if frame.empty:
        return frame
    cell = frame[list(cells)].astype(str).agg("|".join, axis=1)
    present = set(cell)
    out = frame.assign(post_cell=cell, base_weight=frame["weight"])
    covered = out["post_cell"].isin([c for c in totals if c in present])
    adjusted = poststratify(
        out[covered], weight="weight", cell="post_cell", totals={c: totals[c] for c in present if c in totals}
    )
    out.loc[covered, "weight"] = adjusted.to_numpy()
    return out


def spreadsheet_safe(value: object) -> object:
    """Neutralise text that a spreadsheet would run as a formula (OWASP CSV injection): a text starting
    with ``= + - @``, a tab or a carriage return gets a leading apostrophe; lists become text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, list | tuple | dict):
        return spreadsheet_safe(" | ".join(map(str, value)) if not isinstance(value, dict) else str(value))
    return value


_safe = spreadsheet_safe


def workbook_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """One .xlsx workbook, one sheet per table (names cut to Excel's 31 characters), text cells
    stored as text and neutralised against formulas, the header row frozen, columns sized to their text.

    A plain dump of tables (fieldwork lists, analysts); the manager's report is
    :func:`survey.report_workbook.report_workbook`."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

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
        widths: dict[int, int] = {}
        for row in sheet.iter_rows(min_row=1):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                widths[cell.column] = max(widths.get(cell.column, 0), len(str(cell.value or "")))
        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 50)
        sheet.freeze_panes = "A2"
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


def round_values(db: sqlite_utils.Database, round_id: int, column: str) -> list[str]:
    """The distinct values of a snapshot column (region, district, customer type) among the round's sample:
    the filter choices of a round, as drawn."""
    if column not in ("region", "district", "customer_type", "urban_rural"):
        raise ValueError(f"column must be a snapshot column, but got {column!r}")
    sql = f"SELECT DISTINCT {column} FROM assignments WHERE round_id = ? AND {column} IS NOT NULL ORDER BY 1"  # noqa: S608 (whitelisted)
    return [r[0] for r in db.execute(sql, [round_id])]
