"""Issue 11, items 2, 7 and 11 through the real app (AppTest).

- item 2: a region-scoped account's pages list only its regions' people, it cannot draw, and admins get the
  same masked lists on every page;
- item 7: a download with personal data exists only after an explicit "prepare" click, which writes exactly
  one audit line; the file is dropped after the download and at sign-out;
- item 11: the follow-up SLA is admin-only and the backfill runs within the caller's scope.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from survey.calls import call_list
from survey.follow_ups import get_sla_days
from survey.store import open_db
from survey.users import User, create_user

ROOT = Path(__file__).resolve().parents[2]
#: (page, prepare button key, download slot) of every personal-data download of app_pages/.
PERSONAL_DOWNLOADS = [
    ("app_pages/rounds.py", "inv_prepare", "rounds_invitations"),
    ("app_pages/monitor.py", "mon_prep_inv_csv", "monitor"),
    ("app_pages/monitor.py", "mon_prep_inv_xlsx", "monitor"),
    ("app_pages/monitor.py", "mon_prep_rem_csv", "monitor"),
    ("app_pages/monitor.py", "mon_prep_rem_xlsx", "monitor"),
]
#: Download buttons of app_pages/ without personal data (aggregate tables, the questionnaire template).
NON_PERSONAL = {
    "app_pages/dashboard.py": 2,
    "app_pages/questionnaires.py": 1,
}  # report + analysts' CSV: aggregates
PAGE_OF_ROLE = {"rounds": "app_pages/rounds.py", "monitor": "app_pages/monitor.py"}


def _busiest_region(path: Path, round_id: int = 2) -> str:
    db = open_db(path)
    try:
        return db.execute(
            "SELECT region FROM assignments WHERE round_id = ? AND is_reserve = 0 GROUP BY region"
            " ORDER BY COUNT(*) DESC, region LIMIT 1",
            [round_id],
        ).fetchone()[0]
    finally:
        db.conn.close()


def _account(path: Path, name: str, role: str, region: str | None) -> User:
    db = open_db(path)
    try:
        create_user(db, name, role, "long-enough-pw", region=region)
    finally:
        db.conn.close()
    return User(name, role, region)


def _audit_rows(path: Path) -> list[tuple]:
    db = open_db(path)
    try:
        return db.execute("SELECT user, action, detail FROM audit_log ORDER BY id").fetchall()
    finally:
        db.conn.close()


def _raw_rows(data: bytes) -> list[dict]:
    if data[:2] == b"PK":  # xlsx
        import openpyxl

        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        values = list(sheet.values)
        return [dict(zip(values[0], row, strict=True)) for row in values[1:]]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _rows(data: bytes) -> list[dict]:
    """The file's rows by machine column name (the pages' files have headers in the UI language)."""
    from survey.fieldwork import HEADERS

    back = {v: k for headers in HEADERS.values() for k, v in headers.items()}
    return [{back.get(k, k): v for k, v in row.items()} for row in _raw_rows(data)]


def _regions(path: Path, rows: list[dict], round_id: int = 2) -> set[str]:
    db = open_db(path)
    try:
        ids = [r["customer_id"] for r in rows]
        marks = ",".join("?" * len(ids))
        return {r[0] for r in db.execute(
            f"SELECT DISTINCT region FROM assignments WHERE round_id = ? AND customer_id IN ({marks})",  # noqa: S608
            [round_id, *ids])}  # fmt: skip
    finally:
        db.conn.close()


def _open(store_app, user: User, page: str):
    at = store_app(user)
    at.switch_page(page).run()
    assert not at.exception
    return at


# ---- item 7: every personal-data download is behind an audited build action -------------------------


def test_every_download_button_of_the_pages_is_known():
    """Sweep: a new st.download_button in app_pages/ must be classified here (personal data or not)."""
    direct = {}
    for path in sorted((ROOT / "app_pages").glob("*.py")):
        n = len(re.findall(r"\bst\.download_button\(|\.download_button\(", path.read_text(encoding="utf-8")))
        if n:
            direct[f"app_pages/{path.name}"] = n
    assert direct == NON_PERSONAL, (
        "personal-data downloads go through ui.downloads.offer after a prepare button"
    )
    offered = {
        f"app_pages/{p.name}"
        for p in (ROOT / "app_pages").glob("*.py")
        if "downloads.offer(" in p.read_text(encoding="utf-8")
    }
    assert offered == {page for page, _, _ in PERSONAL_DOWNLOADS}


@pytest.mark.parametrize(("page", "prepare", "slot"), PERSONAL_DOWNLOADS)
def test_personal_download_exists_only_after_an_audited_prepare(store_app, demo_target, page, prepare, slot):
    user = User("staff", "staff")
    at = _open(store_app, user, page)
    before = _audit_rows(demo_target)
    assert not at.get("download_button")  # nothing built, nothing served
    assert not [k for k in at.session_state if str(k).startswith("download:")]
    assert [r for r in before if r[1].startswith("export_")] == []
    at.button(key=prepare).click().run()
    assert not at.exception
    new = _audit_rows(demo_target)[len(before) :]
    assert len(new) == 1 and new[0][0] == "staff" and new[0][1] in ("export_invitations", "export_reminders")
    (button,) = at.get("download_button")
    held = at.session_state["download:" + slot]
    assert f"rows={len(_rows(held['data']))}" in new[0][2]
    at.run()  # a rerun builds nothing new
    assert len(_audit_rows(demo_target)) == len(before) + 1
    button.click().run()  # downloaded: the file is dropped
    assert not at.exception
    assert "download:" + slot not in at.session_state and not at.get("download_button")


def test_prepared_file_is_dropped_at_sign_out(store_app, demo_target):
    at = _open(store_app, User("staff", "staff"), "app_pages/monitor.py")
    at.button(key="mon_prep_inv_csv").click().run()
    assert at.get("download_button")
    at.button(key="logout").click().run()
    assert at.session_state["user"] is None
    assert not [k for k in at.session_state if str(k).startswith("download:")]
    assert not at.get("download_button")


# ---- item 2: scoped staff see only their regions; admins get the masked lists everywhere ----------


@pytest.mark.parametrize(("page", "prepare", "slot"), PERSONAL_DOWNLOADS)
def test_scoped_staff_download_only_their_region(store_app, demo_target, page, prepare, slot):
    region = _busiest_region(demo_target)
    user = _account(demo_target, "local_staff", "staff", region)
    at = _open(store_app, user, page)
    if prepare.startswith("mon_prep_rem"):
        at.number_input(key="mon_days").set_value(0).run()
    at.button(key=prepare).click().run()
    rows = _rows(at.session_state["download:" + slot]["data"])
    assert rows and _regions(demo_target, rows) == {region}
    assert all("****" not in str(r["phone"]) for r in rows)  # staff call: full numbers
    assert f"scope={region}" in _audit_rows(demo_target)[-1][2]


@pytest.mark.parametrize(("page", "prepare", "slot"), PERSONAL_DOWNLOADS)
def test_admin_downloads_are_masked_on_every_page(store_app, demo_target, page, prepare, slot):
    at = _open(store_app, User("admin", "admin"), page)
    if prepare.startswith("mon_prep_rem"):
        at.number_input(key="mon_days").set_value(0).run()
    at.button(key=prepare).click().run()
    rows = _rows(at.session_state["download:" + slot]["data"])
    assert rows and all("****" in str(r["phone"]) for r in rows)
    assert "full=0" in _audit_rows(demo_target)[-1][2]


def test_scoped_staff_cannot_draw_on_the_rounds_page(store_app, demo_target):
    user = _account(demo_target, "local_staff", "staff", _busiest_region(demo_target))
    at = _open(store_app, user, "app_pages/rounds.py")
    assert not [b for b in at.button if b.key == "draw_go"]
    assert any("只有不限地区" in i.value for i in at.info)


def test_scoped_staff_call_list_and_frame_overview(store_app, demo_target):
    region = _busiest_region(demo_target)
    user = _account(demo_target, "local_staff", "staff", region)
    at = _open(store_app, user, "app_pages/fieldwork.py")
    db = open_db(demo_target)
    assert len(at.dataframe[0].value) == len(call_list(db, 2, region=region))
    assert at.session_state["fw_opened"]["region"] == region
    frame = _open(store_app, user, "app_pages/frame.py")
    assert any(region in i.value for i in frame.info)  # the scope rule is said before the upload


def test_scoped_staff_frame_upload_with_other_regions_is_refused(store_app, demo_target):
    region = _busiest_region(demo_target)
    user = _account(demo_target, "local_staff", "staff", region)
    db = open_db(demo_target)
    rows = db.execute(
        "SELECT id, name, phone, region, customer_type FROM customers WHERE active = 1 ORDER BY id LIMIT 200"
    ).fetchall()
    data = (
        "户号,户名,联系电话,供电单位,用户类别\n" + "\n".join(",".join(map(str, r)) for r in rows)
    ).encode()
    at = _open(store_app, user, "app_pages/frame.py")
    at.get("file_uploader")  # AppTest cannot upload: read through the library as the page does
    from survey.frame_import import read_import

    result = read_import(db, data, scope=region)
    assert not result.ok and {p.code for p in result.problems} == {"region_out_of_scope"}


# ---- item 11: settings are admin-only; the backfill stays within the scope -------------------------------


def test_scoped_manager_cannot_change_the_sla_and_backfills_only_their_region(store_app, demo_target):
    db = open_db(demo_target)
    (region,) = db.execute(  # a region whose answers call for follow-ups in the demo
        "SELECT region FROM follow_ups GROUP BY region ORDER BY COUNT(*) DESC, region LIMIT 1"
    ).fetchone()
    user = _account(demo_target, "local_manager", "manager", region)
    db.execute("DELETE FROM follow_ups")  # opened at submission in the demo: let the backfill open them
    at = _open(store_app, user, "app_pages/follow_ups.py")
    assert at.number_input(key="fu_sla").disabled
    at.session_state["fu_sla"] = 9  # a rewritten widget message (the widget itself is disabled)
    at.run()
    assert not at.exception
    assert get_sla_days(db) == 3
    assert not db.execute("SELECT 1 FROM audit_log WHERE action = 'follow_up_sla'").fetchone()
    at.button(key="fu_sync").click().run()
    assert not at.exception
    regions = {r[0] for r in db.execute("SELECT DISTINCT region FROM follow_ups")}
    assert regions == {region}


def test_admin_changes_the_sla(store_app, demo_target):
    at = _open(store_app, User("admin", "admin"), "app_pages/follow_ups.py")
    assert not at.number_input(key="fu_sla").disabled
    at.number_input(key="fu_sla").set_value(5).run()
    at.button(key="fu_sla_save").click().run()  # a company-wide setting is saved by its own button
    assert not at.exception
    assert get_sla_days(open_db(demo_target)) == 5


@pytest.mark.parametrize(("page", "prepare", "slot"), PERSONAL_DOWNLOADS)
def test_page_files_have_chinese_headers_and_local_times(store_app, demo_target, page, prepare, slot):
    """Issue 12, item 5: the files staff open in Excel read 户号 / 户名 / 联系电话 / 问卷链接, expiry in local time."""
    import re

    at = _open(store_app, User("staff", "staff"), page)
    if prepare.startswith("mon_prep_rem"):
        at.number_input(key="mon_days").set_value(0).run()
    at.button(key=prepare).click().run()
    rows = _raw_rows(at.session_state["download:" + slot]["data"])
    assert rows and {"户号", "户名", "联系电话", "问卷链接"} <= set(rows[0])
    if "链接有效期至" in rows[0]:
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", str(r["链接有效期至"])) for r in rows)
