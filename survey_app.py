"""Router: page config, language, sign-in, and the pages each role may see (st.navigation).

Customers never sign in: a link ``/?t=<token>`` opens only the questionnaire page.
"""

import functools
from pathlib import Path

import streamlit as st

from ui import login, session
from ui.chrome import localise_framework
from ui.i18n import language_switch, t

# Customers answer on a phone (narrow, centered); staff and managers work with wide tables.
st.set_page_config(
    page_title="供电服务满意度调查", page_icon="⚡", layout="centered" if "t" in st.query_params else "wide"
)
session.init()

ROOT = Path(__file__).resolve().parent
#: key -> (page file, title string key, icon). A page file that does not exist yet is left out.
PAGES = {
    "respond": ("app_pages/respond.py", "respond", ":material/edit_note:"),
    "login": ("app_pages/login.py", "login", ":material/login:"),
    "frame": ("app_pages/frame.py", "frame", ":material/upload_file:"),
    "rounds": ("app_pages/rounds.py", "rounds", ":material/casino:"),
    "fieldwork": ("app_pages/fieldwork.py", "fieldwork", ":material/call:"),
    "monitor": ("app_pages/monitor.py", "monitor", ":material/speed:"),
    "questionnaires": ("app_pages/questionnaires.py", "questionnaires", ":material/quiz:"),
    "dashboard": ("app_pages/dashboard.py", "dashboard", ":material/monitoring:"),
    "suggestions": ("app_pages/suggestions.py", "suggestions", ":material/forum:"),
    "follow_ups": ("app_pages/follow_ups.py", "follow_ups", ":material/support_agent:"),
    "trends": ("app_pages/trends.py", "trends", ":material/trending_up:"),
    "users": ("app_pages/users.py", "users", ":material/group:"),
    "audit": ("app_pages/audit.py", "audit", ":material/policy:"),
}
#: The pages each role may open, in menu order (the first is the start page).
ROLE_PAGES = {
    "staff": ["rounds", "frame", "fieldwork", "monitor", "questionnaires", "suggestions"],
    "manager": ["dashboard", "suggestions", "follow_ups", "trends", "monitor"],
    "admin": [
        "dashboard",
        "rounds",
        "frame",
        "fieldwork",
        "monitor",
        "questionnaires",
        "suggestions",
        "follow_ups",
        "trends",
        "users",
        "audit",
    ],
}


def page(key: str, default: bool = False) -> st.Page:
    path, title_key, icon = PAGES[key]
    return st.Page(str(ROOT / path), title=t(title_key), icon=icon, url_path=key, default=default)


def available(keys: list[str]) -> list[str]:
    return [k for k in keys if (ROOT / PAGES[k][0]).exists()]


user = session.refresh_user()
if "t" in st.query_params:
    navigation = st.navigation([page("respond", default=True)], position="hidden")
elif user is None:
    language_switch()
    # every page address shows the sign-in form (no "page not found"), and signing in lands on that page
    others = [st.Page(functools.partial(login.render, f"/{k}"), title=t("login"), url_path=k)
              for k in PAGES if k not in ("respond", "login")]  # fmt: skip
    navigation = st.navigation([page("login", default=True), *others], position="hidden")
else:
    language_switch()
    keys = available(ROLE_PAGES[user.role])
    navigation = st.navigation([page(k, default=(i == 0)) for i, k in enumerate(keys)])
    st.sidebar.caption(t("signed_in_as", name=user.name, role=t(f"role_{user.role}")))
    if st.sidebar.button(t("logout"), key="logout"):
        session.sign_out()
        st.rerun()
localise_framework()
navigation.run()
