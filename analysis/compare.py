"""Region comparisons: which regions really differ, with effect sizes and plain sentences.

Two families of tests, and the UI must say which is which:

* **Design-based** — :func:`rao_scott_chisq`: the Rao-Scott second-order corrected χ² (an F
  test) on a weighted two-way table, using the stratified design's covariance of the cell
  proportions. It accounts for weights, strata and the fpc; use it for top-2-box
  satisfaction × region.
* **Simple random sample** — :func:`kruskal_regions` (Kruskal-Wallis) and :func:`dunn_pairs`
  (Dunn's pairwise test with Holm correction) on the unweighted item scores. They treat the
  respondents as an SRS and ignore weights and strata: a descriptive rank comparison of the
  respondents, not an estimate about the population.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scikit_posthocs as sp
from scipy import stats

from analysis.estimates import _prepare

__all__ = [
    "KruskalResult",
    "RaoScottResult",
    "compact_letters",
    "cramers_v",
    "dunn_pairs",
    "format_p",
    "kruskal_regions",
    "rao_scott_chisq",
    "region_comparison_sentence",
]


@dataclass(frozen=True)
class RaoScottResult:
    """Rao-Scott F test of independence (design-based).

    ``statistic`` is F = X²/tr(Δ), referred to F(df_num, df_den); ``chisq_pearson`` is the
    Pearson X² of the weighted table scaled to the sample size.
    """

    statistic: float
    df_num: float
    df_den: float
    pvalue: float
    chisq_pearson: float


@dataclass(frozen=True)
class KruskalResult:
    """Kruskal-Wallis H test across groups (treats the sample as simple random)."""

    statistic: float
    pvalue: float
    epsilon_squared: float
    n_groups: int
    n: int


def rao_scott_chisq(
    data: pd.DataFrame, row: str, col: str, *, strata: str, weights: str, fpc: str | None = None
) -> RaoScottResult:
    """Design-based Rao-Scott second-order corrected test of independence (F form).

    Rao & Scott (1984, *Ann. Statist.* 12, 46–60), as R ``survey::svychisq(~row + col, des,
    statistic = "F")`` (Lumley 2010, *Complex Surveys*, §6.2). With the estimated cell
    proportions p̂ (rows with a missing ``row`` or ``col`` leave the domain, not the design),
    their linearised design covariance V, ``C`` a basis of the interaction contrasts (the
    interaction columns of the saturated model, residualised on the main effects),
    ``D = diag(p̂)`` and n the number of units:

        Δ = (Cᵀ D⁻¹ C / n)⁻¹ (Cᵀ D⁻¹ V D⁻¹ C),
        F = X² / tr(Δ),   d = tr(Δ)² / tr(Δ²),   F ~ F(d, d·ν),

    where X² is Pearson's statistic of the weighted table scaled to total n and
    ν = n − H (units minus strata) are the design degrees of freedom.

    Returns ``nan`` fields when either variable has fewer than two observed levels.
    """
    design = _prepare(data, [row, col], strata, weights, fpc)
    r_col, c_col = data[row], data[col]
    complete = (r_col.notna() & c_col.notna()).to_numpy()
    r_codes, r_levels = pd.factorize(r_col[complete], sort=True)
    c_codes, c_levels = pd.factorize(c_col[complete], sort=True)
    nr, nc = len(r_levels), len(c_levels)
    if nr < 2 or nc < 2:
        return RaoScottResult(np.nan, np.nan, np.nan, np.nan, np.nan)
    rows = np.flatnonzero(complete)
    n_units = len(data)
    n_cells = nr * nc
    cell = r_codes + nr * c_codes  # first variable varies fastest, as R's interaction()
    w = design.weights[rows]
    wsum = w.sum()
    table = np.bincount(cell, weights=w, minlength=n_cells)
    p = table / wsum
    V = _cell_covariance(design, rows, cell, n_cells, p, wsum)
    # contrasts: interaction columns of ~rows*cols, residualised on ~rows+cols (R: qr.resid)
    rr = np.tile(np.arange(nr), nc)
    cc = np.repeat(np.arange(nc), nr)
    X1 = np.column_stack(
        [np.ones(n_cells)] + [rr == i for i in range(1, nr)] + [cc == j for j in range(1, nc)]
    )
    X12 = np.column_stack([(rr == i) & (cc == j) for j in range(1, nc) for i in range(1, nr)]).astype(float)
    C = X12 - X1 @ np.linalg.lstsq(X1, X12, rcond=None)[0]
    inv_p = np.divide(1.0, p, out=np.zeros_like(p), where=p != 0)
    CD = C * inv_p[:, None]
    denom = C.T @ CD / n_units
    numer = CD.T @ V @ CD
    delta = np.linalg.solve(denom, numer)
    trace = float(np.trace(delta))
    d0 = trace**2 / float(np.trace(delta @ delta))
    scaled = table.reshape(nc, nr).T * n_units / wsum
    expected = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / scaled.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pearson = float(np.sum((scaled - expected) ** 2 / expected))
    nu = n_units - len(design.n_h)
    f_stat = pearson / trace
    pvalue = float(stats.f.sf(f_stat, d0, d0 * nu))
    return RaoScottResult(float(f_stat), float(d0), float(d0 * nu), pvalue, pearson)


def _cell_covariance(
    design, rows: np.ndarray, cell: np.ndarray, n_cells: int, p: np.ndarray, wsum: float
) -> np.ndarray:
    """Linearised covariance of the cell proportions, from per-stratum aggregates.

    Scores ``z_i = w_i (e_{cell_i} − p) / Σw`` (0 for units with a missing variable). Per
    stratum, ``Σ z zᵀ = (diag(A_h) − A_h pᵀ − p A_hᵀ + B_h p pᵀ) / (Σw)²`` with ``A_hk`` the sum of
    w² in cell k and ``B_h = Σ_k A_hk``; the stratum sum of scores is ``s_h = (T_h − S_h p)/Σw``
    with ``T_hk`` the sum of w. Then ``V = Σ_h factor_h (Σ z zᵀ − s_h s_hᵀ / n_h)`` (no centring
    for a stratum with one unit, as R's lonely.psu = "adjust").
    """
    n_strata = len(design.n_h)
    w = design.weights[rows]
    key = design.stratum[rows] * n_cells + cell
    T = np.bincount(key, weights=w, minlength=n_strata * n_cells).reshape(n_strata, n_cells)
    A = np.bincount(key, weights=w * w, minlength=n_strata * n_cells).reshape(n_strata, n_cells)
    f = design.factor
    fA = f @ A
    fB = float(f @ A.sum(axis=1))
    Q = np.diag(fA) - np.outer(fA, p) - np.outer(p, fA) + fB * np.outer(p, p)
    centring = np.where(design.center, f / design.n_h, 0.0)  # lonely strata are not centred
    S = (T - T.sum(axis=1, keepdims=True) * p) * np.sqrt(centring)[:, None]
    return (Q - S.T @ S) / wsum**2


def cramers_v(table: pd.DataFrame | np.ndarray | Sequence[Sequence[float]]) -> float:
    """Cramér's V of a two-way table: ``sqrt(X² / (n (min(r, c) − 1)))``.

    Cramér (1946, *Mathematical Methods of Statistics*, §21.9); X² is Pearson's statistic
    without continuity correction. Empty rows/columns are dropped; ``nan`` if fewer than two
    rows or columns remain.

    Examples
    --------
    >>> round(cramers_v([[10, 0], [0, 10]]), 6)
    1.0
    """
    t = np.asarray(table, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"table must be two-dimensional, but got shape {t.shape!r}")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("table must hold finite non-negative counts")
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    if min(t.shape) < 2:
        return float("nan")
    n = t.sum()
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    chi2 = float(np.sum((t - expected) ** 2 / expected))
    return float(np.sqrt(chi2 / (n * (min(t.shape) - 1))))


def _clean(data: pd.DataFrame, y: str, group: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, but got {type(data).__name__}")
    for parameter, name in (("y", y), ("group", group)):
        if name not in data.columns:
            raise ValueError(f"{parameter} must name a column of data, but got {name!r}")
    out = pd.DataFrame({"y": pd.to_numeric(data[y], errors="coerce"), "g": data[group]})
    return out.dropna()


def kruskal_regions(data: pd.DataFrame, y: str, group: str) -> KruskalResult:
    """Kruskal-Wallis H test of ``y`` across groups, with the effect size ε².

    Treats the respondents as a simple random sample (weights and strata are ignored).
    H with the tie correction (Kruskal & Wallis 1952), via ``scipy.stats.kruskal``;
    ``ε² = H / ((n² − 1)/(n + 1)) = H / (n − 1)`` (Tomczak & Tomczak 2014, *Trends Sport Sci.*
    21(1)). Rows with missing ``y`` or group are dropped. ``nan`` statistic and p-value when
    fewer than two groups remain or all values are equal.
    """
    d = _clean(data, y, group)
    samples = [g.to_numpy() for _, g in d.groupby("g", sort=True)["y"]]
    n = int(len(d))
    if len(samples) < 2 or d["y"].nunique() < 2:
        return KruskalResult(np.nan, np.nan, np.nan, len(samples), n)
    h, pvalue = stats.kruskal(*samples)
    return KruskalResult(float(h), float(pvalue), float(h / ((n**2 - 1) / (n + 1))), len(samples), n)


def dunn_pairs(
    data: pd.DataFrame, y: str, group: str, p_adjust: str = "holm", alpha: float = 0.05
) -> pd.DataFrame:
    """Dunn's (1964, *Technometrics* 6) pairwise rank test after Kruskal-Wallis.

    Treats the respondents as a simple random sample. Via ``scikit_posthocs.posthoc_dunn``
    with the multiple-comparison correction ``p_adjust`` (Holm 1979 by default).

    Returns
    -------
    DataFrame with one row per pair of groups (sorted group order, ``group_a < group_b``):
    ``group_a, group_b, mean_a, mean_b, pvalue_adj, significant`` (``pvalue_adj < alpha``);
    the means are the unweighted means of ``y``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), but got {alpha!r}")
    d = _clean(data, y, group)
    columns = ["group_a", "group_b", "mean_a", "mean_b", "pvalue_adj", "significant"]
    means = d.groupby("g", sort=True)["y"].mean()
    if len(means) < 2:
        return pd.DataFrame(columns=columns)
    from analysis.contrasts import cheap_gc

    with cheap_gc():  # scikit-posthocs adjusts through statsmodels, whose Holm step runs gc.collect()
        pmat = sp.posthoc_dunn(d, val_col="y", group_col="g", p_adjust=p_adjust)
    records = [
        (a, b, means[a], means[b], float(pmat.loc[a, b])) for a, b in itertools.combinations(means.index, 2)
    ]
    out = pd.DataFrame.from_records(records, columns=columns[:5])
    out["significant"] = out["pvalue_adj"] < alpha
    return out


def compact_letters(
    groups: Mapping[object, float] | Sequence[object], pvalues: pd.DataFrame, alpha: float = 0.05
) -> dict[object, str]:
    """Compact letter display: groups sharing a letter do not differ significantly.

    Insert-and-absorb algorithm of Piepho (2004, *J. Comput. Graph. Stat.* 13, 456–466).

    Parameters
    ----------
    groups : mapping group -> mean (letters assigned from the highest mean, "a" first) or a
        sequence of groups already in display order.
    pvalues : either a square matrix of p-values indexed by group (as ``posthoc_dunn``), or a
        pairs table with columns ``group_a, group_b, pvalue_adj`` (as :func:`dunn_pairs`).
    alpha : a pair differs when its p-value is below ``alpha``.

    Examples
    --------
    >>> pairs = pd.DataFrame({"group_a": ["A", "A", "B"], "group_b": ["B", "C", "C"],
    ...                       "pvalue_adj": [0.5, 0.01, 0.2]})
    >>> compact_letters({"A": 4.5, "B": 4.0, "C": 3.0}, pairs)
    {'A': 'a', 'B': 'ab', 'C': 'b'}
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), but got {alpha!r}")
    if isinstance(groups, Mapping):
        order = sorted(groups, key=lambda g: -groups[g])
    else:
        order = list(groups)
    index = {g: i for i, g in enumerate(order)}
    different = []
    if {"group_a", "group_b", "pvalue_adj"} <= set(pvalues.columns):
        for a, b, p in pvalues[["group_a", "group_b", "pvalue_adj"]].itertuples(index=False):
            if a in index and b in index and p < alpha:
                different.append((index[a], index[b]))
    else:
        for a, b in itertools.combinations(order, 2):
            if pvalues.loc[a, b] < alpha:
                different.append((index[a], index[b]))
    columns: list[set[int]] = [set(range(len(order)))]
    for i, j in different:
        new: list[set[int]] = []
        for col in columns:
            if i in col and j in col:
                new.extend([col - {i}, col - {j}])
            else:
                new.append(col)
        # absorb: drop columns contained in another column
        unique = [set(c) for c in {frozenset(c) for c in new}]
        columns = [c for c in unique if not any(c < other for other in unique)]
    columns.sort(key=lambda c: (min(c), sorted(c)))
    letters = {g: "" for g in order}
    for k, col in enumerate(columns):
        letter = _letter(k)
        for i in sorted(col):
            letters[order[i]] += letter
    return letters


def _letter(k: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return alphabet[k] if k < 26 else alphabet[k // 26 - 1] + alphabet[k % 26]


def format_p(p: float, lang: str = "zh") -> str:
    """``p=0.003`` (zh) / ``p = 0.003`` (en) with three decimals; ``p<0.001`` when smaller."""
    sep = "" if lang == "zh" else " "
    if p < 0.001:
        return f"p{sep}<{sep}0.001"
    return f"p{sep}={sep}{p:.3f}"


def _check_lang(lang: str) -> None:
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")


def region_comparison_sentence(
    result: KruskalResult,
    lang: str = "zh",
    *,
    item_label: Mapping[str, str] | None = None,
    alpha: float = 0.05,
    group_word: str | None = None,
) -> str:
    """One plain sentence on a Kruskal-Wallis result: do the groups differ at ``alpha``?

    ``group_word`` names the groups in the sentence's language (default ``"地区"`` / ``"regions"``; the
    district view passes ``"区县"`` / ``"districts"``).

    Examples
    --------
    >>> region_comparison_sentence(KruskalResult(12.0, 0.0004, 0.06, 3, 201), "en")
    'The score differs significantly between regions (Kruskal-Wallis H = 12.00, p < 0.001, ε² = 0.060).'
    >>> region_comparison_sentence(KruskalResult(1.0, 0.6, 0.0, 3, 201), "zh", group_word="区县")
    '各区县的评分没有显著差异 (Kruskal-Wallis H=1.00, p=0.600, ε²=0.000)。'
    """
    _check_lang(lang)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), but got {alpha!r}")
    groups = group_word or ("地区" if lang == "zh" else "regions")
    item = None if item_label is None else (item_label.get(lang) or next(iter(item_label.values())))
    if not np.isfinite(result.pvalue):
        if lang == "zh":
            return f"{item or ''}评分无法在{groups}之间比较（{groups}或不同取值不足）。"
        return f"The {item + ' ' if item else ''}score cannot be compared between {groups} (too few {groups} or distinct values)."
    detail_zh = f"Kruskal-Wallis H={result.statistic:.2f}, {format_p(result.pvalue, 'zh')}, ε²={result.epsilon_squared:.3f}"
    detail_en = f"Kruskal-Wallis H = {result.statistic:.2f}, {format_p(result.pvalue, 'en')}, ε² = {result.epsilon_squared:.3f}"
    subject_en = f"The {item + ' ' if item else ''}score"
    if result.pvalue < alpha:
        if lang == "zh":
            return f"各{groups}的{item or ''}评分存在显著差异 ({detail_zh})。"
        return f"{subject_en} differs significantly between {groups} ({detail_en})."
    if lang == "zh":
        return f"各{groups}的{item or ''}评分没有显著差异 ({detail_zh})。"
    return f"{subject_en} does not differ significantly between {groups} ({detail_en})."
