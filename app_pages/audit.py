"""Admin: the audit log of every action that reads personal data or changes state."""

import datetime as dt

import streamlit as st

from survey.auditing import audit_actions, audit_entries
from survey.users import list_users
from ui import session
from ui.fmt import MISSING, local_times, local_zone
from ui.i18n import t

db = session.db()
st.title(t("audit"))


def _action(code: str | None) -> str:
    """An action code in words (a code this page does not know is shown as stored)."""
    if code is None:
        return t("any")
    try:
        return t(f"aud_act_{code}")
    except KeyError:
        return code


c1, c2, c3 = st.columns(3)
user = c1.selectbox(
    t("audit_user"),
    [None] + [u["name"] for u in list_users(db)],
    key="audit_user",
    format_func=lambda u: t("any") if u is None else u,
)
action = c2.selectbox(t("audit_action"), [None, *audit_actions(db)], key="audit_action", format_func=_action)
today = dt.datetime.now(local_zone()).date()
since = c3.date_input(
    t("audit_since"), value=None, key="audit_since", max_value=today, help=t("aud_since_help")
)
# stored times are UTC: the local day starts at local midnight, which is the previous evening in UTC
start = dt.datetime.combine(since, dt.time(), local_zone()).astimezone(dt.UTC).isoformat() if since else None
entries = audit_entries(db, user=user, action=action, since=start)
st.caption(t("audit_rows", n=len(entries)))
entries["at"] = local_times(entries["at"])
entries["user"] = entries["user"].fillna("").map(lambda u: u or t("aud_system"))  # None: the system itself
entries["action"] = entries["action"].map(_action)
entries["detail"] = entries["detail"].fillna("").map(lambda d: d or MISSING)
entries.columns = [t(f"aud_col_{c}") for c in entries.columns]
st.dataframe(entries, hide_index=True, width="stretch", key="audit_table")
