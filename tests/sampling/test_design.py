import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sampling.coordination import arc_overlap, expected_overlap
from sampling.design import plan_design, stratified_margin
from sampling.select import select_pandas


def test_size_is_allocated_and_weights_are_inverse_fractions():
    plan = plan_design({"a": 6000, "b": 3000, "c": 1000}, size=100, response_rate=0.5)
    assert plan.sizes == {"a": 60, "b": 30, "c": 10}
    table = plan.strata_table()
    assert table["weight"].tolist() == [100.0, 100.0, 100.0]
    assert table["expected_completes"].tolist() == [30.0, 15.0, 5.0]


def test_overall_margin_uses_cochran_on_the_total():
    # Cochran 1977 §4.4: n0 = 1.96² · 0.25 / 0.05² = 384.15; fpc with N = 10,000 → 369.98 → 370.
    assert plan_design({"a": 5000, "b": 5000}, margin=0.05).total == 370


def test_per_domain_sizes_each_domain_then_allocates_within():
    plan = plan_design({"A|x": 9000, "A|y": 1000, "B|x": 200}, domains={"A|x": "A", "A|y": "A", "B|x": "B"},
                       margin=0.05, per_domain=True)  # fmt: skip
    assert plan.sizes == {"A|x": 333, "A|y": 37, "B|x": 132}  # 370 split 9:1; B: 384.15/(1+383.15/200)=131.7
    assert plan.domain_margins["A"] == pytest.approx(0.05, abs=5e-4)


def test_stratified_margin_matches_the_srs_formula_for_one_stratum():
    # One stratum: e = z · sqrt(p(1-p)/n · (N-n)/(N-1)); N = 1000, n = 100 → 1.959964 · 0.05 · sqrt(900/999)
    assert stratified_margin({"a": 1000}, {"a": 100}) == pytest.approx(
        1.959964 * 0.05 * math.sqrt(900 / 999), rel=1e-6
    )
    assert math.isnan(stratified_margin({"a": 10, "b": 10}, {"a": 5}))
    assert stratified_margin({"a": 10}, {"a": 10}) == 0.0


@pytest.mark.parametrize(
    "a, la, b, lb, expected",
    [
        (0.0, 0.3, 0.3, 0.3, 0.0),
        (0.9, 0.2, 0.0, 0.5, 0.1),
        (0.2, 0.5, 0.4, 0.1, 0.1),
        (0.0, 1.0, 0.5, 0.25, 0.25),
    ],
)
def test_arc_overlap(a, la, b, lb, expected):
    assert arc_overlap(a, la, b, lb) == pytest.approx(expected)


def test_expected_overlap_is_zero_for_consecutive_rounds_and_n_for_a_census():
    assert expected_overlap(1000, 0.0, 100, 1000, 0.1, 100, 1000) == 0.0
    assert expected_overlap(1000, 0.0, 1000, 1000, 0.3, 50, 1000) == pytest.approx(50)


def test_every_unit_is_selected_with_probability_n_over_N_across_salts():
    """Unbiasedness of the PRN rule: over 2,000 salts each of N = 20 units is drawn ≈ 2000 · n/N times."""
    N, n, runs = 20, 5, 2000
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(N)], "region": "A"})
    hits = pd.Series(0, index=frame["id"])
    for seed in range(runs):
        drawn = select_pandas(frame, ["region"], {"A": n}, salt=f"salt-{seed}")
        hits[drawn["id"]] += 1
    expected = np.full(N, runs * n / N)
    chi2 = stats.chisquare(hits.to_numpy(), expected)
    assert chi2.pvalue > 0.001  # strict alpha: fails only if selection is biased
    assert hits.sum() == runs * n
