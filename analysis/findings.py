"""Plain sentences from the design-based comparisons of :mod:`analysis.contrasts`.

A sentence names the lower group first and gives the difference and the adjusted p-value of the very test
that found it, so the words, the chart and the letters cannot disagree (issue 10, item 3).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from analysis.compare import format_p

__all__ = ["design_findings", "overall_sentence", "plain_findings"]


def _label(labels: Mapping[object, object] | None, key: object, lang: str) -> str:
    value = key if labels is None else labels.get(key, key)
    if isinstance(value, Mapping):
        value = value.get(lang, next(iter(value.values())))
    return str(value)


def _difference(value: float, kind: str, lang: str) -> str:
    if kind == "top2":
        return (
            f"{abs(value) * 100:.1f} 个百分点"
            if lang == "zh"
            else f"{abs(value) * 100:.1f} percentage points"
        )
    return f"{abs(value):.2f} 分" if lang == "zh" else f"{abs(value):.2f} points"


def design_findings(
    pairs: pd.DataFrame,
    item_labels: Mapping[str, Mapping[str, str]],
    lang: str = "zh",
    *,
    group_labels: Mapping[object, object] | None = None,
) -> list[str]:
    """One sentence per significant pair of :func:`analysis.contrasts.compare_items`, lower group first.

    e.g. ``"泉州的服务态度平均分显著低于厦门（低 0.42 分，校正后 p=0.003）"``. ``item_labels`` maps each item
    id to its name per language.

    Examples
    --------
    >>> pairs = pd.DataFrame({"item": ["q"], "kind": ["mean"], "group_a": ["A"], "group_b": ["B"],
    ...     "estimate_a": [4.1], "estimate_b": [3.6], "difference": [0.5], "pvalue_adj": [0.01],
    ...     "significant": [True]})
    >>> design_findings(pairs, {"q": {"zh": "服务态度", "en": "service attitude"}}, "en")
    ["B's mean service attitude score is significantly lower than A's (by 0.50 points, adjusted p = 0.010)"]
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    out = []
    for row in pairs[pairs["significant"].astype(bool)].itertuples(index=False):
        kind = getattr(row, "kind", "mean")
        low, high = (row.group_a, row.group_b) if row.difference < 0 else (row.group_b, row.group_a)
        lo, hi = _label(group_labels, low, lang), _label(group_labels, high, lang)
        item = _label(item_labels, row.item, lang)
        p = format_p(row.pvalue_adj, lang)
        by = _difference(row.difference, kind, lang)
        if lang == "zh":
            what = "满意率" if kind == "top2" else "平均分"
            out.append(f"{lo}的{item}{what}显著低于{hi}（低 {by}，校正后 {p}）")
        else:
            what = "top-2-box share" if kind == "top2" else "mean"
            subject = f"{lo}'s {what} {item} score" if kind != "top2" else f"{lo}'s {item} {what}"
            out.append(f"{subject} is significantly lower than {hi}'s (by {by}, adjusted {p})")
    return out


def overall_sentence(pairs: pd.DataFrame, item_label: str, lang: str = "zh", *, family: int | None = None,
                     method: str | None = "Holm", group_word: str | None = None,
                     where: str | None = None) -> str:  # fmt: skip
    """One sentence on the pairs of one item: how many pairs differ significantly, and by which method.

    ``group_word`` names the groups in the sentence's language (``"地区"`` / ``"regions"``, ``"区县"`` /
    ``"districts"``; default ``"组"`` / ``"groups"``). ``method`` names the multiplicity adjustment; ``None``
    says "adjusted for multiple comparisons" in plain words (the manager's view names the method in its
    methods section). ``where`` says where the family of tests is (default ``"本页"`` / ``"on this page"``;
    a report passes ``"本报告"`` / ``"in this report"``).

    >>> pairs = pd.DataFrame({"tested": [True, True, False], "significant": [True, False, False]})
    >>> overall_sentence(pairs, "service", "en", family=30)
    'Of 2 pairs of groups compared (3 pairs, 1 below the minimum base), 1 differs significantly in the mean service score (design-based, Holm-adjusted over 30 tests on this page).'
    >>> overall_sentence(pairs, "服务态度", "zh", family=30, method=None, group_word="区县")
    '服务态度平均分比较了 2 对区县，另有 1 对因样本不足未比较：其中 1 对差异显著（按抽样设计加权比较，已对本页 30 项比较做多重比较校正）。'
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    tested = int(np.sum(pairs["tested"])) if len(pairs) else 0
    significant = int(np.sum(pairs["significant"])) if len(pairs) else 0
    untested = len(pairs) - tested
    family = tested if family is None else family
    if lang == "zh":
        groups = group_word or "组"
        if not tested:
            return f"{item_label}没有可比较的{groups}（每个{groups}至少需要足够的答卷）。"
        skipped = f"，另有 {untested} 对因样本不足未比较" if untested else ""
        verdict = f"其中 {significant} 对差异显著" if significant else "没有一对差异显著"
        how = (
            f"对本页 {family} 项检验做 {method} 校正" if method else f"已对本页 {family} 项比较做多重比较校正"
        )
        return (f"{item_label}平均分比较了 {tested} 对{groups}{skipped}：{verdict}"
                f"（按抽样设计加权比较，{how}）。")  # fmt: skip
    groups = group_word or "groups"
    if not tested:
        return f"No {groups} can be compared on the {item_label} score (each needs enough answers)."
    skipped = f" ({len(pairs)} pairs, {untested} below the minimum base)" if untested else ""
    if significant:
        verdict = f"{significant} differ{'s' if significant == 1 else ''} significantly"
    else:
        verdict = "none differs significantly"
    place = where or "on this page"
    how = (f"{method}-adjusted over {family} tests {place}" if method
           else f"adjusted for the {family} comparisons {place}")  # fmt: skip
    return (f"Of {tested} pairs of {groups} compared{skipped}, {verdict} in the mean {item_label} score "
            f"(design-based, {how}).")  # fmt: skip


def plain_findings(
    pairs_df: pd.DataFrame,
    item_label: Mapping[str, str],
    lang: str = "zh",
    *,
    group_labels: Mapping[object, str | Mapping[str, str]] | None = None,
) -> list[str]:
    """One plain sentence per significant pair of :func:`analysis.compare.dunn_pairs` (the rank test's
    reference view), lower group first; the dashboard's findings are :func:`design_findings`.

    e.g. ``"泉州的服务态度评分显著低于厦门 (p=0.003)"`` or ``"Quanzhou's service-attitude score
    is significantly lower than Xiamen's (p = 0.003)"``.

    Parameters
    ----------
    pairs_df : output of :func:`dunn_pairs`.
    item_label : the item's name per language, e.g. ``{"zh": "服务态度", "en": "service-attitude"}``.
    lang : ``"zh"`` or ``"en"``.
    group_labels : optional display names per group, a string or a mapping per language.
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', but got {lang!r}")
    item = item_label.get(lang) or next(iter(item_label.values()))
    out = []
    for row in pairs_df.loc[pairs_df["significant"].astype(bool)].itertuples(index=False):
        low, high = (row.group_a, row.group_b) if row.mean_a <= row.mean_b else (row.group_b, row.group_a)
        lo, hi = _label(group_labels, low, lang), _label(group_labels, high, lang)
        p = format_p(row.pvalue_adj, lang)
        if row.mean_a == row.mean_b:
            sentence = (
                f"{lo}与{hi}的{item}评分分布存在显著差异 ({p})"
                if lang == "zh"
                else f"{lo}'s and {hi}'s {item} scores differ significantly ({p})"
            )
        elif lang == "zh":
            sentence = f"{lo}的{item}评分显著低于{hi} ({p})"
        else:
            sentence = f"{lo}'s {item} score is significantly lower than {hi}'s ({p})"
        out.append(sentence)
    return out
