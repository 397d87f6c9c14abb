"""Router: page config, language, sign-in, and the pages each role may see (st.navigation).

Customers never sign in: a link ``/?t=<token>`` opens only the questionnaire page.
"""

import streamlit as st

from ui import session
from ui.i18n import language_switch, t

st.set_page_config(page_title="供电服务满意度调查", page_icon="⚡", layout="centered")
session.init()

PAGES = {
    "respond": ("app_pages/respond.py", "respond", ":material/edit_note:"),
    "login": ("app_pages/login.py", "login", ":material/login:"),
    "rounds": ("app_pages/rounds.py", "rounds", ":material/casino:"),
    "dashboard": ("app_pages/dashboard.py", "dashboard", ":material/monitoring:"),
    "users": ("app_pages/users.py", "users", ":material/group:"),
}
ROLE_PAGES = {
    "staff": ["rounds"],
    "manager": ["dashboard"],
    "admin": ["dashboard", "rounds", "users"],
}


def page(key: str, default: bool = False) -> st.Page:
    path, title_key, icon = PAGES[key]
    return st.Page(path, title=t(title_key), icon=icon, url_path=key, default=default)


user = session.user()
if "t" in st.query_params:
    navigation = st.navigation([page("respond", default=True)], position="hidden")
elif user is None:
    language_switch()
    navigation = st.navigation([page("login", default=True)], position="hidden")
else:
    language_switch()
    keys = ROLE_PAGES[user.role]
    navigation = st.navigation([page(k, default=(i == 0)) for i, k in enumerate(keys)])
    st.sidebar.caption(t("signed_in_as", name=user.name, role=t(f"role_{user.role}")))
    if st.sidebar.button(t("logout"), key="logout"):
        session.sign_out()
        st.rerun()
navigation.run()
