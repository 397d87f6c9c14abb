"""Fieldwork monitor: dispositions and AAPOR rates per stratum, completes over time, exports, closing.

Managers see it read-only (no exports of contact lists, no closing); region-scoped users see only
their region's customers.
"""

import altair as alt
import pandas as pd
import streamlit as st

from survey.fieldwork import full_contact, invitation_rows, invitations_csv, invitations_xlsx, reminder_rows
from survey.monitoring import completes_over_time, round_progress
from survey.rounds import close_round, get_round, list_rounds
from survey.store import audit
from ui import session
from ui.i18n import t

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

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
    format_func=lambda i: next(f"{r['id']} · {r['name']} ({r['status']})" for r in rounds if r["id"] == i),
)
info = get_round(db, round_id)
progress = round_progress(db, round_id, region=user.region)
total = progress.total


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{x:.1%}"


m = st.columns(4)
m[0].metric(t("mon_issued"), f"{total.issued:,}")
m[1].metric(t("mon_completed"), f"{total.completed:,}")
m[2].metric("RR1", _pct(total.rates.rr1))
m[3].metric("RR3", _pct(total.rates.rr3))

table = progress.table()
table["stratum"] = table["stratum"].replace({"*": t("mon_total")})
names = {k: t(f"mon_{k}") for k in ("issued", "completed", "partial", "refused", "non_contact", "ineligible",
                                    "pending")}  # fmt: skip
rates = ["rr1", "rr3", "coop1", "ref1", "con1"]
st.dataframe(
    table.rename(columns={"stratum": t("fw_stratum"), **names, **{r: r.upper() for r in rates}}),
    hide_index=True,
    width="stretch",
    column_config={r.upper(): st.column_config.NumberColumn(format="percent") for r in rates},
)
st.caption(t("mon_rates_caption"))

st.subheader(t("mon_over_time"))
daily = completes_over_time(db, round_id, region=user.region)
if daily.empty:
    st.caption(t("mon_no_completes"))
else:
    daily["date"] = pd.to_datetime(daily["date"])
    bars = (
        alt.Chart(daily)
        .mark_bar()
        .encode(x=alt.X("date:T", title=None), y=alt.Y("sum(completes):Q", title=None), color="mode:N")
    )
    line = alt.Chart(daily).mark_line(color="#444").encode(x="date:T", y=alt.Y("max(cumulative):Q"))
    st.altair_chart(alt.layer(bars, line).resolve_scale(y="independent"), width="stretch")

if not may_act:
    st.stop()

st.subheader(t("mon_exports"))
full = full_contact(user.role)
if not full:
    st.caption(t("mon_masked_note"))
c1, c2 = st.columns(2)
base_url = c1.text_input(t("mon_base_url"), value="http://localhost:8501/", key="mon_base_url")
days = c2.number_input(t("mon_days"), min_value=0, max_value=365, value=3, step=1, key="mon_days")
invitations = invitation_rows(db, round_id, base_url, full=full, region=user.region)
reminders = reminder_rows(db, round_id, int(days), base_url, full=full, region=user.region)


def _audited(action: str, rows: list[dict], fmt: str):
    def log() -> None:
        audit(db, user.name, action, f"round={round_id} rows={len(rows)} full={int(full)} format={fmt}")

    return log


d = st.columns(4)
for col, (key, action, rows, fmt) in zip(
    d,
    (
        ("inv_csv", "export_invitations", invitations, "csv"),
        ("inv_xlsx", "export_invitations", invitations, "xlsx"),
        ("rem_csv", "export_reminders", reminders, "csv"),
        ("rem_xlsx", "export_reminders", reminders, "xlsx"),
    ),
    strict=True,
):
    data = invitations_csv(rows).encode("utf-8") if fmt == "csv" else invitations_xlsx(rows)
    kind = "invitations" if key.startswith("inv") else f"reminders-{int(days)}d"
    col.download_button(
        t(f"mon_{key}", n=len(rows)),
        data,
        file_name=f"{kind}-round-{round_id}.{fmt}",
        mime="text/csv" if fmt == "csv" else XLSX,
        on_click=_audited(action, rows, fmt),
        key=f"mon_{key}",
        width="stretch",
    )

if info["status"] == "open" and user.region is not None:
    st.stop()  # only a user of all regions may close the whole round
st.subheader(t("mon_close"))
if info["status"] == "closed":
    st.info(t("mon_closed", at=info["closed_at"]))
    st.stop()
confirmed = st.checkbox(t("mon_close_confirm"), key="mon_close_confirm")
if st.button(t("mon_close"), type="primary", disabled=not confirmed, key="mon_close"):
    close_round(db, round_id, by=user.name)
    st.session_state.pop("mon_close_confirm", None)
    st.rerun()
