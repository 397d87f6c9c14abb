"""Monte Carlo checks of the statistical promises of issue 10 (items 3, 4 and 7; item 8 is
tests/analysis/test_simulation_eligibility.py).

Written independently of the implementation: every population, sample and reference formula is built here,
and the code under test is only called through its public functions. Each test uses its own
``numpy.random.Generator`` with a fixed seed, and every bound comes from the Monte Carlo (MC) error of R
replicates: a rejection rate p is estimated with SE ``sqrt(p (1 − p) / R)``, and a bound of 3 such SEs
around the nominal (or theoretical) rate fails a correct implementation with probability ≈ 0.1–0.3%.

Reference formulas relied on (R equivalents in the comments):

* Holm (1979): ``p.adjust(p, "holm")`` = ``pmin(1, cummax((m − i + 1) p_(i)))``;
  Benjamini-Hochberg (1995): ``p.adjust(p, "BH")`` = ``pmin(1, cummin(m / i · p_(i)))`` from the largest.
  Under the global null FDR = FWER = P(at least one rejection).
* Disjoint SRS of sizes n₁, n₂ from one population of N (Cochran 1977, §12.4):
  ``Cov(ȳ₁, ȳ₂) = −S²/N`` and ``V(ȳ₁ − ȳ₂) = (1/n₁ − 1/N)S² + (1/n₂ − 1/N)S² + 2S²/N = S²(1/n₁ + 1/n₂)``,
  stratum by stratum; so the no-fpc SEs (R ``svydesign(ids = ~1, strata = ~h, weights = ~w)`` without
  ``fpc``) are right, and fpc SEs understate the SD of the change by ``sqrt(1 − f)``, giving a z test at
  nominal 5% a true size of ``2 Φ(−1.96 sqrt(1 − f))`` (6.6% at f = 0.12, 10.1% at f = 0.30).
* Reserve replacement of ineligible units is inverse sampling: in a stratum of N units, K ineligible,
  units are taken in random order until n eligible ones are found, so the number X of ineligible units
  met is negative hypergeometric (``scipy.stats.nhypergeom(N, K, n)``). ``e = n / (n + X)`` (AAPOR's
  proportional e) gives ``N̂ = N e`` with an exact expectation computed here from that pmf; its relative
  bias is O((1 − e)/n) (Haldane's ``(n − 1)/(n + X − 1)`` would be exactly unbiased).

statsmodels' ``multipletests(method="holm")`` calls ``gc.collect()`` on every call (statsmodels 0.15,
``stats/multitest.py``), ~0.15 s in a large process; the autouse fixture freezes the existing heap
(``gc.freeze``) so those collections are cheap. It changes no result.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.compare import kruskal_regions, rao_scott_chisq
from analysis.contrasts import compare_items
from analysis.estimates import survey_mean
from analysis.indicators import round_change

pytestmark = pytest.mark.simulation

ALPHA = 0.05
LIKERT = np.arange(1, 6)


@pytest.fixture(autouse=True)
def _frozen_heap():
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


def mc_se(p: float, R: int) -> float:
    """MC standard error of a rate p estimated from R independent replicates."""
    return math.sqrt(p * (1 - p) / R)


def holm(p: np.ndarray) -> np.ndarray:
    """R ``p.adjust(p, "holm")``."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def bh(p: np.ndarray) -> np.ndarray:
    """R ``p.adjust(p, "BH")``."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")[::-1]
    adj = np.minimum(1.0, np.minimum.accumulate(m / np.arange(m, 0, -1) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def likert_population(rng: np.random.Generator, size: int, probs) -> np.ndarray:
    return rng.choice(LIKERT, size=size, p=probs).astype(float)


# ---------------------------------------------------------------------------------------------------------
# Item 3: identical regions, different response mixes by customer type
# ---------------------------------------------------------------------------------------------------------

REGIONS = ("A", "B", "C", "D")
# customer types: residential (many, satisfied) and business (fewer, less satisfied)
TYPE_N = {"res": 2000, "bus": 500}
TYPE_PROBS = {"res": [0.02, 0.05, 0.13, 0.35, 0.45], "bus": [0.08, 0.15, 0.25, 0.32, 0.20]}
# response probability by region × type: A answers mostly as residential, D mostly as business
RESPONSE = {"A": {"res": 0.8, "bus": 0.1}, "B": {"res": 0.6, "bus": 0.3},
            "C": {"res": 0.4, "bus": 0.5}, "D": {"res": 0.2, "bus": 0.7}}  # fmt: skip
DRAWN = 200  # units drawn per stratum (region × type) before nonresponse


def test_identical_regions_with_different_response_mixes_are_not_declared_different():
    """Strata = region × type; every region's population is the same set of units (so every region's true
    mean and top-2-box share are equal), types differ in mean (≈ 4.1 vs 3.4) and response rates by type
    differ across regions. Response depends on region × type only, so respondents are an SRS of their
    stratum and ``w = N_h / r_h`` (R: ``svydesign(ids=~1, strata=~stratum, weights=~w, fpc=~N_h)``).

    The design-based family (6 pairs × mean and top-2-box, Holm) must reject at most 5% + MC error, each
    unadjusted pairwise p-value ≈ 5% of the time, Rao-Scott on top-2-box × region ≈ 5%; Kruskal-Wallis on
    the unweighted scores (the respondents' type mix) rejects almost always — the contrast."""
    rng = np.random.default_rng(20260310)
    pops = {t: likert_population(rng, TYPE_N[t], TYPE_PROBS[t]) for t in TYPE_N}
    R = 500
    family_any = np.zeros(R, dtype=bool)
    raw_share = np.zeros(R)
    rao_scott = np.zeros(R, dtype=bool)
    kruskal = np.zeros(R, dtype=bool)
    for rep in range(R):
        cols = {"region": [], "stratum": [], "w": [], "N_h": [], "y": []}
        for g in REGIONS:
            for t, N in TYPE_N.items():
                idx = rng.choice(N, size=DRAWN, replace=False)
                y = pops[t][idx[rng.random(DRAWN) < RESPONSE[g][t]]]
                for key, value in (("region", g), ("stratum", f"{g}|{t}"), ("w", N / len(y)), ("N_h", N)):
                    cols[key].append(np.full(len(y), value))
                cols["y"].append(y)
        data = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
        data["top2"] = (data["y"] >= 4).astype(int)
        res = compare_items(data, ["y"], "region", strata="stratum", weights="w", fpc="N_h",
                            kinds=("mean", "top2"), method="holm", min_n=30)  # fmt: skip
        assert len(res) == 12 and res["tested"].all()
        family_any[rep] = res["significant"].any()
        raw_share[rep] = (res["pvalue"] < ALPHA).mean()
        rao_scott[rep] = rao_scott_chisq(data, "top2", "region", strata="stratum", weights="w",
                                         fpc="N_h").pvalue < ALPHA  # fmt: skip
        kruskal[rep] = kruskal_regions(data, "y", "region").pvalue < ALPHA
    fwer, raw, rs, kw = family_any.mean(), raw_share.mean(), rao_scott.mean(), kruskal.mean()
    print(f"\nitem 3 (R={R}): Holm family FWER {fwer:.3f}, unadjusted per-test rate {raw:.4f}, "
          f"Rao-Scott {rs:.3f}, Kruskal-Wallis {kw:.3f}")  # fmt: skip
    assert fwer <= ALPHA + 3 * mc_se(ALPHA, R), fwer
    # the 12 unadjusted tests of a replicate are correlated: MC SE from the per-replicate shares
    assert abs(raw - ALPHA) <= 3 * raw_share.std(ddof=1) / math.sqrt(R), raw
    assert abs(rs - ALPHA) <= 3 * mc_se(ALPHA, R), rs
    assert kw >= 0.9, kw  # the SRS rank test mistakes the response mix for a regional difference


# ---------------------------------------------------------------------------------------------------------
# Item 4: multiplicity over items × pairs
# ---------------------------------------------------------------------------------------------------------

ITEM_PROBS = [
    [0.02, 0.05, 0.13, 0.35, 0.45],
    [0.05, 0.10, 0.20, 0.35, 0.30],
    [0.10, 0.15, 0.25, 0.30, 0.20],
    [0.01, 0.04, 0.15, 0.40, 0.40],
    [0.03, 0.07, 0.30, 0.35, 0.25],
    [0.15, 0.15, 0.20, 0.25, 0.25],
    [0.02, 0.03, 0.10, 0.25, 0.60],
    [0.05, 0.05, 0.40, 0.30, 0.20],
    [0.04, 0.08, 0.18, 0.40, 0.30],
    [0.10, 0.10, 0.10, 0.30, 0.40],
]
ITEMS = [f"q{k}" for k in range(len(ITEM_PROBS))]
REGION_N = 1500
REGION_n = {"A": 60, "B": 90, "C": 120, "D": 150}


def test_family_of_items_and_pairs_controls_the_familywise_and_false_discovery_rate():
    """10 null items × 4 regions (6 pairs, 60 tests). Each region's population is the same 1,500 units with
    10 independent items; strata = region, SRS of n_g, ``w = N/n_g``, fpc N. Over the whole family,
    Holm: P(≥ 1 significant) ≤ 5% + MC error; BH: FDR = FWER (global null) ≤ 5% + MC error. Adjusting
    within each item only (``compare_items`` item by item) gives ≈ 1 − (1 − a)^10 with a the per-item
    FWER — far above 5%, the contrast."""
    rng = np.random.default_rng(4410)
    pop = np.column_stack([likert_population(rng, REGION_N, p) for p in ITEM_PROBS])
    R = 300
    CHECKED = 5  # replicates where the item-by-item and BH calls of compare_items are made and compared
    family_holm = np.zeros(R, dtype=bool)
    family_bh = np.zeros(R, dtype=bool)
    per_item = np.zeros((R, len(ITEMS)), dtype=bool)
    design = dict(strata="stratum", weights="w", fpc="N_h")
    regions = np.repeat(list(REGION_n), list(REGION_n.values()))
    weights = np.repeat([REGION_N / n for n in REGION_n.values()], list(REGION_n.values()))
    for rep in range(R):
        rows = np.concatenate([pop[rng.choice(REGION_N, size=n, replace=False)] for n in REGION_n.values()])
        data = pd.DataFrame(rows, columns=ITEMS)
        data.insert(0, "region", regions)
        data.insert(1, "stratum", regions)
        data["w"], data["N_h"] = weights, float(REGION_N)
        fam = compare_items(data, ITEMS, "region", method="holm", **design)
        assert len(fam) == 60 and fam["tested"].all()
        p = fam["pvalue"].to_numpy()
        # the whole family is adjusted together (R: p.adjust(p, "holm") over all 60)
        np.testing.assert_allclose(fam["pvalue_adj"].to_numpy(), holm(p), rtol=1e-12, atol=1e-15)
        family_holm[rep] = fam["significant"].any()
        family_bh[rep] = (bh(p) < ALPHA).any()
        for k, item in enumerate(ITEMS):
            per_item[rep, k] = (holm(p[(fam["item"] == item).to_numpy()]) < ALPHA).any()
        if rep < CHECKED:  # the shortcuts above are what compare_items itself does
            bh_call = compare_items(data, ITEMS, "region", method="fdr_bh", **design)
            np.testing.assert_allclose(bh_call["pvalue_adj"].to_numpy(), bh(p), rtol=1e-12, atol=1e-15)
            for k, item in enumerate(ITEMS):
                alone = compare_items(data, [item], "region", method="holm", **design)
                assert alone["significant"].any() == per_item[rep, k]
    fwer, fdr = family_holm.mean(), family_bh.mean()
    union = per_item.any(axis=1).mean()
    a = per_item.mean(axis=0)
    predicted = 1 - np.prod(1 - a)  # items are independent
    print(f"\nitem 4 (R={R}): Holm over items × pairs FWER {fwer:.3f}, BH FDR {fdr:.3f}; Holm within items "
          f"FWER {union:.3f} (per-item mean {a.mean():.3f}, 1 − Π(1 − a_k) = {predicted:.3f}, "
          f"1 − 0.95^10 = {1 - 0.95**10:.3f})")  # fmt: skip
    bound = ALPHA + 3 * mc_se(ALPHA, R)
    assert fwer <= bound, fwer
    assert fdr <= bound, fdr
    assert union > bound and union >= 3 * max(fwer, 1 / R), union
    assert abs(union - predicted) <= 4 * mc_se(predicted, R), (union, predicted)


# ---------------------------------------------------------------------------------------------------------
# Item 7: the change between two rotated (disjoint) rounds
# ---------------------------------------------------------------------------------------------------------

TREND_N = np.array([1000, 600, 400])
TREND_PROBS = [[0.02, 0.05, 0.13, 0.35, 0.45], [0.05, 0.10, 0.25, 0.35, 0.25], [0.10, 0.15, 0.30, 0.30, 0.15]]
CHUNK = 100  # replicates stacked into one survey_mean call


def _rounds_frame(pops, n_h, rng, reps: int) -> pd.DataFrame:
    """``reps`` pairs of disjoint stratified SRS (round 0, round 1) of one population, stacked: stratum
    codes are unique per (replicate, round, h), so each (replicate, round) domain holds whole strata and
    its domain estimate equals that round's own design-based estimate."""
    cols = {"rep": [], "round": [], "stratum": [], "w": [], "N_h": [], "y": []}
    H = len(pops)
    for h, (pop, n) in enumerate(zip(pops, n_h, strict=True)):
        N = len(pop)
        order = np.argsort(rng.random((reps, N)), axis=1)  # a random permutation per replicate
        for rnd in (0, 1):
            y = pop[order[:, rnd * n : (rnd + 1) * n]]  # round 1 takes the next n units: disjoint
            rep = np.repeat(np.arange(reps), n)
            cols["rep"].append(rep)
            cols["round"].append(np.full(reps * n, rnd))
            cols["stratum"].append((rep * 2 + rnd) * H + h)
            cols["w"].append(np.full(reps * n, N / n))
            cols["N_h"].append(np.full(reps * n, float(N)))
            cols["y"].append(y.ravel())
    return pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})


@pytest.mark.parametrize("f", [0.12, 0.30])
def test_change_between_rotated_rounds_has_nominal_size_without_fpc(f):
    """Two rounds as disjoint stratified SRS (proportional, sampling fraction f in every stratum) of one
    fixed population with equal means by construction: ``survey_mean(..., fpc=None)`` per round then
    ``round_change`` rejects 5% ± MC error, and mean(SE²) matches the MC variance of the change; the same
    test with fpc SEs has size ``2Φ(−1.96 sqrt(1 − f))`` (too often at f = 0.30) — the contrast."""
    rng = np.random.default_rng(7000 + int(round(100 * f)))
    pops = [likert_population(rng, N, p) for N, p in zip(TREND_N, TREND_PROBS, strict=True)]
    n_h = np.rint(f * TREND_N).astype(int)
    R = 2000
    results = {}
    for fpc in (None, "N_h"):
        results[fpc] = {"diff": [], "var": [], "reject": []}
    first = None
    for _ in range(R // CHUNK):
        frame = _rounds_frame(pops, n_h, rng, CHUNK)
        if first is None:
            first = frame[frame["rep"] == 0]
        for fpc in (None, "N_h"):
            est = survey_mean(frame, "y", strata="stratum", weights="w", fpc=fpc, by=["rep", "round"])
            assert len(est) == 2 * CHUNK and (est["n"] == n_h.sum()).all()
            e = est["estimate"].to_numpy().reshape(CHUNK, 2)
            s = est["se"].to_numpy().reshape(CHUNK, 2)
            for k in range(CHUNK):
                change = round_change(e[k, 0], s[k, 0], e[k, 1], s[k, 1])
                results[fpc]["diff"].append(change.difference)
                results[fpc]["var"].append(change.se**2)
                results[fpc]["reject"].append(change.pvalue < ALPHA)
    # the stacked domain estimate is the round's own estimate (checked on replicate 0, round 0)
    own = first[first["round"] == 0]
    for fpc in (None, "N_h"):
        alone = survey_mean(own, "y", strata="stratum", weights="w", fpc=fpc)
        stacked = survey_mean(first, "y", strata="stratum", weights="w", fpc=fpc, by="round")
        np.testing.assert_allclose([alone["estimate"][0], alone["se"][0]],
                                   [stacked["estimate"][0], stacked["se"][0]], rtol=1e-12)  # fmt: skip
    diff = np.asarray(results[None]["diff"])
    mc_var = diff.var(ddof=1)
    rel = 3 * math.sqrt(2 / (R - 1))  # MC error of a sample variance of R ≈ normal values
    size = {fpc: float(np.mean(results[fpc]["reject"])) for fpc in results}
    ratio = {fpc: float(np.mean(results[fpc]["var"]) / mc_var) for fpc in results}
    theory_fpc = 2 * stats.norm.sf(stats.norm.ppf(1 - ALPHA / 2) * math.sqrt(1 - f))
    print(
        f"\nitem 7 f={f} (R={R} pairs): size without fpc {size[None]:.4f} (mean SE²/MC var "
        f"{ratio[None]:.3f}); with fpc {size['N_h']:.4f} (theory {theory_fpc:.4f}, ratio {ratio['N_h']:.3f})"
    )
    assert abs(size[None] - ALPHA) <= 3 * mc_se(ALPHA, R), size[None]
    assert abs(ratio[None] - 1) <= rel, ratio[None]
    assert abs(ratio["N_h"] - (1 - f)) <= rel * (1 - f), ratio["N_h"]
    assert abs(size["N_h"] - theory_fpc) <= 3 * mc_se(theory_fpc, R), size["N_h"]
    if f >= 0.3:
        assert size["N_h"] > ALPHA + 3 * mc_se(ALPHA, R), size["N_h"]
