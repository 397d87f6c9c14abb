"""Issue 11, item 2: a region-scoped account reads and changes only its regions — enforced in ``survey/``.

A 泉州 staff member's 泉州-only frame once deactivated every other region's customers, their invitation download
held every region's names, phones and links, and they could draw rounds across all regions. The rules are in
``survey.access`` (README, "Who does what"); these tests call the library and the CLI (``--as-user``).
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.access import NotPermitted
from survey.calls import call_list, open_contact
from survey.cli import cli
from survey.fieldwork import contact_file, invitation_rows, reminder_rows, write_invitations
from survey.follow_ups import list_follow_ups, reveal_phone, sync_follow_ups, update_follow_up
from survey.frame_import import OutOfScope, import_frame, import_impact, read_import
from survey.migrations.m0002_eligible_prn_indexes import CELL, ELIGIBLE
from survey.rounds import draw_round
from survey.users import User, create_user

pytestmark = pytest.mark.demo_on_postgresql  # demo_db runs on both backends

ROOT = Path(__file__).resolve().parents[2]
QZ = User("qz_staff", "staff", "泉州")
HEADER = ["户号", "户名", "联系电话", "供电单位", "区县", "用户类别", "城乡", "近12个月投诉次数"]


def _frame_csv(
    db, where: str = "region = '泉州'", params=(), *, drop: int = 0, extra: list[list] = ()
) -> bytes:
    """The active customers matching ``where`` as a frame file (less the first ``drop``), plus ``extra`` rows."""
    rows = db.execute(
        "SELECT id, name, phone, region, district, customer_type, urban_rural, complaints_12m FROM customers"
        f" WHERE active = 1 AND {where} ORDER BY id",  # noqa: S608 (test text)
        list(params),
    ).fetchall()[drop:]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([["" if v is None else v for v in row] for row in [*rows, *extra]])
    return out.getvalue().encode("utf-8")


def _active_by_region(db) -> dict[str, int]:
    return dict(
        db.execute("SELECT region, COUNT(*) FROM customers WHERE active = 1 GROUP BY region").fetchall()
    )


def _cells(db) -> set[tuple]:
    return set(db.execute(f"SELECT {', '.join(CELL)}, eligible FROM frame_cells").fetchall())  # noqa: S608


def _recount(db) -> set[tuple]:
    cell = ", ".join(f"COALESCE({c}, '')" for c in CELL)
    return set(
        db.execute(f"SELECT {cell}, COUNT(*) FROM customers WHERE {ELIGIBLE} GROUP BY {cell}").fetchall()
    )  # noqa: S608


# ---- imports -------------------------------------------------------------------------------------------


def test_a_scoped_import_deactivates_only_within_its_regions(demo_db):
    before = _active_by_region(demo_db)
    data = _frame_csv(demo_db, drop=3)  # 泉州's customers less three
    result = read_import(demo_db, data, scope=QZ.region)
    assert result.ok, result.problems[:3]
    impact = import_impact(demo_db, result.frame, scope=QZ.region)
    assert impact.deactivated == 3
    summary = import_frame(demo_db, result.frame, allow_deactivation=True, by_user=QZ, source="qz.csv")
    assert summary.deactivated == 3 and summary.added == 0
    after = _active_by_region(demo_db)
    assert after["泉州"] == before["泉州"] - 3
    assert {r: n for r, n in after.items() if r != "泉州"} == {r: n for r, n in before.items() if r != "泉州"}
    assert _cells(demo_db) == _recount(demo_db)  # the other regions' eligible counts are kept
    assert demo_db.execute(
        "SELECT user, detail FROM audit_log WHERE action = 'import_frame' ORDER BY id DESC"
    ).fetchone() == (
        "qz_staff",
        f"qz.csv added=0 updated={summary.updated} moved=0 deactivated=3 scope=泉州",
    )


def test_rows_of_other_regions_are_an_error_naming_them(demo_db):
    before = demo_db.execute("SELECT id, region, active FROM customers ORDER BY id").fetchall()
    xm = demo_db.execute(
        "SELECT id, name, phone, region, district, customer_type, urban_rural, complaints_12m FROM customers"
        " WHERE region = '厦门' AND active = 1 ORDER BY id LIMIT 2"
    ).fetchall()
    data = _frame_csv(demo_db, extra=[list(r) for r in xm])
    result = read_import(demo_db, data, scope=QZ.region)
    assert not result.ok and result.frame is None
    (problem,) = result.problems
    assert (
        problem.value == "厦门"
        and "厦门" in problem.message_zh
        and "2 rows are of 厦门" in problem.message_en
    )
    assert xm[0][0] in problem.message_en  # names the customers
    unscoped = read_import(demo_db, data)  # the same file is fine for staff of all regions
    assert unscoped.ok
    with pytest.raises(OutOfScope, match="厦门"):
        import_frame(demo_db, unscoped.frame, allow_deactivation=True, by_user=QZ)
    assert demo_db.execute("SELECT id, region, active FROM customers ORDER BY id").fetchall() == before


def test_taking_over_another_regions_customer_is_an_error(demo_db):
    cid, name, phone = demo_db.execute(
        "SELECT id, name, phone FROM customers WHERE region = '厦门' AND active = 1 ORDER BY id LIMIT 1"
    ).fetchone()
    district = demo_db.execute("SELECT district FROM customers WHERE region = '泉州' LIMIT 1").fetchone()[0]
    data = _frame_csv(demo_db, extra=[[cid, name, phone, "泉州", district, "居民", "城市", 0]])
    result = read_import(demo_db, data, scope=QZ.region)
    assert not result.ok
    assert [p.code for p in result.problems] == ["customer_out_of_scope"]
    assert cid in result.problems[0].message_en and "厦门" in result.problems[0].message_zh
    with pytest.raises(OutOfScope):
        import_frame(demo_db, read_import(demo_db, data).frame, allow_deactivation=True, by_user=QZ)
    assert demo_db.execute("SELECT region FROM customers WHERE id = ?", [cid]).fetchone()[0] == "厦门"


def test_a_scoped_user_maps_values_but_adds_no_list_entries(demo_db):
    from sampling.places import PlaceChoices

    data = _frame_csv(demo_db).replace("居民".encode(), "住宅户".encode())
    new_type = PlaceChoices({}, (("customer_type", "住宅户"),))
    result = read_import(demo_db, data, choices=new_type, scope=QZ.region)
    assert [p.code for p in result.problems] == ["new_entry_out_of_scope"]
    mapped = PlaceChoices({("customer_type", "住宅户"): "居民"})
    assert read_import(demo_db, data, choices=mapped, scope=QZ.region).ok
    with pytest.raises(OutOfScope, match="cannot add entries"):
        import_frame(demo_db, read_import(demo_db, data, choices=new_type).frame, choices=new_type, by_user=QZ,
                     allow_deactivation=True)  # fmt: skip


def test_managers_import_nothing(demo_db):
    frame = read_import(demo_db, _frame_csv(demo_db)).frame
    with pytest.raises(NotPermitted, match="role staff or admin"):
        import_frame(demo_db, frame, by_user=User("m", "manager"), allow_deactivation=True)


# ---- draws ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "user", [QZ, User("two", "staff", "泉州,厦门"), User("m", "manager"), User("qm", "manager", "泉州")]
)
def test_only_staff_of_all_regions_draw(demo_db, user):
    rounds = demo_db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    with pytest.raises(NotPermitted):
        draw_round(demo_db, size=50, by_user=user)
    assert demo_db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == rounds


def test_staff_of_all_regions_draw_under_their_name(demo_db):
    result = draw_round(demo_db, size=100, by_user=User("staff", "staff"))
    assert demo_db.execute("SELECT created_by FROM rounds WHERE id = ?", [result.round_id]).fetchone() == (
        "staff",
    )


# ---- the CLI goes through the same checks ------------------------------------------------------------


@pytest.fixture
def qz_cli(demo_path):
    from survey.store import open_db

    db = open_db(demo_path)
    create_user(db, "qz_staff", "staff", "quanzhou-2026", region="泉州")
    create_user(db, "qz_manager", "manager", "quanzhou-2026", region="泉州")
    db.conn.close()
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, [*args, "--db", str(demo_path)])


@pytest.mark.postgresql_todo  # the CLI runs on the SQLite demo file (qz_cli)
def test_cli_import_as_a_scoped_user(qz_cli, demo_db, tmp_path):
    before = _active_by_region(demo_db)
    path = tmp_path / "qz.csv"
    path.write_bytes(_frame_csv(demo_db, drop=2))
    result = qz_cli("import-frame", str(path), "--as-user", "qz_staff")
    assert result.exit_code == 0, result.output
    assert "deactivated 2" in result.output
    after = _active_by_region(demo_db)
    assert after["泉州"] == before["泉州"] - 2 and after["厦门"] == before["厦门"]
    path.write_bytes(_frame_csv(demo_db, "region IN ('泉州', '厦门')"))
    refused = qz_cli("import-frame", str(path), "--as-user", "qz_staff")
    assert refused.exit_code != 0 and "厦门" in refused.output


def test_cli_draw_as_a_scoped_user_is_refused(qz_cli):
    result = qz_cli("draw", "--size", "50", "--as-user", "qz_staff")
    assert result.exit_code == 1
    assert "all regions" in result.output and "Traceback" not in result.output


@pytest.mark.postgresql_todo  # the CLI runs on the SQLite demo file (qz_cli)
def test_cli_invitations_and_reminders_as_a_scoped_user(qz_cli, demo_db, tmp_path):
    out = qz_cli("invitations", "2", "--as-user", "qz_staff", "--with-expiry")
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert rows and all(r["stratum"].startswith("泉州|") for r in rows)
    assert all("****" not in r["phone"] for r in rows)  # staff: full contact data
    assert len(rows) == len(invitation_rows(demo_db, 2, region="泉州"))
    masked = qz_cli("invitations", "2", "--as-user", "qz_manager")
    assert masked.exit_code == 0 and all(
        "****" in r["phone"] for r in csv.DictReader(io.StringIO(masked.output))
    )
    rem = qz_cli(
        "reminders", "2", "--days", "0", "-o", str(tmp_path / "r.csv"), "--as-user", "qz_staff", "--masked"
    )
    assert rem.exit_code == 0, rem.output
    users = [r[0] for r in demo_db.execute(
        "SELECT user FROM audit_log WHERE action IN ('export_invitations', 'export_reminders') ORDER BY id")]  # fmt: skip
    assert users == ["qz_staff", "qz_manager", "qz_staff"]
    assert "****" in (tmp_path / "r.csv").read_text(encoding="utf-8")


# ---- sweep: every function of survey/ that lists people honours the caller's scope ----------------------

#: Every function in survey/ whose SQL reads a customer's name or phone, and how to call it with a scope.
PEOPLE = {
    ("fieldwork", "_contact_rows"),  # invitation_rows, reminder_rows, write_invitations, contact_file
    ("calls", "call_list"),
    ("calls", "open_contact"),
    ("follow_ups", "list_follow_ups"),
    ("follow_ups", "reveal_phone"),
}


def _people_readers() -> set[tuple[str, str]]:
    """Functions of survey/*.py whose string literals select ``c.name`` or ``c.phone`` (customers)."""
    found = set()
    for path in sorted((ROOT / "survey").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                text = " ".join(
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str)
                )
                if "c.name" in text or "c.phone" in text:
                    found.add((path.stem, node.name))
    return found


def test_the_list_of_people_readers_is_complete():
    assert _people_readers() == PEOPLE, "a new function reads names or phones: add it (with a scope) here"


def _regions_of(db, customer_ids, round_id=2) -> set[str]:
    marks = ",".join("?" * len(customer_ids))
    return {r[0] for r in db.execute(
        f"SELECT DISTINCT region FROM assignments WHERE round_id = ? AND customer_id IN ({marks})",  # noqa: S608
        [round_id, *customer_ids])}  # fmt: skip


def _follow_up_regions(db) -> list[str]:
    sync_follow_ups(db, 1)
    sync_follow_ups(db, 2)
    return [r[0] for r in db.execute("SELECT DISTINCT region FROM follow_ups ORDER BY region")]


def test_every_people_reader_honours_the_scope(demo_db, tmp_path):
    regions = _follow_up_regions(demo_db)
    scope = regions[0]  # a region with follow-ups in the demo
    other = demo_db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND region != ? AND is_reserve = 0 LIMIT 1", [scope]
    ).fetchone()[0]
    # invitations, reminders, the written file and the built file
    for rows in (invitation_rows(demo_db, 2, region=scope), reminder_rows(demo_db, 2, 0, region=scope)):
        assert rows and _regions_of(demo_db, [r["customer_id"] for r in rows]) == {scope}
    write_invitations(demo_db, 2, tmp_path / "i.csv", base_url="http://x/", region=scope)
    written = list(csv.DictReader(io.StringIO((tmp_path / "i.csv").read_text(encoding="utf-8-sig"))))
    assert _regions_of(demo_db, [r["customer_id"] for r in written]) == {scope}
    built = contact_file(demo_db, 2, by="t", full=True, region=scope)
    lines = list(csv.DictReader(io.StringIO(built.data.decode("utf-8-sig"))))
    assert len(lines) == built.rows and _regions_of(demo_db, [r["customer_id"] for r in lines]) == {scope}
    # the call list and one contact
    calls = call_list(demo_db, 2, region=scope)
    assert calls and {r["region"] for r in calls} == {scope}
    with pytest.raises(LookupError):
        open_contact(demo_db, other, by="t", region=scope)
    assert open_contact(demo_db, calls[0]["assignment_id"], by="t", region=scope)["region"] == scope
    # the follow-up queue and its phone read
    queue = list_follow_ups(demo_db, region=scope)
    assert len(queue) and set(queue["region"]) == {scope}
    foreign = int(list_follow_ups(demo_db).query("region != @scope")["id"].iloc[0])
    update_follow_up(demo_db, foreign, user="t", owner="t")
    with pytest.raises(Exception, match="scope"):
        reveal_phone(demo_db, foreign, user="t", region=scope)


# ---- item 11: settings are admin-only; the follow-up backfill runs under the caller's scope --------------

#: Every caller of store.set_setting: user-facing ones (checked below) and the system's own.
SETTING_WRITERS = {("follow_ups", "set_sla_days"): "user", ("rounds", "frame_salt"): "system (created once)",
                   ("demo", "build_demo"): "system (demo database)",
                   ("frame_apply", "_begin"): "system (an import's pending mark)",
                   ("frame_apply", "_beat"): "system (an import's heartbeat)"}  # fmt: skip


def _setting_writers() -> set[tuple[str, str]]:
    found = set()
    for folder in ("survey", "app_pages", "ui"):
        for path in sorted((ROOT / folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef) and any(
                    isinstance(n, ast.Call)
                    and getattr(n.func, "id", getattr(n.func, "attr", "")) == "set_setting"
                    for n in ast.walk(node)
                ):
                    found.add((path.stem, node.name))
                elif isinstance(node, ast.Module):
                    top = [n for n in node.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
                    if any(
                        "set_setting(" in ast.unparse(n) or "set_sla_days(" in ast.unparse(n) for n in top
                    ):
                        found.add((path.stem, "<page>"))
    return found


def test_every_settings_write_is_known():
    pages = {w for w in _setting_writers() if w[1] == "<page>"}
    assert pages == {("follow_ups", "<page>")}  # the follow-up page, through set_sla_days
    assert {w for w in _setting_writers() if w[1] != "<page>"} == set(SETTING_WRITERS)


@pytest.mark.parametrize(
    ("role", "region"),
    [("staff", None), ("manager", None), ("manager", "泉州"), ("admin", "泉州"), (None, None)],
)
def test_only_admins_of_all_regions_change_the_sla(demo_db, role, region):
    from survey.follow_ups import get_sla_days, set_sla_days

    with pytest.raises(NotPermitted):
        set_sla_days(demo_db, 9, user="x", role=role, region=region)
    assert get_sla_days(demo_db) == 3
    assert not demo_db.execute("SELECT 1 FROM audit_log WHERE action = 'follow_up_sla'").fetchone()
    set_sla_days(demo_db, 9, user="admin", role="admin")
    assert get_sla_days(demo_db) == 9


def test_backfill_runs_within_the_scope(demo_db):
    regions = [r[0] for r in demo_db.execute("SELECT DISTINCT region FROM follow_ups ORDER BY region")]
    demo_db.execute("DELETE FROM follow_ups")
    created = sum(sync_follow_ups(demo_db, r, region=regions[0]) for r in (1, 2))
    assert created and {r[0] for r in demo_db.execute("SELECT DISTINCT region FROM follow_ups")} == {
        regions[0]
    }
    assert sum(sync_follow_ups(demo_db, r) for r in (1, 2)) > 0  # the rest, by a user of all regions


def test_cli_follow_ups_backfill_as_a_scoped_manager(qz_cli, demo_db):
    demo_db.execute("DELETE FROM follow_ups")
    result = qz_cli("follow-ups", "--round", "1", "--as-user", "qz_manager")
    assert result.exit_code == 0, result.output
    assert demo_db.execute("SELECT COUNT(*) FROM follow_ups WHERE region != '泉州'").fetchone()[0] == 0


# ---- item 7 on the command line: every export of personal data is audited under the acting user ---------


@pytest.mark.postgresql_todo  # the CLI runs on the SQLite demo file (qz_cli)
def test_cli_invitations_to_stdout_backup_and_export_report_are_audited(qz_cli, demo_db, tmp_path):
    out = qz_cli("invitations", "2")
    assert out.exit_code == 0
    rows = len(out.output.strip().splitlines()) - 1
    assert demo_db.execute(
        "SELECT user, detail FROM audit_log WHERE action = 'export_invitations' ORDER BY id DESC"
    ).fetchone() == ("cli", f"round=2 rows={rows} full=1 scope=* format=csv")
    assert qz_cli("backup", str(tmp_path / "copy.db")).exit_code == 0
    assert demo_db.execute("SELECT user FROM audit_log WHERE action = 'backup'").fetchall() == [("cli",)]
    report = qz_cli("export-report", "--round", "1", str(tmp_path / "r.xlsx"), "--as-user", "qz_manager")
    assert report.exit_code == 0, report.output
    assert demo_db.execute(
        "SELECT user FROM audit_log WHERE action = 'dashboard_export' ORDER BY id DESC"
    ).fetchone() == ("qz_manager",)
