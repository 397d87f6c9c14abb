"""Managers: customers' suggestions by topic and region, with example texts (shown escaped)."""

import pandas as pd
import streamlit as st

from analysis.suggestions import classify_frame, load_topics, summarise_topics
from survey.regions import region_name_en
from survey.results import responses_frame, scoped
from survey.rounds import list_rounds
from ui import session
from ui.fmt import pct
from ui.i18n import lang, t

db, user = session.db(), session.user()
st.title(t("suggestions"))
rounds = [r for r in list_rounds(db) if r["completed"]]
if not rounds:
    st.info(t("no_responses_any_round"))
    st.stop()
names = {r["id"]: f"{r['id']} · {r['name']}" for r in rounds}
dictionary = load_topics()
topic_name = {tp.key: tp.label_zh if lang() == "zh" else tp.label_en for tp in dictionary.topics}
scope = user.region if user else None
c1, c2, c3 = st.columns(3)
default = next((i for i, r in enumerate(rounds) if r["status"] == "closed"), 0)  # newest finished round
round_id = c1.selectbox(
    t("sugg_filter_round"), list(names), index=default, format_func=names.get, key="sugg_round"
)
frame = scoped(responses_frame(db, round_id), scope)
regions = sorted(frame["region"].dropna().unique()) if len(frame) else []
# format_funcs are plain lookups: they must not read the session (AppTest calls them outside a run)
region_names = {
    r: (r if lang() == "zh" else region_name_en(r)) if r else t("dash_all") for r in ["", *regions]
}
region = c2.selectbox(
    t("dash_filter_region"), ["", *regions], key="sugg_region", format_func=region_names.get
)
topic_names = {"": t("dash_all"), **topic_name}
topic = c3.selectbox(
    t("sugg_filter_topic"), ["", *dictionary.keys], key="sugg_topic", format_func=topic_names.get
)
st.caption(t("sugg_method"))
if region:
    frame = frame[frame["region"] == region]
tagged = classify_frame(frame, "suggestion", by="region") if "suggestion" in frame else pd.DataFrame()
if tagged.empty:
    st.info(t("sugg_none"))
    st.stop()

st.subheader(t("sugg_counts"))
summary = summarise_topics(tagged, by="region", examples=0)
if topic:
    summary = summary[summary["topic"] == topic]
region_label = summary["region"] if lang() == "zh" else summary["region"].map(region_name_en)
counts = pd.DataFrame({t("col_region"): region_label, t("col_topic"): summary["topic"].map(topic_name),
                       t("col_count"): summary["count"], t("col_complaints"): summary["complaints"],
                       t("col_share"): summary["share"].map(pct)})  # fmt: skip
counts = counts[counts[t("col_count")] > 0] if not topic else counts
st.dataframe(counts, hide_index=True, width="stretch", key="sugg_counts_table")

st.subheader(t("sugg_examples"))
shown = tagged[tagged["topic"] == topic] if topic else tagged[tagged["topic"].notna()]
shown = shown.drop_duplicates(["row"]).head(50)
if shown.empty:
    st.info(t("sugg_none"))
examples = pd.DataFrame({t("col_region"): shown["region"] if lang() == "zh" else shown["region"].map(region_name_en),
                         t("col_topic"): shown["topic"].map(topic_name), t("col_text"): shown["text"],
                         t("sugg_col_complaint"): shown["text_complaint"].map({True: "✔", False: ""})})  # fmt: skip
st.dataframe(
    examples, hide_index=True, width="stretch", key="sugg_examples_table"
)  # text cells are never HTML
