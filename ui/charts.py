"""Altair charts used by the dashboard."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import altair as alt
import pandas as pd

#: Line break used in wrapped axis labels (split into lines by the axis' ``labelExpr``).
LINE_BREAK = "\n"


def _title(titles: Mapping[str, str] | None, field: str) -> str:
    return (titles or {}).get(field, field)


def ci_chart(
    table: pd.DataFrame,
    *,
    category: str = "region",
    value_title: str = "",
    domain: tuple[float, float] | None = None,
    letters: str | None = None,
    titles: Mapping[str, str] | None = None,
    value_format: str = ".3f",
) -> alt.Chart:
    """Point estimate with a 95% CI bar per category, sorted by estimate (highest first).

    ``letters`` names a column of significance letters shown right of each CI bar. ``titles``
    maps the fields ``category``, ``estimate``, ``ci_low``, ``ci_high`` and ``n`` to the names
    shown in the tooltip (default: the field names); ``value_format`` is a d3 format of the values.
    """
    order = table.sort_values("estimate", ascending=False)[category].tolist()
    scale = alt.Scale(domain=list(domain), zero=False) if domain else alt.Scale(zero=False)
    base = alt.Chart(table).encode(y=alt.Y(f"{category}:N", sort=order, title=None))
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=scale, title=value_title), x2="ci_high:Q"
    )
    points = base.mark_point(filled=True, size=80).encode(
        x="estimate:Q",
        tooltip=[
            alt.Tooltip(f"{category}:N", title=_title(titles, category)),
            *(
                alt.Tooltip(f"{field}:Q", format=value_format, title=_title(titles, field))
                for field in ("estimate", "ci_low", "ci_high")
            ),
            alt.Tooltip("n:Q", title=_title(titles, "n")),
        ],
    )
    chart = bars + points
    if letters is not None:
        chart = chart + base.mark_text(align="left", dx=8, fontWeight="bold").encode(
            x="ci_high:Q", text=f"{letters}:N"
        )
    return chart.properties(height=max(160, 40 * len(table)))


def wrap_label(text: str, width: int = 20) -> str:
    """``text`` broken into lines of at most ``width`` display columns (a CJK character counts 2), for an
    axis label that must not be cut off.

    >>> wrap_label("2026年第四季度满意度调查（进行中）", 20)
    '2026年第四季度满意度\\n调查（进行中）'
    >>> wrap_label("Q3 2026", 20)
    'Q3 2026'
    """
    lines, line, used = [], "", 0
    for char in str(text):
        w = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used + w > width and line:
            lines.append(line)
            line, used = "", 0
        line += char
        used += w
    lines.append(line)
    return LINE_BREAK.join(lines)


def trend_chart(
    table: pd.DataFrame,
    *,
    value_title: str = "",
    titles: Mapping[str, str] | None = None,
    value_format: str | None = None,
) -> alt.Chart:
    """An indicator across rounds: points with 95% CI bars, joined by a line (oldest left).

    ``titles`` maps ``round``, ``estimate``, ``ci_low``, ``ci_high`` and ``n`` to tooltip names;
    ``value_format`` is the d3 format of the axis and the tooltip values (e.g. ``".1%"``; default:
    automatic axis, tooltip ``".3f"``).
    """
    # round names are wrapped onto several lines, never cut off or slanted (issue 12, item 10)
    table = table.assign(round_label=[wrap_label(r) for r in table["round"]])
    order = table["round_label"].tolist()
    x_axis = alt.Axis(labelAngle=0, labelLimit=0, labelExpr="split(datum.label, '\\n')")
    base = alt.Chart(table).encode(x=alt.X("round_label:N", sort=order, title=None, axis=x_axis))
    axis = alt.Axis(format=value_format) if value_format else alt.Axis()
    line = base.mark_line().encode(
        y=alt.Y("estimate:Q", scale=alt.Scale(zero=False), title=value_title, axis=axis)
    )
    bars = base.mark_rule(strokeWidth=2).encode(y="ci_low:Q", y2="ci_high:Q")
    points = base.mark_point(filled=True, size=80).encode(
        y="estimate:Q",
        tooltip=[
            alt.Tooltip("round:N", title=_title(titles, "round")),
            *(
                alt.Tooltip(f"{field}:Q", format=value_format or ".3f", title=_title(titles, field))
                for field in ("estimate", "ci_low", "ci_high")
            ),
            alt.Tooltip("n:Q", title=_title(titles, "n")),
        ],
    )
    return (line + bars + points).properties(height=280)
