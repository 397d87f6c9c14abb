"""Headline indicators and the round-change test.

The one-pass indicators must equal the R-checked estimators (survey_mean, survey_proportion,
satisfaction_index — see test_vs_r_estimates.py) on the R reference designs; the change test is
checked by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.estimates import survey_mean, survey_proportion
from analysis.indicators import headline_indicators, round_change, satisfaction_index

DESIGNS = Path(__file__).parent / "r" / "designs"


def _likert_design(name: str) -> pd.DataFrame:
    d = pd.read_csv(DESIGNS / f"{name}.csv")
    rng = np.random.default_rng(3)
    d["q1"] = rng.integers(1, 6, len(d)).astype(float)
    d["q2"] = rng.integers(1, 6, len(d)).astype(float)
    d.loc[d.index % 7 == 0, "q2"] = np.nan  # some unanswered
    return d


@pytest.mark.parametrize("name", ["textbook", "unequal", "singleton", "extreme"])
@pytest.mark.parametrize("by", [None, "region"])
def test_indicators_equal_the_r_checked_estimators(name, by):
    d = _likert_design(name)
    if by is not None and by not in d.columns:
        d[by] = np.where(d.index % 3 == 0, "A", "B")
    design = dict(strata="stratum", weights="w", fpc="N_h")
    got = headline_indicators(d, ["q1", "q2"], by=by, **design)
    rows = got if by is None else got[got[by] != "全部"]
    for item in ("q1", "q2"):
        mean = survey_mean(d, item, by=by, **design)
        ours = rows[(rows.indicator == "mean") & (rows.item == item)].reset_index(drop=True)
        np.testing.assert_allclose(ours[["estimate", "se"]], mean[["estimate", "se"]], rtol=1e-10)
        assert list(ours["n"]) == list(mean["n"])
        assert (ours["ci_low"] >= 1).all() and (ours["ci_high"] <= 5).all()  # the interval stays on the scale
        top = survey_proportion(
            d.assign(t=np.where(d[item].notna(), d[item] >= 4, np.nan)), "t", by=by, **design
        )
        ours = rows[(rows.indicator == "top2") & (rows.item == item)].reset_index(drop=True)
        np.testing.assert_allclose(ours[["estimate", "se", "ci_low", "ci_high"]], top[["estimate", "se", "ci_low", "ci_high"]], rtol=1e-10)  # fmt: skip
    index = satisfaction_index(d, ["q1", "q2"], by=by, **design)
    ours = rows[rows.indicator == "index"].reset_index(drop=True)
    np.testing.assert_allclose(ours[["estimate", "se"]], index[["estimate", "se"]], rtol=1e-10)


def test_indicators_by_hand_and_small_cells():
    # SRS of 4 from N = 8: scores 5, 4, 2, 1 → mean 3, se² = s²/n (1 − n/N) = (10/3)/4 · 1/2
    d = pd.DataFrame({"q": [5, 4, 2, 1], "h": 1, "w": 2.0, "N": 8, "g": ["x", "x", "y", "y"]})
    t = headline_indicators(d, ["q"], strata="h", weights="w", fpc="N", by="g", min_n=3)
    overall = t[t.g == "全部"].set_index("indicator")
    assert overall.loc["mean", "estimate"] == pytest.approx(3.0)
    assert overall.loc["mean", "se"] == pytest.approx(math.sqrt(10 / 3 / 4 * 0.5))
    assert overall.loc["top2", "estimate"] == pytest.approx(0.5)
    assert overall.loc["index", "estimate"] == pytest.approx((100 + 75 + 25 + 0) / 4)
    assert not overall["small_cell"].any()  # n = 4 ≥ 3
    assert t[t.g == "x"]["small_cell"].all()  # n = 2 < 3: flagged, still shown
    assert t[(t.g == "x") & (t.indicator == "mean")]["estimate"].iloc[0] == pytest.approx(4.5)


@pytest.mark.parametrize("bad", [[], "q"])
def test_indicators_validate_items(bad):
    d = pd.DataFrame({"q": [5], "h": 1, "w": 1.0})
    with pytest.raises(ValueError, match="items"):
        headline_indicators(d, bad, strata="h", weights="w")


def test_indicators_reject_scores_outside_1_to_5():
    d = pd.DataFrame({"q": [7], "h": 1, "w": 1.0})
    with pytest.raises(ValueError, match="1 to 5"):
        headline_indicators(d, ["q"], strata="h", weights="w")


@pytest.mark.parametrize(
    ("earlier", "se1", "later", "se2", "z", "p"),
    [
        # by hand: diff 0.2, se = sqrt(0.05² + 0.05²) = 0.070711, z = 2.828427, p = 2(1 − Φ(2.828427)) = 0.004678
        (3.8, 0.05, 4.0, 0.05, 2.828427, 0.004678),
        # diff −3, se = sqrt(3² + 4²) = 5, z = −0.6, p = 0.548506
        (70.0, 3.0, 67.0, 4.0, -0.6, 0.548506),
    ],
)
def test_round_change_by_hand(earlier, se1, later, se2, z, p):
    r = round_change(earlier, se1, later, se2)
    assert r.statistic == pytest.approx(z, abs=1e-6)
    assert r.pvalue == pytest.approx(p, abs=1e-6)
    assert r.se == pytest.approx(math.hypot(se1, se2))
    assert r.ci_low == pytest.approx(r.difference - 1.959964 * r.se, abs=1e-5)
    assert r.significant() is (p < 0.05)


def test_round_change_degenerate_and_invalid():
    assert math.isnan(round_change(1.0, 0.0, 1.0, 0.0).pvalue)
    assert round_change(1.0, 0.0, 1.0, 0.0).significant() is False
    with pytest.raises(ValueError, match="se_later"):
        round_change(1.0, 0.1, 2.0, -0.1)
    with pytest.raises(ValueError, match="confidence"):
        round_change(1.0, 0.1, 2.0, 0.1, confidence=1.5)


# R (tests/analysis/r/reference_v2.R, design "tiny"):
#   answered_y1 <- subset(des, !is.na(y1))
#   for (r in regions) svyciprop(~I((y1 - 1)/4), subset(answered_y1, region == r), method = "logit")
def test_mean_interval_is_the_logit_interval_of_the_rescaled_mean_as_r():
    import json

    here = Path(__file__).parent / "r"
    d = pd.read_csv(here / "designs_v2" / "tiny.csv")
    ref = json.loads((here / "expected_v2_tiny.json").read_text(encoding="utf-8"))["rescaled"][
        "svyciprop_logit"
    ]
    got = headline_indicators(d, ["y1"], by="region", strata="stratum", weights="w", fpc="N_h", min_n=1)
    mean = got[(got.indicator == "mean") & (got.region != "全部")].set_index("region")
    for row in ref["by_region"]["rows"]:
        ours = mean.loc[row["region"]]
        assert ours.estimate == pytest.approx(1 + 4 * row["estimate"], abs=1e-8)
        if row["ci_low"] is not None and row["ci_high"] is not None and row["se"] > 0:
            assert ours.ci_low == pytest.approx(1 + 4 * row["ci_low"], rel=1e-9)
            assert ours.ci_high == pytest.approx(1 + 4 * row["ci_high"], rel=1e-9)
        # where R's interval is degenerate or NA we give Clopper-Pearson on n, never NaN and never off the scale
        assert 1 <= ours.ci_low <= ours.estimate <= ours.ci_high <= 5
    overall = got[(got.indicator == "mean") & (got.region == "全部")].iloc[0]
    assert overall.ci_low == pytest.approx(1 + 4 * ref["overall"]["ci_low"], rel=1e-9)
    assert overall.ci_high == pytest.approx(1 + 4 * ref["overall"]["ci_high"], rel=1e-9)


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (0, 20, 0.0, 0.16843347),  # Clopper-Pearson 0/20: 1 − 0.025^(1/20) (Korn & Graubard 1998, n* = n)
    (20, 20, 0.83156653, 1.0),
    (1, 1, 0.025, 1.0),
])  # fmt: skip
def test_shares_at_zero_and_n_get_clopper_pearson_not_nan(successes, n, low, high):
    d = pd.DataFrame({"q": [5.0] * successes + [1.0] * (n - successes), "h": 1, "w": 10.0, "N": 10 * n})
    got = headline_indicators(d, ["q"], strata="h", weights="w", fpc="N", min_n=1).set_index("indicator")
    assert got.loc["top2", "ci_low"] == pytest.approx(low, abs=1e-7)
    assert got.loc["top2", "ci_high"] == pytest.approx(high, abs=1e-7)
    # the mean (1–5) and the index (0–100) at their bounds: the same interval on their scale
    assert got.loc["mean", "ci_low"] == pytest.approx(1 + 4 * low, abs=1e-6)
    assert got.loc["index", "ci_high"] == pytest.approx(100 * high, abs=1e-5)


def test_no_interval_leaves_its_scale_on_skewed_small_domains():
    rng = np.random.default_rng(11)
    d = pd.DataFrame({"q": rng.choice([1.0, 5.0], size=60, p=[0.05, 0.95]), "h": rng.integers(0, 6, 60),
                      "g": rng.choice(list("abcdef"), 60)})  # fmt: skip
    d["N"] = d.groupby("h")["q"].transform("size") * 3
    d["w"] = 3.0
    got = headline_indicators(d, ["q"], by="g", strata="h", weights="w", fpc="N", min_n=1)
    for kind, (lo, hi) in {"mean": (1, 5), "top2": (0, 1), "index": (0, 100)}.items():
        part = got[got.indicator == kind]
        assert part[["ci_low", "ci_high"]].notna().all().all()
        assert (part["ci_low"] >= lo).all() and (part["ci_high"] <= hi).all()
