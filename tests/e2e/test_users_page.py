"""The users page in a real browser (issue 11, item 3): picking another account shows that account's role and
regions, nothing typed for one account is saved onto another, and more access needs a confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from survey.store import open_db
from survey.users import create_user
from tests.e2e.test_staff_and_manager import _combobox, _sign_in

pytestmark = pytest.mark.e2e


def _account(path, name):
    db = open_db(path)
    try:
        return db.execute("SELECT role, region FROM users WHERE name = ?", [name]).fetchone()
    finally:
        db.conn.close()


def _choose(page: Page, key: str, option: str) -> None:
    """Pick ``option`` in a selectbox; a click that lands while the script reruns opens nothing, so retry."""
    for _ in range(5):
        _combobox(page, key).click()
        choice = page.get_by_role("option", name=option, exact=True)
        try:
            choice.wait_for(timeout=3_000)
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: the list did not open, click again
            continue
        choice.click()
        break
    expect(_combobox(page, key)).to_have_value(option)


def test_users_page_edits_one_account_at_a_time(page: Page, app_server, demo_credentials):
    db = open_db(app_server["db_path"])
    create_user(db, "qz_mgr", "manager", "quanzhou-pass-1", region="泉州")
    create_user(db, "xm_stf", "staff", "xiamen-pass-12", region="厦门")
    db.conn.close()
    _sign_in(page, app_server["url"], "admin", demo_credentials["admin"])
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="用户管理").click()
    expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
    expect(_combobox(page, "edit_user")).to_be_visible()
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0)  # the page has finished running
    _choose(page, "edit_user", "xm_stf")
    _choose(page, "edit_role_xm_stf", "系统管理员")
    expect(page.get_by_text("角色：调查员 → 系统管理员")).to_be_visible()
    # another account: its own values, nothing carried over, nothing to save
    _choose(page, "edit_user", "qz_mgr")
    expect(_combobox(page, "edit_role_qz_mgr")).to_have_value("业务管理人员")
    expect(page.locator(".st-key-edit_region_qz_mgr")).to_contain_text("泉州")
    expect(page.locator(".st-key-edit_save_qz_mgr button")).to_be_disabled()
    # an elevation: the change is shown and the save waits for the confirmation
    _choose(page, "edit_role_qz_mgr", "系统管理员")
    expect(page.get_by_text("角色：业务管理人员 → 系统管理员")).to_be_visible()
    expect(page.locator(".st-key-edit_save_qz_mgr button")).to_be_disabled()
    page.locator(".st-key-edit_confirm_qz_mgr label").click()
    expect(page.locator(".st-key-edit_save_qz_mgr button")).to_be_enabled()
    page.locator(".st-key-edit_save_qz_mgr button").click()
    expect(page.get_by_text("已保存").first).to_be_visible()
    assert _account(app_server["db_path"], "qz_mgr") == ("admin", "泉州")
    assert _account(app_server["db_path"], "xm_stf") == ("staff", "厦门")
    page.screenshot(path=str(app_server["work"] / "users_page.png"), full_page=True)
