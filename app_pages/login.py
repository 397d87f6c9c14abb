"""Sign-in for survey staff, managers and admins."""

import streamlit as st

from survey.users import authenticate, has_users
from ui import session
from ui.i18n import t

st.title(t("login_title"))
st.caption(t("login_hint"))
if st.session_state.get("timed_out"):
    st.warning(t("session_timed_out"))
if not has_users(session.db()):
    st.info(t("no_users_yet"))
with st.form("login"):
    name = st.text_input(t("username"), key="login_name")
    password = st.text_input(t("password"), type="password", key="login_password")
    submitted = st.form_submit_button(t("login"), type="primary")
if submitted:
    user = authenticate(session.db(), name.strip(), password)
    if user is None:
        st.error(t("login_failed"))
    else:
        session.sign_in(user)
        st.rerun()
