"""The users page edits one account at a time (issue 11, item 3): nothing chosen for one account is saved onto
another, the page says what will change, and more access needs a confirmation."""

from __future__ import annotations

from survey.store import open_db
from survey.users import User, create_user


def _users_page(store_app, demo_target):
    db = open_db(demo_target)
    create_user(db, "qz_manager", "manager", "quanzhou-pass-1", region="泉州")
    create_user(db, "xm_staff", "staff", "xiamen-pass-12", region="厦门")
    at = store_app(User("admin", "admin"))
    at.switch_page("app_pages/users.py").run()
    assert not at.exception
    return db, at


def _account(db, name):
    return db.execute("SELECT role, region FROM users WHERE name = ?", [name]).fetchone()


def test_values_chosen_for_one_account_are_not_saved_onto_another(store_app, demo_target):
    db, at = _users_page(store_app, demo_target)
    at.selectbox(key="edit_user").set_value("xm_staff").run()
    at.selectbox(key="edit_role_xm_staff").set_value("admin").run()
    at.multiselect(key="edit_region_xm_staff").set_value([]).run()
    # the admin changes their mind and picks another account, then saves its (unchanged) values
    at.selectbox(key="edit_user").set_value("qz_manager").run()
    assert at.selectbox(key="edit_role_qz_manager").value == "manager"
    assert at.multiselect(key="edit_region_qz_manager").value == ["泉州"]
    assert at.button(key="edit_save_qz_manager").disabled  # nothing to save
    at.multiselect(key="edit_region_qz_manager").set_value(["泉州"]).run()
    assert _account(db, "qz_manager") == ("manager", "泉州")
    assert _account(db, "xm_staff") == ("staff", "厦门")


def test_the_page_shows_what_will_change_and_elevation_needs_confirmation(store_app, demo_target):
    db, at = _users_page(store_app, demo_target)
    at.selectbox(key="edit_user").set_value("qz_manager").run()
    at.selectbox(key="edit_role_qz_manager").set_value("admin").run()
    info = "\n".join(str(e.value) for e in at.info)
    assert "业务管理人员 → 系统管理员" in info or "manager" in info.lower()
    assert at.button(
        key="edit_save_qz_manager"
    ).disabled  # an elevation is not saved without the confirmation
    at.checkbox(key="edit_confirm_qz_manager").check().run()
    at.button(key="edit_save_qz_manager").click().run()
    assert not at.exception
    assert _account(db, "qz_manager")[0] == "admin"


def test_narrowing_a_scope_needs_no_confirmation(store_app, demo_target):
    db, at = _users_page(store_app, demo_target)
    at.selectbox(key="edit_user").set_value("xm_staff").run()
    at.multiselect(key="edit_region_xm_staff").set_value(["厦门", "泉州"]).run()
    assert at.button(key="edit_save_xm_staff").disabled  # widening: confirmation needed
    at.multiselect(key="edit_region_xm_staff").set_value(["厦门"]).run()
    at.selectbox(key="edit_role_xm_staff").set_value("staff").run()
    at.selectbox(key="edit_user").set_value("manager").run()  # the demo's all-regions manager
    at.multiselect(key="edit_region_manager").set_value(["福州"]).run()
    assert not at.button(key="edit_save_manager").disabled
    at.button(key="edit_save_manager").click().run()
    assert _account(db, "manager") == ("manager", "福州")


def test_the_password_policy_is_said_in_chinese(store_app, demo_target):
    db, at = _users_page(store_app, demo_target)
    at.text_input(key="new_user_name").input("new_one")
    at.text_input(key="new_user_password").input("short")
    at.button[0].click().run()  # the create form's submit button comes first
    errors = " ".join(str(e.value) for e in at.error)
    assert "密码长度须在 8 到" in errors and "password must" not in errors
