"""Chinese-first polish of the manager pages: translated headers and codes, rounded numbers,
percentages, local times and no None/nan in the dashboard, suggestions, trends and follow-ups."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from survey.follow_ups import list_follow_ups, sync_follow_ups, update_follow_up
from survey.store import open_db, transaction
from survey.users import User

MANAGER = User("manager", "manager")
BEIJING = ZoneInfo("Asia/Shanghai")
RAW = {"None", "nan", "NaN", "<NA>", "NaT"}
PERCENT = re.compile(r"\d{1,3}\.\d%")
HEADERS = {
    "regions": {
        "zh": ["地区", "均值", "标准误", "95% 下限", "95% 上限", "样本数", "显著性字母", "样本<1"],
        "en": ["Region", "Mean", "SE", "95% CI low", "95% CI high", "n", "Letters", "n<1"],
    },
    "drill": {
        "zh": ["客户类型", "指标类型", "题目", "估计值", "标准误", "95% 下限", "95% 上限", "样本数", "样本<1"],
        "en": ["Customer type", "Indicator", "Item", "Estimate", "SE", "95% CI low", "95% CI high", "n", "n<1"],
    },
    "pairs": {
        "zh": ["组 A", "组 B", "组 A 估计值", "组 B 估计值", "差值 A−B", "标准误", "校正 p 值", "显著"],
        "en": ["Group A", "Group B", "Estimate A", "Estimate B", "Difference A−B", "SE", "adjusted p", "significant"],
    },
    # suggestion topics (issue 13): complaints per topic with praise beside them
    "topics": {"zh": ["主题", "提及", "投诉", "投诉占比（未加权）", "表扬"],
               "en": ["Topic", "Mentions", "Complaints", "Complaint share (unweighted)", "Praise"]},
    "suggestion_topics": {"zh": ["地区", "主题", "提及", "投诉", "投诉占比（未加权）", "投诉占比（加权）", "表扬", "模型置信度"],
                          "en": ["Region", "Topic", "Mentions", "Complaints", "Complaint share (unweighted)",
                                 "Complaint share (weighted)", "Praise", "Model confidence"]},
    "trend": {
        "zh": ["轮次", "估计值", "标准误", "95% 下限", "95% 上限", "样本数", "较上轮变化", "变化 p 值", "样本<1"],
        "en": ["Round", "Estimate", "SE", "95% CI low", "95% CI high", "n", "Change", "p (change)", "n<1"],
    },
    "queue": {
        "zh": ["编号", "逾期", "地区", "原因", "状态", "到期", "负责人", "客户类型", "户名", "电话", "原文"],
        "en": ["No.", "Overdue", "Region", "Reason", "Status", "Due", "Owner", "Customer type", "Name", "Phone",
               "Text"],
    },
}  # fmt: skip


@pytest.fixture(autouse=True)
def _beijing(monkeypatch):
    monkeypatch.delenv("SURVEY_TZ", raising=False)
    # number formats of every row (the small demo has 3–16 per region); the "n<…" headers follow it
    monkeypatch.setenv("SURVEY_MIN_BASE", "1")


def _page(store_app, page, lang="zh", user=MANAGER):
    at = store_app(user, lang=lang)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


DASHBOARD_TABLES = ("dash_regions", "dash_pairs", "dash_dunn", "dash_drill", "dash_topics")  # page order


def _table(at, key: str) -> pd.DataFrame:
    """A dashboard table by its key (read-only tables carry no id in AppTest, so by page order)."""
    return at.dataframe[DASHBOARD_TABLES.index(key)].value


def _assert_clean(table: pd.DataFrame) -> None:
    cells = set(table.astype(str).to_numpy().ravel())
    assert not cells & RAW, f"raw missing values shown: {cells & RAW}"


def _texts(at) -> str:
    return "\n".join(str(e.value) for e in [*at.text, *at.markdown, *at.caption, *at.error])


def _beijing_time(stored: str) -> str:
    return datetime.fromisoformat(stored).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_tables_have_translated_headers_and_rounded_values(store_app, lang):
    at = _page(store_app, "dashboard", lang=lang)
    regions, pairs = _table(at, "dash_regions"), _table(at, "dash_pairs")
    drill, topics = _table(at, "dash_drill"), _table(at, "dash_topics")
    for name, table in (("regions", regions), ("drill", drill), ("pairs", pairs), ("topics", topics)):
        assert list(table.columns) == HEADERS[name][lang], name
        _assert_clean(table)
    h = dict(zip(HEADERS["regions"]["en"], HEADERS["regions"][lang], strict=True))
    assert regions[h["Mean"]].str.fullmatch(r"\d\.\d\d").all()
    assert regions[h["SE"]].str.fullmatch(r"\d\.\d{3}").all()
    assert (regions[h["95% CI low"]].astype(float) <= regions[h["Mean"]].astype(float)).all()
    assert set(regions[h["n<1"]]) <= {"⚠", ""}
    assert pairs.iloc[:, 4].str.fullmatch(r"[+-]\d\.\d\d").all()
    assert pairs.iloc[:, 6].str.fullmatch(r"<0\.001|[01]\.\d{3}").all()
    assert set(pairs.iloc[:, 7]) <= ({"是", "否"} if lang == "zh" else {"Yes", "No"})
    assert topics.iloc[:, 3].str.fullmatch(PERCENT).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_drill_down_formats_each_row_by_its_indicator(store_app, lang):
    drill = _table(_page(store_app, "dashboard", lang=lang), "dash_drill")
    kind = drill.iloc[:, 1].map(
        {
            "均值": "mean",
            "满意率": "top2",
            "指数": "index",
            "mean": "mean",
            "top-2-box": "top2",
            "index": "index",
        }
    )
    assert kind.notna().all() and set(kind) == {"mean", "top2", "index"}
    value, se, low, high = (drill.iloc[:, i] for i in (3, 4, 5, 6))
    top2, mean, index = kind == "top2", kind == "mean", kind == "index"
    assert value[top2].str.fullmatch(PERCENT).all() and value[mean].str.fullmatch(r"\d\.\d\d").all()
    assert value[index].str.fullmatch(r"\d{1,3}\.\d").all()
    for column in (se, low, high):  # a CI bound or SE that cannot be computed (e.g. n = 1) shows "—"
        assert column[top2].str.fullmatch(f"{PERCENT.pattern}|—").all()
        assert column[mean].str.fullmatch(r"\d\.\d{2,3}|—").all()
        assert column[index].str.fullmatch(r"\d{1,3}\.\d{1,2}|—").all()
    assert se[mean].str.fullmatch(r"\d\.\d{3}|—").all() and low[mean].str.fullmatch(r"\d\.\d\d|—").all()
    assert set(drill.iloc[:, 8]) <= {"⚠", ""}  # marked like the region table, not a checkbox
    if lang == "en":
        assert "Residential" in set(drill.iloc[:, 0]) and "居民" not in set(drill.iloc[:, 0])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_suggestion_shares_are_percentages(store_app, lang):
    at = _page(store_app, "suggestions", lang=lang)
    counts, examples = at.dataframe[0].value, at.dataframe[1].value
    assert list(counts.columns) == HEADERS["suggestion_topics"][lang]
    assert counts.iloc[:, 4].str.fullmatch(PERCENT).all() and counts.iloc[:, 5].str.fullmatch(PERCENT).all()
    assert ("投诉" if lang == "zh" else "Complaint") in list(examples.columns)
    _assert_clean(counts)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("indicator", "value"), [("index", r"\d{1,3}\.\d"), ("top2", PERCENT.pattern), ("mean", r"\d\.\d\d")]
)
def test_trend_table_is_translated_and_the_first_round_has_no_change(store_app, lang, indicator, value):
    at = _page(store_app, "trends", lang=lang)
    at.checkbox(key="trend_open").check().run()  # the demo's round 2 is still open
    at.selectbox(key="trend_indicator").set_value(indicator).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == HEADERS["trend"][lang]
    _assert_clean(table)
    assert table.iloc[:, 1].str.fullmatch(value).all()
    assert list(table.iloc[0, 6:8]) == ["—", "—"]  # no previous round
    assert re.fullmatch(r"<0\.001|[01]\.\d{3}", table.iloc[1, 7])
    change = r"[+-]\d+\.\d 个百分点" if (indicator == "top2" and lang == "zh") else (
        r"[+-]\d+\.\d pp" if indicator == "top2" else r"[+-]\d+\.\d+")  # fmt: skip
    assert re.fullmatch(change, table.iloc[1, 6])
    assert table.iloc[1, 6] in _texts(at)  # the sentence quotes the same rounded change


def _queue_page(store_app, demo_target, lang):
    db = open_db(demo_target)
    for (round_id,) in db.execute("SELECT id FROM rounds").fetchall():
        sync_follow_ups(db, round_id)
    return db, _page(store_app, "follow_ups", lang=lang)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_follow_up_queue_shows_reasons_in_words_and_local_due_times(store_app, demo_target, lang):
    db, at = _queue_page(store_app, demo_target, lang)
    shown = at.dataframe[0].value
    assert list(shown.columns) == HEADERS["queue"][lang]
    _assert_clean(shown)
    stored = list_follow_ups(db).set_index("id")
    reasons = shown.set_index(shown.columns[0]).iloc[:, 2]
    assert not reasons.str.contains("low_|complaint:|[a-z]_[a-z]").any()  # no stored codes
    low = stored.index[stored["reason"] == "low_overall"]
    complaints = stored.index[stored["reason"].str.startswith("complaint:")]
    assert len(low) and len(complaints)
    assert set(reasons[low]) == {"总体满意度低分" if lang == "zh" else "Low overall satisfaction score"}
    assert reasons[complaints].str.startswith("投诉：" if lang == "zh" else "Complaint: ").all()
    billing = stored.index[stored["reason"] == "complaint:billing"]
    assert set(reasons[billing]) <= {"投诉：电费与电价" if lang == "zh" else "Complaint: Billing & tariff"}
    due = shown.set_index(shown.columns[0]).iloc[:, 4]
    assert due.to_dict() == {i: _beijing_time(stored.loc[i, "due_at"]) for i in due.index}
    assert set(shown.iloc[:, 4]) <= (
        {"待处理", "已联系", "已解决"} if lang == "zh" else {"Open", "Contacted", "Resolved"}
    )
    picked = int(at.selectbox(key="fu_pick").value)
    detail = at.text[0].value
    assert _beijing_time(stored.loc[picked, "due_at"]) in detail and "+00:00" not in detail
    assert "low_" not in detail and "complaint:" not in detail


def test_follow_up_detail_never_shows_nan_for_missing_owner_or_text(store_app, demo_target):
    db, _ = _queue_page(store_app, demo_target, "zh")
    stored = list_follow_ups(db)
    silent = int(stored.loc[stored["suggestion"].isna(), "id"].iloc[0])  # a low score without a suggestion
    # nobody assigned yet (the demo assigns some follow-ups; which ones moves with the model)
    with transaction(db):
        db.execute("UPDATE follow_ups SET owner = NULL, note = NULL WHERE id = ?", [silent])
    other = int(stored.loc[stored["id"] != silent, "id"].iloc[0])
    update_follow_up(
        db, other, user="manager", owner="张三", note="已回电"
    )  # owners: one name, the rest missing
    at = _page(store_app, "follow_ups")
    at.selectbox(key="fu_pick").set_value(other).run()
    assert at.text_input(key="fu_owner").value == "张三" and at.text_area(key="fu_note").value == "已回电"
    at.selectbox(key="fu_pick").set_value(
        silent
    ).run()  # the form shows this item's values, not the last one's
    assert not at.exception
    assert at.text_input(key="fu_owner").value == "" and at.text_area(key="fu_note").value == ""
    assert not any(word in _texts(at) for word in RAW)
    assert "负责人: —" in at.text[1].value
    _assert_clean(at.dataframe[0].value)


def test_follow_up_backward_status_is_refused_in_words(store_app, demo_target):
    db, at = _queue_page(store_app, demo_target, "zh")
    first = int(at.selectbox(key="fu_pick").value)
    update_follow_up(db, first, user="manager", status="contacted")
    at = _page(store_app, "follow_ups")
    at.selectbox(key="fu_pick").set_value(first).run()
    at.selectbox(key="fu_new_status").set_value("open")
    at.button(key="fu_save").click().run()
    assert not at.exception
    assert "状态只能向前推进" in _texts(at) and "cannot go back" not in _texts(at)
    assert db.execute("SELECT status FROM follow_ups WHERE id = ?", [first]).fetchone()[0] == "contacted"


@pytest.mark.parametrize("base, lang, header, note", [
    ("20", "zh", "样本<20", "答卷少于 20 份的组"), ("45", "en", "n<45", "fewer than 45 answers"),
])  # fmt: skip
def test_the_small_sample_header_follows_the_configured_minimum_base(
    store_app, monkeypatch, base, lang, header, note
):
    monkeypatch.setenv("SURVEY_MIN_BASE", base)
    at = _page(store_app, "dashboard", lang=lang)
    assert header in _table(at, "dash_regions").columns
    assert note in _texts(at)
    trends = _page(store_app, "trends", lang=lang)
    trends.checkbox(key="trend_open").check().run()  # the demo's round 2 is still open
    assert header in trends.dataframe[0].value.columns
