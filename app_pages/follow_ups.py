"""Managers: the follow-up queue of unhappy customers in their region (overdue first)."""

import pandas as pd
import streamlit as st

from analysis.suggestions import load_topics
from survey.access import NotPermitted
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
from survey.regions import CUSTOMER_TYPES_EN, region_name_en
from survey.rounds import list_rounds
from ui import session
from ui.fmt import MISSING, local_time, local_times, md
from ui.i18n import STRINGS, lang, t


def _text(value: object) -> str:
    """Stored free text or name; empty for a missing value (never "None" or "nan")."""
    return "" if value is None or pd.isna(value) else str(value)


def _reasons(code: str) -> str:
    """``low_overall;complaint:billing,procedures`` in words: 总体满意度低分；投诉：电费与电价、业务流程与制度."""
    en = lang() == "en"
    parts = []
    for reason in filter(None, _text(code).split(";")):
        if reason.startswith("low_") and f"item_{reason[4:]}" in STRINGS:
            parts.append(t("fu_reason_low", item=STRINGS[f"item_{reason[4:]}"][en]))
        elif reason.startswith("complaint:"):
            keys = reason.removeprefix("complaint:").split(",")
            topics = (", " if en else "、").join(topic_names.get(k, k) for k in keys)
            parts.append(t("fu_reason_complaint", topics=topics))
        else:
            parts.append(reason)  # a code this page does not know: shown as stored
    return ("; " if en else "；").join(parts) or MISSING


FORM_KEYS = ("fu_new_status", "fu_owner", "fu_take", "fu_note")


def _forget_form() -> None:
    """Another item was picked: its form starts from its own stored values, not the last item's."""
    for key in FORM_KEYS:
        st.session_state.pop(key, None)


db, user = session.db(), session.user()
name, scope = (user.name, user.region) if user else (None, None)
topic_names = {tp.key: tp.label_en if lang() == "en" else tp.label_zh for tp in load_topics().topics}
region_name = region_name_en if lang() == "en" else str
type_name = (lambda c: CUSTOMER_TYPES_EN.get(c, c)) if lang() == "en" else str
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
admin = user is not None and user.role == "admin" and user.regions is None  # company-wide: admins only
sla = c2.number_input(t("fu_sla"), min_value=1, max_value=90, value=get_sla_days(db), step=1, key="fu_sla",
                      disabled=not admin, help=None if admin else t("fu_sla_admin_only"))  # fmt: skip
# a company-wide setting: saved only by its own button, never by typing a number
if admin and c2.button(t("fu_sla_save"), key="fu_sla_save", disabled=int(sla) == get_sla_days(db)):
    try:
        set_sla_days(db, int(sla), user=name, role=user.role if user else None, region=scope)
    except NotPermitted:
        st.warning(t("fu_sla_admin_only"))
    else:
        st.session_state["fu_flash"] = t("fu_sla_saved")
        st.rerun()
if c3.button(t("fu_sync"), key="fu_sync"):  # backfilled within the user's regions only
    created = sum(sync_follow_ups(db, r["id"], region=scope) for r in list_rounds(db) if r["completed"])
    st.success(t("fu_synced", n=created))

if st.session_state.get("fu_flash"):
    st.success(st.session_state.pop("fu_flash"))
queue = list_follow_ups(db, region=scope, status=status or None)
if queue.empty:
    st.info(t("fu_empty"))
    st.stop()
st.subheader(t("fu_queue"))
shown = pd.DataFrame({
    t("fu_col_id"): queue["id"], t("fu_overdue"): queue["overdue"].map({True: "⚠", False: ""}),
    t("col_region"): queue["region"].map(region_name), t("fu_reason"): queue["reason"].map(_reasons),
    t("fu_filter_status"): queue["status"].map(status_names.get), t("fu_due"): local_times(queue["due_at"]),
    t("fu_owner"): queue["owner"].map(_text).replace("", MISSING),
    t("dash_filter_type"): queue["customer_type"].map(type_name), t("col_name"): queue["name"].map(_text),
    t("col_phone"): queue["phone"].map(_text), t("col_text"): queue["suggestion"].map(_text),
})  # fmt: skip
st.dataframe(
    shown.style.apply(lambda row: ["background-color: #fde2e1" if row.iloc[1] else "" for _ in row], axis=1),
    hide_index=True,
    width="stretch",
    key="fu_table",
)

pick_names = {int(i): f"#{i} · {region_name(r)}" for i, r in zip(queue["id"], queue["region"], strict=True)}
item_id = st.selectbox(t("fu_pick"), list(pick_names), key="fu_pick", format_func=pick_names.get,
                       on_change=_forget_form)  # fmt: skip
item = queue.set_index("id").loc[item_id]
st.text(
    f"{t('fu_reason')}: {_reasons(item['reason'])}  ·  {t('fu_due')}: {local_time(item['due_at'])}  ·  "
    f"{_text(item['name'])} {_text(item['phone'])}"
)
st.text(
    f"{t('fu_filter_status')}: {status_names.get(item['status'], item['status'])}  ·  "
    f"{t('fu_owner')}: {_text(item['owner']) or MISSING}  ·  {t('fu_updated')}: {local_time(item['updated_at'])}"
)
if _text(item["suggestion"]):
    st.text(_text(item["suggestion"]))
if st.button(t("fu_show_phone"), key="fu_show_phone"):
    try:
        st.text(t("fu_phone", phone=reveal_phone(db, int(item_id), user=name, region=scope)))
    except FollowUpError:
        st.warning(t("fu_phone_owner_only"))
with st.form(f"fu_form_{item_id}"):
    new_status = st.selectbox(t("fu_filter_status"), STATUSES, index=STATUSES.index(item["status"]),
                              format_func=status_names.get, key="fu_new_status")  # fmt: skip
    owner = st.text_input(t("fu_owner"), value=_text(item["owner"]), key="fu_owner")
    take = st.checkbox(t("fu_take"), key="fu_take")
    note = st.text_area(t("fu_note"), value=_text(item["note"]), key="fu_note", max_chars=2000)
    if st.form_submit_button(t("fu_save"), key="fu_save"):
        try:
            update_follow_up(db, int(item_id), user=name, region=scope, status=new_status,
                             owner=name if take else owner, note=note)  # fmt: skip
            st.session_state["fu_flash"] = t("fu_saved")
            st.rerun()  # the table and the status line above show what was saved
        except FollowUpError:  # the queue lists only items in the user's scope: a backward status step
            st.error(t("fu_save_refused"))
        except ValueError as error:
            st.error(md(error))
