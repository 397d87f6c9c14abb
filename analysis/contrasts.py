"""Design-based comparisons of domain means: which regions differ, and in which direction.

What the dashboard says about regions comes from here (issue 10, items 3, 4, 5, 9 and 10):

* every domain estimate (the mean score of an item, or its top-2-box share, per region) is a ratio
  ``ȳ_d = Σ_d w y / Σ_d w`` of the stratified one-stage design, with linearised scores
  ``z_id = w_i (y_i − ȳ_d) / Σ_d w`` for units in domain d and 0 elsewhere (Woodruff 1971; Lohr 2019,
  *Sampling: Design and Analysis*, 3rd ed., §9.1 and §4.3);
* the covariance of two domain estimates is ``Σ_h f_h n_h/(n_h − 1) Σ_{i∈h} (z_id − z̄_hd)(z_ie − z̄_he)``
  over the strata of the *full* design (Cochran 1977, eq. 5.9), so domains that share strata are
  correlated and a filter (a customer type, a region scope) is a domain of the whole design — never a
  re-designed subset (Lumley 2010, *Complex Surveys*, §2.3.3: ``subset(design, …)``);
* a pairwise difference ``ȳ_a − ȳ_b`` has ``SE² = V_aa + V_bb − 2 V_ab`` and is referred to a t
  distribution with the design's degrees of freedom (units − strata), which is what R gives with
  ``svycontrast(svyby(~y, ~region, des, svymean, covmat = TRUE), …)`` and ``svyttest``;
* the family of every pair × item shown is adjusted together (Holm 1979 or Benjamini & Hochberg 1995,
  through ``statsmodels.stats.multitest.multipletests``); no pair with a group below the minimum base is
  tested, and the direction of a finding is the sign of the very difference that was tested.

Post-stratified weights (:class:`PostStrata`) get the linearised variance of the calibrated estimator:
scores are replaced by their residuals from the post-stratum means, exactly as R's ``svyrecvar`` does
for ``postStratify`` designs (Lumley 2010, §7.3; Särndal, Swensson & Wretman 1992, §7.6).
A stratum with one unit is not centred (R ``options(survey.lonely.psu = "adjust")``).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from analysis.estimates import _prepare

__all__ = [
    "ADJUST_METHODS",
    "DomainEstimates",
    "PostStrata",
    "compare_items",
    "domain_estimates",
    "pairwise_differences",
]

#: Multiple-testing corrections offered (names of ``statsmodels`` ``multipletests``).
ADJUST_METHODS = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg"}
TOP_BOX_MIN = 4
PAIR_COLUMNS = ["item", "group_a", "group_b", "estimate_a", "estimate_b", "n_a", "n_b", "difference", "se",
                "statistic", "df", "pvalue", "tested"]  # fmt: skip


@dataclass(frozen=True)
class PostStrata:
    """Post-stratification of the weights: the post-stratum of each unit and the weights before it."""

    cell: str
    base_weight: str


@dataclass(frozen=True)
class DomainEstimates:
    """Domain estimates with their design covariance (as R ``svyby(..., covmat = TRUE)``)."""

    keys: tuple
    estimate: np.ndarray
    cov: np.ndarray
    n: np.ndarray
    degf: int

    def se(self) -> np.ndarray:
        """Standard errors, the square roots of the covariance's diagonal."""
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))


def _values(data: pd.DataFrame, y: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
    if y not in data.columns:
        raise ValueError(f"y must name a column of data, but got {y!r}")
    col = pd.to_numeric(data[y], errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(col)
    if kind == "mean":
        return np.where(valid, col, 0.0), valid
    if kind == "top2":
        return np.where(valid, col >= TOP_BOX_MIN, False).astype(float), valid
    raise ValueError(f"kind must be 'mean' or 'top2', but got {kind!r}")


def _score_cov(design, Z: np.ndarray) -> np.ndarray:
    """``Σ_h factor_h (Z_hᵀ Z_h − c_h s_h s_hᵀ / n_h)``: the stratified one-stage covariance of score totals."""
    n_strata = len(design.n_h)
    S = np.zeros((n_strata, Z.shape[1]))
    np.add.at(S, design.stratum, Z)
    root = np.sqrt(design.factor[design.stratum])[:, None]
    Zf = Z * root
    centring = np.where(design.center, design.factor / design.n_h, 0.0)
    return Zf.T @ Zf - (S * centring[:, None]).T @ S


def domain_estimates(
    data: pd.DataFrame,
    y: str,
    group: str | None = None,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    domain: np.ndarray | pd.Series | None = None,
    kind: str = "mean",
    post: PostStrata | None = None,
) -> DomainEstimates:
    """Weighted means (``kind="mean"``) or top-2-box shares (``"top2"``: scores ≥ 4) of ``y`` per ``group``.

    Equal to R ``svyby(~y, ~group, subset(des, domain), svymean, na.rm = TRUE, covmat = TRUE)`` on
    ``svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h)`` — or on ``postStratify(des, …)``
    with ``post`` — with the covariance of the module docstring (Lohr 2019, §4.3; Lumley 2010, §2.3.3, §7.3).
    Units outside ``domain`` (a boolean mask) or with a missing ``y`` or ``group`` stay in the design with a
    zero score. ``group=None`` gives one overall estimate of the domain.

    Examples
    --------
    Two regions in one stratum (SRS of 4 from N = 8):

    >>> d = pd.DataFrame({"y": [1.0, 3, 4, 6], "g": ["a", "a", "b", "b"], "h": 1, "w": 2.0, "N": 8})
    >>> r = domain_estimates(d, "y", "g", strata="h", weights="w", fpc="N")
    >>> r.keys, r.estimate.tolist()
    (('a', 'b'), [2.0, 5.0])
    """
    design = _prepare(data, [y] + ([group] if group else []), strata, weights, fpc)
    values, valid = _values(data, y, kind)
    if domain is not None:
        mask = np.asarray(domain, dtype=bool)
        if mask.shape != (len(data),):
            raise ValueError(
                f"domain must be a boolean mask of length {len(data)}, but has shape {mask.shape}"
            )
        valid = valid & mask
    if group is None:
        codes, keys = np.zeros(len(data), dtype=np.int64), ("",)
    else:
        codes, uniques = pd.factorize(data[group], sort=True)
        keys = tuple(uniques)
    inside = valid & (codes >= 0)
    # groups with no unit in the domain are not domains of this view
    present = np.unique(codes[inside])
    remap = np.full(max(len(keys), 1), -1)
    remap[present] = np.arange(len(present))
    keys = tuple(keys[i] for i in present)
    dom = np.where(inside, remap[np.where(codes >= 0, codes, 0)], -1)
    n_dom = len(keys)
    w = design.weights
    estimate, Z = ratio_scores(w, values, inside, dom, n_dom)
    if post is not None:
        Z = _residualise(data, Z, w, post)
    cov = _score_cov(design, Z)
    n = np.bincount(dom[inside], minlength=n_dom)
    degf = int(len(data) - len(design.n_h))
    return DomainEstimates(keys, estimate, cov, n, degf)


def ratio_scores(
    w: np.ndarray, values: np.ndarray, inside: np.ndarray, dom: np.ndarray, n_dom: int
) -> tuple[np.ndarray, np.ndarray]:
    """Domain means ``Σ_d w y / Σ_d w`` and their linearised score matrix (units × domains):
    ``z_id = w_i (y_i − ȳ_d) / Σ_d w`` for units in domain d, 0 elsewhere (Woodruff 1971; Lohr 2019, §9.1)."""
    index = np.where(inside, dom, 0)
    wsum = np.bincount(index[inside], weights=w[inside], minlength=n_dom)
    wy = np.bincount(index[inside], weights=(w * values)[inside], minlength=n_dom)
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = wy / wsum
    Z = np.zeros((len(w), n_dom))
    rows = np.flatnonzero(inside)
    Z[rows, index[rows]] = w[rows] * (values[rows] - estimate[index[rows]]) / wsum[index[rows]]
    return estimate, Z


def _residualise(data: pd.DataFrame, Z: np.ndarray, w_new: np.ndarray, post: PostStrata) -> np.ndarray:
    """Scores minus their post-stratum means, R ``svyrecvar``'s step for ``postStratify``:
    ``x − w*_i · (Σ_g x w / w* / Σ_g w)`` with w the weights before and w* after post-stratification."""
    for col in (post.cell, post.base_weight):
        if col not in data.columns:
            raise ValueError(f"post must name columns of data, but {col!r} is not one")
    cells, _ = pd.factorize(data[post.cell], sort=True)
    if (cells < 0).any():
        raise ValueError(f"post.cell must not be missing, but column {post.cell!r} has missing values")
    w_old = pd.to_numeric(data[post.base_weight], errors="coerce").to_numpy(dtype=float)
    psw = np.where((w_new == 0) & (w_old == 0), 1.0, w_new)
    n_cells = int(cells.max()) + 1
    totals = np.zeros((n_cells, Z.shape[1]))
    np.add.at(totals, cells, Z * (w_old / psw)[:, None])
    old_sum = np.bincount(cells, weights=w_old, minlength=n_cells)
    means = totals / old_sum[:, None]
    return Z - means[cells] * psw[:, None]


def pairwise_differences(
    data: pd.DataFrame,
    y: str,
    group: str,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    domain: np.ndarray | pd.Series | None = None,
    kind: str = "mean",
    post: PostStrata | None = None,
    min_n: int = 30,
) -> pd.DataFrame:
    """Every pair of groups: design-based difference ``ȳ_a − ȳ_b``, its SE, t and unadjusted p-value.

    ``SE² = V_aa + V_bb − 2 V_ab`` from :func:`domain_estimates`; ``t = (ȳ_a − ȳ_b) / SE`` on the design's
    degrees of freedom (units − strata), as R ``svycontrast`` of ``svyby(..., covmat = TRUE)`` with a t
    reference (Lumley 2010, §2.3.3 and §5.2). Groups in sorted order, ``group_a < group_b``. A pair with a
    group of fewer than ``min_n`` answers is not tested (``tested`` False, ``pvalue`` NaN): no finding from
    too few answers. A pair with ``SE = 0`` is tested only if the difference is not 0 (then p = 0, as R).
    """
    if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 1:
        raise ValueError(f"min_n must be a positive integer, but got {min_n!r}")
    r = domain_estimates(data, y, group, strata=strata, weights=weights, fpc=fpc, domain=domain, kind=kind,
                         post=post)  # fmt: skip
    records = []
    for i, j in itertools.combinations(range(len(r.keys)), 2):
        diff = float(r.estimate[i] - r.estimate[j])
        var = float(r.cov[i, i] + r.cov[j, j] - 2 * r.cov[i, j])
        se = float(np.sqrt(max(var, 0.0)))
        tested = bool(
            min(r.n[i], r.n[j]) >= min_n and r.degf > 0 and np.isfinite(diff) and (se > 0 or diff != 0)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            t = float(np.float64(diff) / np.float64(se)) if tested else np.nan
        p = float(2 * stats.t.sf(abs(t), r.degf)) if tested else np.nan
        records.append((y, r.keys[i], r.keys[j], float(r.estimate[i]), float(r.estimate[j]), int(r.n[i]),
                        int(r.n[j]), diff, se, float(t), r.degf, p, tested))  # fmt: skip
    return pd.DataFrame.from_records(records, columns=PAIR_COLUMNS)


@contextlib.contextmanager
def cheap_gc() -> Iterator[None]:
    """Make a library's explicit ``gc.collect()`` cheap: statsmodels' Holm step calls it on every use, which
    costs ≈ 0.3 s in a large process (a Streamlit server). ``gc.freeze()`` moves the existing objects out of
    the collector's view for the call (an O(1) list splice) and ``gc.unfreeze()`` puts them back."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def adjust_family(pairs: pd.DataFrame, *, method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Add ``pvalue_adj`` and ``significant``, adjusting every tested row of ``pairs`` as one family.

    Holm (1979) controls the family-wise error rate; Benjamini & Hochberg (1995, ``"fdr_bh"``) the false
    discovery rate; via ``statsmodels.stats.multitest.multipletests``. Untested rows keep NaN and are not
    significant (they are not counted in the family, as R's ``p.adjust`` leaves out NA).
    """
    if method not in ADJUST_METHODS:
        raise ValueError(f"method must be one of {sorted(ADJUST_METHODS)}, but got {method!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), but got {alpha!r}")
    out = pairs.copy()
    out["pvalue_adj"] = np.nan
    tested = out["pvalue"].notna().to_numpy()
    if tested.any():
        with cheap_gc():
            adjusted = multipletests(out.loc[tested, "pvalue"].to_numpy(), method=method)[1]
        out.loc[tested, "pvalue_adj"] = adjusted
    out["significant"] = out["pvalue_adj"].lt(alpha).fillna(False).astype(bool)
    return out


def compare_items(
    data: pd.DataFrame,
    items: Sequence[str],
    group: str,
    *,
    strata: str,
    weights: str,
    fpc: str | None = None,
    domain: np.ndarray | pd.Series | None = None,
    kinds: Sequence[str] = ("mean",),
    post: PostStrata | None = None,
    min_n: int = 30,
    method: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pairwise design-based differences of every item (and kind) between groups, adjusted as one family.

    The family is everything a page shows: items × kinds × pairs (Holm or BH over all of them), so a
    manager reading ten items does not meet a false "significantly lower" one time in four. Columns of
    :func:`pairwise_differences` plus ``kind``, ``pvalue_adj`` and ``significant``.
    """
    parts = []
    for item in items:
        for kind in kinds:
            part = pairwise_differences(data, item, group, strata=strata, weights=weights, fpc=fpc,
                                        domain=domain, kind=kind, post=post, min_n=min_n)  # fmt: skip
            parts.append(part.assign(kind=kind))
    if not parts:
        return adjust_family(pd.DataFrame(columns=[*PAIR_COLUMNS, "kind"]), method=method, alpha=alpha)
    return adjust_family(pd.concat(parts, ignore_index=True), method=method, alpha=alpha)
