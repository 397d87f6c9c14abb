"""Survey weights: base weights, nonresponse adjustment, post-stratification, raking.

The weighting chain of a round (DESIGN.md, Statistics):

1. base weight ``N_h / n_h`` (inverse inclusion probability of stratified SRS);
2. weighting-class nonresponse adjustment within strata, so respondents carry the stratum
   (``N_h / r_h`` when the base weights in a stratum are equal);
3. optionally post-stratification or raking to known population totals;
4. a summary with Kish's design effect due to unequal weighting.

All functions are pure (pandas / numpy) and vectorised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "RakingDidNotConverge",
    "WeightSummary",
    "base_weights",
    "eligible_population",
    "nonresponse_adjust",
    "poststratify",
    "rake",
    "weight_summary",
]


class RakingDidNotConverge(RuntimeError):
    "Raking did not reach the margins within max_iter iterations"


@dataclass(frozen=True)
class WeightSummary:
    """Summary of a set of weights.

    Attributes
    ----------
    n : number of weights.
    sum : sum of the weights (estimated population size).
    min, max : smallest and largest weight.
    cv : coefficient of variation ``sd / mean`` with the population sd (ddof=0).
    kish_deff : Kish's design effect due to weighting, ``n Σw² / (Σw)² = 1 + cv²``.
    effective_n : ``n / kish_deff = (Σw)² / Σw²``.
    """

    n: int
    sum: float
    min: float
    max: float
    cv: float
    kish_deff: float
    effective_n: float


def _require_frame(df: object) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, but got {type(df).__name__}")
    return df


def _require_column(df: pd.DataFrame, name: str, parameter: str) -> pd.Series:
    if name not in df.columns:
        raise ValueError(f"{parameter} must name a column of df, but got {name!r}")
    return df[name]


def _weight_values(values: pd.Series, parameter: str) -> np.ndarray:
    w = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = values[~(np.isfinite(w) & (w >= 0))].iloc[0]
        raise ValueError(f"{parameter} must hold finite non-negative weights, but got {bad!r}")
    return w


def base_weights(
    N_h: float | np.ndarray | pd.Series, n_h: float | np.ndarray | pd.Series
) -> np.ndarray | pd.Series:
    """Base (design) weights ``N_h / n_h`` of stratified simple random sampling.

    The inverse of the inclusion probability ``π = n_h / N_h`` (Lohr 2019, *Sampling: Design
    and Analysis*, 3rd ed., §3.2; Cochran 1977, §5.1).

    Parameters
    ----------
    N_h, n_h : scalar, array or Series
        Stratum population and sample sizes, broadcast against each other.

    Returns
    -------
    Series if either input is a Series (index of the first Series), else ndarray / float.

    Examples
    --------
    >>> base_weights(np.array([100, 30]), np.array([10, 3])).tolist()
    [10.0, 10.0]
    """
    N = np.asarray(N_h, dtype=float)
    n = np.asarray(n_h, dtype=float)
    if np.any(~np.isfinite(n)) or np.any(n <= 0):
        raise ValueError(f"n_h must be positive, but got {n_h!r}")
    if np.any(~np.isfinite(N)) or np.any(N < n):
        raise ValueError(f"N_h must be at least n_h, but got N_h={N_h!r}, n_h={n_h!r}")
    out = N / n
    for s in (N_h, n_h):
        if isinstance(s, pd.Series):
            return pd.Series(np.broadcast_to(out, (len(s),)), index=s.index, name="base_weight")
    return out if out.ndim else float(out)


def eligible_population(population: float, eligible: int, ineligible: int) -> float:
    """Estimated number of eligible units of a stratum: ``N̂_h = N_h · e_h``, ``e_h = E_h / (E_h + NE_h)``.

    ``E_h`` counts the sampled units found eligible (complete, partial, refusal, non-contact, other) and
    ``NE_h`` those found not eligible (wrong number, not a customer); units of unknown eligibility are left
    out, i.e. assumed eligible at the same rate — AAPOR's (2023) proportional estimate of *e*, applied per
    stratum. Replacing ineligible units by reserves keeps ``n_h`` but not ``N_h``: the frame holds ineligible
    units too, so weights ``N_h / r_h`` would overstate the population by the ineligible share; with
    ``N̂_h / r_h`` the weighted totals estimate the eligible population (Lohr 2019, §3.3 domain of eligible
    units: ``N̂_d = N_h · n_d / n_h`` under SRS within the stratum; Kalton & Flores-Cervantes 2003 on
    eligibility adjustment). ``N_h`` when no unit has a known eligibility. When ineligible units are replaced
    until ``n_h`` eligible ones are found (inverse sampling), ``E/(E + NE)`` is biased upwards by about
    ``(1 − e_h)/n_h`` relative (0.13% at e = 0.6, n = 300; simulated in tests/analysis/test_simulations.py),
    negligible beside its sampling error.

    >>> eligible_population(1000, eligible=45, ineligible=5)
    900.0
    """
    for name, value in (("eligible", eligible), ("ineligible", ineligible)):
        if isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative count, but got {value!r}")
    if not population > 0:
        raise ValueError(f"population must be positive, but got {population!r}")
    known = eligible + ineligible
    return float(population) if known == 0 else float(population) * eligible / known


def nonresponse_adjust(df: pd.DataFrame, *, stratum: str, base_weight: str, responded: str) -> pd.Series:
    """Weighting-class nonresponse adjustment within strata.

    Each respondent's weight is multiplied by ``Σ_{sampled in h} w / Σ_{respondents in h} w``;
    nonrespondents get weight 0 (Lohr 2019, §8.5.2, weighting-class adjustment). With equal
    base weights ``N_h / n_h`` the factor is ``n_h / r_h`` and a respondent's weight is
    ``N_h / r_h``: the respondents carry their stratum.

    Parameters
    ----------
    df : DataFrame of all sampled units (respondents and nonrespondents).
    stratum : column with the stratum (the weighting class).
    base_weight : column with the base weight.
    responded : column, truthy for respondents.

    Returns
    -------
    Series named ``"weight"`` aligned with ``df``.

    Raises
    ------
    ValueError
        If a stratum has sampled units but no respondent: its weight cannot be carried by
        anyone. Collapse it with a neighbouring stratum before adjusting.

    Examples
    --------
    >>> d = pd.DataFrame({"h": ["a", "a", "a", "b"], "w": [10.0, 10, 10, 5], "r": [1, 1, 0, 1]})
    >>> nonresponse_adjust(d, stratum="h", base_weight="w", responded="r").tolist()
    [15.0, 15.0, 0.0, 5.0]
    """
    df = _require_frame(df)
    strata = _require_column(df, stratum, "stratum")
    w = _weight_values(_require_column(df, base_weight, "base_weight"), "base_weight")
    resp_col = _require_column(df, responded, "responded")
    if resp_col.isna().any():
        raise ValueError(f"responded must not contain missing values, but column {responded!r} has some")
    resp = resp_col.astype(bool).to_numpy()
    if strata.isna().any():
        raise ValueError(f"stratum must not contain missing values, but column {stratum!r} has some")
    codes, uniques = pd.factorize(strata, sort=True)
    total = np.bincount(codes, weights=w, minlength=len(uniques))
    resp_total = np.bincount(codes, weights=np.where(resp, w, 0.0), minlength=len(uniques))
    empty = (resp_total <= 0) & (total > 0)
    if empty.any():
        raise ValueError(
            f"stratum must have at least one respondent with a positive weight in every stratum, "
            f"but strata {list(uniques[empty])!r} have none"
        )
    factor = np.divide(total, resp_total, out=np.zeros_like(total), where=resp_total > 0)
    return pd.Series(np.where(resp, w * factor[codes], 0.0), index=df.index, name="weight")


def poststratify(df: pd.DataFrame, *, weight: str, cell: str, totals: Mapping[object, float]) -> pd.Series:
    """Post-stratify weights to known population totals per cell.

    ``w*_i = w_i · T_c / Σ_{j in c} w_j`` for unit i in post-stratum c, so the weights of each
    cell sum to its known total ``T_c`` (Lohr 2019, §4.4; Holt & Smith 1979).

    Parameters
    ----------
    df : DataFrame of respondents.
    weight : column with the current weights.
    cell : column with the post-stratum of each unit.
    totals : mapping cell -> known population total (positive).

    Raises
    ------
    ValueError
        If a unit's cell has no total, or a cell with a total has no positive weight in ``df``.

    Examples
    --------
    >>> d = pd.DataFrame({"w": [1.0, 1, 2], "c": ["x", "x", "y"]})
    >>> poststratify(d, weight="w", cell="c", totals={"x": 10, "y": 4}).tolist()
    [5.0, 5.0, 4.0]
    """
    df = _require_frame(df)
    w = _weight_values(_require_column(df, weight, "weight"), "weight")
    cells = _require_column(df, cell, "cell")
    if not isinstance(totals, Mapping):
        raise TypeError(f"totals must be a mapping of cell to total, but got {type(totals).__name__}")
    target = cells.map(lambda c: totals.get(c, np.nan)).to_numpy(dtype=float)
    if np.isnan(target).any():
        missing = sorted({str(c) for c in cells[np.isnan(target)]})
        raise ValueError(
            f"totals must give a total for every cell in column {cell!r}, but {missing!r} are missing"
        )
    bad_totals = {k: v for k, v in totals.items() if not (np.isfinite(v) and v > 0)}
    if bad_totals:
        raise ValueError(f"totals must be positive and finite, but got {bad_totals!r}")
    sums = pd.Series(w, index=df.index).groupby(cells.to_numpy()).sum()
    empty = [c for c in totals if sums.get(c, 0.0) <= 0]
    if empty:
        raise ValueError(f"totals must only name cells with respondents, but cells {empty!r} have none")
    cell_sum = cells.map(sums).to_numpy(dtype=float)
    return pd.Series(w * target / cell_sum, index=df.index, name="weight")


def rake(
    df: pd.DataFrame,
    *,
    weight: str,
    margins: Mapping[str, Mapping[object, float]],
    max_iter: int = 100,
    tol: float = 1e-8,
) -> pd.Series:
    """Rake weights to several known margins by iterative proportional fitting.

    Each iteration post-stratifies to every margin in turn (Deming & Stephan 1940, "On a
    least squares adjustment of a sampled frequency table when the expected marginal totals
    are known", *Ann. Math. Stat.* 11; Lohr 2019, §8.6.2). It stops when every weighted
    margin is within ``tol`` (relative) of its target.

    Parameters
    ----------
    df : DataFrame of respondents.
    weight : column with the starting weights.
    margins : mapping column -> {level: population total}; all margins must have the same
        grand total (within 1e-6 relative).
    max_iter : maximum number of full cycles over the margins.
    tol : relative convergence tolerance.

    Raises
    ------
    RakingDidNotConverge
        If the margins are not met after ``max_iter`` cycles (e.g. empty cells make them
        unattainable).

    Examples
    --------
    >>> d = pd.DataFrame({"w": [1.0, 1, 1, 1], "a": list("xxyy"), "b": list("uvuv")})
    >>> w = rake(d, weight="w", margins={"a": {"x": 30, "y": 10}, "b": {"u": 20, "v": 20}})
    >>> w.round(6).tolist()
    [15.0, 15.0, 5.0, 5.0]
    """
    df = _require_frame(df)
    w = _weight_values(_require_column(df, weight, "weight"), "weight")
    if not isinstance(margins, Mapping) or not margins:
        raise ValueError(f"margins must be a non-empty mapping of column to totals, but got {margins!r}")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, but got {max_iter!r}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, but got {tol!r}")
    prepared = []
    grand = []
    for column, totals in margins.items():
        cells = _require_column(df, column, "margins")
        target = cells.map(lambda c, t=totals: t.get(c, np.nan)).to_numpy(dtype=float)
        if np.isnan(target).any():
            missing = sorted({str(c) for c in cells[np.isnan(target)]})
            raise ValueError(
                f"margins[{column!r}] must give a total for every level, but {missing!r} are missing"
            )
        codes, uniques = pd.factorize(cells, sort=True)
        absent = [k for k in totals if k not in set(uniques)]
        if absent:
            raise ValueError(
                f"margins[{column!r}] must only name levels present in df, but {absent!r} are absent"
            )
        level_target = np.array([totals[u] for u in uniques], dtype=float)
        prepared.append((codes, level_target))
        grand.append(float(sum(totals.values())))
    if max(grand) - min(grand) > 1e-6 * max(grand):
        raise ValueError(f"margins must all have the same grand total, but got {grand!r}")
    w = w.copy()
    for _ in range(max_iter):
        for codes, level_target in prepared:
            sums = np.bincount(codes, weights=w, minlength=len(level_target))
            if np.any(sums <= 0):
                raise RakingDidNotConverge("a margin level has no positive weight left")
            w *= (level_target / sums)[codes]
        worst = max(np.max(np.abs(np.bincount(c, weights=w, minlength=len(t)) - t) / t) for c, t in prepared)
        if worst < tol:
            return pd.Series(w, index=df.index, name="weight")
    raise RakingDidNotConverge(
        f"raking did not converge in max_iter={max_iter} cycles (largest relative gap {worst:.3g})"
    )


def weight_summary(w: np.ndarray | pd.Series | list[float]) -> WeightSummary:
    """Summarise weights, with Kish's design effect due to unequal weighting.

    ``deff = n Σw² / (Σw)² = 1 + cv²`` (cv with the population sd) and effective sample size
    ``n / deff`` (Kish 1965, *Survey Sampling*, §11.7; Kish 1992, *J. Off. Stat.* 8).

    Examples
    --------
    >>> s = weight_summary([1.0, 1.0, 2.0, 4.0])
    >>> (s.n, s.sum, round(s.kish_deff, 4), round(s.effective_n, 4))
    (4, 8.0, 1.375, 2.9091)
    """
    values = np.asarray(w, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("w must contain at least one weight, but got an empty sequence")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            f"w must hold finite non-negative weights, but got {values[~(np.isfinite(values) & (values >= 0))][0]!r}"
        )
    total = float(values.sum())
    if total <= 0:
        raise ValueError(f"w must have a positive sum, but got {total!r}")
    n = int(values.size)
    mean = total / n
    deff = n * float(np.sum(values**2)) / total**2
    return WeightSummary(
        n=n,
        sum=total,
        min=float(values.min()),
        max=float(values.max()),
        cv=float(values.std(ddof=0) / mean),
        kish_deff=deff,
        effective_n=n / deff,
    )
