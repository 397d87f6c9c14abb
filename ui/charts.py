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
) -> alt.Chart:
    """Point estimate with a 95% CI bar per category, sorted by estimate (highest first)."""
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
    return (bars + points).properties(height=max(160, 40 * len(table)))
