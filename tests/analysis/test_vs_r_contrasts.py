"""Design-based pairwise comparisons, domains and post-stratified SEs against R ``survey`` (issue 10, items 3, 4,
9 and 10).

The numbers are R's, printed by ``tests/analysis/r/reference_v2.R`` (written independently of the Python code;
README there lists the calls) into ``tests/analysis/r/expected_v2_<design>.json``, e.g.::

    b <- svyby(~y1, ~region, subset(des, !is.na(y1)), svymean, covmat = TRUE)
    con <- svycontrast(b, cvec); p_t <- 2 * pt(-abs(coef(con) / SE(con)), df = degf(des))
    p.adjust(c(p_t_y1, p_t_y2, p_t_y3), "holm")
    svyby(~y1, ~region, subset(des, ctype == "business"), svymean, na.rm = TRUE)
    svymean(~y1, postStratify(des, ~region + ctype, totals), na.rm = TRUE)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.contrasts import PostStrata, compare_items, domain_estimates, pairwise_differences
from analysis.weights import poststratify

HERE = Path(__file__).parent / "r"
DESIGNS = ["nested", "crossed", "crossed_type", "tiny", "poststrat"]
DESIGN = dict(strata="stratum", weights="w", fpc="N_h")
TOL = 1e-9


def _load(name: str) -> tuple[pd.DataFrame, dict]:
    data = pd.read_csv(HERE / "designs_v2" / f"{name}.csv", keep_default_na=True)
    expected = json.loads((HERE / f"expected_v2_{name}.json").read_text(encoding="utf-8"))
    return data, expected


def _close(a: float, b: float | None, tol: float = TOL) -> bool:
    if b is None:
        return not np.isfinite(a)
    return abs(a - b) <= tol * max(1.0, abs(b))


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("item", ["y1", "y2", "y3"])
def test_domain_means_and_covariance_equal_svyby(name, item):
    data, expected = _load(name)
    ref = expected["mean"]["by_region"][item]
    r = domain_estimates(data, item, "region", **DESIGN)
    assert list(r.keys) == ref["labels"]
    for k, row in enumerate(ref["rows"]):
        assert _close(r.estimate[k], row["estimate"]) and _close(r.se()[k], row["se"]), row
        assert r.n[k] == row["n"]
    np.testing.assert_allclose(r.cov, np.array(ref["vcov"], dtype=float), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("item", ["y1", "y2", "y3", "top2_1"])
def test_pairwise_differences_equal_svycontrast(name, item):
    data, expected = _load(name)
    ref = expected["pairwise_region"][item]
    got = pairwise_differences(data, item, "region", min_n=1, **DESIGN)
    assert len(got) == len(ref["rows"])
    for row, want in zip(got.itertuples(), ref["rows"], strict=True):
        assert (row.group_a, row.group_b) == (want["a"], want["b"])
        assert _close(row.difference, want["estimate"]) and _close(row.se, want["se"], 1e-8), want
        assert row.df == ref["df"]
        if want["p_t"] is None:
            assert not row.tested and np.isnan(row.pvalue)
        else:
            assert _close(row.pvalue, want["p_t"], 1e-6), (row, want)


@pytest.mark.parametrize("name", DESIGNS)
def test_top2_kind_is_the_share_of_scores_four_and_five(name):
    data, expected = _load(name)
    by_share = pairwise_differences(data, "y1", "region", kind="top2", min_n=1, **DESIGN)
    for row, want in zip(by_share.itertuples(), expected["pairwise_region"]["top2_1"]["rows"], strict=True):
        assert _close(row.difference, want["estimate"]) and _close(row.se, want["se"], 1e-8)


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize(("method", "column"), [("holm", "holm_t"), ("fdr_bh", "bh_t")])
def test_family_adjustment_over_items_and_pairs_equals_p_adjust(name, method, column):
    data, expected = _load(name)
    got = compare_items(data, ["y1", "y2", "y3"], "region", min_n=1, method=method, **DESIGN)
    ref = expected["p_adjust"]["rows"]
    assert len(got) == len(ref)
    for row, want in zip(got.itertuples(), ref, strict=True):
        assert (row.item, row.group_a, row.group_b) == (want["item"], want["a"], want["b"])
        if want[column] is None:
            assert np.isnan(row.pvalue_adj) and not row.significant
        else:
            assert _close(row.pvalue_adj, want[column], 1e-6)
            assert row.significant == (want[column] < 0.05)


def _filter(data: pd.DataFrame, text: str) -> np.ndarray:
    column, value = (part.strip().strip('"') for part in text.split("=="))
    return (data[column] == value).to_numpy()


@pytest.mark.parametrize("name", ["nested", "crossed", "crossed_type"])
def test_filtered_views_are_domains_of_the_full_design(name):
    """A customer-type filter or a region scope: ``subset(des, …)``, not a re-designed subset."""
    data, expected = _load(name)
    block = expected["domain"]
    mask = _filter(data, block["filter"])
    overall = domain_estimates(data, "y1", None, domain=mask, **DESIGN)
    assert _close(overall.estimate[0], block["overall"]["estimate"])
    assert _close(overall.se()[0], block["overall"]["se"])
    for by in ("region", "district", "ctype"):
        if f"by_{by}" not in block:
            continue
        ref = block[f"by_{by}"]
        r = domain_estimates(data, "y1", by, domain=mask, **DESIGN)
        assert list(r.keys) == ref["labels"]
        for k, row in enumerate(ref["rows"]):
            assert _close(r.estimate[k], row["estimate"]) and _close(r.se()[k], row["se"]), row
        pairs = pairwise_differences(data, "y1", by, domain=mask, min_n=1, **DESIGN)
        for row, want in zip(pairs.itertuples(), block[f"pairwise_{by}"]["rows"], strict=True):
            assert _close(row.difference, want["estimate"]) and _close(row.se, want["se"], 1e-8)
            if want["p_t"] is not None:
                assert _close(row.pvalue, want["p_t"], 1e-6)


def test_a_resubset_would_have_given_other_standard_errors():
    """The check above can fail: re-designing the filtered rows changes the SEs of a crossed design."""
    data, expected = _load("crossed")
    block = expected["domain"]
    mask = _filter(data, block["filter"])
    part = data[mask].copy()
    part["w"] = part["N_h"] / part.groupby("stratum")["y1"].transform("size")
    r = domain_estimates(part, "y1", "region", **DESIGN)
    differ = [abs(r.se()[k] - row["se"]) / row["se"] for k, row in enumerate(block["by_region"]["rows"])]
    assert max(differ) > 0.05


def _poststratified() -> tuple[pd.DataFrame, dict]:
    data, expected = _load("poststrat")
    totals = pd.read_csv(HERE / "designs_v2" / "poststrat_totals.csv")
    cells = data["region"] + "|" + data["ctype"]
    data = data.assign(cell=cells, w0=data["w"])
    data["w"] = poststratify(data, weight="w0", cell="cell",
                             totals=dict(zip(totals["region"] + "|" + totals["ctype"], totals["Freq"], strict=True)))  # fmt: skip
    return data, expected["poststrat"]


def test_poststratified_standard_errors_equal_postStratify():
    data, ref = _poststratified()
    assert _close(float(data["w"].sum()), ref["weight_sum"])
    post = PostStrata(cell="cell", base_weight="w0")
    overall = domain_estimates(data, "y1", None, post=post, **DESIGN)
    assert _close(overall.estimate[0], ref["mean_overall"]["estimate"])
    assert _close(overall.se()[0], ref["mean_overall"]["se"]), (overall.se(), ref["mean_overall"]["se"])
    r = domain_estimates(data, "y1", "region", post=post, **DESIGN)
    for k, row in enumerate(ref["mean_by_region"]["rows"]):
        assert _close(r.estimate[k], row["estimate"]) and _close(r.se()[k], row["se"]), row
    np.testing.assert_allclose(
        r.cov, np.array(ref["mean_by_region"]["vcov"], dtype=float), rtol=1e-8, atol=1e-14
    )
    pairs = pairwise_differences(data, "y1", "region", post=post, min_n=1, **DESIGN)
    for row, want in zip(pairs.itertuples(), ref["pairwise_region_y1"]["rows"], strict=True):
        assert _close(row.difference, want["estimate"]) and _close(row.se, want["se"], 1e-8)


def test_treating_poststratified_weights_as_fixed_would_be_wrong():
    data, ref = _poststratified()
    fixed = domain_estimates(data, "y1", None, **DESIGN)
    assert abs(fixed.se()[0] - ref["mean_overall"]["se"]) / ref["mean_overall"]["se"] > 0.01


def test_small_groups_are_not_tested():
    data, _ = _load("tiny")
    pairs = pairwise_differences(data, "y1", "region", min_n=30, **DESIGN)
    small = pairs[(pairs["n_a"] < 30) | (pairs["n_b"] < 30)]
    assert len(small) and not small["tested"].any() and small["pvalue"].isna().all()
    assert pairs.loc[(pairs["n_a"] >= 30) & (pairs["n_b"] >= 30), "tested"].all()
