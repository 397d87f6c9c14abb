"""What the manager pages show for a round: indicators, design-based comparisons, findings, trends.

Every number and sentence comes from the stratified design of the whole round (DESIGN.md, Statistics):

* a filter (customer type, a region, the manager's scope) is a *domain* of the round's design, never a
  re-designed subset;
* "A is significantly lower than B" comes from the design-based pairwise difference of the weighted means
  (:func:`analysis.contrasts.compare_items`), adjusted over every item × pair of the page (Holm by default),
  and its direction is the sign of that same difference; the letters come from the same p-values;
* groups with fewer than ``min_n`` answers (default 30) show their estimate as "too few answers" and enter
  no test; the Rao-Scott test of the region × top-2-box table uses only the groups at or above that base;
* Kruskal-Wallis and Dunn (rank tests that treat the answers as a simple random sample) remain a labelled
  secondary view;
* trends compare rounds drawn by PRN rotation — disjoint samples of one frame — with the variance of a
  difference of disjoint samples, ``S²(1/n₁ + 1/n₂)`` stratum by stratum (no fpc; see :func:`trend_table`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.compare import (
    KruskalResult,
    RaoScottResult,
    compact_letters,
    cramers_v,
    dunn_pairs,
    kruskal_regions,
    rao_scott_chisq,
)
from analysis.contrasts import ADJUST_METHODS, PostStrata, compare_items
from analysis.indicators import headline_indicators, round_change, top2_column
from analysis.weights import WeightSummary, weight_summary

OVERALL = "全部"
DESIGN = dict(strata="stratum", weights="weight", fpc="N_h")
#: Smallest number of answers from which a group gets an estimate and a significance claim (issue 10, item 5).
MIN_BASE = 30


def min_base() -> int:
    """The minimum base: ``$SURVEY_MIN_BASE`` if set (a positive integer), else :data:`MIN_BASE`."""
    raw = os.environ.get("SURVEY_MIN_BASE", "").strip()
    if not raw:
        return MIN_BASE
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"SURVEY_MIN_BASE must be a positive integer, but got {raw!r}")
    return int(raw)


POST = PostStrata(cell="post_cell", base_weight="base_weight")


@dataclass(frozen=True)
class DashboardStats:
    """Everything the dashboard shows for one round, item, grouping and domain (:func:`dashboard_statistics`).

    ``pairs`` are the design-based pairwise differences of ``item`` (adjusted within ``all_pairs``, the
    family of every item × pair); ``kruskal`` and ``dunn`` are the secondary rank tests (SRS assumption).
    """

    group: str
    item: str
    indicators: pd.DataFrame
    pairs: pd.DataFrame
    all_pairs: pd.DataFrame
    letters: dict
    top2_test: RaoScottResult
    top2_cramers_v: float
    drill: pd.DataFrame
    weights: WeightSummary | None
    n: int
    min_n: int
    adjust: str
    kruskal: KruskalResult
    dunn: pd.DataFrame


def _post(frame: pd.DataFrame) -> PostStrata | None:
    return POST if {POST.cell, POST.base_weight} <= set(frame.columns) else None


def dashboard_statistics(
    frame: pd.DataFrame,
    items: list[str],
    item: str,
    *,
    group: str = "region",
    drill_by: str = "customer_type",
    domain: np.ndarray | pd.Series | None = None,
    min_n: int | None = None,
    adjust: str = "holm",
) -> DashboardStats:
    """Indicators per ``group`` (and overall), the design-based comparisons, the drill-down.

    ``frame`` is the whole round (:func:`survey.results.responses_frame`, possibly post-stratified by
    :func:`survey.results.poststratified`, whose post-strata then enter the variance); ``domain`` is a
    boolean mask of the rows the view is about (filters and scope). ``adjust`` is ``"holm"`` (family-wise
    error, Holm 1979) or ``"fdr_bh"`` (false discovery rate, Benjamini & Hochberg 1995) over every likert
    item × pair of groups. Rao-Scott (1984) F on top-2-box × group over the groups with at least ``min_n``
    answers; Cramér's V of that weighted table scaled to its sample size.
    """
    if item not in items:
        raise ValueError(f"item must be one of {items!r}, but got {item!r}")
    min_n = min_base() if min_n is None else min_n
    if adjust not in ADJUST_METHODS:
        raise ValueError(f"adjust must be one of {sorted(ADJUST_METHODS)}, but got {adjust!r}")
    mask = np.ones(len(frame), dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    view = frame[mask].reset_index(drop=True)
    nan_k = KruskalResult(np.nan, np.nan, np.nan, 0, 0)
    nan_r = RaoScottResult(np.nan, np.nan, np.nan, np.nan, np.nan)
    if view.empty:
        empty = pd.DataFrame()
        return DashboardStats(group, item, empty, empty, empty, {}, nan_r, np.nan, empty, None, 0, min_n, adjust,
                              nan_k, empty)  # fmt: skip
    post = _post(frame)
    common = dict(domain=mask, post=post, **DESIGN)
    indicators = headline_indicators(frame, items, by=group, overall_label=OVERALL, min_n=min_n, **common)
    all_pairs = compare_items(frame, items, group, min_n=min_n, method=adjust, **common)
    pairs = all_pairs[all_pairs["item"] == item].reset_index(drop=True)
    means = indicators[(indicators["indicator"] == "mean") & (indicators["item"] == item)]
    means = means[(means[group] != OVERALL) & (means["n"] >= min_n)].dropna(subset=["estimate"])
    tested = pairs[pairs["tested"]]
    letters = (
        compact_letters(dict(zip(means[group], means["estimate"], strict=True)), tested) if len(means) else {}
    )
    answered = frame[item].notna().to_numpy()
    counts = pd.Series(frame.loc[mask & answered, group]).value_counts()
    big = set(counts[counts >= min_n].index)
    in_test = mask & frame[group].isin(big).to_numpy()
    top2 = frame.assign(**{
        top2_column(item): np.where(frame[item].notna(), frame[item] >= 4, np.nan),
        "_group": frame[group].where(in_test),
    })  # fmt: skip
    test = rao_scott_chisq(top2, "_group", top2_column(item), **DESIGN) if len(big) >= 2 else nan_r
    table = (
        top2[in_test]
        .dropna(subset=[top2_column(item)])
        .pivot_table(index="_group", columns=top2_column(item), values="weight", aggfunc="sum", fill_value=0)
    )
    n_table = int(top2[in_test][top2_column(item)].notna().sum())
    effect = (
        cramers_v((table / table.to_numpy().sum() * n_table).to_numpy())
        if table.size and len(big) >= 2
        else np.nan
    )
    drill = headline_indicators(frame, items, by=drill_by, overall_label=OVERALL, min_n=min_n, **common)
    return DashboardStats(group, item, indicators, pairs, all_pairs, letters, test, effect, drill,
                          weight_summary(view["weight"]), len(view), min_n, adjust,
                          kruskal_regions(view, item, group), dunn_pairs(view, item, group))  # fmt: skip


def _change_se(frame: pd.DataFrame, items: list[str], indicator: str, item: str, mask: np.ndarray) -> float:
    """SE of the indicator without fpc: the round's share of ``V(ȳ₂ − ȳ₁) = Σ_h W_h² S_h² (1/n₁ₕ + 1/n₂ₕ)``."""
    table = headline_indicators(
        frame, items, strata="stratum", weights="weight", fpc=None, domain=mask, min_n=1
    )
    row = table[(table["indicator"] == indicator) & (table["item"] == (item if indicator != "index" else ""))]
    return float(row["se"].iloc[0]) if len(row) else math.nan


def trend_table(
    db: sqlite_utils.Database,
    items: list[str],
    *,
    indicator: str = "index",
    item: str = "",
    region: str | None = None,
    include_open: bool = False,
    min_n: int | None = None,
) -> pd.DataFrame:
    """One indicator across the rounds with responses (oldest first), with CIs and the change test.

    ``indicator`` is ``"mean"``, ``"top2"`` or ``"index"``. Closed rounds only, unless ``include_open``
    (then ``open`` marks them). The estimate and CI of each round are those of the dashboard (fpc from
    N̂_h, the scope a domain of the round). The change from the previous round listed is a z test with
    ``SE² = V₁ + V₂`` where each V is computed **without** the fpc: rounds drawn by PRN rotation are disjoint
    samples of one frame, and for disjoint SRS of one population ``V(ȳ₁ − ȳ₂) = S²(1/n₁ + 1/n₂)`` — the
    covariance ``−S²/N`` cancels the two fpc terms (Cochran 1977, §12.4 on sampling on successive
    occasions; Kish 1965, §12.4), stratum by stratum. Where samples overlap (no rotation) this is
    conservative. No change test when either round has fewer than ``min_n`` answers.
    """
    from survey.results import responses_frame, scope_mask

    if indicator not in ("mean", "top2", "index"):
        raise ValueError(f"indicator must be 'mean', 'top2' or 'index', but got {indicator!r}")
    min_n = min_base() if min_n is None else min_n
    rows = []
    statuses = ("closed", "open") if include_open else ("closed",)
    listed = db.execute("SELECT id, name, status FROM rounds ORDER BY id").fetchall()
    for rid, name, status in [r for r in listed if r[2] in statuses]:
        frame = responses_frame(db, rid)
        present = [i for i in items if i in frame.columns]
        if frame.empty or not present or (indicator != "index" and item not in present):
            continue
        mask = scope_mask(frame, region)
        if not mask.any():
            continue
        table = headline_indicators(frame, present, domain=mask, min_n=min_n, **DESIGN)
        row = table[
            (table["indicator"] == indicator) & (table["item"] == (item if indicator != "index" else ""))
        ]
        if row.empty or not row["n"].iloc[0]:
            continue
        rows.append({"round_id": rid, "round": name, "open": status == "open",
                     **row.iloc[0].drop(["indicator", "item"]).to_dict(),
                     "se_change": _change_se(frame, present, indicator, item, mask)})  # fmt: skip
    columns = [
        "round_id",
        "round",
        "open",
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "n",
        "small_cell",
        "se_change",
    ]
    out = pd.DataFrame(rows, columns=columns)
    changes = [None] if len(out) else []
    for a, b in zip(out.iloc[:-1].itertuples(), out.iloc[1:].itertuples(), strict=True):
        changes.append(
            round_change(a.estimate, a.se_change, b.estimate, b.se_change) if min(a.n, b.n) >= min_n else None
        )
    out["change"] = out["estimate"].astype(float).diff()
    out["change_p"] = [c.pvalue if c else np.nan for c in changes]
    out["significant"] = [c.significant() if c else False for c in changes]
    return out.drop(columns="se_change")
