"""Managers: one indicator across rounds with CIs, and whether each change is significant."""

import pandas as pd
import streamlit as st

from analysis.compare import format_p
from survey.dashboard import min_base
from survey.regions import region_name_en
from survey.results import likert_items, round_values, trend_table
from survey.rounds import list_rounds
from survey.users import parse_regions
from ui import session
from ui.charts import trend_chart
from ui.fmt import DIGITS, MISSING, estimate, md, p_value
from ui.i18n import STRINGS, label, lang, t

db, user = session.db(), session.user()
st.title(t("trends"))
rounds = [r for r in list_rounds(db) if r["completed"]]
if len(rounds) < 2:
    st.info(t("trend_none"))
    st.stop()
items = likert_items(db, max(r["id"] for r in rounds))


def _short(item_id: str) -> str:
    key = f"item_{item_id}"
    return STRINGS[key][lang() == "en"] if key in STRINGS else label(items[item_id])


c1, c2, c3 = st.columns(3)
# format_funcs are plain lookups: they must not read the session (AppTest calls them outside a run)
indicator_names = {k: t(f"kpi_{k}") for k in ("index", "top2", "mean")}
indicator = c1.selectbox(t("trend_indicator"), list(indicator_names), key="trend_indicator",
                         format_func=indicator_names.get)  # fmt: skip
item = ""
if indicator != "index":
    item_names = {i: _short(i) for i in items}
    item = c2.selectbox(t("trend_item"), list(items), format_func=item_names.get, key="trend_item")
scope = user.region if user else None
region = ""
if scope:
    scope_label = (
        "、".join(parse_regions(scope))
        if lang() == "zh"
        else ", ".join(map(region_name_en, parse_regions(scope)))
    )
    st.info(t("trend_scope", region=md(scope_label)))
else:  # an unrestricted manager may look at one region: a domain of every round's design
    regions = sorted({r for rnd in rounds for r in round_values(db, rnd["id"], "region")})
    region_names = {
        r: (r if lang() == "zh" else region_name_en(r)) if r else t("dash_all") for r in ["", *regions]
    }
    region = c3.selectbox(
        t("dash_filter_region"), ["", *regions], key="trend_region", format_func=region_names.get
    )
    if region:
        st.info(t("trend_filtered", region=md(region_names[region])))
include_open = st.checkbox(t("trend_include_open"), key="trend_open")
table = trend_table(db, list(items), indicator=indicator, item=item, region=scope or region or None,
                    include_open=include_open)  # fmt: skip
table["round"] = [name + (t("trend_open_mark") if is_open else "") for name, is_open in
                  zip(table["round"], table["open"], strict=True)]  # fmt: skip
if len(table) < 2:
    st.info(t("trend_none_filtered", region=md(region_names[region])) if region else t("trend_none"))
    st.stop()


def _change(value: object) -> str:
    """A signed change: index points, mean points, or percentage points for the top-2-box share."""
    if pd.isna(value):
        return MISSING
    if indicator == "top2":
        return t("trend_pp", value=f"{value * 100:+.1f}")
    return f"{value:+.{DIGITS[indicator][0]}f}"


titles = {"round": t("col_round"), "estimate": t("dash_col_value"), "ci_low": t("col_ci_low"),
          "ci_high": t("col_ci_high"), "n": t("col_n")}  # fmt: skip
value_format = {"index": ".1f", "top2": ".0%", "mean": ".2f"}[indicator]
st.altair_chart(trend_chart(table, value_title=indicator_names[indicator], titles=titles,
                            value_format=value_format), width="stretch")  # fmt: skip
st.dataframe(
    pd.DataFrame(
        {
            t("col_round"): table["round"],
            t("dash_col_value"): table["estimate"].map(lambda v: estimate(v, indicator)),
            t("col_se"): table["se"].map(lambda v: estimate(v, indicator, se=True)),
            t("col_ci_low"): table["ci_low"].map(lambda v: estimate(v, indicator)),
            t("col_ci_high"): table["ci_high"].map(lambda v: estimate(v, indicator)),
            t("col_n"): table["n"],
            t("col_change"): table["change"].map(_change),
            t("col_change_p"): table["change_p"].map(p_value),
            t("col_small", n=min_base()): table["small_cell"].map({True: "⚠", False: ""}),
        }
    ),  # fmt: skip
    hide_index=True,
    width="stretch",
    key="trend_table",
)
for earlier, later in zip(table.iloc[:-1].itertuples(), table.iloc[1:].itertuples(), strict=True):
    verdict = t("trend_sig") if later.significant else t("trend_nsig")
    p = format_p(later.change_p, lang()) if pd.notna(later.change_p) else f"p = {MISSING}"
    sentence = t("trend_change", later=md(later.round), earlier=md(earlier.round), diff=_change(later.change), p=p,
                 verdict=verdict)  # fmt: skip
    st.markdown(f"**{sentence}**")
st.caption(t("trend_method", min_n=min_base()))
