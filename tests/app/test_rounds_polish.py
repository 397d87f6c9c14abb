"""Chinese-first display of the sampling and admin pages: translated headers and codes in zh and en, local
(Beijing) times, percentages, rounding, and no None/nan; the design preview's minimum per stratum."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from sampling.frame import CANONICAL_COLUMNS
from survey.store import open_db
from survey.users import User
from ui.i18n import STRINGS

STAFF = User("staff", "staff")
ADMIN = User("admin", "admin")
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _beijing(monkeypatch):
    monkeypatch.setenv("SURVEY_TZ", "Asia/Shanghai")


def _beijing_time(stored: str) -> str:
    return dt.datetime.fromisoformat(stored).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _table(at: AppTest, column: str):
    """The first dataframe or table on the page with ``column`` (AppTest does not expose dataframe keys)."""
    shown = [df.value for df in at.dataframe]
    # st.table cells are markdown (the page escapes them): compare what a reader sees
    shown += [tb.value.map(lambda v: re.sub(r"\\(.)", r"\1", str(v))) for tb in at.table]
    return next(df for df in shown if column in df.columns)


def _cells(frame) -> list[str]:
    return [str(v) for v in frame.astype(str).to_numpy().ravel()]


def _no_missing_markers(frame) -> None:
    shown = _cells(frame)
    assert not {"None", "nan", "NaN", "<NA>", "NaT"} & set(shown), shown
    assert not any("nan%" in v for v in shown)


def _texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "info", "warning", "error")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def _run(store_app, user: User, lang: str, page: str | None = None, **state) -> AppTest:
    """The ``store_app`` fixture's app on ``page`` in ``lang``, with widget values ``state`` set.

    AppTest formats a widget's options outside the script, in Chinese, so an English page with translated
    options cannot be rerun: English checks open the page in Chinese, then switch the language once.
    """
    at = store_app(user, lang="zh")
    if page is not None:
        at.switch_page(f"app_pages/{page}.py").run()
    for key, value in state.items():
        at.session_state[key] = value
    at.session_state["lang"] = lang
    return at.run()


# ---------------------------------------------------------------- rounds list

ROUND_HEADERS = {
    "zh": ["编号", "名称", "状态", "抽样时间", "链接截止", "样本量", "已完成", "应答率（完成/样本）"],
    "en": ["No.", "Name", "Status", "Drawn at", "Links expire", "Sampled", "Completed",
           "Response rate (completed / sampled)"],
}  # fmt: skip


@pytest.mark.parametrize("lang, statuses", [("zh", {"进行中", "已结束"}), ("en", {"Open", "Closed"})])
def test_rounds_list_is_translated_with_local_times_and_rates(store_app, demo_target, lang, statuses):
    db = open_db(demo_target)
    db.execute("UPDATE rounds SET created_at = '2026-08-04T11:53:00+00:00' WHERE id = 1")
    stored = dict(db.execute("SELECT id, expires_at FROM rounds").fetchall())
    counts = {
        rid: (sampled, completed)
        for rid, sampled, completed in db.execute(
            "SELECT round_id, SUM(CASE WHEN is_reserve = 0 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN status = 'complete' THEN 1 ELSE 0 END) FROM assignments GROUP BY round_id"
        )
    }
    db.conn.close()
    at = _run(store_app, STAFF, lang)
    assert not at.exception
    headers = ROUND_HEADERS[lang]
    table = _table(at, headers[-1])
    assert list(table.columns) == headers
    _no_missing_markers(table)
    assert set(table[headers[2]]) == statuses  # round 1 is closed, round 2 open in the demo
    rows = table.set_index(headers[0])
    assert rows.loc[1, headers[3]] == "2026-08-04 19:53"
    for rid, expires in stored.items():
        assert rows.loc[rid, headers[4]] == _beijing_time(expires)
        sampled, completed = counts[rid]
        assert rows.loc[rid, headers[7]] == f"{completed / sampled * 100:.1f}%"


# ---------------------------------------------------------------- design preview


def test_preview_defaults_to_two_per_stratum_and_shows_a_margin(store_app):
    at = _run(store_app, STAFF, "zh")
    assert at.number_input(key="draw_minimum").value == 2
    assert "至少 2" in at.number_input(key="draw_minimum").help
    table = _table(at, "基础权数")
    _no_missing_markers(table)
    assert (table["样本量 n_h"] >= table["层内客户数 N_h"].clip(upper=2)).all()
    assert all(len(w.split(".")[1]) == 1 for w in table["基础权数"])  # one decimal
    assert all(m.replace(",", "").isdigit() for m in table["预计完成数"])  # whole answers, not 82.5
    assert "总体预计误差 ±" in _texts(at) and "分不到样本" not in _texts(at)
    _no_missing_markers(_table(at, "客户数"))


def test_preview_warns_about_strata_without_sample(store_app):
    at = _run(store_app, STAFF, "zh")
    at.number_input(key="draw_minimum").set_value(0).run()
    assert not at.exception
    table = _table(at, "基础权数")
    empty = table[table["样本量 n_h"] == 0]
    assert len(empty) >= 1  # a tiny stratum rounds to no sample under proportional allocation
    warning = next(w.value for w in at.warning if "分不到样本" in w.value).replace("\\|", "|")  # md-escaped
    assert f"有 {len(empty)} 个层" in warning and empty["层"].iloc[0] in warning and "至少 2" in warning
    assert "总体预计误差 无法计算" in _texts(at) and "nan" not in _texts(at)
    assert set(empty["基础权数"]) == {"—"} and "—" in set(table["预计误差 ±"])
    _no_missing_markers(table)


def test_preview_in_english(store_app):
    at = _run(store_app, STAFF, "en", draw_minimum=0)
    assert not at.exception
    table = _table(at, "Weight")
    assert list(table.columns) == ["Stratum", "Region", "N_h", "n_h", "Expected completes", "Weight",
                                   "Expected margin ±"]  # fmt: skip
    _no_missing_markers(table)
    assert any("strata" in w.value and "at least 2" in w.value for w in at.warning)
    assert "overall expected margin cannot be computed" in _texts(at)


def test_a_size_below_the_minimums_is_explained_and_cannot_be_drawn(store_app):
    at = _run(store_app, STAFF, "zh")
    at.number_input(key="draw_size").set_value(10).run()
    assert not at.exception
    assert any("样本量至少应为" in w.value for w in at.warning)
    assert at.button(key="draw_go").disabled  # (AppTest, like a browser, refuses to click it)


def test_the_page_default_draw_keeps_two_per_stratum(store_app, demo_target):
    at = _run(store_app, STAFF, "zh")
    at.number_input(key="draw_size").set_value(200)
    at.button(key="draw_go").click().run()
    assert not at.exception and "已抽取第" in _texts(at)
    db = open_db(demo_target)
    rid = db.execute("SELECT MAX(id) FROM rounds").fetchone()[0]
    strata = db.execute(
        "SELECT population, sample_size FROM round_strata WHERE round_id = ?", [rid]
    ).fetchall()
    assert len(strata) == 36 and all(n_h >= min(2, big_n) for big_n, n_h in strata)
    assert any(n_h == 2 < big_n for big_n, n_h in strata)  # the minimum raised some stratum


# ---------------------------------------------------------------- frame page


@pytest.mark.parametrize("lang, whole_file", [("zh", "（整个文件）"), ("en", "(whole file)")])
def test_frame_problems_show_no_none_for_file_level_problems(store_app, lang, whole_file):
    at = _run(store_app, STAFF, lang, "frame")
    at.file_uploader(key="frame_file").upload("empty.csv", b"", "text/csv").run()
    assert not at.exception
    problems = _table(at, "问题" if lang == "zh" else "Problem")
    _no_missing_markers(problems)
    assert whole_file in set(problems.iloc[:, 0]) and "—" in set(problems.iloc[:, 1])


def test_frame_mapping_labels_name_the_columns_in_words(store_app):
    at = _run(store_app, STAFF, "zh", "frame")
    at.file_uploader(key="frame_file").upload(
        "x.csv", "cust,town,kind\nN1,福州,居民\n".encode(), "text/csv"
    ).run()
    assert not at.exception
    assert at.selectbox(key="frame_map_id").label == "户号（必填）"
    assert at.selectbox(key="frame_map_phone").label == "联系电话"
    assert at.selectbox(key="frame_map_complaints_12m").label == "近 12 个月投诉次数"
    assert all(f"frame_col_{c}" in STRINGS for c in CANONICAL_COLUMNS)


def test_frame_overview_has_a_total(store_app, demo_target):
    active = open_db(demo_target).execute("SELECT COUNT(*) FROM customers WHERE active = 1").fetchone()[0]
    at = _run(store_app, STAFF, "zh", "frame")
    assert f"共 {active:,} 位在册客户，9 个地区" in _texts(at)


# ---------------------------------------------------------------- questionnaires


@pytest.mark.parametrize(
    "lang, headers",
    [
        ("zh", ["编号", "问卷", "问卷代码", "版本", "题数", "使用该版本的轮次", "保存时间", "校验码（SHA-256 前 12 位）"]),
        ("en", ["No.", "Questionnaire", "Code", "Version", "Questions", "Rounds using it", "Stored at",
                "SHA-256 (first 12)"]),
    ],
)  # fmt: skip
def test_questionnaire_versions_are_translated_with_local_time(store_app, demo_target, lang, headers):
    stored = open_db(demo_target).execute("SELECT created_at FROM questionnaires WHERE id = 1").fetchone()[0]
    at = _run(store_app, STAFF, lang, "questionnaires")
    assert not at.exception
    table = _table(at, headers[-1])
    assert list(table.columns) == headers
    _no_missing_markers(table)
    row = table.set_index(headers[0]).loc[1]
    assert row[headers[6]] == _beijing_time(stored)
    assert row[headers[1]] == (
        "供电服务满意度调查" if lang == "zh" else "Power supply service satisfaction survey"
    )


# ---------------------------------------------------------------- users


@pytest.mark.parametrize(
    "lang, headers, words",
    [
        ("zh", ["用户名", "角色", "地区范围", "状态", "最近登录", "创建时间"],
         {"manager": "业务管理人员", "all": "全部地区", "active": "正常", "locked": "锁定至", "disabled": "已停用"}),
        ("en", ["User name", "Role", "Regions", "Status", "Last sign-in", "Created"],
         {"manager": "manager", "all": "All regions", "active": "Active", "locked": "Locked until",
          "disabled": "Disabled"}),
    ],
)  # fmt: skip
def test_users_table_is_translated_with_local_times(store_app, demo_target, lang, headers, words):
    db = open_db(demo_target)
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).replace(microsecond=0).isoformat()
    db.execute("UPDATE users SET last_sign_in = '2026-08-04T11:53:00+00:00' WHERE name = 'manager'")
    db.execute("UPDATE users SET locked_until = ?, region = '泉州,厦门' WHERE name = 'staff'", [later])
    db.execute("UPDATE users SET locked_until = '2020-01-01T00:00:00+00:00' WHERE name = 'manager'")
    db.execute(
        "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES ('old', 'staff', 'x', 1, ?)",
        ["2026-01-01T20:00:00+00:00"],
    )
    db.conn.close()
    at = _run(store_app, ADMIN, lang, "users")
    assert not at.exception
    table = _table(at, headers[0])
    assert list(table.columns) == headers
    _no_missing_markers(table)
    rows = table.set_index(headers[0])
    assert rows.loc["manager", headers[1]] == words["manager"]
    assert rows.loc["manager", headers[2]] == words["all"]
    assert rows.loc["manager", headers[3]] == words["active"]  # an expired lock is no lock
    assert rows.loc["manager", headers[4]] == "2026-08-04 19:53"
    assert rows.loc["admin", headers[4]] == "—"
    assert rows.loc["staff", headers[2]] == "泉州, 厦门"
    assert rows.loc["staff", headers[3]] == f"{words['locked']} {_beijing_time(later)}"
    assert rows.loc["old", headers[3]] == words["disabled"]
    assert rows.loc["old", headers[5]] == "2026-01-02 04:00"


# ---------------------------------------------------------------- audit


@pytest.mark.parametrize(
    "lang, headers, draw, system",
    [
        ("zh", ["序号", "时间", "用户", "操作", "详情"], "抽取样本", "（系统）"),
        ("en", ["No.", "Time", "User", "Action", "Detail"], "Sample drawn", "(system)"),
    ],
)
def test_audit_log_is_translated_with_local_times(store_app, demo_target, lang, headers, draw, system):
    db = open_db(demo_target)
    stored = dict(db.execute("SELECT id, at FROM audit_log").fetchall())
    db.conn.close()
    at = _run(store_app, ADMIN, lang, "audit")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == headers
    _no_missing_markers(table)
    assert draw in set(table[headers[3]])
    assert system in set(table[headers[2]])  # follow-ups opened by the system have no user
    for entry_id, at_value in zip(table[headers[0]], table[headers[1]], strict=True):
        assert at_value == _beijing_time(stored[entry_id])


def test_audit_since_means_the_local_day(store_app, demo_target):
    db = open_db(demo_target)
    db.execute(
        "INSERT INTO audit_log (at, user, action, detail) VALUES"
        " ('2026-08-03T15:59:00+00:00', 'admin', 'sign_in', 'before'),"  # 23:59 on 3 August in Beijing
        " ('2026-08-03T16:01:00+00:00', 'admin', 'sign_in', 'after')"  # 00:01 on 4 August in Beijing
    )
    db.conn.close()
    at = _run(store_app, ADMIN, "zh", "audit")
    at.date_input(key="audit_since").set_value(dt.date(2026, 8, 4)).run()
    assert not at.exception
    details = set(at.dataframe[0].value["详情"])
    assert "after" in details and "before" not in details


# ---------------------------------------------------------------- issue 10: margins met, minimum, optimal


def _regions(at):
    return _table(at, "客户数")


def test_preview_sizes_an_equal_allocation_for_its_target(store_app):
    at = _run(store_app, STAFF, "zh", draw_mode="overall", draw_allocation="equal")
    assert not at.exception
    caption = next(c.value for c in at.caption if "总体预计误差" in c.value)
    assert "目标 ±5.0%" in caption
    achieved = float(caption.split("总体预计误差 ±")[1].split("%")[0])
    assert achieved <= 5.0  # before issue 10: Cochran's n allocated equally planned about ±9%
    assert "draw_accept_shortfall" not in [c.key for c in at.checkbox]
    assert not at.button(key="draw_go").disabled


def test_preview_shows_target_beside_achieved_per_region(store_app):
    # everyone answers: the demo frame (3,000 customers) can give ±5% in every region
    at = _run(store_app, STAFF, "zh", draw_mode="per_region", draw_allocation="power", draw_response_rate=1.0)
    assert not at.exception and "draw_accept_shortfall" not in [c.key for c in at.checkbox]
    regions = _regions(at)
    assert "目标误差 ±" in regions.columns and set(regions["目标误差 ±"]) == {"5.0%"}
    assert all(float(m.rstrip("%")) <= 5.0 for m in regions["预计误差 ±"])


def test_a_shortfall_needs_confirmation_before_the_draw(store_app, demo_target):
    at = _run(store_app, STAFF, "zh", draw_mode="per_region", draw_margin=1.0, draw_response_rate=0.3)
    assert not at.exception
    warning = next(w.value for w in at.warning if "无法达到" in w.value)
    assert "±1.0%" in warning and "福州" in warning
    assert at.button(key="draw_go").disabled
    at.checkbox(key="draw_accept_shortfall").check().run()
    assert not at.button(key="draw_go").disabled
    at.button(key="draw_go").click().run()
    assert not at.exception and "已抽取第" in _texts(at)


def test_a_shortfall_is_said_in_english(store_app):
    at = _run(store_app, STAFF, "en", draw_mode="per_region", draw_margin=1.0, draw_response_rate=0.3)
    assert not at.exception
    assert any("cannot be met" in w.value and "±1.0%" in w.value for w in at.warning)
    assert at.checkbox(key="draw_accept_shortfall").label.startswith("Draw anyway")


def test_preview_lists_strata_with_one_customer(store_app):
    at = _run(store_app, STAFF, "zh", draw_minimum=0)
    table = _table(at, "基础权数")
    ones = table[(table["样本量 n_h"] == 1) & (table["层内客户数 N_h"] > 1)]
    assert len(ones) >= 1
    warning = next(w.value for w in at.warning if "只抽到 1 户" in w.value).replace("\\|", "|")  # md-escaped
    assert f"有 {len(ones)} 个层" in warning and ones["层"].iloc[0] in warning


def test_cost_optimal_allocation_works_and_says_where_the_sds_come_from(store_app, demo_target):
    at = _run(store_app, STAFF, "zh", draw_allocation="optimal")
    assert not at.exception
    assert "needs sd" not in _texts(at) and not any("设计无法实现" in w.value for w in at.warning)
    assert "第 1 轮" in _texts(at)  # S_h from the last closed round
    table = _table(at, "基础权数")
    assert table["样本量 n_h"].sum() == 1000
    at.button(key="draw_go").click().run()
    assert not at.exception and "已抽取第" in _texts(at)
    rid = open_db(demo_target).execute("SELECT MAX(id) FROM rounds").fetchone()[0]
    design = open_db(demo_target).execute("SELECT design FROM rounds WHERE id = ?", [rid]).fetchone()[0]
    assert '"allocation": "optimal"' in design


def test_cost_optimal_without_a_closed_round_uses_p_half(store_app, demo_target):
    open_db(demo_target).execute("UPDATE rounds SET status = 'open'")
    at = _run(store_app, STAFF, "zh", draw_allocation="optimal")
    assert not at.exception and "S_h = 0.5" in _texts(at)
    assert _table(at, "基础权数")["样本量 n_h"].sum() == 1000


def test_drawing_while_rounds_are_open_warns_and_expected_completes_are_whole(store_app):
    """Issue 12, item 10: a draw while the demo's round 2 is still open says so; no "82.5 completes"."""
    from survey.users import User

    at = store_app(User("staff", "staff"))
    at.switch_page("app_pages/rounds.py").run()
    assert not at.exception
    assert any("仍在进行中" in str(w.value) for w in at.warning)
    for frame in at.dataframe:
        table = frame.value
        if "预计完成数" in table.columns:
            assert table["预计完成数"].astype(str).str.fullmatch(r"[\d,]+|—").all()
