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
        SELECT r.id, a.stratum, s.population, c.region, c.district, c.customer_type, c.urban_rural, r.mode, r.submitted_at
        FROM responses r
        JOIN assignments a ON a.id = r.assignment_id
        JOIN round_strata s ON s.round_id = a.round_id AND s.stratum = a.stratum
        JOIN customers c ON c.id = a.customer_id
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
