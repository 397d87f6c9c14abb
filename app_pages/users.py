"""Admin: accounts — create, disable/enable, reset password, change role and region scope — and the region
list imports map onto (regions, aliases)."""

import pandas as pd
import streamlit as st

from survey.region_list import PlaceListError, add_alias, add_region, list_aliases, list_regions
from survey.store import now
from survey.users import (
    ROLES,
    PasswordPolicy,
    UserError,
    create_user,
    known_regions,
    list_users,
    parse_regions,
    reset_password,
    set_disabled,
    set_scope,
)
from ui import session
from ui.fmt import local_time, md
from ui.i18n import t

db = session.db()
me = session.user()
st.title(t("users"))
if st.session_state.get("users_flash"):
    st.success(st.session_state.pop("users_flash"))
users = list_users(db)


def _status(u: dict) -> str:
    if u["disabled"]:
        return t("usr_status_disabled")
    if u["locked_until"] and u["locked_until"] > now():  # both UTC ISO: compare as text, like the sign-in
        return t("usr_status_locked", until=local_time(u["locked_until"]))
    return t("usr_status_active")


st.dataframe(
    pd.DataFrame(
        {
            t("usr_col_name"): [u["name"] for u in users],
            t("usr_col_role"): [t(f"role_{u['role']}") for u in users],
            t("usr_col_region"): [
                ", ".join(parse_regions(u["region"]) or ()) or t("all_regions") for u in users
            ],
            t("usr_col_status"): [_status(u) for u in users],
            t("usr_col_last_sign_in"): [local_time(u["last_sign_in"]) for u in users],
            t("usr_col_created"): [local_time(u["created_at"]) for u in users],
        }
    ),
    hide_index=True,
    width="stretch",
    key="users_table",
)
regions = known_regions(db)


def _act(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs, by=me.name)
    except PasswordPolicy as e:  # said in the UI language, not the library's English
        st.error(t("usr_password_policy", minimum=e.minimum, maximum=e.maximum))
    except UserError as e:
        st.error(md(e))
    else:
        st.success(t("saved"))


st.subheader(t("create_user"))
with st.form("create_user"):
    name = st.text_input(t("username"), key="new_user_name")
    role = st.selectbox(t("role"), list(ROLES), key="new_user_role", format_func=lambda r: t(f"role_{r}"))
    scope = st.multiselect(
        t("region_scope"), regions, key="new_user_region", placeholder=t("all_regions"), select_all=False
    )
    password = st.text_input(t("password"), type="password", key="new_user_password")
    go = st.form_submit_button(t("create_user"), type="primary")
if go:
    _act(create_user, db, name, role, password, region=scope or None)


def _rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def _widens(old_scope: tuple[str, ...] | None, new_scope: list[str]) -> bool:
    """True when the new scope sees more than the old one (all regions, or a region not seen before)."""
    if old_scope is None:
        return False
    return not new_scope or bool(set(new_scope) - set(old_scope))


if users:
    st.subheader(t("manage_user"))
    names = [u["name"] for u in users]
    target = st.selectbox(t("pick_user"), names, key="edit_user")
    current = next(u for u in users if u["name"] == target)
    old_scope = parse_regions(current["region"])
    # every widget is keyed by the account it edits: nothing chosen for one account is saved onto another
    new_role = st.selectbox(t("role"), list(ROLES), index=ROLES.index(current["role"]), key=f"edit_role_{target}",
                            format_func=lambda r: t(f"role_{r}"))  # fmt: skip
    new_scope = st.multiselect(
        t("region_scope"),
        regions,
        default=[r for r in old_scope or () if r in regions],
        key=f"edit_region_{target}",
        placeholder=t("all_regions"),
        select_all=False,
    )
    changes = []
    if new_role != current["role"]:
        changes.append(t("usr_change_role", old=t(f"role_{current['role']}"), new=t(f"role_{new_role}")))
    if tuple(new_scope or ()) != tuple(old_scope or ()):
        changes.append(t("usr_change_scope", old="、".join(old_scope or ()) or t("all_regions"),
                         new="、".join(new_scope) or t("all_regions")))  # fmt: skip
    elevation = _rank(new_role) > _rank(current["role"]) or _widens(old_scope, new_scope)
    if changes:
        st.info(t("usr_changes", user=md(target)) + "\n\n" + "\n".join(f"- {md(c)}" for c in changes))
    confirmed = (
        st.checkbox(t("usr_confirm_elevation", user=target), key=f"edit_confirm_{target}")
        if elevation
        else True
    )
    if st.button(t("save_scope"), key=f"edit_save_{target}", disabled=not changes or not confirmed):
        try:
            set_scope(db, target, region=new_scope or None, role=new_role, by=me.name)
        except UserError as e:
            st.error(md(e))
        else:
            st.session_state["users_flash"] = t("saved")
            st.rerun()
    with st.form(f"edit_password_{target}"):
        new_password = st.text_input(t("new_password"), type="password", key=f"edit_password_{target}")
        if st.form_submit_button(t("reset_password")):
            _act(reset_password, db, target, new_password)
    if target != me.name:
        disabled = bool(current["disabled"])
        if st.button(t("enable") if disabled else t("disable"), key=f"toggle_disabled_{target}"):
            _act(set_disabled, db, target, not disabled)
            st.rerun()

st.subheader(t("rl_title"))
st.caption(t("rl_help"))
listed = list_regions(db)
st.dataframe(
    pd.DataFrame({t("rl_col_name"): [r.name for r in listed], t("rl_col_en"): [r.name_en for r in listed],
                  t("rl_col_districts"): ["、".join(r.districts) for r in listed]}),  # fmt: skip
    hide_index=True, key="rl_regions",
)  # fmt: skip
aliases = list_aliases(db, "region")
if aliases:
    st.dataframe(
        pd.DataFrame([(a, c) for _, a, c in aliases], columns=[t("rl_col_alias"), t("rl_col_name")]),
        hide_index=True, key="rl_aliases",
    )  # fmt: skip


def _list_act(fn, *args, **kwargs) -> None:
    try:
        fn(db, *args, **kwargs, by=me.name)
    except PlaceListError as e:
        st.error(md(e))
    else:
        st.success(t("saved"))


with st.form("rl_add_alias"):
    alias = st.text_input(t("rl_col_alias"), key="rl_alias")
    canonical = st.selectbox(t("rl_col_name"), [r.name for r in listed], key="rl_alias_region")
    if st.form_submit_button(t("rl_add_alias")):
        _list_act(add_alias, "region", alias, canonical)
with st.form("rl_add_region"):
    name = st.text_input(t("rl_col_name"), key="rl_new_region")
    name_en = st.text_input(t("rl_col_en"), key="rl_new_region_en")
    if st.form_submit_button(t("rl_add_region")):
        _list_act(add_region, name, name_en=name_en)
