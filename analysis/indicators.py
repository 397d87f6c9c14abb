"""Headline indicators for the dashboard, and the test of a change between two rounds.

Indicators (design-based, stratified one-stage design; see :mod:`analysis.estimates`):

* ``mean`` — the weighted mean score of a likert-5 item (1–5), as ``estimates.survey_mean``;
* ``top2`` — the top-2-box share, the weighted proportion of scores 4 or 5, with the logit CI
  of R's ``svyciprop`` (as ``estimates.survey_proportion``);
* ``index`` — the 0–100 satisfaction index (:func:`satisfaction_index` below): per respondent the
  mean over answered items of ``(score − 1) / 4 × 100``, then its weighted mean.

Cells with fewer than ``min_n`` respondents are flagged (``small_cell``), not hidden.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.contrasts import PostStrata, _residualise, _score_cov, ratio_scores
from analysis.estimates import _domain_var, _domains, _prepare, survey_mean

__all__ = [
    "SCALES",
    "TOP_BOX_MIN",
    "bounded_interval",
    "RoundChange",
    "flag_small_cells",
    "headline_indicators",
    "round_change",
    "satisfaction_index",
    "top2_column",
]

TOP_BOX_MIN = 4
INDICATOR_COLUMNS = ["indicator", "item", "estimate", "se", "ci_low", "ci_high", "n", "small_cell"]


def top2_column(item: str) -> str:
    """Name of the 0/1 top-2-box column derived from a likert item."""
    return f"{item}__top2"


def _domain_stats(design, dom_all: np.ndarray, n_dom: int, values: np.ndarray, valid: np.ndarray) -> dict:
    """Domain means with linearised variance and R's degf: the computation of
    ``analysis.estimates._linearised`` for a mean, with the domains coded once for all items."""
    n_strata = len(design.n_h)
    inside = valid & (dom_all >= 0)
    dom = np.where(inside, dom_all, n_dom)
    w = np.where(inside, design.weights, 0.0)
    wsum = np.bincount(dom, weights=w, minlength=n_dom + 1)
    wy = np.bincount(dom, weights=w * values, minlength=n_dom + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = wy / wsum
        scores = np.where(inside, w * (values - estimate[dom]) / wsum[dom], 0.0)
        key = np.where(inside, dom * n_strata + design.stratum, n_dom * n_strata)
        var = _domain_var(design, scores, key, n_dom)
    n = np.bincount(dom, minlength=n_dom + 1)[:n_dom]
    positive = (w > 0).astype(float)
    n_pos = np.bincount(dom, weights=positive, minlength=n_dom + 1)[:n_dom]
    cells = np.bincount(key, weights=positive, minlength=n_dom * n_strata + 1)[: n_dom * n_strata]
    degf = n_pos - (cells.reshape(n_dom, n_strata) > 0).sum(axis=1)
    return {"estimate": estimate[:n_dom], "se": np.sqrt(var), "n": n, "degf": degf.astype(float)}


def _logit_ci(
    p: np.ndarray, se: np.ndarray, degf: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """The logit interval of :func:`survey_proportion` (R ``svyciprop(method = "logit")``)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t = np.where(degf > 0, stats.t.ppf(0.5 + confidence / 2, np.where(degf > 0, degf, 1)), np.nan)
        quantile = stats.norm.ppf(1 - stats.norm.cdf(-t))
        eta = np.log(p / (1 - p))
        half = quantile * se / (p * (1 - p))
        return 1 / (1 + np.exp(-(eta - half))), 1 / (1 + np.exp(-(eta + half)))


#: The scale of each indicator, for intervals that stay on it.
SCALES = {"mean": (1.0, 5.0), "top2": (0.0, 1.0), "index": (0.0, 100.0)}


def bounded_interval(
    estimate: np.ndarray,
    se: np.ndarray,
    degf: np.ndarray,
    n: np.ndarray,
    *,
    lower: float,
    upper: float,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """A CI that stays within ``[lower, upper]``: the logit interval of the rescaled estimate, mapped back.

    With ``p = (θ̂ − lower)/(upper − lower)`` and ``se_p = se/(upper − lower)``, the interval is R's
    ``svyciprop(method = "logit")``: ``expit(logit p ± t_df · se_p / (p(1 − p)))`` (Lumley 2010, §2.3.1),
    then ``lower + (upper − lower) · bound``. Where it is undefined (p at 0 or 1 with se 0, df ≤ 0, se 0)
    the Clopper-Pearson (1934) interval for ``x = p·n`` of ``n`` is used: ``Beta_{α/2}(x, n − x + 1)`` and
    ``Beta_{1−α/2}(x + 1, n − x)`` (0 and 1 at the ends) — Korn & Graubard's (1998) interval with n* = n.
    Never NaN for a domain with at least one answer.

    Examples
    --------
    >>> low, high = bounded_interval(np.array([0.0]), np.array([0.0]), np.array([19.0]), np.array([20]),
    ...                              lower=0.0, upper=1.0)
    >>> round(float(low[0]), 3), round(float(high[0]), 3)
    (0.0, 0.168)
    """
    span = upper - lower
    p = (np.asarray(estimate, dtype=float) - lower) / span
    se_p = np.asarray(se, dtype=float) / span
    low, high = _logit_ci(p, se_p, np.asarray(degf, dtype=float), confidence)
    n = np.asarray(n, dtype=float)
    bad = ~(np.isfinite(low) & np.isfinite(high)) | (se_p <= 0) | (p <= 0) | (p >= 1)
    if bad.any():
        alpha = 1 - confidence
        x = np.clip(p * n, 0, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            cp_low = np.where(x > 0, stats.beta.ppf(alpha / 2, np.where(x > 0, x, 1), n - x + 1), 0.0)
            cp_high = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, np.where(x < n, n - x, 1)), 1.0)
        use = bad & (n > 0) & np.isfinite(p)
        low, high = np.where(use, cp_low, low), np.where(use, cp_high, high)
    return lower + span * low, lower + span * high


def _post_se(data, design, dom_all, n_dom, values, valid, post: PostStrata) -> np.ndarray:
    """SEs of the domain means under post-stratification: scores residualised on the post-strata
    (:func:`analysis.contrasts._residualise`, R ``svyrecvar``), then the stratified variance."""
    _, Z = ratio_scores(design.weights, values, valid & (dom_all >= 0), dom_all, n_dom)
    cov = _score_cov(design, _residualise(data, Z, design.weights, post))
    return np.sqrt(np.clip(np.diag(cov), 0, None))


def _respondent_index(data: pd.DataFrame, items: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Likert-5 scores (NaN when unanswered), the answered mask and each respondent's 0–100 index.

    ``index_i = mean over the answered items j of (score_ij − 1) / 4 × 100`` (NaN without an answered item);
    the linear rescaling of ACSI-style indices (Fornell et al. 1996, *J. Marketing* 60). A score outside
    1–5 is a ValueError.
    """
    scores = data[list(items)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    outside = np.isfinite(scores) & ((scores < 1) | (scores > 5))
    if outside.any():
        raise ValueError(f"items must hold scores from 1 to 5, but got {scores[outside][0]!r}")
    answered = np.isfinite(scores)
    count = answered.sum(axis=1)
    total = np.where(answered, (scores - 1) / 4 * 100, 0.0).sum(axis=1)
    return scores, answered, np.divide(total, count, out=np.full(len(data), np.nan), where=count > 0)


def headline_indicators(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    by: str | None = None,
    confidence: float = 0.95,
    min_n: int = 30,
    overall_label: object = "全部",
    domain: np.ndarray | pd.Series | None = None,
    post: PostStrata | None = None,
) -> pd.DataFrame:
    """Mean score and top-2-box share of every item, and the satisfaction index, with CIs.

    Per group of ``by`` and an overall row (``by`` = ``overall_label``) when ``by`` is given.
    Design-based, equal to :func:`survey_mean`, :func:`survey_proportion` (logit CI) and
    :func:`satisfaction_index` — i.e. R ``svymean`` / ``svyciprop(method = "logit")`` on
    ``svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h)`` (Lohr 2019, §3.3, §4.3;
    Lumley 2010, §2.3.1) — but computed in one pass over the design for all items, which is
    what makes the dashboard fast. The index is the ACSI-style linear 0–100 rescaling
    (Fornell et al. 1996) with equal item weights.

    Intervals stay on their scale (issue 10, item 6): the top-2-box share has R's logit interval; the mean
    (1–5) and the index (0–100) get the same logit interval on their rescaled value (e.g. ``(ȳ − 1)/4``,
    as R ``svyciprop(~I((y - 1)/4), method = "logit")``), mapped back. Where that interval degenerates (an
    estimate at the bound with SE 0, such as 0 of 20 or 20 of 20; no degrees of freedom) the Clopper-Pearson
    interval with the domain's n is used (Korn & Graubard 1998 with n* = n): 0/20 gives (0, 0.168), never NaN.

    ``domain`` (a boolean mask) restricts every estimate to a domain of the full design — a filter is never
    a re-designed subset (Lumley 2010, §2.3.3); groups with no unit in the domain are left out. ``post``
    names the post-strata and the weights before post-stratification: SEs are then the linearised
    variance of the calibrated estimator, as R ``postStratify`` (:mod:`analysis.contrasts`).

    Returns
    -------
    Long DataFrame: ``[by], indicator ("mean" | "top2" | "index"), item ("" for the index),
    estimate, se, ci_low, ci_high, n, small_cell``. Top-2-box and index estimates are on their
    own scales (proportion 0–1, index 0–100).

    Examples
    --------
    >>> d = pd.DataFrame({"q": [5, 4, 2, 1], "h": 1, "w": 1.0})
    >>> t = headline_indicators(d, ["q"], strata="h", weights="w", min_n=3)
    >>> t.set_index("indicator").loc[["mean", "top2", "index"], "estimate"].round(3).tolist()
    [3.0, 0.5, 50.0]
    """
    if isinstance(items, str) or not items:
        raise ValueError(f"items must be a non-empty list of column names, but got {items!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), but got {confidence!r}")
    design = _prepare(data, list(items), strata, weights, fpc)
    scores, answered, index = _respondent_index(data, items)
    count = answered.sum(axis=1)
    index = np.nan_to_num(index)  # respondents without an answered item are masked out below (count > 0)
    groupings = [by, None] if by is not None else [None]
    columns: dict[str, list] = {name: [] for name in ["key", *INDICATOR_COLUMNS[:-1]]}
    mask = None if domain is None else np.asarray(domain, dtype=bool)
    for group_by in groupings:
        dom_all, keys = _domains(data, group_by)
        if mask is not None:
            dom_all = np.where(mask, dom_all, -1)
        n_dom = len(keys)
        labels = keys[by].tolist() if group_by is not None else [overall_label] * n_dom
        for j, item in enumerate([*items, None]):
            if item is None:
                valid = count > 0
                kinds = (("index", index),)
            else:
                valid = answered[:, j]
                values = np.where(valid, scores[:, j], 0.0)
                kinds = (("mean", values), ("top2", (values >= TOP_BOX_MIN).astype(float)))
            for kind, v in kinds:
                r = _domain_stats(design, dom_all, n_dom, v, valid)
                if post is not None:
                    r["se"] = _post_se(data, design, dom_all, n_dom, v, valid, post)
                lower, upper = SCALES[kind]
                low, high = bounded_interval(r["estimate"], r["se"], r["degf"], r["n"], lower=lower, upper=upper,
                                             confidence=confidence)  # fmt: skip
                for name, value in (("key", labels), ("indicator", [kind] * n_dom), ("item", [item or ""] * n_dom),
                                    ("estimate", r["estimate"]), ("se", r["se"]), ("ci_low", low),
                                    ("ci_high", high), ("n", r["n"])):  # fmt: skip
                    columns[name].append(
                        np.asarray(value, dtype=object if name in ("key", "indicator", "item") else None)
                    )
    frame = pd.DataFrame({name: np.concatenate(parts) for name, parts in columns.items()})
    frame["n"] = frame["n"].astype(np.int64)
    for name in ("estimate", "se", "ci_low", "ci_high"):
        frame[name] = frame[name].astype(float)
    frame = frame.rename(columns={"key": by}) if by is not None else frame.drop(columns="key")
    if mask is not None:  # groups of the frame without a unit in the domain are not part of this view
        frame = frame[frame["n"] > 0].reset_index(drop=True)
    out = flag_small_cells(frame, min_n)
    return out[([by] if by is not None else []) + INDICATOR_COLUMNS]


@dataclass(frozen=True)
class RoundChange:
    """Change of an indicator between two rounds (independent samples).

    Attributes
    ----------
    difference : later − earlier estimate.
    se : ``sqrt(se_earlier² + se_later²)``.
    statistic : ``z = difference / se``.
    pvalue : two-sided normal p-value.
    ci_low, ci_high : ``difference ± z_{1−α/2} · se``.
    """

    difference: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float
    ci_high: float

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the change is significant at ``alpha`` (False when undefined)."""
        return bool(self.pvalue < alpha) if math.isfinite(self.pvalue) else False


def round_change(
    earlier: float, se_earlier: float, later: float, se_later: float, *, confidence: float = 0.95
) -> RoundChange:
    """z test of the change between two design-based estimates from independent samples.

    For independent samples the variance of a difference is the sum of the variances,
    ``V(θ̂₂ − θ̂₁) = V(θ̂₁) + V(θ̂₂)`` (Kish 1965, *Survey Sampling*, §12.4; Lohr 2019, §4.3 for the
    linearised variances themselves), and ``z = (θ̂₂ − θ̂₁)/SE`` is referred to the standard
    normal. Successive rounds drawn by rotation of permanent random numbers are disjoint samples of
    one frame: their covariance ``−S²/N`` cancels the two fpc terms, so pass SEs computed **without**
    the fpc (``V(ȳ₁ − ȳ₂) = S²(1/n₁ + 1/n₂)``, Cochran 1977 §12.4) — with fpc SEs the test rejects too
    often (9.8% at a sampling fraction of 0.30, tests/analysis/test_simulations.py);
    :func:`survey.dashboard.trend_table` does so. ``nan`` when a SE is missing or both are 0.

    Examples
    --------
    >>> r = round_change(3.8, 0.05, 4.0, 0.05)
    >>> round(r.difference, 3), round(r.se, 4), round(r.statistic, 3), round(r.pvalue, 4)
    (0.2, 0.0707, 2.828, 0.0047)
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), but got {confidence!r}")
    for name, value in (("se_earlier", se_earlier), ("se_later", se_later)):
        if value is not None and np.isfinite(value) and value < 0:
            raise ValueError(f"{name} must be >= 0, but got {value!r}")
    diff = float(later) - float(earlier)
    se = math.sqrt(float(se_earlier) ** 2 + float(se_later) ** 2)
    if not math.isfinite(se) or se == 0 or not math.isfinite(diff):
        return RoundChange(diff, se, math.nan, math.nan, math.nan, math.nan)
    z = diff / se
    quantile = float(stats.norm.ppf(0.5 + confidence / 2))
    return RoundChange(
        diff, se, z, float(2 * stats.norm.sf(abs(z))), diff - quantile * se, diff + quantile * se
    )


def satisfaction_index(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    by: str | list[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """A 0–100 satisfaction index from likert-5 items, with design-based CI.

    Per respondent, ``index_i = mean over the answered items j of (score_ij − 1) / 4 × 100``
    (1 → 0, 3 → 50, 5 → 100; unanswered items are skipped, a respondent with no answered
    item has no index and leaves the domain). The population index is the weighted mean of
    ``index_i`` estimated with :func:`survey_mean` (same columns). This is the linear
    0–100 rescaling used by ACSI-style indices (Fornell et al. 1996, *J. Marketing* 60),
    with equal item weights.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [5, 1], "b": [3, None], "h": 1, "w": 1.0})
    >>> float(satisfaction_index(d, ["a", "b"], strata="h", weights="w").estimate[0])
    37.5
    """
    if isinstance(items, str) or not items:
        raise ValueError(f"items must be a non-empty list of column names, but got {items!r}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, but got {type(data).__name__}")
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise ValueError(f"items must name columns of data, but {missing!r} are not")
    index = _respondent_index(data, items)[2]
    column = "__satisfaction_index__"
    frame = data.assign(**{column: index})
    return survey_mean(frame, column, strata=strata, weights=weights, fpc=fpc, by=by, confidence=confidence)


def flag_small_cells(table: pd.DataFrame, min_n: int = 30) -> pd.DataFrame:
    """Add a boolean ``small_cell`` column: domains with fewer than ``min_n`` respondents.

    Small cells are flagged, not hidden (issue 5); 30 is the usual rule of thumb for a
    normal-approximation CI (Cochran 1977, §2.15).
    """
    if "n" not in table.columns:
        raise ValueError(f"table must have an 'n' column, but has {list(table.columns)!r}")
    return table.assign(small_cell=table["n"] < min_n)
