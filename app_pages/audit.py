"""Admin: the audit log of every action that reads personal data or changes state."""

import datetime as dt

import streamlit as st

from survey.auditing import audit_actions, audit_entries
from survey.users import list_users
from ui import session
from ui.i18n import t

db = session.db()
st.title(t("audit"))
c1, c2, c3 = st.columns(3)
user = c1.selectbox(
    t("audit_user"),
    [None] + [u["name"] for u in list_users(db)],
    key="audit_user",
    format_func=lambda u: t("any") if u is None else u,
)
action = c2.selectbox(
    t("audit_action"),
    [None, *audit_actions(db)],
    key="audit_action",
    format_func=lambda a: t("any") if a is None else a,
)
since = c3.date_input(t("audit_since"), value=None, key="audit_since", max_value=dt.date.today())
entries = audit_entries(db, user=user, action=action, since=since.isoformat() if since else None)
st.caption(t("audit_rows", n=len(entries)))
st.dataframe(entries, hide_index=True, width="stretch")
