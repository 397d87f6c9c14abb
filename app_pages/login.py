"""Sign-in for survey staff, managers and admins."""

import streamlit as st

from survey.users import MAX_NAME, MAX_PASSWORD, TooManyAttempts, authenticate, has_users
from ui import session
from ui.i18n import t

st.title(t("login_title"))
st.caption(t("login_hint"))
if st.session_state.get("timed_out"):
    st.warning(t("session_timed_out"))
if not has_users(session.db()):
    st.info(t("no_users_yet"))
with st.form("login"):
    name = st.text_input(t("username"), key="login_name", max_chars=MAX_NAME)
    password = st.text_input(t("password"), type="password", key="login_password", max_chars=MAX_PASSWORD)
    submitted = st.form_submit_button(t("login"), type="primary")
if submitted:
    try:  # the limits and the name cap are checked in survey.users, whatever the browser sends
        user = authenticate(session.db(), name, password, client=session.client_keys())
    except TooManyAttempts as e:
        st.error(t("login_throttled", minutes=max(1, round(e.retry_after / 60))))
    else:
        if user is None:
            st.error(t("login_failed"))
        else:
            session.sign_in(user)
            st.rerun()
