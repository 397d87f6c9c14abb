"""Altair charts used by the dashboard."""

from __future__ import annotations

import altair as alt
import pandas as pd


def ci_chart(
    table: pd.DataFrame,
    *,
    category: str = "region",
    value_title: str = "",
    domain: tuple[float, float] | None = None,
    letters: str | None = None,
) -> alt.Chart:
    """Point estimate with a 95% CI bar per category, sorted by estimate (highest first).

    ``letters`` names a column of significance letters shown right of each CI bar.
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
            category,
            alt.Tooltip("estimate:Q", format=".3f"),
            alt.Tooltip("ci_low:Q", format=".3f"),
            alt.Tooltip("ci_high:Q", format=".3f"),
            "n:Q",
        ],
    )
    chart = bars + points
    if letters is not None:
        chart = chart + base.mark_text(align="left", dx=8, fontWeight="bold").encode(
            x="ci_high:Q", text=f"{letters}:N"
        )
    return chart.properties(height=max(160, 40 * len(table)))


def trend_chart(table: pd.DataFrame, *, value_title: str = "") -> alt.Chart:
    """An indicator across rounds: points with 95% CI bars, joined by a line (oldest left)."""
    order = table["round"].tolist()
    base = alt.Chart(table).encode(x=alt.X("round:N", sort=order, title=None))
    line = base.mark_line().encode(y=alt.Y("estimate:Q", scale=alt.Scale(zero=False), title=value_title))
    bars = base.mark_rule(strokeWidth=2).encode(y="ci_low:Q", y2="ci_high:Q")
    points = base.mark_point(filled=True, size=80).encode(
        y="estimate:Q", tooltip=["round", alt.Tooltip("estimate:Q", format=".3f"), "n:Q"]
    )
    return (line + bars + points).properties(height=280)
