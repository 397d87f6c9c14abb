"""survey_mean / survey_proportion against R's survey package (stored numbers, so R is not needed to run).

The expected numbers are in tests/analysis/r/expected_<design>.json, written by tests/analysis/r/reference.R
(R 4.2.2, survey 4.1.1) from the designs in tests/analysis/r/designs/ (see tests/analysis/r/README.md).
Every design is read in R as::

    options(survey.lonely.psu = "adjust")
    d <- read.csv(path, stringsAsFactors = FALSE)
    des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)
    des_nofpc <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = d)
    answered <- subset(des, !is.na(top2))          # respondents who answered: a domain of des
    answered_nofpc <- subset(des_nofpc, !is.na(top2))

Designs: ``unequal`` (12 strata, N_h 50..20,000, n_h 2..80, missing answers), ``singleton`` (a stratum with one
respondent), ``extreme`` (weights 1..5,000, a take-all stratum, regions cutting across strata) and ``textbook``
(Scheaffer, Mendenhall & Ott, Elementary Survey Sampling, ch. 5, television viewing).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.estimates import survey_mean, survey_proportion

R_DIR = Path(__file__).resolve().parent / "r"
DESIGN_NAMES = ["unequal", "singleton", "extreme", "textbook"]
REL = 1e-6  # issue 5: "equal R survey ... to 1e-6 relative"
ABS = 1e-12  # for exact zeros (e.g. a domain whose answers are all equal has se = 0 in R)
DESIGN_ARGS = {"strata": "stratum", "weights": "w"}

# ---- survey_mean: one case per statistic; the R code that produced the expected rows is above each ----------
MEAN_CASES = [
    # m <- svymean(~y, des, na.rm = TRUE); coef(m); SE(m); confint(m)
    pytest.param("overall", {"fpc": "N_h", "by": None}, id="overall"),
    # m <- svymean(~y, des, na.rm = TRUE); confint(m, level = 0.90)
    pytest.param("overall_90", {"fpc": "N_h", "by": None, "confidence": 0.90}, id="overall_90"),
    # m <- svymean(~y, des_nofpc, na.rm = TRUE); coef(m); SE(m); confint(m)
    pytest.param("overall_nofpc", {"fpc": None, "by": None}, id="overall_nofpc"),
    # b <- svyby(~y, ~region, des, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)
    pytest.param("by_region", {"fpc": "N_h", "by": "region"}, id="by_region"),
    # b <- svyby(~y, ~region, des_nofpc, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)
    pytest.param("by_region_nofpc", {"fpc": None, "by": "region"}, id="by_region_nofpc"),
    # b <- svyby(~y, ~region + ctype, des, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)
    pytest.param("by_region_ctype", {"fpc": "N_h", "by": ["region", "ctype"]}, id="by_region_ctype"),
]

# ---- survey_proportion of top2 == 1 --------------------------------------------------------------------------
PROPORTION_CASES = [
    # p <- svyciprop(~I(top2 == 1), answered, method = "logit"); coef(p); SE(p); attr(p, "ci")
    pytest.param("logit", {"fpc": "N_h", "by": None, "method": "logit"}, id="logit"),
    # p <- svyciprop(~I(top2 == 1), answered, method = "beta"); coef(p); SE(p); attr(p, "ci")
    pytest.param("beta", {"fpc": "N_h", "by": None, "method": "beta"}, id="beta"),
    # p <- svyciprop(~I(top2 == 1), answered, method = "logit", level = 0.90); attr(p, "ci")
    pytest.param(
        "logit_90", {"fpc": "N_h", "by": None, "method": "logit", "confidence": 0.90}, id="logit_90"
    ),
    # p <- svyciprop(~I(top2 == 1), answered, method = "beta", level = 0.90); attr(p, "ci")
    pytest.param("beta_90", {"fpc": "N_h", "by": None, "method": "beta", "confidence": 0.90}, id="beta_90"),
    # p <- svyciprop(~I(top2 == 1), answered_nofpc, method = "logit"); coef(p); SE(p); attr(p, "ci")
    pytest.param("logit_nofpc", {"fpc": None, "by": None, "method": "logit"}, id="logit_nofpc"),
    # b <- svyby(~I(top2 == 1), ~region, answered, svyciprop, vartype = c("se", "ci"), method = "logit")
    # coef(b); SE(b); b$ci_l; b$ci_u
    pytest.param("logit_by_region", {"fpc": "N_h", "by": "region", "method": "logit"}, id="logit_by_region"),
    # b <- svyby(~I(top2 == 1), ~region, answered, svyciprop, vartype = c("se", "ci"), method = "beta")
    # coef(b); SE(b); b$ci_l; b$ci_u
    pytest.param("beta_by_region", {"fpc": "N_h", "by": "region", "method": "beta"}, id="beta_by_region"),
]


def load_design(name: str) -> pd.DataFrame:
    return pd.read_csv(R_DIR / "designs" / f"{name}.csv")


def load_expected(name: str) -> dict:
    return json.loads((R_DIR / f"expected_{name}.json").read_text(encoding="utf-8"))


def by_columns(by: str | list[str] | None) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def rows_by_key(frame: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], dict]:
    """Index result rows (a DataFrame or R's JSON rows) by their by-values as strings."""
    records = frame.to_dict("records") if isinstance(frame, pd.DataFrame) else frame
    return {tuple(str(record[key]) for key in keys): record for record in records}


def assert_matches_r(result: pd.DataFrame, expected_rows: list[dict], by: str | list[str] | None) -> None:
    keys = by_columns(by)
    assert list(result.columns) == [*keys, "estimate", "se", "ci_low", "ci_high", "n"]
    ours = rows_by_key(result, keys)
    theirs = rows_by_key(expected_rows, keys)
    assert sorted(ours) == sorted(theirs)
    for key, expected in theirs.items():
        for field in ("estimate", "se", "ci_low", "ci_high"):
            assert ours[key][field] == pytest.approx(expected[field], rel=REL, abs=ABS), (key, field)


def _mean_kwargs(case: dict) -> dict:
    return {**DESIGN_ARGS, **case}


@pytest.mark.parametrize("name", DESIGN_NAMES)
@pytest.mark.parametrize(("statistic", "case"), MEAN_CASES)
def test_survey_mean_equals_r(name: str, statistic: str, case: dict) -> None:
    expected = load_expected(name)["mean"][statistic]["rows"]
    result = survey_mean(load_design(name), "y", **_mean_kwargs(case))
    assert_matches_r(result, expected, case["by"])


@pytest.mark.parametrize("name", DESIGN_NAMES)
@pytest.mark.parametrize(("statistic", "case"), PROPORTION_CASES)
def test_survey_proportion_equals_r(name: str, statistic: str, case: dict) -> None:
    expected = load_expected(name)["proportion"][statistic]["rows"]
    result = survey_proportion(load_design(name), "top2", **_mean_kwargs(case))
    assert_matches_r(result, expected, case["by"])


@pytest.mark.parametrize("name", DESIGN_NAMES)
@pytest.mark.parametrize(("statistic", "case"), MEAN_CASES)
def test_survey_mean_n_counts_answers(name: str, statistic: str, case: dict) -> None:
    # n = respondents with a non-missing y in the domain:
    # tapply(!is.na(d$y), interaction(d$region, d$ctype), sum)
    expected = rows_by_key(load_expected(name)["mean"][statistic]["rows"], by_columns(case["by"]))
    result = rows_by_key(survey_mean(load_design(name), "y", **_mean_kwargs(case)), by_columns(case["by"]))
    assert {key: int(row["n"]) for key, row in result.items()} == {
        key: row["n"] for key, row in expected.items()
    }


@pytest.mark.parametrize("name", DESIGN_NAMES)
@pytest.mark.parametrize(("statistic", "case"), PROPORTION_CASES)
def test_survey_proportion_n_counts_answers(name: str, statistic: str, case: dict) -> None:
    # n = respondents with a non-missing top2 in the domain: tapply(!is.na(d$top2), d$region, sum)
    expected = rows_by_key(load_expected(name)["proportion"][statistic]["rows"], by_columns(case["by"]))
    result = rows_by_key(
        survey_proportion(load_design(name), "top2", **_mean_kwargs(case)), by_columns(case["by"])
    )
    assert {key: int(row["n"]) for key, row in result.items()} == {
        key: row["n"] for key, row in expected.items()
    }


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_proportion_level_selects_the_category(name: str) -> None:
    # p <- svyciprop(~I(top2 == 0), answered, method = "logit"); coef(p); SE(p); attr(p, "ci")
    expected = load_expected(name)["proportion"]["logit_level0"]["rows"]
    result = survey_proportion(load_design(name), "top2", **DESIGN_ARGS, fpc="N_h", level=0)
    assert_matches_r(result, expected, None)


def test_by_as_string_or_list_gives_the_same_table() -> None:
    data = load_design("unequal")
    as_string = survey_mean(data, "y", **DESIGN_ARGS, fpc="N_h", by="region")
    as_list = survey_mean(data, "y", **DESIGN_ARGS, fpc="N_h", by=["region"])
    pd.testing.assert_frame_equal(as_string.reset_index(drop=True), as_list.reset_index(drop=True))


def test_textbook_by_hand() -> None:
    # Scheaffer, Mendenhall & Ott, Elementary Survey Sampling (5th ed., 1996), ch. 5, television viewing:
    # y_st = sum W_h ybar_h = (155 * 33.9 + 62 * 25.125 + 93 * 19) / 310 = 27.675 (published 27.7),
    # V(y_st) = sum W_h^2 (1 - n_h/N_h) s_h^2 / n_h with s_h^2 = 35.358, 232.411, 87.636 -> 1.97 (published),
    # bound 2 * sqrt(1.97) = 2.8 hours (published).
    row = survey_mean(load_design("textbook"), "y", **DESIGN_ARGS, fpc="N_h").iloc[0]
    assert row["estimate"] == pytest.approx(27.675, rel=1e-12)
    # sample variances s_h^2 (exact fractions of the published data): 3359/95, 13015/56, 964/11
    hand_variance = sum(
        (population / 310) ** 2 * (1 - size / population) * variance / size
        for population, size, variance in [(155, 20, 3359 / 95), (62, 8, 13015 / 56), (93, 12, 964 / 11)]
    )
    assert row["se"] == pytest.approx(math.sqrt(hand_variance), rel=1e-12)
    assert round(row["se"] ** 2, 2) == 1.97
    assert row["n"] == 40
