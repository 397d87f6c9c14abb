"""Frame import in a real browser: staff upload a GBK CSV with Chinese headers, see the preview, import it and
the database changes; a bad file shows the problems table and writes nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from survey.store import open_db

pytestmark = pytest.mark.e2e

GOOD = (
    "户号,户名,联系电话,供电单位,区县,用户类别,城乡类别\n"
    "E2E001,张三,13812345678,福州,鼓楼区,居民,城镇\n"
    "E2E002,李四,0591-87654321,厦门,思明区,一般工商业,农村\n"
    "E2E003,王五,,泉州,丰泽区,农业,\n"
).encode("gbk")
BAD = ("户号,户名,联系电话,供电单位,用户类别\nX1,甲,12,福州,居民\nX1,乙,13812345678,,外星人\n").encode("gbk")


def _counts(db_path) -> tuple[int, int, int]:
    db = open_db(db_path)
    try:
        total, active = db.execute("SELECT COUNT(*), SUM(active) FROM customers").fetchone()
        imports = db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import_frame'").fetchone()[0]
    finally:
        db.conn.close()
    return total, active, imports


def _open_frame_page(page: Page, url: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").fill("staff")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)
    page.locator("[data-testid='stSidebarNav'] a", has_text="客户名单导入").click()
    expect(page.get_by_role("heading", name="客户名单导入")).to_be_visible(timeout=30_000)


def _upload(page: Page, name: str, data: bytes) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )


def test_bad_file_shows_problems_and_writes_nothing(page: Page, app_server, demo_credentials):
    before = _counts(app_server["db_path"])
    _open_frame_page(page, app_server["url"], demo_credentials["staff"])
    _upload(page, "bad.csv", BAD)
    # row 2: malformed phone; row 3: duplicate id, empty region, unknown customer type
    expect(page.get_by_text("发现 4 个问题，未写入任何数据", exact=False)).to_be_visible(timeout=30_000)
    # the problems table is shown below the current frame (and, when the file parses, its preview)
    expect(page.locator("[data-testid='stTable']")).to_be_visible()
    expect(page.get_by_role("button", name="导入客户名单")).to_have_count(0)
    assert _counts(app_server["db_path"]) == before


def test_a_long_problem_message_is_shown_whole(page: Page, app_server, demo_credentials):
    """A formula cell's message is long: every word of it is on screen, wrapped, not cut at the column
    width (st.dataframe cut it to "看起来像电子表格公式（以 = + - …")."""
    _open_frame_page(page, app_server["url"], demo_credentials["staff"])
    formula = '户号,户名,联系电话,供电单位,用户类别\nF1,=HYPERLINK("http://e.vil"),13812345678,福州,居民\n'
    _upload(page, "formula.csv", formula.encode("gbk"))
    expect(page.get_by_text("发现 1 个问题，未写入任何数据", exact=False)).to_be_visible(timeout=30_000)
    cell = page.locator("[data-testid='stTable'] td", has_text="为防止公式注入不予导入")
    expect(cell).to_be_visible()
    box, table = cell.bounding_box(), page.locator("[data-testid='stTable']").bounding_box()
    assert box["x"] + box["width"] <= table["x"] + table["width"] + 1  # inside the table, not clipped
    # the file's URL is shown as text, not as a link (GFM autolinks a bare URL even when it is escaped)
    expect(page.locator("[data-testid='stTable'] a")).to_have_count(0)
    fits = cell.evaluate("td => td.scrollWidth <= td.clientWidth + 1")
    assert fits, "the message overflows its cell"
    page.screenshot(path=str(app_server["work"] / "frame_problem_formula.png"), full_page=True)


def test_gbk_csv_is_previewed_and_imported(page: Page, app_server, demo_credentials):
    total, active, imports = _counts(app_server["db_path"])
    _open_frame_page(page, app_server["url"], demo_credentials["staff"])
    _upload(page, "名单.csv", GOOD)
    expect(page.get_by_text("前 10 行预览")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
    expect(page.get_by_text("文件有效：3 位客户。")).to_be_visible()
    expect(page.get_by_role("button", name="导入客户名单")).to_be_disabled()  # it deactivates the others
    page.get_by_text(f"我确认停用 {active:,} 位不在本文件中的客户").click()
    page.get_by_role("button", name="导入客户名单").click()
    expect(page.get_by_text(f"导入完成：新增 3，更新 0，停用 {active:,}。")).to_be_visible(timeout=60_000)
    assert _counts(app_server["db_path"]) == (total + 3, 3, imports + 1)
    db = open_db(app_server["db_path"])
    try:
        rows = db.execute(
            "SELECT id, name, phone, region, customer_type FROM customers WHERE active = 1 ORDER BY id"
        )
        assert [tuple(r) for r in rows] == [
            ("E2E001", "张三", "13812345678", "福州", "居民"),
            ("E2E002", "李四", "059187654321", "厦门", "一般工商业"),
            ("E2E003", "王五", "", "泉州", "农业"),
        ]
    finally:
        db.conn.close()
