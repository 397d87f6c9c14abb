"""Fieldwork monitor: dispositions and AAPOR rates per stratum, completes over time, exports, closing.

Managers see it read-only (no exports of contact lists, no closing); region-scoped users see only
their region's customers.
"""

import altair as alt
import pandas as pd
import streamlit as st

from survey.fieldwork import contact_file, full_contact
from survey.monitoring import completes_over_time, round_progress
from survey.rounds import close_round, get_round, list_rounds
from ui import downloads, session
from ui.fmt import local_time, local_zone, md, pct, place_label
from ui.i18n import lang, t

db = session.db()
user = session.user()
may_act = user.role in ("staff", "admin")
st.title(t("monitor"))
rounds = list_rounds(db)
if not rounds:
    st.info(t("no_rounds"))
    st.stop()
default = next((i for i, r in enumerate(rounds) if r["status"] == "open"), 0)
round_id = st.selectbox(
    t("mon_round"),
    [r["id"] for r in rounds],
    index=default,
    key="mon_round",
    format_func=lambda i: next(
        t("mon_round_option", id=r["id"], name=r["name"], status=t(f"mon_status_{r['status']}"))
        for r in rounds
        if r["id"] == i
    ),
)
info = get_round(db, round_id)
progress = round_progress(db, round_id, region=user.region)
total = progress.total


m = st.columns(4)
m[0].metric(t("mon_issued"), f"{total.issued:,}")
m[1].metric(t("mon_completed"), f"{total.completed:,}")
m[2].metric("RR1", pct(total.rates.rr1))
m[3].metric("RR3", pct(total.rates.rr3))

table = progress.table()
table["stratum"] = table["stratum"].map(lambda s: t("mon_total") if s == "*" else place_label(s, lang()))
names = {k: t(f"mon_{k}") for k in ("issued", "completed", "partial", "refused", "non_contact", "ineligible",
                                    "pending")}  # fmt: skip
rates = ["rr1", "rr3", "coop1", "ref1", "con1"]
for rate in rates:  # "—" where the denominator is 0 (nan)
    table[rate] = table[rate].map(pct)
st.dataframe(
    table.rename(columns={"stratum": t("fw_stratum"), **names, **{r: r.upper() for r in rates}}),
    hide_index=True,
    width="stretch",
)
st.caption(t("mon_rates_caption"))

st.subheader(t("mon_over_time"))
daily = completes_over_time(db, round_id, region=user.region, tz=local_zone().key)
if daily.empty:
    st.caption(t("mon_no_completes"))
else:
    daily["date"] = pd.to_datetime(daily["date"])
    daily["mode"] = daily["mode"].map(lambda m: t(f"mon_mode_{m}") if m in ("web", "phone") else m)
    when = alt.Tooltip("date:T", title=t("mon_date"), format="%Y-%m-%d")
    whole = alt.Axis(format="d", tickMinStep=1)  # counts: no 0.5 ticks

    # one band per calendar day, as categories: a time axis made one day a page-wide bar labelled
    # "12-02, 12-02, 12-03" (hours); the running total sits on the same bands
    daily["day"] = daily["date"].dt.strftime("%m-%d")
    days = sorted(daily["day"].unique(), key=lambda d: daily.loc[daily["day"] == d, "date"].min())

    def day(**where) -> alt.X:
        return alt.X("day:O", title=None, sort=days, axis=alt.Axis(labelAngle=0, labelOverlap=True), **where)

    bars = (
        alt.Chart(daily)
        .mark_bar()
        .encode(
            x=day(),
            y=alt.Y("completes:Q", title=t("mon_daily"), axis=whole),
            color=alt.Color("mode:N", title=t("mon_mode")),
            tooltip=[when, alt.Tooltip("mode:N", title=t("mon_mode")), alt.Tooltip("completes:Q", title=t("mon_daily"))],
        )
    )  # fmt: skip
    line = (
        alt.Chart(daily.drop_duplicates("date")[["date", "day", "cumulative"]])  # one running total per day
        .mark_line(color="#444", point=alt.OverlayMarkDef(color="#444"))
        .encode(
            x=day(),
            y=alt.Y("cumulative:Q", title=t("mon_cumulative"), axis=whole),
            tooltip=[when, alt.Tooltip("cumulative:Q", title=t("mon_cumulative"))],
        )
    )
    st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent"), width="stretch")

if not may_act:
    st.stop()

st.subheader(t("mon_exports"))
full = full_contact(user.role)
if not full:
    st.caption(t("mon_masked_note"))
st.caption(t("prepare_help"))
if user.regions is not None:
    st.caption(t("scope_rows_note", regions=md(user.region)))
c1, c2 = st.columns(2)
base_url = c1.text_input(t("mon_base_url"), value="http://localhost:8501/", key="mon_base_url")
days = c2.number_input(t("mon_days"), min_value=0, max_value=365, value=3, step=1, key="mon_days")
d = st.columns(4)
for col, key in zip(d, ("inv_csv", "inv_xlsx", "rem_csv", "rem_xlsx"), strict=True):
    if col.button(t(f"mon_prep_{key}"), key=f"mon_prep_{key}", width="stretch"):  # built and audited now
        built = contact_file(
            db, round_id, by=user.name, full=full, region=user.region, base_url=base_url,
            days=int(days) if key.startswith("rem") else None, fmt=key.rsplit("_", 1)[1],
            lang=lang(), tz=local_zone().key,
        )  # fmt: skip
        downloads.keep("monitor", data=built.data, file_name=built.file_name, mime=built.mime,
                       label=t("mon_ready", file=built.file_name, n=built.rows))  # fmt: skip
downloads.offer("monitor", key="mon_download")

if info["status"] == "open" and user.region is not None:
    st.stop()  # only a user of all regions may close the whole round
st.subheader(t("mon_close"))
if info["status"] == "closed":
    st.info(t("mon_closed", at=local_time(info["closed_at"])))
    st.stop()
confirmed = st.checkbox(t("mon_close_confirm"), key="mon_close_confirm")
if st.button(t("mon_close"), type="primary", disabled=not confirmed, key="mon_close"):
    close_round(db, round_id, by=user.name, by_user=user)  # checked in survey/ too: all regions only
    st.session_state.pop("mon_close_confirm", None)
    st.rerun()
