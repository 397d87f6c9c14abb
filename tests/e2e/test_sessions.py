"""A reload keeps a staff member signed in (issue 12, item 1): an HttpOnly, SameSite session cookie set by the
launcher's /session/login route, resumed on reload and in new tabs, ended by sign-out and by account changes;
signing in on a page's address lands on that page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from survey.store import open_db
from survey.users import set_disabled

pytestmark = pytest.mark.e2e


def _fill(page: Page, name: str, password: str) -> None:
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _signed_in(page: Page) -> None:
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)


def test_reload_and_new_tab_keep_the_session_and_sign_out_ends_it(page: Page, app_server, demo_credentials):
    url = app_server["url"]
    page.goto(f"{url}/trends")  # asked for a page while signed out: the sign-in form, then that page
    _fill(page, "manager", demo_credentials["manager"])
    _signed_in(page)
    expect(page.get_by_role("heading", name="趋势对比")).to_be_visible()
    assert page.url.rstrip("/").endswith("/trends")
    cookie = next(c for c in page.context.cookies() if c["name"] == "survey_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "survey_session" not in page.evaluate("document.cookie")  # scripts cannot read it
    page.reload()
    _signed_in(page)
    expect(page.get_by_role("heading", name="趋势对比")).to_be_visible()
    other = page.context.new_page()
    other.goto(f"{url}/monitor")
    _signed_in(other)
    expect(other.get_by_role("heading", name="进度监控")).to_be_visible()
    other.get_by_role("button", name="退出登录").click()
    expect(other.get_by_role("button", name="登录")).to_be_visible()
    other.reload()
    expect(other.get_by_role("button", name="登录")).to_be_visible()
    page.reload()  # the same session, revoked in the other tab
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_a_disabled_account_is_signed_out_on_the_next_page_load(page: Page, app_server, demo_credentials):
    page.goto(app_server["url"])
    _fill(page, "staff", demo_credentials["staff"])
    _signed_in(page)
    db = open_db(app_server["db_path"])
    set_disabled(db, "staff", True, by="admin")
    db.conn.close()
    try:
        page.reload()
        expect(page.get_by_role("button", name="登录")).to_be_visible()
    finally:
        db = open_db(app_server["db_path"])
        set_disabled(db, "staff", False, by="admin")
        db.conn.close()


def test_a_wrong_password_says_so_and_sets_no_cookie(page: Page, app_server):
    page.goto(app_server["url"])
    _fill(page, "manager", "not-the-password")
    expect(page.get_by_text("用户名或密码错误").first).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "survey_session"]


def test_a_cross_site_post_cannot_sign_in(page: Page, app_server, demo_credentials):
    response = page.request.post(
        f"{app_server['url']}/session/login",
        form={"account": "manager", "passphrase": demo_credentials["manager"], "goto": "/"},
        headers={"Origin": "https://evil.example"},
        max_redirects=0,
    )
    assert response.status == 403 and "set-cookie" not in response.headers


def test_a_reload_during_a_phone_interview_comes_back_to_the_customer_and_the_answers(
    page: Page, app_server, demo_credentials
):
    """Issue 12 item 1: a refresh during a phone interview lost the answers and landed on the queue's head."""
    page.goto(f"{app_server['url']}/fieldwork")
    _fill(page, "staff", demo_credentials["staff"])
    _signed_in(page)
    expect(page.get_by_role("heading", name="电话回访")).to_be_visible(timeout=30_000)
    contact = page.get_by_text("☎").first
    expect(contact).to_be_visible(timeout=30_000)
    who = contact.inner_text()
    page.get_by_role("radiogroup", name="本次通话结果").get_by_text("完成访问").click()
    overall = page.get_by_role("radiogroup", name="总体而言，您对我们的供电服务满意吗？")
    expect(overall).to_be_visible(timeout=30_000)
    overall.locator("label").nth(3).click()
    expect(overall.locator("input").nth(3)).to_be_checked()
    page.wait_for_timeout(1500)  # the draft is written by the rerun the click started
    assert "call=" in page.url
    page.reload()
    _signed_in(page)
    expect(page.get_by_text("☎").first).to_have_text(who, timeout=30_000)  # the same customer
    expect(page.get_by_text("有未提交的访问答案", exact=False)).to_be_visible()
    page.get_by_role("radiogroup", name="本次通话结果").get_by_text("完成访问").click()
    overall = page.get_by_role("radiogroup", name="总体而言，您对我们的供电服务满意吗？")
    expect(overall.locator("input").nth(3)).to_be_checked(timeout=30_000)
    page.screenshot(path=str(app_server["work"] / "interview_resumed.png"), full_page=True)
