"""Weights: base weights, nonresponse adjustment, post-stratification, raking, Kish deff.

Expected values are computed by hand in the comments (Lohr 2019 ch. 3 and 8; Kish 1965).
"""

import numpy as np
import pandas as pd
import pytest

from analysis.weights import (
    RakingDidNotConverge,
    WeightSummary,
    base_weights,
    nonresponse_adjust,
    poststratify,
    rake,
    weight_summary,
)


@pytest.mark.parametrize(
    ("N_h", "n_h", "expected"),
    [(100, 4, 25.0), (7, 7, 1.0), (1000, 3, 1000 / 3)],
)
def test_base_weight_is_inverse_inclusion_probability(N_h, n_h, expected):
    assert base_weights(N_h, n_h) == pytest.approx(expected, rel=1e-15)


def test_base_weights_vectorised_and_series_keep_index():
    N = pd.Series([100, 50], index=["a", "b"])
    n = pd.Series([4, 5], index=["a", "b"])
    out = base_weights(N, n)
    assert list(out.index) == ["a", "b"]
    assert out.tolist() == [25.0, 10.0]
    assert base_weights(np.array([10, 20]), np.array([2, 4])).tolist() == [5.0, 5.0]


@pytest.mark.parametrize(("N_h", "n_h", "word"), [(10, 0, "n_h"), (10, -1, "n_h"), (3, 4, "N_h")])
def test_base_weights_reject_impossible_sizes(N_h, n_h, word):
    with pytest.raises(ValueError, match=word):
        base_weights(N_h, n_h)


def sampled_units():
    # stratum a: N=100, n=4 -> base 25; 3 respond -> 100/3 each
    # stratum b: N=20, n=2 -> base 10; 1 responds -> 20
    return pd.DataFrame(
        {
            "h": ["a", "a", "a", "a", "b", "b"],
            "bw": [25.0, 25, 25, 25, 10, 10],
            "resp": [True, True, False, True, False, True],
        }
    )


def test_nonresponse_adjust_respondents_carry_the_stratum():
    d = sampled_units()
    w = nonresponse_adjust(d, stratum="h", base_weight="bw", responded="resp")
    np.testing.assert_allclose(w.to_numpy(), [100 / 3, 100 / 3, 0, 100 / 3, 0, 20.0], rtol=1e-14)
    # respondents' weights add up to N_h in every stratum
    assert w[d.h == "a"].sum() == pytest.approx(100)
    assert w[d.h == "b"].sum() == pytest.approx(20)
    assert list(w.index) == list(d.index)


def test_nonresponse_adjust_base_weight_times_n_over_r():
    d = sampled_units()
    w = nonresponse_adjust(d, stratum="h", base_weight="bw", responded="resp")
    # base weight × n_h / r_h: 25 × 4/3 and 10 × 2/1
    assert w.iloc[0] == pytest.approx(25 * 4 / 3)
    assert w.iloc[5] == pytest.approx(10 * 2 / 1)


def test_nonresponse_adjust_stratum_without_respondents_is_an_error():
    d = sampled_units()
    d.loc[d.h == "b", "resp"] = False
    with pytest.raises(ValueError, match=r"stratum.*\['b'\]"):
        nonresponse_adjust(d, stratum="h", base_weight="bw", responded="resp")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"stratum": "nope", "base_weight": "bw", "responded": "resp"}, ValueError),
        ({"stratum": "h", "base_weight": "nope", "responded": "resp"}, ValueError),
    ],
)
def test_nonresponse_adjust_validates_columns(kwargs, error):
    with pytest.raises(error, match="must name a column"):
        nonresponse_adjust(sampled_units(), **kwargs)


def test_nonresponse_adjust_rejects_non_frames_and_negative_weights():
    with pytest.raises(TypeError, match="DataFrame"):
        nonresponse_adjust([1, 2], stratum="h", base_weight="bw", responded="resp")
    d = sampled_units()
    d.loc[0, "bw"] = -1.0
    with pytest.raises(ValueError, match="base_weight must hold finite non-negative"):
        nonresponse_adjust(d, stratum="h", base_weight="bw", responded="resp")


def test_poststratify_hits_cell_totals():
    # cell x: weights 1, 3 (sum 4), total 20 -> factor 5 -> 5, 15
    # cell y: weight 2, total 7 -> 7
    d = pd.DataFrame({"w": [1.0, 3.0, 2.0], "c": ["x", "x", "y"]})
    out = poststratify(d, weight="w", cell="c", totals={"x": 20, "y": 7})
    assert out.tolist() == pytest.approx([5.0, 15.0, 7.0])


@pytest.mark.parametrize(
    ("totals", "match"),
    [({"x": 20}, "missing"), ({"x": 20, "y": 7, "z": 3}, "no"), ({"x": 20, "y": -1}, "positive")],
)
def test_poststratify_rejects_bad_totals(totals, match):
    d = pd.DataFrame({"w": [1.0, 3.0, 2.0], "c": ["x", "x", "y"]})
    with pytest.raises(ValueError, match=match):
        poststratify(d, weight="w", cell="c", totals=totals)


def one_unit_per_cell():
    return pd.DataFrame({"w": [1.0, 1, 1, 1], "a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"]})


def test_rake_from_uniform_start_gives_the_independence_table():
    # IPF keeps the starting odds ratio (1 here), so the raked 2x2 table is the product
    # table row_i × col_j / total (Deming & Stephan 1940):
    # rows x=30, y=10; cols u=24, v=16; total 40 -> 18, 12, 6, 4
    w = rake(one_unit_per_cell(), weight="w", margins={"a": {"x": 30, "y": 10}, "b": {"u": 24, "v": 16}})
    np.testing.assert_allclose(w.to_numpy(), [18, 12, 6, 4], rtol=1e-8)


def test_rake_meets_margins_and_keeps_interactions():
    rng = np.random.default_rng(5)
    n = 300
    d = pd.DataFrame(
        {
            "w": rng.uniform(1, 10, n),
            "region": rng.choice(["QZ", "XM", "FZ"], n),
            "ctype": rng.choice(["res", "biz"], n),
        }
    )
    margins = {"region": {"QZ": 5000, "XM": 3000, "FZ": 2000}, "ctype": {"res": 8000, "biz": 2000}}
    w = rake(d, weight="w", margins=margins, tol=1e-10)
    for col, totals in margins.items():
        sums = w.groupby(d[col]).sum()
        for level, total in totals.items():
            assert sums[level] == pytest.approx(total, rel=1e-9)
    # raking multiplies each weight by a region factor times a type factor
    ratio = np.log(w / d["w"])
    cell = ratio.groupby([d.region, d.ctype]).agg(["min", "max"])
    np.testing.assert_allclose(cell["min"], cell["max"], atol=1e-9)  # constant within a cell
    table = ratio.groupby([d.region, d.ctype]).first().unstack()
    interaction = table["res"] - table["biz"]
    np.testing.assert_allclose(interaction - interaction.iloc[0], 0, atol=1e-9)


def test_rake_unattainable_margins_raise():
    # units only in cells (x,u) and (y,v): x must equal u, but margins say 30 vs 10
    d = pd.DataFrame({"w": [1.0, 1.0], "a": ["x", "y"], "b": ["u", "v"]})
    with pytest.raises(RakingDidNotConverge):
        rake(d, weight="w", margins={"a": {"x": 30, "y": 10}, "b": {"u": 10, "v": 30}}, max_iter=50)


@pytest.mark.parametrize(
    ("margins", "match"),
    [
        ({"a": {"x": 30, "y": 10}, "b": {"u": 20, "v": 30}}, "grand total"),
        ({"a": {"x": 40}}, "missing"),
        ({"a": {"x": 30, "y": 10, "z": 5}}, "absent"),
        ({}, "non-empty"),
    ],
)
def test_rake_validates_margins(margins, match):
    with pytest.raises(ValueError, match=match):
        rake(one_unit_per_cell(), weight="w", margins=margins)


def test_weight_summary_hand_values():
    # w = 1, 1, 2, 4: Σw = 8, Σw² = 22, mean 2, population sd sqrt(1.5)
    # deff = 4 × 22 / 64 = 1.375 = 1 + cv² (cv² = 1.5 / 4); n_eff = 64 / 22
    s = weight_summary([1.0, 1.0, 2.0, 4.0])
    assert isinstance(s, WeightSummary)
    assert (s.n, s.sum, s.min, s.max) == (4, 8.0, 1.0, 4.0)
    assert s.cv == pytest.approx(np.sqrt(1.5) / 2, rel=1e-14)
    assert s.kish_deff == pytest.approx(1.375, rel=1e-14)
    assert s.kish_deff == pytest.approx(1 + s.cv**2, rel=1e-14)
    assert s.effective_n == pytest.approx(64 / 22, rel=1e-14)


@pytest.mark.parametrize("value", [0.5, 3.0, 250.0])
def test_weight_summary_equal_weights_have_no_design_effect(value):
    s = weight_summary(np.full(10, value))
    assert s.kish_deff == pytest.approx(1.0)
    assert s.effective_n == pytest.approx(10.0)
    assert s.cv == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(("w", "match"), [([], "empty"), ([1.0, -1.0], "non-negative"), ([0.0, 0.0], "sum")])
def test_weight_summary_rejects_bad_weights(w, match):
    with pytest.raises(ValueError, match=match):
        weight_summary(w)


def test_weight_summary_is_frozen():
    s = weight_summary([1.0, 2.0])
    with pytest.raises(AttributeError):
        s.n = 3
