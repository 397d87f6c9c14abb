"""Region comparisons: Rao-Scott F, Kruskal-Wallis, Dunn, letters, plain sentences.

Expected values are derived by hand in the comments; R comparisons are in test_vs_r_*.py.
"""

import math

import numpy as np
import pandas as pd
import pytest
import scikit_posthocs as sp
from scipy import stats

import analysis.compare as compare
from analysis.compare import (
    KruskalResult,
    RaoScottResult,
    compact_letters,
    cramers_v,
    dunn_pairs,
    format_p,
    kruskal_regions,
    rao_scott_chisq,
    region_comparison_sentence,
)
from analysis.findings import plain_findings


def expand(table, row_levels, col_levels):
    rows = []
    for i, r in enumerate(row_levels):
        for j, c in enumerate(col_levels):
            rows += [(r, c)] * table[i][j]
    return pd.DataFrame(rows, columns=["region", "top2"])


TABLES = [
    [[20, 10], [12, 18]],
    [[30, 5, 8], [10, 12, 9], [4, 6, 20]],
    [[7, 3], [2, 9], [5, 5], [1, 8]],
]


@pytest.mark.parametrize("table", TABLES)
def test_rao_scott_srs_reduces_to_scaled_pearson(table):
    # Equal weights, one stratum, no fpc: V = (D − ppᵀ)/(n − 1) while V_srs = (D − ppᵀ)/n, so
    # Δ = n/(n − 1)·I on the (r−1)(c−1) interaction contrasts. Hence
    # F = X² (n − 1) / (n (r−1)(c−1)), df_num = (r−1)(c−1), df_den = df_num (n − 1)  (Rao & Scott 1984)
    t = np.array(table)
    d = expand(table, [f"r{i}" for i in range(t.shape[0])], list(range(t.shape[1])))
    d["h"], d["w"] = "all", 3.0
    n = t.sum()
    k = (t.shape[0] - 1) * (t.shape[1] - 1)
    x2 = stats.chi2_contingency(t, correction=False)[0]
    res = rao_scott_chisq(d, "region", "top2", strata="h", weights="w")
    assert isinstance(res, RaoScottResult)
    assert res.chisq_pearson == pytest.approx(x2, rel=1e-10)
    assert res.statistic == pytest.approx(x2 * (n - 1) / (n * k), rel=1e-10)
    assert res.df_num == pytest.approx(k, rel=1e-10)
    assert res.df_den == pytest.approx(k * (n - 1), rel=1e-10)
    assert res.pvalue == pytest.approx(stats.f.sf(res.statistic, k, k * (n - 1)), rel=1e-10)


def test_rao_scott_srs_with_fpc_divides_delta_by_one_minus_f():
    # with N = 4n: Δ = (1 − 1/4) n/(n − 1) I, so F grows by 1/(1 − 1/4)
    table = TABLES[0]
    d = expand(table, ["a", "b"], [0, 1])
    n = len(d)
    d["h"], d["w"], d["N"] = "all", 4.0, 4 * n
    without = rao_scott_chisq(d, "region", "top2", strata="h", weights="w")
    with_fpc = rao_scott_chisq(d, "region", "top2", strata="h", weights="w", fpc="N")
    assert with_fpc.statistic == pytest.approx(without.statistic / 0.75, rel=1e-10)
    assert with_fpc.df_num == pytest.approx(without.df_num, rel=1e-10)


def random_design(seed=2, n=600):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "h": rng.integers(0, 8, n),
            "region": rng.choice(["泉州", "厦门", "福州", "漳州"], n),
            "top2": rng.integers(0, 2, n),
            "item": rng.integers(1, 6, n),
        }
    )
    d["w"] = rng.choice([1.0, 5.0, 40.0], n) * (1 + d.h)
    d["N"] = d.groupby("h").h.transform("size") * 20
    return d


def test_rao_scott_invariances():
    d = random_design()
    kw = {"strata": "h", "weights": "w", "fpc": "N"}
    base = rao_scott_chisq(d, "region", "item", **kw)
    swapped = rao_scott_chisq(d, "item", "region", **kw)
    scaled = rao_scott_chisq(d.assign(w=d.w * 7.5), "region", "item", **kw)
    relabelled = rao_scott_chisq(
        d.assign(region=d.region.map({"泉州": "z", "厦门": "a", "福州": "m", "漳州": "b"})),
        "region",
        "item",
        **kw,
    )
    for other in (swapped, scaled, relabelled):
        assert other.statistic == pytest.approx(base.statistic, rel=1e-9)
        assert other.df_num == pytest.approx(base.df_num, rel=1e-9)
        assert other.pvalue == pytest.approx(base.pvalue, rel=1e-9)
    # df_den = df_num × (units − strata)
    assert base.df_den == pytest.approx(base.df_num * (len(d) - 8), rel=1e-12)
    assert 0 < base.df_num <= 3 * 4


def test_rao_scott_missing_values_stay_in_the_design():
    # a row with a missing value still counts in n and in ν = n − H
    d = random_design()
    d.loc[:9, "top2"] = np.nan
    res = rao_scott_chisq(d, "region", "top2", strata="h", weights="w")
    assert res.df_den == pytest.approx(res.df_num * (len(d) - 8), rel=1e-12)
    assert np.isfinite(res.statistic)


def test_rao_scott_one_level_gives_nan():
    d = random_design().assign(top2=1)
    res = rao_scott_chisq(d, "region", "top2", strata="h", weights="w")
    assert np.isnan(res.statistic) and np.isnan(res.pvalue)


def test_kruskal_without_ties_by_hand():
    # ranks equal the values; mean ranks 2, 5, 8; n = 9
    # H = 12/(9·10) · 3(2² + 5² + 8²) − 3·10 = 37.2 − 30 = 7.2; p = e^{−H/2} (χ², 2 df)
    # ε² = H / ((n² − 1)/(n + 1)) = 7.2 / 8 = 0.9
    d = pd.DataFrame({"y": range(1, 10), "g": list("AAABBBCCC")})
    r = kruskal_regions(d, "y", "g")
    assert isinstance(r, KruskalResult)
    assert r.statistic == pytest.approx(7.2, rel=1e-12)
    assert r.pvalue == pytest.approx(math.exp(-3.6), rel=1e-12)
    assert r.epsilon_squared == pytest.approx(0.9, rel=1e-12)
    assert (r.n_groups, r.n) == (3, 9)


def test_kruskal_with_ties_by_hand():
    # values 1,1,2 | 2,3,3 -> ranks 1.5,1.5,3.5 | 3.5,5.5,5.5; rank sums 6.5 and 14.5
    # H = 12/42 · (6.5² + 14.5²)/3 − 21 = 3.047619; tie correction 1 − 3·(2³ − 2)/(6³ − 6) = 32/35
    # H_c = 3.047619 / (32/35) = 10/3; ε² = (10/3)/5 = 2/3
    d = pd.DataFrame({"y": [1, 1, 2, 2, 3, 3, np.nan], "g": list("AAABBBB")})
    r = kruskal_regions(d, "y", "g")
    assert r.statistic == pytest.approx(10 / 3, rel=1e-12)
    assert r.epsilon_squared == pytest.approx(2 / 3, rel=1e-12)
    assert r.pvalue == pytest.approx(stats.chi2.sf(10 / 3, 1), rel=1e-12)
    assert r.n == 6


@pytest.mark.parametrize(
    "frame",
    [pd.DataFrame({"y": [1, 2, 3], "g": list("AAA")}), pd.DataFrame({"y": [2, 2, 2, 2], "g": list("AABB")})],
)
def test_kruskal_degenerate_is_nan(frame):
    r = kruskal_regions(frame, "y", "g")
    assert np.isnan(r.statistic) and np.isnan(r.pvalue)


def test_dunn_by_hand_with_holm():
    # no ties, n = 9, n_i = 3: SE = sqrt(n(n+1)/12 · (1/3 + 1/3)) = sqrt(5)
    # z_AB = z_BC = 3/√5, z_AC = 6/√5; two-sided p = erfc(z/√2)
    # Holm: p_AC × 3; then p_AB × 2 and p_BC × 1 -> max(…, previous) = p_AB × 2
    d = pd.DataFrame({"y": range(1, 10), "g": list("CCCBBBAAA")})  # A has the highest values
    out = dunn_pairs(d, "y", "g")
    assert list(out.columns) == ["group_a", "group_b", "mean_a", "mean_b", "pvalue_adj", "significant"]
    p_near = math.erfc(3 / math.sqrt(5) / math.sqrt(2))
    p_far = math.erfc(6 / math.sqrt(5) / math.sqrt(2))
    expected = {("A", "B"): 2 * p_near, ("A", "C"): 3 * p_far, ("B", "C"): 2 * p_near}
    got = {(a, b): p for a, b, p in zip(out.group_a, out.group_b, out.pvalue_adj, strict=True)}
    assert got.keys() == expected.keys()
    for pair, p in expected.items():
        assert got[pair] == pytest.approx(p, rel=1e-10)
    assert out.significant.tolist() == [False, True, False]
    assert out.mean_a.tolist() == [8.0, 8.0, 5.0]


def test_dunn_matches_posthoc_dunn():
    d = random_design(seed=9, n=300)
    out = dunn_pairs(d, "item", "region", p_adjust="holm")
    ref = sp.posthoc_dunn(d, val_col="item", group_col="region", p_adjust="holm")
    assert len(out) == 6
    for row in out.itertuples():
        assert row.pvalue_adj == pytest.approx(ref.loc[row.group_a, row.group_b], rel=1e-12)
        assert row.mean_a == pytest.approx(d.item[d.region == row.group_a].mean())


@pytest.mark.parametrize(
    ("pvalues", "expected"),
    [
        ({("A", "B"): 0.5, ("A", "C"): 0.01, ("B", "C"): 0.2}, {"A": "a", "B": "ab", "C": "b"}),
        ({("A", "B"): 0.01, ("A", "C"): 0.01, ("B", "C"): 0.01}, {"A": "a", "B": "b", "C": "c"}),
        ({("A", "B"): 0.5, ("A", "C"): 0.5, ("B", "C"): 0.5}, {"A": "a", "B": "a", "C": "a"}),
        (
            {
                ("A", "B"): 0.3,
                ("A", "C"): 0.01,
                ("A", "D"): 0.001,
                ("B", "C"): 0.2,
                ("B", "D"): 0.02,
                ("C", "D"): 0.4,
            },
            {"A": "a", "B": "ab", "C": "bc", "D": "c"},
        ),
    ],
)
def test_compact_letters(pvalues, expected):
    means = {"A": 4.6, "B": 4.2, "C": 3.9, "D": 3.1}
    groups = {g: means[g] for g in expected}
    pairs = pd.DataFrame(
        [(a, b, p) for (a, b), p in pvalues.items()], columns=["group_a", "group_b", "pvalue_adj"]
    )
    assert compact_letters(groups, pairs, 0.05) == expected
    matrix = pd.DataFrame(1.0, index=list(expected), columns=list(expected))
    for (a, b), p in pvalues.items():
        matrix.loc[a, b] = matrix.loc[b, a] = p
    assert compact_letters(groups, matrix, 0.05) == expected


def test_compact_letters_order_by_mean_highest_first():
    pairs = pd.DataFrame({"group_a": ["A"], "group_b": ["B"], "pvalue_adj": [0.001]})
    assert compact_letters({"A": 2.0, "B": 4.0}, pairs) == {"B": "a", "A": "b"}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ([[10, 0], [0, 10]], 1.0),
        ([[10, 20], [20, 40]], 0.0),
        # n=100, E = 12, 18, 28, 42; X² = 4/12 + 4/18 + 4/28 + 4/42 = 0.793651; V = sqrt(X²/100)
        ([[10, 20], [30, 40]], math.sqrt((4 / 12 + 4 / 18 + 4 / 28 + 4 / 42) / 100)),
        # 3x3 perfect association: X² = n (min(r,c) − 1) -> V = 1
        ([[5, 0, 0], [0, 7, 0], [0, 0, 9]], 1.0),
    ],
)
def test_cramers_v(table, expected):
    assert cramers_v(table) == pytest.approx(expected, abs=1e-12)


def test_cramers_v_degenerate_and_invalid():
    assert np.isnan(cramers_v([[3, 4]]))
    with pytest.raises(ValueError, match="two-dimensional"):
        cramers_v([1, 2, 3])


@pytest.mark.parametrize(
    ("p", "lang", "text"),
    [
        (0.003, "zh", "p=0.003"),
        (0.003, "en", "p = 0.003"),
        (0.0004, "zh", "p<0.001"),
        (0.0004, "en", "p < 0.001"),
        (0.04567, "zh", "p=0.046"),
    ],
)
def test_format_p(p, lang, text):
    assert format_p(p, lang) == text


PAIRS = pd.DataFrame(
    {
        "group_a": ["厦门", "厦门", "泉州"],
        "group_b": ["泉州", "福州", "福州"],
        "mean_a": [4.5, 4.5, 3.8],
        "mean_b": [3.8, 4.4, 4.4],
        "pvalue_adj": [0.003, 0.6, 0.0002],
        "significant": [True, False, True],
    }
)
LABEL = {"zh": "服务态度", "en": "service-attitude"}
NAMES = {
    "厦门": {"zh": "厦门", "en": "Xiamen"},
    "泉州": {"zh": "泉州", "en": "Quanzhou"},
    "福州": {"zh": "福州", "en": "Fuzhou"},
}


def test_plain_findings_zh():
    assert plain_findings(PAIRS, LABEL, "zh") == [
        "泉州的服务态度评分显著低于厦门 (p=0.003)",
        "泉州的服务态度评分显著低于福州 (p<0.001)",
    ]


def test_plain_findings_en_with_group_names():
    assert plain_findings(PAIRS, LABEL, "en", group_labels=NAMES) == [
        "Quanzhou's service-attitude score is significantly lower than Xiamen's (p = 0.003)",
        "Quanzhou's service-attitude score is significantly lower than Fuzhou's (p < 0.001)",
    ]


def test_plain_findings_none_significant_and_bad_lang():
    assert plain_findings(PAIRS.assign(significant=False), LABEL) == []
    with pytest.raises(ValueError, match="lang must be"):
        plain_findings(PAIRS, LABEL, "fr")


def test_region_comparison_sentence():
    sig = KruskalResult(statistic=12.0, pvalue=0.0004, epsilon_squared=0.06, n_groups=3, n=201)
    nonsig = KruskalResult(statistic=1.5, pvalue=0.47, epsilon_squared=0.0075, n_groups=3, n=201)
    assert region_comparison_sentence(sig, "zh", item_label=LABEL) == (
        "各地区的服务态度评分存在显著差异 (Kruskal-Wallis H=12.00, p<0.001, ε²=0.060)。"
    )
    assert region_comparison_sentence(nonsig, "en", item_label=LABEL) == (
        "The service-attitude score does not differ significantly between regions "
        "(Kruskal-Wallis H = 1.50, p = 0.470, ε² = 0.007)."
    )
    assert "没有显著差异" in region_comparison_sentence(nonsig, "zh")
    nan = KruskalResult(np.nan, np.nan, np.nan, 1, 5)
    assert "cannot be compared" in region_comparison_sentence(nan, "en")


def test_docstrings_say_which_tests_are_design_based():
    module = compare.__doc__.lower()
    assert "design-based" in module and "simple random sample" in module
    assert "design-based" in compare.rao_scott_chisq.__doc__.lower()
    for function in (compare.kruskal_regions, compare.dunn_pairs):
        assert "simple random sample" in function.__doc__
