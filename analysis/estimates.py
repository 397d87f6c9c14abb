"""Design-based estimates (means, proportions, totals) with standard errors and CIs.

Design: stratified one-stage sampling (each respondent is its own PSU), weights ``w``,
optional finite population correction from the stratum population size ``N_h``. Every
row of ``data`` is a unit of the design; ``n_h`` is the number of rows in stratum h. The
results equal R ``survey``'s ::

    options(survey.lonely.psu = "adjust")
    des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = data)
    svymean(~y, des, na.rm = TRUE); svyby(~y, ~region, des, svymean, na.rm = TRUE)
    svyciprop(~I(y == 1), subset(des, !is.na(y)), method = "logit")  # or "beta"

Variance by Taylor linearisation (Lohr 2019, *Sampling: Design and Analysis*, 3rd ed.,
§9.1 and §4.3 for domains; Woodruff 1971): the mean ``ȳ_d = Σ w y / Σ w`` over domain d
has scores ``z_i = w_i (y_i − ȳ_d) / Σ_d w`` for units in the domain and ``z_i = 0`` for
every other unit of the design, and

    V(ȳ_d) = Σ_h (1 − n_h/N_h) · n_h/(n_h − 1) · Σ_{i∈h} (z_i − z̄_h)²,

summing over *all* n_h units of stratum h (Cochran 1977, eq. 5.9 / Lohr eq. 3.3). A
stratum with a single unit (``n_h = 1``) contributes ``(1 − 1/N_h) z_i²``: its score is
centred at the grand mean (zero) instead of the stratum mean, which is what R does with
``survey.lonely.psu = "adjust"``. Rows with missing ``y`` stay in the design (they count in
``n_h``) but leave the domain — domain estimation, as R's ``na.rm = TRUE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "survey_mean",
    "survey_proportion",
    "survey_total",
]

_LONELY_F_TOL = 1e-7  # R's onestrat: strata with f < 1e-7 (census) contribute nothing


@dataclass(frozen=True)
class _Design:
    """The per-row stratum codes and per-stratum variance factors of a design."""

    stratum: np.ndarray  # int code per row
    n_h: np.ndarray  # units per stratum
    factor: np.ndarray  # f_h n_h/(n_h-1), or f_h when n_h == 1, 0 when f_h < 1e-7
    center: np.ndarray  # bool per stratum: centre the scores at the stratum mean
    weights: np.ndarray


def _prepare(data: object, y: Sequence[str], strata: str, weights: str, fpc: str | None) -> _Design:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, but got {type(data).__name__}")
    for parameter, name in [("strata", strata), ("weights", weights), ("fpc", fpc)] + [("y", v) for v in y]:
        if name is not None and name not in data.columns:
            raise ValueError(f"{parameter} must name a column of data, but got {name!r}")
    if data[strata].isna().any():
        raise ValueError(f"strata must not contain missing values, but column {strata!r} has some")
    w = pd.to_numeric(data[weights], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"weights must be finite and non-negative, but column {weights!r} is not")
    codes, uniques = pd.factorize(data[strata], sort=True)
    n_strata = len(uniques)
    n_h = np.bincount(codes, minlength=n_strata).astype(float)
    if fpc is None:
        f = np.ones(n_strata)
    else:
        pop = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(pop)):
            raise ValueError(f"fpc must hold finite stratum population sizes, but column {fpc!r} does not")
        pop_h = np.full(n_strata, np.nan)
        pop_h[codes] = pop
        if np.any(pop != pop_h[codes]):
            raise ValueError(f"fpc must be constant within each stratum, but column {fpc!r} varies")
        if np.any(pop_h < n_h):
            bad = uniques[np.argmax(pop_h < n_h)]
            raise ValueError(
                f"fpc must be at least the stratum sample size n_h, but stratum {bad!r} has N_h < n_h"
            )
        f = (pop_h - n_h) / pop_h
    lonely = n_h == 1
    factor = np.where(lonely, f, f * n_h / np.where(lonely, 2.0, n_h - 1.0))
    factor = np.where(f < _LONELY_F_TOL, 0.0, factor)
    return _Design(stratum=codes, n_h=n_h, factor=factor, center=~lonely, weights=w)


def _domains(data: pd.DataFrame, by: str | list[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Domain code per row (-1 outside every domain) and the key table, sorted by the keys."""
    if by is None:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=range(1))
    by_cols = [by] if isinstance(by, str) else list(by)
    if not by_cols:
        raise ValueError(f"by must be a column name, a non-empty list of names or None, but got {by!r}")
    for b in by_cols:
        if b not in data.columns:
            raise ValueError(f"by must name columns of data, but got {b!r}")
    combined = np.zeros(len(data), dtype=np.int64)
    missing = np.zeros(len(data), dtype=bool)
    levels = []
    for b in by_cols:  # mixed-radix code, first column most significant (lexicographic order)
        codes, uniques = pd.factorize(data[b], sort=True)
        levels.append(uniques)
        missing |= codes < 0
        combined = combined * max(len(uniques), 1) + codes
    combined[missing] = -1
    radix = int(np.prod([max(len(u), 1) for u in levels], dtype=float))
    if radix <= 1_000_000:  # dense lookup table: O(n) instead of a sort
        seen = np.bincount(combined[~missing], minlength=radix) > 0
        present = np.flatnonzero(seen)
        lookup = np.cumsum(seen) - 1
        codes = np.where(missing, -1, lookup[np.where(missing, 0, combined)])
    else:
        present, dom = np.unique(combined[~missing], return_inverse=True)
        codes = np.full(len(data), -1, dtype=np.int64)
        codes[~missing] = dom
    digits = {}
    rest = present
    for b, uniques in zip(reversed(by_cols), reversed(levels), strict=True):
        digits[b] = np.asarray(uniques)[rest % max(len(uniques), 1)]
        rest = rest // max(len(uniques), 1)
    keys = pd.DataFrame({b: pd.Series(digits[b], dtype=data[b].dtype) for b in by_cols})
    return codes, keys


def _domain_var(design: _Design, scores: np.ndarray, key: np.ndarray, n_dom: int) -> np.ndarray:
    """Linearised variance per domain; ``key = domain · H + stratum`` (the dummy bin ``n_dom · H``
    collects the units outside every domain, whose scores are zero)."""
    n_strata = len(design.n_h)
    size = n_dom * n_strata
    s1 = np.bincount(key, weights=scores, minlength=size + 1)[:size]
    count = np.bincount(key, minlength=size + 1)[:size].astype(float)
    n_h = np.tile(design.n_h, n_dom)
    mean = np.append(np.where(np.tile(design.center, n_dom), s1 / n_h, 0.0), 0.0)
    # Σ over all n_h units: in-domain squared deviations + (n_h − n_dh) zero-score units
    ss = np.bincount(key, weights=(scores - mean[key]) ** 2, minlength=size + 1)[:size]
    ss += (n_h - count) * mean[:size] ** 2
    return (ss * np.tile(design.factor, n_dom)).reshape(n_dom, n_strata).sum(axis=1)


def _check_confidence(confidence: float) -> float:
    if not isinstance(confidence, int | float) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), but got {confidence!r}")
    return float(confidence)


def _linearised(
    data: pd.DataFrame,
    values: np.ndarray,
    valid: np.ndarray,
    design: _Design,
    by: str | list[str] | None,
    kind: str,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    dom_all, keys = _domains(data, by)
    n_dom = len(keys)
    n_strata = len(design.n_h)
    inside = valid & (dom_all >= 0)
    dom = np.where(inside, dom_all, n_dom)  # dummy domain n_dom for units outside
    w = np.where(inside, design.weights, 0.0)
    wsum = np.bincount(dom, weights=w, minlength=n_dom + 1)
    wy = np.bincount(dom, weights=w * values, minlength=n_dom + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if kind == "mean":
            estimate = wy / wsum
            scores = np.where(inside, w * (values - estimate[dom]) / wsum[dom], 0.0)
        else:
            estimate = wy
            scores = w * values
        key = np.where(inside, dom * n_strata + design.stratum, n_dom * n_strata)
        var = _domain_var(design, scores, key, n_dom)
    n = np.bincount(dom, minlength=n_dom + 1)[:n_dom]
    # R's degf(): units with a positive weight minus strata among them, per domain
    positive = (w > 0).astype(float)
    n_pos = np.bincount(dom, weights=positive, minlength=n_dom + 1)[:n_dom]
    cells = np.bincount(key, weights=positive, minlength=n_dom * n_strata + 1)[: n_dom * n_strata]
    strata_in = (cells.reshape(n_dom, n_strata) > 0).sum(axis=1)
    estimate = estimate[:n_dom]
    out = keys.reset_index(drop=True)
    extra = {"var": var, "n": n, "degf": n_pos - strata_in, "estimate": estimate}
    return out, extra


def _finish(keys: pd.DataFrame, estimate, se, low, high, n) -> pd.DataFrame:
    out = keys.copy()
    out["estimate"] = estimate
    out["se"] = se
    out["ci_low"] = low
    out["ci_high"] = high
    out["n"] = np.asarray(n, dtype=np.int64)
    return out


def _numeric_y(data: pd.DataFrame, y: str) -> tuple[np.ndarray, np.ndarray]:
    col = data[y]
    if col.dtype == bool:
        col = col.astype(float)
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & col.notna().to_numpy()
    if bad.any():
        raise ValueError(f"y must be numeric, but column {y!r} holds {col[bad].iloc[0]!r}")
    valid = np.isfinite(values)
    return np.where(valid, values, 0.0), valid


def _normal_interval(data, y, strata, weights, fpc, by, confidence, kind: str) -> pd.DataFrame:
    """Linearised estimate (``kind`` mean or total) with a normal-quantile CI, as R's ``confint(svymean(...))``."""
    confidence = _check_confidence(confidence)
    design = _prepare(data, [y], strata, weights, fpc)
    values, valid = _numeric_y(data, y)
    keys, r = _linearised(data, values, valid, design, by, kind)
    se = np.sqrt(r["var"])
    z = stats.norm.ppf(0.5 + confidence / 2)
    return _finish(keys, r["estimate"], se, r["estimate"] - z * se, r["estimate"] + z * se, r["n"])


def survey_mean(
    data: pd.DataFrame,
    y: str,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Weighted mean of ``y`` (overall or per domain) with linearised SE and normal CI.

    Equals R ``svymean(~y, des, na.rm = TRUE)`` / ``svyby(~y, ~by, des, svymean, na.rm = TRUE)``
    with ``confint()`` (normal quantile, as R's default for ``svystat``); see the module
    docstring for the design and the variance formula (Lohr 2019, §3.3 and §4.3).

    Parameters
    ----------
    data : DataFrame, one row per unit of the design (respondent).
    y : column with the variable; missing values leave the domain but not the design.
    strata, weights : columns with the stratum and the weight.
    fpc : column with the stratum population size ``N_h``, or None for no fpc.
    by : domain column(s), or None for one overall row. Rows with a missing key are in no domain.
    confidence : confidence level of the interval.

    Returns
    -------
    DataFrame with columns ``[by…], estimate, se, ci_low, ci_high, n`` (``n``: units in the
    domain with non-missing ``y``), rows sorted by the ``by`` keys. A domain without weight
    has ``nan`` estimate.

    Examples
    --------
    SRS of 4 from N = 10 (one stratum): se² = s²/n · (1 − n/N).

    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 6], "h": 1, "w": 2.5, "N": 10})
    >>> r = survey_mean(d, "y", strata="h", weights="w", fpc="N")
    >>> round(float(r.estimate[0]), 6), round(float(r.se[0] ** 2), 6)
    (3.0, 0.7)
    """
    return _normal_interval(data, y, strata, weights, fpc, by, confidence, "mean")


def survey_total(
    data: pd.DataFrame,
    y: str,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Weighted total ``Σ w y`` (overall or per domain) with linearised SE and normal CI.

    Scores ``z_i = w_i y_i`` in the domain, 0 elsewhere (Lohr 2019, §3.2 and §4.3); equals R
    ``svytotal(~y, des, na.rm = TRUE)`` / ``svyby(..., svytotal)``. Same columns as
    :func:`survey_mean`.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1.0, 2, 3, 6], "h": 1, "w": 2.5, "N": 10})
    >>> float(survey_total(d, "y", strata="h", weights="w", fpc="N").estimate[0])
    30.0
    """
    return _normal_interval(data, y, strata, weights, fpc, by, confidence, "total")


def survey_proportion(
    data: pd.DataFrame,
    y: str,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
    level: object | None = None,
    method: str = "logit",
) -> pd.DataFrame:
    """Weighted proportion of ``y == level`` with a CI as R's ``svyciprop``.

    The estimate and SE are those of :func:`survey_mean` of the 0/1 indicator. Intervals,
    with ``df`` = R's ``degf`` of the domain (units with positive weight and non-missing
    ``y`` in the domain, minus the strata among them):

    * ``"logit"``: ``expit(logit(p) ± t_{df} · se / (p(1 − p)))`` — the Wald interval of the
      intercept of a survey-weighted quasi-binomial GLM (delta method; Lumley 2010, *Complex
      Surveys*, §2.3.1).
    * ``"beta"``: Korn & Graubard (1998, *Survey Methodology* 24) — a Clopper-Pearson
      interval with effective sample size ``n* = p(1 − p)/se² · (t_{n−1}/t_{df})²`` (n: units in
      the domain), bounds ``Beta_{α/2}(n* p, n*(1 − p) + 1)`` and ``Beta_{1−α/2}(n* p + 1, n*(1 − p))``.

    Degenerate domains (p ∈ {0, 1} with se = 0, or df ≤ 0) get ``nan`` bounds, as in R. The
    logit quantile is computed as R does, via the normal distribution, which overflows for
    very small df (df = 1 at 95%): the interval is then (0, 1), where R prints (0, NA).

    Parameters
    ----------
    level : the value counted as a success; None counts non-zero / True values of ``y``.
    method : ``"logit"`` (default) or ``"beta"``.
    Others as :func:`survey_mean`.

    Examples
    --------
    >>> d = pd.DataFrame({"y": [1, 0, 1, 1, 0, 1], "h": [1, 1, 1, 2, 2, 2], "w": 1.0})
    >>> r = survey_proportion(d, "y", strata="h", weights="w")
    >>> round(float(r.estimate[0]), 4), int(r.n[0])
    (0.6667, 6)
    """
    confidence = _check_confidence(confidence)
    if method not in ("logit", "beta"):
        raise ValueError(f"method must be 'logit' or 'beta', but got {method!r}")
    design = _prepare(data, [y], strata, weights, fpc)
    col = data[y]
    valid = col.notna().to_numpy()
    if level is None:
        values, valid = _numeric_y(data, y)
        values = (values != 0).astype(float)
    else:
        values = np.where(valid, (col == level).to_numpy(dtype=bool), False).astype(float)
    keys, r = _linearised(data, values, valid, design, by, "mean")
    p, var, degf = r["estimate"], r["var"], r["degf"].astype(float)
    se = np.sqrt(var)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(degf > 0, stats.t.ppf(1 - alpha / 2, np.where(degf > 0, degf, 1)), np.nan)
        if method == "logit":
            # R's confint.svyglm goes through 1 − 2Φ(t_{α/2, df}) and back with Φ⁻¹: identical to
            # the t quantile except that it overflows to ∞ for df = 1 at 95% (then CI = (0, 1))
            tlevel = 1 - 2 * stats.norm.cdf(-t)
            quantile = stats.norm.ppf(1 - (1 - tlevel) / 2)
            eta = np.log(p / (1 - p))
            half = quantile * se / (p * (1 - p))
            low, high = 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))
        else:
            n_rows = r["n"].astype(float)
            t_n = np.where(
                n_rows > 1, stats.t.ppf(1 - alpha / 2, np.where(n_rows > 1, n_rows - 1, 1)), np.nan
            )
            n_eff = p * (1 - p) / var * (t_n / t) ** 2
            low = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1)
            high = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p))
    return _finish(keys, p, se, low, high, r["n"])
