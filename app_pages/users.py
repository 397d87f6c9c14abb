"""Admin: list and create accounts."""

import pandas as pd
import streamlit as st

from survey.users import ROLES, UserError, create_user, list_users
from ui import session
from ui.i18n import t

db = session.db()
st.title(t("users"))
st.dataframe(pd.DataFrame(list_users(db)), hide_index=True, width="stretch")
st.subheader(t("create_user"))
with st.form("create_user"):
    name = st.text_input(t("username"), key="new_user_name")
    role = st.selectbox(t("role"), list(ROLES), key="new_user_role", format_func=lambda r: t(f"role_{r}"))
    region = st.text_input(t("region_scope"), key="new_user_region")
    password = st.text_input(t("password"), type="password", key="new_user_password")
    go = st.form_submit_button(t("create_user"), type="primary")
if go:
    try:
        create_user(db, name, role, password, region=region.strip() or None, by=session.user().name)
    except UserError as e:
        st.error(str(e))
    else:
        st.success(t("created"))
        st.rerun()
