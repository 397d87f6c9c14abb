"""The customer journey in a real browser: open a personal link, answer, submit, link refused after."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from survey.store import open_db
from survey.tokens import make_token, secret_key

pytestmark = pytest.mark.e2e


def _open_assignment(db_path, offset=0):
    db = open_db(db_path)
    row = db.execute(
        "SELECT a.id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE r.status = 'open'"
        " AND a.is_reserve = 0 AND a.status = 'issued' ORDER BY a.id LIMIT 1 OFFSET ?",
        [offset],
    ).fetchone()
    token = make_token(secret_key(db), row[0])
    db.conn.close()
    return row[0], token


def _pick(page: Page, question_id: str, option_index: int) -> None:
    """Click the n-th option of a radio question (widgets carry the class st-key-q_<id>)."""
    page.locator(f".st-key-q_{question_id} [data-testid='stRadioOption']").nth(option_index).click()
    expect(page.locator(f".st-key-q_{question_id} input[type='radio']").nth(option_index)).to_be_checked()


def _answer_minimal(page: Page, suggestion: str) -> None:
    for qid, option in (
        ("overall", 3),
        ("attitude", 4),
        ("skill", 3),
        ("reliability", 3),
        ("voltage", 4),
        ("planned_outage", 1),
        ("reported_fault", 1),
        ("billing", 2),
        ("complained", 1),
        ("vs_last_year", 1),
    ):
        _pick(page, qid, option)
    box = page.locator(".st-key-q_suggestion textarea")
    box.fill(suggestion)
    box.press("Tab")


def _stored(db_path, assignment_id):
    db = open_db(db_path)
    rows = db.execute(
        "SELECT r.mode, x.question_id, x.value FROM responses r JOIN answers x ON x.response_id = r.id"
        " WHERE r.assignment_id = ?",
        [assignment_id],
    ).fetchall()
    status = db.execute("SELECT status FROM assignments WHERE id = ?", [assignment_id]).fetchone()[0]
    db.conn.close()
    return {q: v for _, q, v in rows}, {m for m, _, _ in rows}, status


def test_customer_answers_in_chinese_and_link_is_then_refused(page: Page, app_server):
    assignment_id, token = _open_assignment(app_server["db_path"])
    page.goto(f"{app_server['url']}/?t={token}")
    expect(page.get_by_text("供电服务满意度调查").first).to_be_visible(timeout=30_000)
    # Skip logic: the outage-notice question appears only after "yes" to a planned outage.
    expect(page.locator(".st-key-q_outage_notice")).to_have_count(0)
    _pick(page, "planned_outage", 0)
    expect(page.locator(".st-key-q_outage_notice")).to_have_count(1)
    _answer_minimal(page, "抢修师傅很辛苦，希望停电通知再提前一些。<script>alert(1)</script>")
    expect(page.locator(".st-key-q_outage_notice")).to_have_count(0)
    page.get_by_role("button", name="提交问卷").click()
    expect(page.get_by_text("提交成功")).to_be_visible(timeout=30_000)

    answers, modes, status = _stored(app_server["db_path"], assignment_id)
    assert status == "complete" and modes == {"web"}
    assert answers["overall"] == "4" and answers["attitude"] == "5" and answers["planned_outage"] == "no"
    assert answers["suggestion"].startswith("抢修师傅很辛苦") and "outage_notice" not in answers

    page.goto(f"{app_server['url']}/?t={token}")
    expect(page.get_by_text("此链接无效或已使用过")).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-q_overall")).to_have_count(0)
    assert len(_stored(app_server["db_path"], assignment_id)[0]) == len(answers)  # nothing added


def test_customer_answers_in_english_on_a_phone_sized_screen(page: Page, app_server):
    assignment_id, token = _open_assignment(app_server["db_path"], offset=1)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_server['url']}/?t={token}")
    expect(page.get_by_text("供电服务满意度调查").first).to_be_visible(timeout=30_000)
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_text("Power supply service satisfaction survey").first).to_be_visible(timeout=30_000)
    # mobile layout: nothing wider than the phone, the five likert options on one line
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tops = {
        round(b["y"])
        for b in (
            o.bounding_box() for o in page.locator(".st-key-q_overall [data-testid='stRadioOption']").all()
        )
    }
    assert len(tops) == 1
    expect(page.get_by_text("Very dissatisfied").first).to_be_visible()
    _pick(page, "reported_fault", 0)
    expect(page.locator(".st-key-q_repair")).to_have_count(1)
    _pick(page, "repair", 1)
    _answer_minimal(page, "Please send outage notices earlier.")
    expect(page.locator(".st-key-q_repair")).to_have_count(0)  # answering "no" hides it again
    _pick(page, "reported_fault", 0)
    _pick(page, "repair", 1)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted — thank you!")).to_be_visible(timeout=30_000)

    answers, modes, status = _stored(app_server["db_path"], assignment_id)
    assert status == "complete" and modes == {"web"}
    assert answers["reported_fault"] == "yes" and answers["repair"] == "2"
    assert answers["suggestion"] == "Please send outage notices earlier."


def test_unknown_token_gets_polite_error_and_no_form(page: Page, app_server):
    page.goto(f"{app_server['url']}/?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    expect(page.get_by_text("此链接无效或已使用过")).to_be_visible(timeout=30_000)
    expect(page.locator(".st-key-q_overall")).to_have_count(0)
    expect(page.get_by_role("button", name="提交问卷")).to_have_count(0)


def test_switching_language_mid_form_keeps_the_answers(page: Page, app_server):
    """Answers given in Chinese survive a switch to English: same choices, English labels, same stored values."""
    assignment_id, token = _open_assignment(app_server["db_path"], offset=2)
    page.goto(f"{app_server['url']}/?t={token}")
    expect(page.get_by_text("供电服务满意度调查").first).to_be_visible(timeout=30_000)
    _answer_minimal(page, "希望停电通知再提前一些")
    planned = page.locator(".st-key-q_planned_outage [data-testid='stRadioOption']")
    expect(planned.nth(1)).to_contain_text("否")
    page.get_by_text("English", exact=True).click()
    expect(page.get_by_text("Power supply service satisfaction survey").first).to_be_visible(timeout=30_000)
    expect(planned.nth(1)).to_contain_text("No")  # relabelled …
    expect(page.locator(".st-key-q_planned_outage input[type='radio']").nth(1)).to_be_checked()  # … and kept
    expect(page.locator(".st-key-q_overall input[type='radio']").nth(3)).to_be_checked()
    expect(page.locator(".st-key-q_suggestion textarea")).to_have_value("希望停电通知再提前一些")
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted — thank you!")).to_be_visible(timeout=30_000)
    answers, _, status = _stored(app_server["db_path"], assignment_id)
    assert status == "complete"
    assert answers["overall"] == "4" and answers["attitude"] == "5" and answers["planned_outage"] == "no"
    assert answers["suggestion"] == "希望停电通知再提前一些"
