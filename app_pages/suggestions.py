"""Managers: customers' suggestions by topic and region — complaints and praise per topic from the stored
classification (model version said), example texts with the model's confidence, staff corrections, new
terms for the dictionary, and (admins) retraining the model."""

import pandas as pd
import streamlit as st

from analysis.corpus import POLARITIES, TOPICS
from analysis.suggestions import top_terms
from analysis.topic_counts import topic_rows
from survey.access import NotPermitted
from survey.regions import region_name_en
from survey.rounds import list_rounds
from survey.topic_classification import (
    reclassify_round,
    round_classification,
    topic_labels,
    topic_summary,
    versions_used,
)
from survey.topic_corrections import CorrectionError, correct_suggestion
from survey.topic_models import list_models, model_info, train_and_store
from ui import session
from ui.fmt import local_time, num, pct
from ui.i18n import lang, t

db, user = session.db(), session.user()
st.title(t("suggestions"))


def _version(version: str) -> str:
    """A model version as the reader's language says it (``shipped-1a2b3c4d`` → 随附模型 1a2b3c4d)."""
    if version.startswith("shipped-"):
        return t("tm_shipped_version", hash=version.split("-", 1)[1])
    return version


rounds = [r for r in list_rounds(db) if r["completed"]]
if not rounds:
    st.info(t("no_responses_any_round"))
    st.stop()
names = {r["id"]: f"{r['id']} · {r['name']}" for r in rounds}
status = {r["id"]: r["status"] for r in rounds}
labels = topic_labels()
topic_name = {k: v[0] if lang() == "zh" else v[1] for k, v in labels.items()}
scope = user.region if user else None
c1, c2, c3 = st.columns(3)
default = next((i for i, r in enumerate(rounds) if r["status"] == "closed"), 0)  # newest finished round
round_id = c1.selectbox(
    t("sugg_filter_round"), list(names), index=default, format_func=names.get, key="sugg_round"
)
classified = round_classification(db, round_id, scope=scope)
regions = sorted(classified["region"].dropna().unique()) if len(classified) else []
# format_funcs are plain lookups: they must not read the session (AppTest calls them outside a run)
region_names = {
    r: (r if lang() == "zh" else region_name_en(r)) if r else t("dash_all") for r in ["", *regions]
}
region = c2.selectbox(
    t("dash_filter_region"), ["", *regions], key="sugg_region", format_func=region_names.get
)
topic_names = {"": t("dash_all"), **topic_name}
topic = c3.selectbox(t("sugg_filter_topic"), ["", *TOPICS], key="sugg_topic", format_func=topic_names.get)
st.caption(t("tm_method"))
if region:
    classified = classified[classified["region"] == region]
if classified.empty:
    st.info(t("sugg_none"))
    st.stop()

# which model classified what
current = model_info(db)
for info, n in versions_used(db, classified):
    f1 = num(info.held_out_f1) if info.held_out_f1 is not None else "—"
    if info.kind == "stored":
        st.caption(
            t(
                "tm_by_stored",
                version=_version(info.version),
                date=local_time(info.created_at, date_only=True),
                f1=f1,
                n=n,
            )
        )
    elif info.kind == "shipped":
        st.caption(t("tm_by_shipped", version=_version(info.version), f1=f1, n=n))
    else:
        st.caption(t("tm_by_dictionary", n=n))
if status[round_id] == "closed":
    st.caption(t("tm_frozen", version=_version(current.version)))
    may_reclassify = user is None or (user.role in ("manager", "admin") and user.regions is None)
    if may_reclassify and any(info.version != current.version for info, _ in versions_used(db, classified)):
        sure = st.checkbox(t("tm_reclassify_confirm"), key=f"tm_reclassify_sure_{round_id}")
        if st.button(t("tm_reclassify"), key=f"tm_reclassify_{round_id}", disabled=not sure):
            n = reclassify_round(db, round_id, user=user)
            st.session_state["tm_flash"] = t("tm_reclassified", version=_version(current.version), n=n)
            st.rerun()
if st.session_state.get("tm_flash"):
    st.success(st.session_state.pop("tm_flash"))

st.subheader(t("tm_counts"))
summary = topic_summary(db, round_id, by="region", classification=classified)
general = summary[summary["topic"].str.startswith("_")]
summary = summary[~summary["topic"].str.startswith("_")]
if topic:
    summary = summary[summary["topic"] == topic]
else:
    summary = summary[summary["count"] > 0]
region_label = summary["region"] if lang() == "zh" else summary["region"].map(region_name_en)
counts = pd.DataFrame({t("col_region"): region_label, t("col_topic"): summary["topic"].map(topic_name),
                       t("tm_col_mentions"): summary["count"], t("tm_col_complaints"): summary["complaints"],
                       t("tm_col_share"): summary["share"].map(pct), t("tm_col_weighted"): summary["weighted_share"].map(pct),
                       t("tm_col_praise"): summary["praise"],
                       t("tm_col_confidence"): summary["mean_probability"].map(pct)})  # fmt: skip
st.dataframe(counts, hide_index=True, width="stretch", key="sugg_counts_table")
whole = general.groupby("topic")["count"].sum()
st.write(t("tm_general", complaint=int(whole.get("_complaint", 0)), praise=int(whole.get("_praise", 0)),
           n=len(classified)))  # fmt: skip

st.subheader(t("sugg_examples"))
rows = topic_rows(classified)
shown = rows[rows["topic"] == topic] if topic else rows[rows["topic"].notna()]
shown_ids = list(dict.fromkeys(shown["response_id"]))[:50]
shown = shown[shown["response_id"].isin(shown_ids)]
by_id = classified.set_index("response_id")
polarity_name = {p: t(f"tm_polarity_{p}") for p in POLARITIES}


def _corrected_text(rid: int) -> str:
    row = by_id.loc[rid]
    if row["corrected_by"] is None:
        return ""
    return t("tm_corrected_by", by=row["corrected_by"], at=local_time(row["corrected_at"]))


if shown.empty:
    st.info(t("sugg_none"))
else:
    examples = pd.DataFrame({
        t("col_region"): shown["region"] if lang() == "zh" else shown["region"].map(region_name_en),
        t("col_topic"): shown["topic"].map(topic_name), t("tm_col_polarity"): shown["polarity"].map(polarity_name),
        t("col_text"): shown["text"],
        t("tm_col_complaint"): shown["prediction"].map(lambda p: "✔" if p.complaint else ""),
        t("tm_col_confidence"): shown["probability"].map(pct),
        t("tm_col_corrected"): shown["response_id"].map(_corrected_text),
        t("tm_col_id"): shown["response_id"], t("tm_col_version"): shown["model_version"],
    })  # fmt: skip
    st.dataframe(
        examples, hide_index=True, width="stretch", key="sugg_examples_table"
    )  # text cells are never HTML

# staff corrections: every widget keyed by the response it edits
if user is not None and user.role in ("staff", "manager", "admin") and shown_ids:  # scope: rows are in it
    st.subheader(t("tm_correct_header"))
    texts = {rid: f"{rid} · {str(by_id.loc[rid, 'text'])[:60]}" for rid in shown_ids}
    rid = st.selectbox(t("tm_correct_pick"), shown_ids, format_func=texts.get, key="tm_correct_pick")
    prediction = by_id.loc[rid, "prediction"]
    with st.form(f"tm_correct_form_{rid}"):
        chosen = {}
        for polarity in POLARITIES:
            chosen[polarity] = st.multiselect(
                t(f"tm_correct_{polarity}_topics"), list(TOPICS), default=list(prediction.with_polarity(polarity)),
                format_func=topic_name.get, key=f"tm_correct_{polarity}_{rid}", placeholder=t("tm_correct_none"),
            )  # fmt: skip
        is_complaint = st.checkbox(
            t("tm_correct_is_complaint"), value=prediction.complaint, key=f"tm_correct_c_{rid}"
        )
        is_praise = st.checkbox(t("tm_correct_is_praise"), value=prediction.praise, key=f"tm_correct_p_{rid}")
        if st.form_submit_button(t("tm_correct_save"), key=f"tm_correct_save_{rid}"):
            twice = [k for k in TOPICS if sum(k in chosen[p] for p in POLARITIES) > 1]
            if twice:
                st.error(t("tm_correct_twice", topics="、".join(topic_name[k] for k in twice)))
            else:
                pairs = {k: p for p in POLARITIES for k in chosen[p]}
                try:
                    correct_suggestion(db, int(rid), pairs, user=user,
                                       complaint=is_complaint or bool(chosen["complaint"]),
                                       praise=is_praise or bool(chosen["praise"]))  # fmt: skip
                except (CorrectionError, NotPermitted) as e:
                    st.error(str(e))
                else:
                    st.session_state["tm_flash"] = t("tm_correct_saved")
                    st.rerun()

uncovered = classified[classified["prediction"].map(lambda p: not p.topics)]["text"]
terms = top_terms(uncovered.tolist(), n=15) if len(uncovered) else pd.DataFrame(columns=["term", "count"])
if len(terms):
    st.subheader(t("tm_new_terms"))
    st.caption(t("tm_new_terms_hint"))
    if user is not None and user.role == "admin":  # the file is an administrator's business, not a manager's
        st.caption(t("tm_new_terms_admin", path="`analysis/data/topics.yaml`"))
    st.dataframe(terms.rename(columns={"term": t("tm_col_term"), "count": t("col_count")}), hide_index=True,
                 key="tm_new_terms")  # fmt: skip

if user is not None and user.role == "admin" and user.regions is None:
    st.subheader(t("tm_admin_header"))
    versions = list_models(db)
    if versions.empty:
        st.caption(t("tm_no_versions", version=_version(current.version)))
    else:
        st.dataframe(pd.DataFrame({
            t("tm_col_version"): versions["version"], t("tm_col_created"): versions["created_at"].map(local_time),
            t("tm_col_by"): versions["created_by"], t("tm_col_train"): versions["n_train"],
            t("tm_col_corrections"): versions["n_corrections"], t("tm_col_held_out"): versions["held_out_f1"].map(num),
            t("tm_col_cv"): versions["cv_f1"].map(num),
        }), hide_index=True, key="tm_versions")  # fmt: skip
    if st.button(t("tm_retrain"), key="tm_retrain"):
        with st.spinner(t("tm_retrain")):
            info, result = train_and_store(db, user=user, evaluate=False)
        f1 = num(info.held_out_f1) if info.held_out_f1 is not None else "—"
        st.session_state["tm_flash"] = t(
            "tm_retrained", version=_version(info.version), f1=f1, seconds=result.seconds
        )
        st.rerun()
