"""Monte Carlo check of issue 10, item 8: ineligible units replaced from the reserve. Weights built on the
eligible population (``analysis.weights.eligible_population``) are unbiased; weights on the frame counts are
not. The rest of issue 10's Monte Carlo checks are tests/analysis/test_simulations.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.estimates import survey_mean
from analysis.weights import eligible_population
from tests.analysis.test_simulations import CHUNK, _frozen_heap, likert_population  # noqa: F401 (autouse fixture)

pytestmark = pytest.mark.simulation


# ---------------------------------------------------------------------------------------------------------
# Item 8: ineligible units replaced from the reserve
# ---------------------------------------------------------------------------------------------------------

ELIG_N = np.array([3000, 2000])
INELIGIBLE = np.array([300, 800])  # 10% and 40% not eligible (wrong number, not a customer)
ELIG_PROBS = [[0.03, 0.05, 0.12, 0.40, 0.40], [0.10, 0.15, 0.30, 0.30, 0.15]]
TARGET_n = np.array([300, 300])  # eligible units sampled per stratum (the sample plus released reserves)
RESPOND = np.array([0.7, 0.5])  # response among eligible units


def _exact_expectations(means: np.ndarray) -> tuple[float, float]:
    """E[Σ_h N_h n_h / (n_h + X_h)] and E[Σ_h N̂_h Ȳ_h / Σ_h N̂_h] with X_h ~ nhypergeom(N_h, K_h, n_h),
    independent across strata; given X_h the eligible units found are an SRS of the eligible units, so
    E[ȳ_h | X] = Ȳ_h (response is independent of y within the stratum)."""
    nhat, prob = [], []
    for N, K, n in zip(ELIG_N, INELIGIBLE, TARGET_n, strict=True):
        x = np.arange(K + 1)
        prob.append(stats.nhypergeom(N, K, n).pmf(x))
        nhat.append(N * n / (n + x))
    total = sum(float(p @ v) for p, v in zip(prob, nhat, strict=True))
    joint = np.outer(prob[0], prob[1])
    a, b = np.meshgrid(nhat[0], nhat[1], indexing="ij")
    mean = float(np.sum(joint * (a * means[0] + b * means[1]) / (a + b)))
    return total, mean


def test_eligible_population_weights_are_unbiased_and_frame_weights_are_not():
    """Two strata with 10% and 40% ineligible units and different eligible means. Units are taken in random
    order (the sample, then the reserve) until n_h eligible ones are found; each eligible unit responds
    with probability ρ_h. ``N̂_h = eligible_population(N_h, E_h, NE_h)`` and weights ``N̂_h / r_h``: Σw and
    the weighted mean agree with the truth (within 3 MC SEs, allowing for the exact O(1/n) bias of the
    proportional e, which is < 5% of the estimator's SD); weights ``N_h / r_h`` overstate the population by
    the ineligible share and bias the mean by many MC SEs — the contrast."""
    rng = np.random.default_rng(8808)
    eligible_values = [
        likert_population(rng, N - K, p) for N, K, p in zip(ELIG_N, INELIGIBLE, ELIG_PROBS, strict=True)
    ]
    true_size = float(sum(len(v) for v in eligible_values))
    true_means = np.array([v.mean() for v in eligible_values])
    true_mean = float(np.concatenate(eligible_values).mean())
    exact_size, exact_mean = _exact_expectations(true_means)
    frames = [
        np.concatenate([v, np.full(K, np.nan)]) for v, K in zip(eligible_values, INELIGIBLE, strict=True)
    ]
    R = 4000
    size_hat = np.zeros(R)
    size_frame = np.zeros(R)
    mean_hat = np.zeros(R)
    mean_frame = np.zeros(R)
    for start in range(0, R, CHUNK):
        cols = {"rep": [], "stratum": [], "y": [], "w_hat": [], "w_frame": [], "N_hat": [], "N_h": []}
        for rep in range(start, start + CHUNK):
            for h, (unit_y, N, n) in enumerate(zip(frames, ELIG_N, TARGET_n, strict=True)):
                order = rng.permutation(N)
                eligible = ~np.isnan(unit_y[order])
                stop = int(np.flatnonzero(eligible)[n - 1]) + 1  # the n-th eligible unit ends the draws
                met = unit_y[order[:stop]]
                E, NE = int((~np.isnan(met)).sum()), int(np.isnan(met).sum())
                assert E == n
                found = met[~np.isnan(met)]
                y = found[rng.random(n) < RESPOND[h]]
                r = len(y)
                N_hat = eligible_population(float(N), E, NE)
                size_hat[rep] += N_hat  # Σ of the r weights N̂_h / r_h
                size_frame[rep] += N
                cols["rep"].append(np.full(r, rep))
                cols["stratum"].append(np.full(r, rep * 2 + h))
                cols["y"].append(y)
                cols["w_hat"].append(np.full(r, N_hat / r))
                cols["w_frame"].append(np.full(r, N / r))
                cols["N_hat"].append(np.full(r, N_hat))
                cols["N_h"].append(np.full(r, float(N)))
        data = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
        sums = data.groupby("rep")["w_hat"].sum().to_numpy()
        np.testing.assert_allclose(sums, size_hat[start : start + CHUNK], rtol=1e-12)
        for w, fpc, out in (("w_hat", "N_hat", mean_hat), ("w_frame", "N_h", mean_frame)):
            est = survey_mean(data, "y", strata="stratum", weights=w, fpc=fpc, by="rep")
            out[start : start + CHUNK] = est["estimate"].to_numpy()

    def z(values: np.ndarray, target: float) -> float:
        return (values.mean() - target) / (values.std(ddof=1) / math.sqrt(R))

    se_size = size_hat.std(ddof=1) / math.sqrt(R)
    se_mean = mean_hat.std(ddof=1) / math.sqrt(R)
    print(
        f"\nitem 8 (R={R}): eligible population {true_size:.0f}; Σ N̂_h/r_h weights {size_hat.mean():.1f} "
        f"(MC SE {se_size:.2f}, exact E {exact_size:.1f}, z vs truth {z(size_hat, true_size):.2f}); "
        f"Σ N_h/r_h {size_frame.mean():.0f} ({size_frame.mean() / true_size - 1:+.1%}). Mean: truth "
        f"{true_mean:.4f}, N̂ weights {mean_hat.mean():.4f} (MC SE {se_mean:.4f}, exact E {exact_mean:.4f}, "
        f"z {z(mean_hat, true_mean):.2f}), N weights {mean_frame.mean():.4f} (z {z(mean_frame, true_mean):.1f})"
    )
    # the estimator's own bias is tiny: < 5% of its SD (0.06% relative here), O((1 − e_h)/n_h)
    assert abs(exact_size - true_size) < 0.05 * size_hat.std(ddof=1)
    assert abs(exact_mean - true_mean) < 0.05 * mean_hat.std(ddof=1)
    assert abs(size_hat.mean() - exact_size) <= 3 * se_size
    assert abs(size_hat.mean() - true_size) <= 3 * se_size + abs(exact_size - true_size)
    assert abs(mean_hat.mean() - exact_mean) <= 3 * se_mean
    assert abs(mean_hat.mean() - true_mean) <= 3 * se_mean + abs(exact_mean - true_mean)
    # frame weights: the population by the ineligible share (1100 / 3900 = +28%), the mean by many MC SEs
    np.testing.assert_allclose(size_frame, ELIG_N.sum())
    assert size_frame.mean() / true_size - 1 == pytest.approx(INELIGIBLE.sum() / true_size)
    frame_mean = float(ELIG_N @ true_means / ELIG_N.sum())  # E of Σ N_h ȳ_h / Σ N_h
    assert abs(mean_frame.mean() - frame_mean) <= 3 * mean_frame.std(ddof=1) / math.sqrt(R)
    assert abs(z(mean_frame, true_mean)) > 10
