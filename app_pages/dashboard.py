"""Managers: weighted satisfaction per region with 95% CIs and a test across regions."""

import streamlit as st

from analysis.compare import kruskal_regions, region_comparison_sentence
from survey.forms import round_questionnaire
from survey.regions import region_name_en
from survey.results import region_estimates, responses_frame
from survey.rounds import list_rounds
from ui import session
from ui.charts import ci_chart
from ui.i18n import label, lang, t

db = session.db()
st.title(t("dashboard"))
rounds = [r for r in list_rounds(db) if r["completed"]]
if not rounds:
    st.info(t("no_responses"))
    st.stop()
# Default to the newest closed round (complete fieldwork), else the newest round with answers.
default = next((i for i, r in enumerate(rounds) if r["status"] == "closed"), 0)
round_id = st.selectbox(
    t("pick_round"),
    [r["id"] for r in rounds],
    key="dash_round",
    index=default,
    format_func=lambda i: next(f"{r['id']} · {r['name']}" for r in rounds if r["id"] == i),
)
questionnaire = round_questionnaire(db, round_id)
items = {q.id: label(q.label) for q in questionnaire.questions if q.type == "likert5"}
item = st.selectbox(t("item"), list(items), format_func=items.get, key="dash_item")

frame = responses_frame(db, round_id)
table = region_estimates(frame, item)
if lang() == "en":
    table["region"] = table["region"].map(lambda r: "All" if r == "全部" else region_name_en(r))
overall = table.iloc[-1]
c1, c2 = st.columns(2)
c1.metric(
    t("weighted_mean"), f"{overall.estimate:.2f}", help=f"95% CI {overall.ci_low:.2f}–{overall.ci_high:.2f}"
)
c2.metric(t("respondents"), f"{len(frame):,}")

regions = table.iloc[:-1]
st.altair_chart(ci_chart(regions, value_title=items[item]), width="stretch")
st.caption(t("ci_caption"))
shown = regions.rename(columns={"region": t("col_region"), "estimate": t("col_estimate"), "n": t("col_n")})
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        c: st.column_config.NumberColumn(format="%.3f")
        for c in (t("col_estimate"), "se", "ci_low", "ci_high")
    },
)

result = kruskal_regions(frame, item, "region")
st.markdown(f"**{region_comparison_sentence(result, lang())}**")
st.caption(t("test_caption"))
