"""Signed-in journeys in a real browser: every page of the admin menu renders, and hostile free text
(a suggestion and a customer name carrying HTML/JS) never runs as script."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from survey.store import open_db

pytestmark = pytest.mark.e2e

XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def hostile(app_server):
    """Plant hostile text in a suggestion and a customer name."""
    db = open_db(app_server["db_path"])
    rid = db.execute(
        "SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE a.round_id = 1 ORDER BY r.id LIMIT 1"
    ).fetchone()[0]
    db.execute(
        "INSERT INTO answers (response_id, question_id, value) VALUES (?, 'suggestion', ?)"
        " ON CONFLICT (response_id, question_id) DO UPDATE SET value = excluded.value",
        [rid, "态度很差 " + XSS],
    )
    db.execute(
        "INSERT INTO answers (response_id, question_id, value) VALUES (?, 'overall', '1')"
        " ON CONFLICT (response_id, question_id) DO UPDATE SET value = excluded.value",
        [rid],
    )
    # every sampled customer of round 2: whichever one the call queue puts first is shown with its name
    db.execute(
        "UPDATE customers SET name = ? WHERE id IN"
        " (SELECT customer_id FROM assignments WHERE round_id = 2 AND is_reserve = 0)",
        [XSS],
    )
    db.conn.close()
    return app_server


def _sign_in(page: Page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)


def test_admin_visits_every_page_and_no_script_runs(page: Page, hostile, demo_credentials):
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, hostile["url"], "admin", demo_credentials["admin"])
    nav = page.locator("[data-testid='stSidebarNav'] a")
    expect(nav.first).to_be_visible(timeout=30_000)
    titles = [t.strip().splitlines()[-1] for t in nav.all_inner_texts()]
    assert len(titles) >= 5
    shown_as_text: list[str] = []
    for i, title in enumerate(titles):
        nav.nth(i).click()
        expect(page.locator("[data-testid='stApp']")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1500)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        assert page.evaluate("window.__xss") is None, f"script ran on page {title}"
        if page.get_by_text("onerror=", exact=False).count():
            shown_as_text.append(title)
    assert not dialogs, dialogs
    assert shown_as_text, "the hostile suggestion was not displayed anywhere, so this test proved nothing"


def _combobox(page: Page, key: str):
    return page.locator(f".st-key-{key} input[role='combobox']")  # Streamlit 1.67: a React Aria combobox


def _choose(page: Page, key: str, option: str) -> None:
    _combobox(page, key).click()
    page.get_by_role("option", name=option, exact=True).click()
    expect(_combobox(page, key)).to_have_value(option)


def test_switching_language_redraws_the_filters_and_keeps_the_choice(
    page: Page, app_server, demo_credentials
):
    """Streamlit 1.67 kept a selectbox's old label when only its format_func changed (streamlit#13788):
    after switching to English the dashboard filters still read 总体满意度 / 全部."""
    _sign_in(page, app_server["url"], "manager", demo_credentials["manager"])
    _choose(page, "dash_item", "服务态度")
    _choose(page, "dash_region", "福州")
    expect(_combobox(page, "dash_type")).to_have_value("全部")
    page.locator("[data-testid='stSidebar'] [data-testid='stRadioOption']").filter(has_text="English").click()
    expect(page.get_by_role("heading", name="Satisfaction dashboard")).to_be_visible()
    expect(_combobox(page, "dash_item")).to_have_value("service attitude")  # same item, new label
    expect(_combobox(page, "dash_region")).to_have_value("Fuzhou")
    expect(_combobox(page, "dash_type")).to_have_value("All")
