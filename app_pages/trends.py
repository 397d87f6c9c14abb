"""Managers: one indicator across rounds with CIs, and whether each change is significant."""

import pandas as pd
import streamlit as st

from analysis.compare import format_p
from survey.results import likert_items, trend_table
from survey.rounds import list_rounds
from ui import session
from ui.charts import trend_chart
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


c1, c2 = st.columns(2)
# format_funcs are plain lookups: they must not read the session (AppTest calls them outside a run)
indicator_names = {k: t(f"kpi_{k}") for k in ("index", "top2", "mean")}
indicator = c1.selectbox(t("trend_indicator"), list(indicator_names), key="trend_indicator",
                         format_func=indicator_names.get)  # fmt: skip
item = ""
if indicator != "index":
    item_names = {i: _short(i) for i in items}
    item = c2.selectbox(t("trend_item"), list(items), format_func=item_names.get, key="trend_item")
scope = user.region if user else None
if scope:
    st.info(t("dash_scope", region=scope, group=t("dash_group_region")))
table = trend_table(db, list(items), indicator=indicator, item=item, region=scope)
if len(table) < 2:
    st.info(t("trend_none"))
    st.stop()
st.altair_chart(trend_chart(table, value_title=indicator_names[indicator]),
                width="stretch")  # fmt: skip
st.dataframe(
    pd.DataFrame(
        {
            t("col_round"): table["round"],
            t("col_estimate"): table["estimate"],
            "se": table["se"],
            "ci_low": table["ci_low"],
            "ci_high": table["ci_high"],
            t("col_n"): table["n"],
            t("col_change"): table["change"],
            t("col_change_p"): table["change_p"],
            t("col_small"): table["small_cell"].map({True: "⚠", False: ""}),
        }
    ),  # fmt: skip
    hide_index=True,
    width="stretch",
    key="trend_table",
)
for earlier, later in zip(table.iloc[:-1].itertuples(), table.iloc[1:].itertuples(), strict=True):
    verdict = t("trend_sig") if later.significant else t("trend_nsig")
    p = format_p(later.change_p, lang()) if pd.notna(later.change_p) else "p = n/a"
    st.markdown(
        f"**{t('trend_change', later=later.round, earlier=earlier.round, diff=later.change, p=p, verdict=verdict)}**"
    )
st.caption(t("trend_method"))
