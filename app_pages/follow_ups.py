"""Managers: the follow-up queue of unhappy customers in their region (overdue first)."""

import pandas as pd
import streamlit as st

from survey.follow_ups import (
    STATUSES,
    FollowUpError,
    get_sla_days,
    list_follow_ups,
    reveal_phone,
    set_sla_days,
    sync_follow_ups,
    update_follow_up,
)
from survey.rounds import list_rounds
from ui import session
from ui.i18n import t

db, user = session.db(), session.user()
name, scope = (user.name, user.region) if user else (None, None)
st.title(t("follow_ups"))
st.caption(t("fu_rules"))

c1, c2, c3 = st.columns([2, 1, 1])
status_names = {
    "": t("dash_all"),
    **{s: t(f"fu_status_{s}") for s in STATUSES},
}  # plain lookups for format_func
status = c1.selectbox(
    t("fu_filter_status"), list(status_names), key="fu_status_filter", format_func=status_names.get
)
sla = c2.number_input(t("fu_sla"), min_value=1, max_value=90, value=get_sla_days(db), step=1, key="fu_sla")
if int(sla) != get_sla_days(db):
    set_sla_days(db, int(sla), user=name)
    st.toast(t("fu_sla_saved"))
if c3.button(t("fu_sync"), key="fu_sync"):
    created = sum(sync_follow_ups(db, r["id"]) for r in list_rounds(db) if r["completed"])
    st.success(t("fu_synced", n=created))

queue = list_follow_ups(db, region=scope, status=status or None)
if queue.empty:
    st.info(t("fu_empty"))
    st.stop()
st.subheader(t("fu_queue"))
shown = pd.DataFrame({
    "id": queue["id"], t("fu_overdue"): queue["overdue"].map({True: "⚠", False: ""}), t("col_region"): queue["region"],
    t("fu_reason"): queue["reason"], t("fu_filter_status"): queue["status"].map(lambda s: t(f"fu_status_{s}")),
    t("fu_due"): queue["due_at"].str[:10], t("fu_owner"): queue["owner"].fillna(""),
    t("dash_filter_type"): queue["customer_type"], "name": queue["name"], "phone": queue["phone"],
    t("col_text"): queue["suggestion"].fillna(""),
})  # fmt: skip
st.dataframe(
    shown.style.apply(lambda row: ["background-color: #fde2e1" if row.iloc[1] else "" for _ in row], axis=1),
    hide_index=True,
    width="stretch",
    key="fu_table",
)

pick_names = {int(i): f"#{i} · {r}" for i, r in zip(queue["id"], queue["region"], strict=True)}
item_id = st.selectbox(t("fu_pick"), list(pick_names), key="fu_pick", format_func=pick_names.get)
item = queue.set_index("id").loc[item_id]
st.text(
    f"{t('fu_reason')}: {item['reason']}  ·  {t('fu_due')}: {item['due_at']}  ·  {item['name']} {item['phone']}"
)
if item["suggestion"]:
    st.text(item["suggestion"])
if st.button(t("fu_show_phone"), key="fu_show_phone"):
    try:
        st.text(t("fu_phone", phone=reveal_phone(db, int(item_id), user=name, region=scope)))
    except FollowUpError:
        st.warning(t("fu_phone_owner_only"))
with st.form(f"fu_form_{item_id}"):
    new_status = st.selectbox(t("fu_filter_status"), STATUSES, index=STATUSES.index(item["status"]),
                              format_func=status_names.get, key="fu_new_status")  # fmt: skip
    owner = st.text_input(t("fu_owner"), value=item["owner"] or "", key="fu_owner")
    take = st.checkbox(t("fu_take"), key="fu_take")
    note = st.text_area(t("fu_note"), value=item["note"] or "", key="fu_note", max_chars=2000)
    if st.form_submit_button(t("fu_save"), key="fu_save"):
        try:
            update_follow_up(db, int(item_id), user=name, region=scope, status=new_status,
                             owner=name if take else owner, note=note)  # fmt: skip
            st.success(t("fu_saved"))
        except (FollowUpError, ValueError) as error:
            st.error(str(error))
