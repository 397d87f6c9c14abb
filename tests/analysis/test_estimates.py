"""Design-based estimates against textbook formulas computed by hand.

Formulas: Cochran (1977) §2.3 and §5.3, Lohr (2019) §2.3, §3.2, §4.3, Korn & Graubard (1998).
R comparisons live in test_vs_r_*.py (written separately).
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.estimates import (
    survey_mean,
    survey_proportion,
    survey_total,
)
from analysis.indicators import flag_small_cells, satisfaction_index

Z975 = 1.959963984540054  # standard normal 97.5% quantile
COLUMNS = ["estimate", "se", "ci_low", "ci_high", "n"]


def srs(y, N):
    n = len(y)
    return pd.DataFrame({"y": y, "h": "all", "w": N / n, "N": N})


@pytest.mark.parametrize(
    ("y", "N"),
    [([1.0, 2, 3, 6], 10), ([5.0, 4, 4, 3, 2, 5, 1], 700), ([2.5, 2.5, 3.0], 3.5), ([1.0, 5.0], 1e9)],
)
def test_srs_with_fpc_is_textbook_formula(y, N):
    # SRS: ȳ and V(ȳ) = s²/n · (1 − n/N)  (Cochran 1977, eq. 2.12; Lohr 2019, eq. 2.12)
    r = survey_mean(srs(y, N), "y", strata="h", weights="w", fpc="N")
    n = len(y)
    var = np.var(y, ddof=1) / n * (1 - n / N)
    assert list(r.columns) == COLUMNS
    assert r.estimate[0] == pytest.approx(np.mean(y), rel=1e-13)
    assert r.se[0] ** 2 == pytest.approx(var, rel=1e-10)
    assert r.ci_low[0] == pytest.approx(np.mean(y) - Z975 * math.sqrt(var), rel=1e-10)
    assert r.ci_high[0] == pytest.approx(np.mean(y) + Z975 * math.sqrt(var), rel=1e-10)
    assert r.n[0] == n


def test_srs_without_fpc_is_s2_over_n():
    y = [1.0, 2, 3, 6]  # s² = 14/3
    r = survey_mean(srs(y, 10), "y", strata="h", weights="w")
    assert r.se[0] ** 2 == pytest.approx(14 / 3 / 4, rel=1e-12)


def test_census_stratum_has_no_variance():
    r = survey_mean(srs([1.0, 2, 3, 6], 4), "y", strata="h", weights="w", fpc="N")
    assert r.se[0] == 0.0


def stratified():
    # stratum 1: N=100, y = 2, 4, 6 (ȳ=4, s²=4);  stratum 2: N=50, y = 1, 3 (ȳ=2, s²=2)
    return pd.DataFrame(
        {
            "y": [2.0, 4, 6, 1, 3],
            "h": [1, 1, 1, 2, 2],
            "N": [100, 100, 100, 50, 50],
            "w": [100 / 3] * 3 + [25.0] * 2,
            "region": ["QZ", "XM", "QZ", "XM", "QZ"],
        }
    )


def test_stratified_mean_by_hand():
    # ȳ_st = (100·4 + 50·2)/150 = 10/3
    # V = (100/150)²(1 − 3/100)·4/3 + (50/150)²(1 − 2/50)·2/2 = 0.574815 + 0.106667 = 0.681481
    # (Lohr 2019, eq. 3.6; with weights N_h/n_h the linearised ratio variance is exactly this)
    r = survey_mean(stratified(), "y", strata="h", weights="w", fpc="N")
    var = (100 / 150) ** 2 * (1 - 3 / 100) * 4 / 3 + (50 / 150) ** 2 * (1 - 2 / 50) * 2 / 2
    assert r.estimate[0] == pytest.approx(10 / 3, rel=1e-14)
    assert r.se[0] ** 2 == pytest.approx(var, rel=1e-12)
    assert r.se[0] == pytest.approx(0.825519, rel=1e-6)


def test_stratified_total_by_hand():
    # t̂ = 100·4 + 50·2 = 500; V = 100²(1 − 3/100)·4/3 + 50²(1 − 2/50)·2/2 (Lohr eq. 3.4)
    r = survey_total(stratified(), "y", strata="h", weights="w", fpc="N")
    assert r.estimate[0] == pytest.approx(500)
    assert r.se[0] ** 2 == pytest.approx(100**2 * 0.97 * 4 / 3 + 50**2 * 0.96 * 1, rel=1e-12)


def test_lonely_stratum_is_centred_at_the_grand_mean():
    # add stratum 3: N=10, one respondent y=5 (weight 10). R's survey.lonely.psu="adjust"
    # centres a single-PSU stratum at the grand mean instead of its own mean (Lumley's survey
    # documentation, ?surveyoptions), with its fpc 1 − 1/10.
    # W = 160, ȳ = (400 + 100 + 50)/160 = 3.4375
    d = pd.concat(
        [stratified(), pd.DataFrame({"y": [5.0], "h": [3], "N": [10], "w": [10.0], "region": ["QZ"]})],
        ignore_index=True,
    )
    r = survey_mean(d, "y", strata="h", weights="w", fpc="N")
    ybar = 550 / 160
    var = (
        (100 / 160) ** 2 * (1 - 3 / 100) * 4 / 3
        + (50 / 160) ** 2 * (1 - 2 / 50) * 2 / 2
        + (1 - 1 / 10) * (10 * (5 - ybar) / 160) ** 2
    )
    assert r.estimate[0] == pytest.approx(ybar, rel=1e-14)
    assert r.se[0] ** 2 == pytest.approx(var, rel=1e-12)


def test_lonely_stratum_that_is_a_census_adds_nothing():
    # N_h = n_h = 1: fpc 0; the variance equals the two-stratum formula with W = 160
    d = pd.concat(
        [stratified(), pd.DataFrame({"y": [5.0], "h": [3], "N": [1], "w": [10.0], "region": ["QZ"]})],
        ignore_index=True,
    )
    r = survey_mean(d, "y", strata="h", weights="w", fpc="N")
    var = (100 / 160) ** 2 * 0.97 * 4 / 3 + (50 / 160) ** 2 * 0.96 * 1
    assert r.se[0] ** 2 == pytest.approx(var, rel=1e-12)


def test_domain_variance_uses_the_whole_sample():
    # SRS n=6 of N=60, domains {1,2,3} and {4,5,6}. Linearised domain variance (Lohr §4.3):
    # (1 − n/N) · n/(n−1) · Σ_{i∈d}(y_i − ȳ_d)² / n_d² = 0.9 · 6/5 · 2/9 = 0.24
    d = srs([1.0, 2, 3, 4, 5, 6], 60).assign(dom=["a", "a", "a", "b", "b", "b"])
    r = survey_mean(d, "y", strata="h", weights="w", fpc="N", by="dom")
    assert list(r.columns) == ["dom"] + COLUMNS
    assert r.dom.tolist() == ["a", "b"]
    assert r.estimate.tolist() == pytest.approx([2.0, 5.0])
    assert r.se.pow(2).tolist() == pytest.approx([0.24, 0.24], rel=1e-12)
    assert r.n.tolist() == [3, 3]


def test_missing_y_leaves_the_domain_not_the_design():
    # y = 1, 2, 3, NaN (no fpc): estimate over 3 units but n_h = 4 in the variance:
    # 4/3 · Σ(y − 2)² / 3² = 4/3 · 2/9 = 8/27  (dropping the row would give s²/n = 1/3)
    d = srs([1.0, 2, 3, np.nan], 40)
    r = survey_mean(d, "y", strata="h", weights="w")
    assert r.estimate[0] == pytest.approx(2.0)
    assert r.se[0] ** 2 == pytest.approx(8 / 27, rel=1e-12)
    assert r.n[0] == 3


def test_by_two_columns_sorted_with_counts():
    d = stratified().assign(ctype=["res", "res", "biz", "biz", "res"])
    r = survey_mean(d, "y", strata="h", weights="w", fpc="N", by=["region", "ctype"])
    assert list(r.columns) == ["region", "ctype"] + COLUMNS
    assert list(zip(r.region, r.ctype, strict=True)) == [
        ("QZ", "biz"),
        ("QZ", "res"),
        ("XM", "biz"),
        ("XM", "res"),
    ]
    assert r.n.tolist() == [1, 2, 1, 1]
    # QZ-res holds y=2 (w=100/3) and y=3 (w=25): weighted mean (200/3 + 75)/(100/3 + 25)
    assert r.estimate[1] == pytest.approx((200 / 3 + 75) / (100 / 3 + 25))


def test_rows_with_missing_domain_key_are_in_no_domain():
    d = stratified()
    d.loc[0, "region"] = None
    r = survey_mean(d, "y", strata="h", weights="w", by="region")
    assert r.region.tolist() == ["QZ", "XM"]
    assert r.n.sum() == 4


def test_domain_means_add_up_to_the_overall_mean():
    rng = np.random.default_rng(3)
    n = 500
    d = pd.DataFrame(
        {
            "h": rng.integers(0, 6, n),
            "region": rng.choice(["泉州", "厦门", "福州"], n),
            "y": rng.integers(1, 6, n).astype(float),
        }
    )
    d["w"] = rng.uniform(1, 30, n)
    by = survey_mean(d, "y", strata="h", weights="w", by="region")
    overall = survey_mean(d, "y", strata="h", weights="w")
    wsum = d.groupby("region").w.sum().loc[by.region].to_numpy()
    assert np.sum(by.estimate * wsum) / wsum.sum() == pytest.approx(overall.estimate[0], rel=1e-12)


@pytest.mark.parametrize(
    ("confidence", "z"), [(0.95, Z975), (0.90, 1.6448536269514722), (0.99, 2.5758293035489004)]
)
def test_mean_ci_uses_the_normal_quantile(confidence, z):
    r = survey_mean(stratified(), "y", strata="h", weights="w", fpc="N", confidence=confidence)
    assert (r.ci_high[0] - r.estimate[0]) / r.se[0] == pytest.approx(z, rel=1e-12)


def test_proportion_srs_logit_interval_by_hand():
    # p = 0.4 from n = 10 (one stratum, no fpc): se² = p(1−p)/(n−1) = 0.24/9, df = n − 1 = 9
    # logit CI: expit(logit(p) ± t_{.975,9} · se / (p(1−p)))
    d = srs([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], 100)
    r = survey_proportion(d, "y", strata="h", weights="w")
    se = math.sqrt(0.24 / 9)
    t9 = 2.2621571627409915
    eta = math.log(0.4 / 0.6)
    half = t9 * se / 0.24
    assert r.estimate[0] == pytest.approx(0.4)
    assert r.se[0] == pytest.approx(se, rel=1e-12)
    assert r.ci_low[0] == pytest.approx(1 / (1 + math.exp(-(eta - half))), rel=1e-10)
    assert r.ci_high[0] == pytest.approx(1 / (1 + math.exp(-(eta + half))), rel=1e-10)


def test_proportion_srs_korn_graubard_by_hand():
    # n_eff = p(1−p)/se² · (t_{n−1}/t_df)² = 9 (df = n − 1 here); with α = 0.05
    # low = Beta⁻¹(0.025; 9·0.4, 9·0.6 + 1), high = Beta⁻¹(0.975; 9·0.4 + 1, 9·0.6)
    d = srs([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], 100)
    r = survey_proportion(d, "y", strata="h", weights="w", method="beta")
    assert r.ci_low[0] == pytest.approx(stats.beta.ppf(0.025, 3.6, 6.4), rel=1e-10)
    assert r.ci_high[0] == pytest.approx(stats.beta.ppf(0.975, 4.6, 5.4), rel=1e-10)


def test_proportion_df_is_units_minus_strata_of_the_domain():
    # domain "a": 4 units in 2 strata -> df = 2; logit half-width uses t_{.975,2} = 4.302652729749464
    d = pd.DataFrame(
        {
            "y": [1, 0, 1, 1, 0, 1, 0],
            "h": [1, 1, 2, 2, 2, 3, 3],
            "w": [2.0, 2, 3, 3, 3, 1, 1],
            "dom": ["a", "a", "a", "a", "b", "b", "b"],
        }
    )
    r = survey_proportion(d, "y", strata="h", weights="w", by="dom")
    p, se = r.estimate[0], r.se[0]
    eta = math.log(p / (1 - p))
    # p_a = (2 + 3 + 3)/10 = 0.8
    assert p == pytest.approx(0.8)
    expected_low = 1 / (1 + math.exp(-(eta - 4.302652729749464 * se / (p * (1 - p)))))
    assert r.ci_low[0] == pytest.approx(expected_low, rel=1e-10)


@pytest.mark.parametrize("method", ["logit", "beta"])
def test_proportion_ci_contains_estimate_and_stays_in_unit_interval(method):
    rng = np.random.default_rng(11)
    n = 400
    d = pd.DataFrame({"h": rng.integers(0, 5, n), "y": rng.integers(1, 6, n), "w": rng.uniform(1, 9, n)})
    d["region"] = rng.choice(["A", "B", "C"], n)
    r = survey_proportion(d, "y", strata="h", weights="w", by="region", level=5, method=method)
    assert ((r.ci_low < r.estimate) & (r.estimate < r.ci_high)).all()
    assert ((r.ci_low > 0) & (r.ci_high < 1)).all()


def test_proportion_level_counts_matching_values():
    d = pd.DataFrame({"y": ["满意", "不满意", "满意", None], "h": 1, "w": [1.0, 1.0, 2.0, 5.0]})
    r = survey_proportion(d, "y", strata="h", weights="w", level="满意")
    assert r.estimate[0] == pytest.approx(3 / 4)
    assert r.n[0] == 3


def test_proportion_degenerate_domain_has_nan_interval():
    d = srs([0, 0, 0, 0], 100)
    r = survey_proportion(d, "y", strata="h", weights="w")
    assert r.estimate[0] == 0.0
    assert np.isnan(r.ci_low[0]) and np.isnan(r.ci_high[0])


def test_satisfaction_index_formula():
    # respondent 1: items 5, 3 -> (100 + 50)/2 = 75; respondent 2: 1, — -> 0; respondent 3: none
    # weighted mean with weights 1, 3: (75 + 0)/4 = 18.75
    d = pd.DataFrame({"a": [5, 1, None], "b": [3, None, None], "h": 1, "w": [1.0, 3.0, 2.0]})
    r = satisfaction_index(d, ["a", "b"], strata="h", weights="w")
    assert r.estimate[0] == pytest.approx(18.75)
    assert r.n[0] == 2


def test_satisfaction_index_rejects_scores_outside_1_to_5():
    d = pd.DataFrame({"a": [6, 1], "h": 1, "w": 1.0})
    with pytest.raises(ValueError, match="items must hold scores from 1 to 5"):
        satisfaction_index(d, ["a"], strata="h", weights="w")


def test_flag_small_cells():
    table = pd.DataFrame({"estimate": [1.0, 2.0], "n": [29, 30]})
    assert flag_small_cells(table).small_cell.tolist() == [True, False]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"confidence": 1.0}, ValueError, r"confidence must be in \(0, 1\)"),
        ({"strata": "nope"}, ValueError, "strata must name a column"),
        ({"fpc": "small"}, ValueError, "fpc must be at least"),
        ({"fpc": "varying"}, ValueError, "fpc must be constant"),
        ({"by": "nope"}, ValueError, "by must name columns"),
        ({"weights": "neg"}, ValueError, "weights must be finite and non-negative"),
    ],
)
def test_survey_mean_validation(kwargs, error, match):
    d = stratified().assign(small=2, varying=[100, 101, 100, 50, 50], neg=[-1.0, 1, 1, 1, 1])
    args = {"strata": "h", "weights": "w"} | kwargs
    with pytest.raises(error, match=match):
        survey_mean(d, "y", **args)


def test_survey_mean_requires_a_dataframe():
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        survey_mean({"y": [1]}, "y", strata="h", weights="w")


def test_proportion_rejects_unknown_method():
    with pytest.raises(ValueError, match="method must be"):
        survey_proportion(stratified(), "y", strata="h", weights="w", method="wilson")
