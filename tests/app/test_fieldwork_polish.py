"""AppTests of the Chinese-first polish of the phone-interview and monitor pages: translated headers and
codes in zh and en, local (Beijing) times, percentages with one decimal, "—" for missing values."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from survey.regions import CUSTOMER_TYPES_EN, FUJIAN
from survey.store import open_db
from survey.users import User
from tests.conftest import query
from ui import i18n

STAFF = User("staff", "staff")
BEIJING = ZoneInfo("Asia/Shanghai")

CALL_LIST = {
    "zh": ["户号", "户名", "电话", "分层", "状态", "拨打次数", "最近拨打", "约定回拨"],
    "en": ["Customer ID", "Name", "Phone", "Stratum", "Status", "Attempts", "Last call", "Call back"],
}
HISTORY = {
    "zh": ["拨打时间", "访问员", "通话结果", "约定回拨", "备注"],
    "en": ["Called at", "Interviewer", "Outcome", "Call back", "Note"],
}
CALLBACK = {"zh": "约定回拨", "en": "Call back later"}
PROGRESS = {
    "zh": ["分层", "已发放", "已完成", "部分完成", "拒访", "未接触", "不合格", "待回复"],
    "en": ["Stratum", "Issued", "Completed", "Partial", "Refused", "Non-contact", "Ineligible", "Pending"],
}
RATES = ["RR1", "RR3", "COOP1", "REF1", "CON1"]
STATUS = {
    "zh": {"open": "（进行中）", "closed": "（已结束）"},
    "en": {"open": " (open)", "closed": " (closed)"},
}
CHART = {
    "zh": {"mode": "方式", "daily": "每日完成", "cumulative": "累计完成", "modes": {"网页", "电话"}},
    "en": {"mode": "Mode", "daily": "Completes per day", "cumulative": "Cumulative completes",
           "modes": {"Web", "Phone"}},
}  # fmt: skip


def _beijing(stamp: str) -> str:
    """A stored UTC ISO time as Beijing wall-clock time, computed here without ui.fmt."""
    return datetime.fromisoformat(stamp).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def staff_app(store_app, monkeypatch):
    """The app as survey staff in ``lang``. AppTest formats widget values (format_func) outside the script run,
    where session state reads as empty and ``t`` would answer in Chinese: pin the language there too."""

    def make(lang: str) -> AppTest:
        monkeypatch.setattr(i18n, "lang", lambda: lang)
        return store_app(STAFF, lang=lang)

    return make


def _no_raw_values(table: pd.DataFrame) -> None:
    assert not table.isna().any().any()
    cells = table.astype(str)
    assert not cells.isin(["None", "nan", "NaN", "NaT", "<NA>"]).any().any()
    assert not cells.apply(lambda c: c.str.contains(r"\d{4}-\d\d-\d\dT", regex=True)).any().any()


# ---------------------------------------------------------------- phone interviews


def _callback_recorded(staff_app, lang: str) -> tuple[AppTest, int]:
    """Record a call-back appointment through the page, then list the call-backs."""
    at = staff_app(lang)
    at.switch_page("app_pages/fieldwork.py").run()
    at.selectbox(key="fw_status").set_value("issued").run()
    aid = at.selectbox(key="fw_assignment").value
    at.radio(key=f"fw_outcome_{aid}").set_value("callback").run()
    at.date_input(key=f"fw_cb_date_{aid}").set_value(date(2031, 3, 4)).run()
    at.time_input(key=f"fw_cb_time_{aid}").set_value(time(14, 30)).run()
    at.button(key=f"fw_record_{aid}").click().run()
    at.selectbox(key="fw_status").set_value("callback").run()
    assert not at.exception
    assert at.selectbox(key="fw_assignment").value == aid
    return at, aid


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_call_list_has_translated_headers_local_times_and_dashes(staff_app, demo_target, lang):
    at = staff_app(lang)
    at.switch_page("app_pages/fieldwork.py").run()
    table = at.dataframe[0].value
    assert list(table.columns) == CALL_LIST[lang]
    _no_raw_values(table)
    assert (table[CALL_LIST[lang][-1]] == "—").all()  # no call-back agreed yet in the demo


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_callback_and_call_history_show_local_times_and_translated_outcomes(staff_app, demo_target, lang):
    at, aid = _callback_recorded(staff_app, lang)
    (called_at, stored_callback), = query(demo_target, "SELECT at, callback_at FROM calls WHERE assignment_id = ?",
                                           [aid])  # fmt: skip
    assert stored_callback == "2031-03-04T14:30:00"  # typed-in local time, stored naive
    row = at.dataframe[0].value.iloc[0]
    assert row[CALL_LIST[lang][-1]] == "2031-03-04 14:30"
    assert row[CALL_LIST[lang][-2]] == _beijing(called_at)  # stored UTC, shown in Beijing time
    history = at.dataframe[1].value
    assert list(history.columns) == HISTORY[lang]
    _no_raw_values(history)
    assert list(history.iloc[0]) == [_beijing(called_at), "staff", CALLBACK[lang], "2031-03-04 14:30", "—"]


def test_customer_info_names_the_customer_id(staff_app, demo_target):
    at = staff_app("zh")
    at.switch_page("app_pages/fieldwork.py").run()
    aid = at.selectbox(key="fw_assignment").value
    (customer,) = query(demo_target, "SELECT customer_id FROM assignments WHERE id = ?", [aid])[0]
    assert any(c.value.startswith(f"户号 {customer} · ") for c in at.caption)


# ---------------------------------------------------------------- monitor


def _open_monitor(staff_app, lang: str) -> AppTest:
    at = staff_app(lang)
    at.switch_page("app_pages/monitor.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_round_selector_shows_translated_status(staff_app, lang):
    at = _open_monitor(staff_app, lang)
    options = at.selectbox(key="mon_round").options
    assert options[0].endswith(STATUS[lang]["open"]) and options[1].endswith(STATUS[lang]["closed"])
    if lang == "zh":
        assert not any("open" in o or "closed" in o for o in options)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rates_are_percentages_with_one_decimal_and_a_dash_without_denominator(staff_app, demo_target, lang):
    # nobody contacted in one stratum: COOP1 = I / (I + P + R) has denominator 0 there
    (stratum,) = query(demo_target, "SELECT MIN(stratum) FROM assignments WHERE round_id = 2")[0]
    db = open_db(demo_target)
    db.execute("UPDATE assignments SET status = 'issued' WHERE round_id = 2 AND stratum = ? AND is_reserve = 0",
               [stratum])  # fmt: skip
    db.conn.close()
    at = _open_monitor(staff_app, lang)
    table = at.dataframe[0].value
    assert list(table.columns) == PROGRESS[lang] + RATES
    _no_raw_values(table)
    for rate in RATES:
        assert table[rate].map(lambda v: bool(re.fullmatch(r"\d{1,3}\.\d%|—", v))).all(), table[rate]
    region, ctype = stratum.split("|")
    shown = stratum if lang == "zh" else f"{FUJIAN[region]['en']}|{CUSTOMER_TYPES_EN[ctype]}"
    row = table[table[PROGRESS[lang][0]] == shown].iloc[0]
    assert row["COOP1"] == "—" and row["RR1"] == "0.0%"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_daily_chart_has_translated_titles_and_modes(staff_app, lang):
    at = _open_monitor(staff_app, lang)
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    bars, line = spec["layer"]
    words = CHART[lang]
    assert bars["encoding"]["color"]["title"] == words["mode"]
    assert bars["encoding"]["y"]["title"] == words["daily"]
    assert line["encoding"]["y"]["title"] == words["cumulative"]
    assert "Max of" not in chart.proto.spec and "aggregate" not in json.dumps(spec)
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    modes = {m for f in frames if "mode" in f for m in f["mode"]}
    assert modes == words["modes"]


def test_closed_round_shows_when_it_closed_in_local_time(staff_app, demo_target):
    (closed_at,) = query(demo_target, "SELECT closed_at FROM rounds WHERE id = 1")[0]
    at = _open_monitor(staff_app, "zh")
    at.selectbox(key="mon_round").set_value(1).run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert f"本轮已结束（{_beijing(closed_at)}）" in text and closed_at not in text


def test_daily_chart_has_one_band_per_day_even_for_a_single_day(staff_app, demo_target):
    """Issue 12, item 10: with answers on one day the chart was one page-wide bar with axis labels
    "12-02, 12-02, 12-03" (hours of a time axis); days are now categories, one label each."""
    db = open_db(demo_target)
    db.execute("UPDATE responses SET submitted_at = '2026-12-02T03:00:00+00:00' WHERE assignment_id IN"
               " (SELECT id FROM assignments WHERE round_id = 2)")  # fmt: skip
    db.conn.close()
    at = _open_monitor(staff_app, "zh")
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    bars, line = spec["layer"]
    assert bars["encoding"]["x"]["type"] == line["encoding"]["x"]["type"] == "ordinal"
    frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
    days = {d for f in frames if "day" in f for d in f["day"]}
    assert days == {"12-02"}
