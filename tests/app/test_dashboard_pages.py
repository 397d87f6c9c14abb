"""AppTests of the manager pages: dashboard, suggestions, follow-ups, trends (both languages, DB effects)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from survey.follow_ups import list_follow_ups, sync_follow_ups, update_follow_up
from survey.store import open_db
from survey.users import User, create_user

MANAGER = User("manager", "manager")


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.text] + [m.value for m in at.caption]
    parts += [m.value for m in at.info] + [m.value for m in at.title]
    return "\n".join(str(p) for p in parts)


def _local_manager(db, region: str) -> User:
    create_user(db, "m_local", "manager", "local-pass-123", region=region)
    return User("m_local", "manager", region)


def _page(store_app, page, user=MANAGER, lang="zh"):
    at = store_app(user, lang=lang)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_kpis_chart_letters_and_methods(store_app, lang, monkeypatch):
    monkeypatch.setenv(
        "SURVEY_MIN_BASE", "6"
    )  # the 3,000-customer demo's round 1 has 3–16 answers per region
    at = _page(store_app, "dashboard", lang=lang)
    assert len(at.metric) == 4
    table = at.dataframe[0].value
    assert len(table) == 9
    low, high = ("95% 下限", "95% 上限") if lang == "zh" else ("95% CI low", "95% CI high")
    small = table.iloc[:, 1].str.startswith("样本不足" if lang == "zh" else "too few")
    assert small.any() and not small.all()  # some regions below 6 answers
    big = table[~small]
    mean = big.iloc[:, 1].astype(float)  # shown rounded, as text
    assert (big[low].astype(float) <= mean).all() and (mean <= big[high].astype(float)).all()
    assert big.iloc[:, 6].str.fullmatch("[a-z]+").all()  # significance letters
    assert (table[small].iloc[:, 6] == "").all() and (table[small][low] == "—").all()  # no claim from too few
    text = _texts(at)
    assert "Rao-Scott" in text and "Kruskal" in text
    assert ("简单随机样本" in text) if lang == "zh" else ("simple random" in text)
    assert ("(分数−1)/4×100" in text) if lang == "zh" else ("(score − 1)/4 × 100" in text)


def test_dashboard_region_scoped_manager_sees_only_districts(store_app, demo_target):
    db = open_db(demo_target)
    region = db.execute(
        "SELECT region FROM customers GROUP BY region ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()[0]
    districts = {
        r[0] for r in db.execute("SELECT DISTINCT district FROM customers WHERE region = ?", [region])
    }
    at = _page(store_app, "dashboard", user=_local_manager(db, region))
    assert region in _texts(at) and "区县" in _texts(at)
    groups = set(at.dataframe[0].value.iloc[:, 0])
    assert groups <= districts
    assert at.selectbox(key="dash_region").options == ["全部"]  # no other regions offered


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dashboard_export_is_audited(store_app, demo_target, lang):
    import zipfile

    at = _page(store_app, "dashboard", lang=lang)
    at.selectbox(key="dash_item").set_value("attitude").run()
    at.selectbox(key="dash_type").set_value("居民").run()
    at.button(key="dash_export").click().run()
    assert not at.exception
    db = open_db(demo_target)
    row = db.execute("SELECT user, detail FROM audit_log WHERE action = 'dashboard_export'").fetchone()
    assert (
        row[0] == "manager"
        and "item=attitude" in row[1]
        and "type=居民" in row[1]
        and "format=xlsx" in row[1]
    )
    book = load_workbook(io.BytesIO(at.session_state["dash_export_bytes"]))
    assert book.sheetnames[:2] == (["封面", "各地区"] if lang == "zh" else ["Cover", "Regions"])
    cover = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
    assert cover["筛选条件" if lang == "zh" else "Filters"] == (
        "客户类型：居民" if lang == "zh" else "Customer type: Residential"
    )
    assert at.download_button(key="dash_download")
    at.button(key="dash_export_data").click().run()  # the analysts' tables of the same view
    assert not at.exception
    archive = zipfile.ZipFile(io.BytesIO(at.session_state["dash_export_data_bytes"]))
    assert {"meta.csv", "indicators.csv", "pairs.csv"} <= set(archive.namelist())
    assert (
        db.execute(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'dashboard_export' AND detail LIKE '%format=csv%'"
        ).fetchone()[0]
        == 1
    )


def test_dashboard_filters_and_poststratification(store_app):
    at = _page(store_app, "dashboard")
    at.selectbox(key="dash_type").set_value("居民").run()
    assert not at.exception
    at.checkbox(key="dash_poststrat").check().run()
    assert not at.exception and len(at.metric) == 4


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_suggestions_page_counts_and_escaped_examples(store_app, lang):
    at = _page(store_app, "suggestions", lang=lang)
    counts, examples = at.dataframe[0].value, at.dataframe[1].value
    assert len(counts) > 0 and (counts.iloc[:, 2] > 0).all()
    assert len(examples) > 0
    at.selectbox(key="sugg_topic").set_value("billing").run()
    assert not at.exception
    label = "电费与电价" if lang == "zh" else "Billing & tariff"
    assert set(at.dataframe[1].value.iloc[:, 1]) <= {label}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_follow_ups_page_sync_update_and_phone(store_app, demo_target, lang):
    at = _page(store_app, "follow_ups", lang=lang)
    at.button(key="fu_sync").click().run()
    assert not at.exception
    db = open_db(demo_target)
    queue = list_follow_ups(db)
    assert len(queue) > 0 and len(at.dataframe[0].value) == len(queue)
    assert at.dataframe[0].value["电话" if lang == "zh" else "Phone"].str.contains(r"\*\*\*\*").all()
    first = int(at.selectbox(key="fu_pick").value)
    at.button(key="fu_show_phone").click().run()  # not the owner yet: refused, nothing audited
    assert (
        db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'follow_up_phone_read'").fetchone()[0] == 0
    )
    at.selectbox(key="fu_new_status").set_value("contacted")
    at.checkbox(key="fu_take").check()
    at.text_area(key="fu_note").input("已电话联系")
    at.button(key="fu_save").click().run()
    assert not at.exception
    row = db.execute("SELECT status, owner, note FROM follow_ups WHERE id = ?", [first]).fetchone()
    assert row == ("contacted", "manager", "已电话联系")
    # redrawn at once: the status line and the table show the saved values, not the old ones (issue 12, item 7)
    contacted = "已联系" if lang == "zh" else "Contacted"
    assert int(at.selectbox(key="fu_pick").value) == first
    assert any(contacted in str(e.value) and "manager" in str(e.value) for e in at.text)
    table = at.dataframe[0].value
    assert table.loc[table.iloc[:, 0] == first].iloc[0, 4] == contacted
    assert any(("已保存" if lang == "zh" else "Saved") in str(e.value) for e in at.success)
    at.button(key="fu_show_phone").click().run()
    assert (
        db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'follow_up_phone_read'").fetchone()[0] == 1
    )


def test_follow_ups_page_region_scope(store_app, demo_target):
    db = open_db(demo_target)
    sync_follow_ups(db, 1)
    region = list_follow_ups(db)["region"].iloc[0]
    at = _page(store_app, "follow_ups", user=_local_manager(db, region))
    assert set(at.dataframe[0].value.iloc[:, 2]) == {region}


def test_follow_ups_sla_setting(store_app, demo_target):
    at = _page(
        store_app, "follow_ups", user=User("admin", "admin")
    )  # company-wide: admins only (issue 11, item 11)
    db = open_db(demo_target)
    before = db.execute("SELECT value FROM settings WHERE key = 'follow_up_sla_days'").fetchone()
    at.number_input(key="fu_sla").set_value(7).run()
    assert not at.exception
    # typing a number saves nothing (issue 12, item 7): the setting needs its own button
    assert db.execute("SELECT value FROM settings WHERE key = 'follow_up_sla_days'").fetchone() == before
    at.button(key="fu_sla_save").click().run()
    assert db.execute("SELECT value FROM settings WHERE key = 'follow_up_sla_days'").fetchone()[0] == "7"
    assert at.button(key="fu_sla_save").disabled  # nothing left to save


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_trends_page_shows_rounds_and_the_change_test(store_app, lang, monkeypatch):
    monkeypatch.setenv("SURVEY_MIN_BASE", "5")
    at = _page(store_app, "trends", lang=lang)
    assert "至少需要两个" in _texts(at) if lang == "zh" else "At least two" in _texts(at)  # round 2 is open
    at.checkbox(key="trend_open").check().run()
    table = at.dataframe[0].value
    assert len(table) == 2
    assert table.iloc[1, 0].endswith("（进行中）" if lang == "zh" else " (open)")
    low = "95% 下限" if lang == "zh" else "95% CI low"
    assert (table[low].astype(float) <= table.iloc[:, 1].astype(float)).all()
    text = _texts(at)
    assert "√(SE₁² + SE₂²)" in text
    assert ("有限总体校正" in text) if lang == "zh" else ("finite population correction" in text)
    assert ("变化" in text) if lang == "zh" else ("change" in text)
    at.selectbox(key="trend_indicator").set_value("mean").run()
    at.selectbox(key="trend_item").set_value("attitude").run()
    assert not at.exception and len(at.dataframe[0].value) == 2


def test_resolved_items_are_not_overdue_on_the_page(store_app, demo_target):
    db = open_db(demo_target)
    sync_follow_ups(db, 1)
    fid = int(list_follow_ups(db)["id"].iloc[0])
    update_follow_up(db, fid, user="manager", status="resolved")
    at = _page(store_app, "follow_ups")
    shown = at.dataframe[0].value.set_index("编号")
    assert shown.loc[fid].iloc[0] == ""


def test_dashboard_makes_no_claim_from_too_few_answers(store_app):
    """Default minimum base 30: every region of the small demo shows 样本不足, no letter, no finding."""
    at = _page(store_app, "dashboard")
    table = at.dataframe[0].value
    assert table.iloc[:, 1].str.startswith("样本不足").all() and (table.iloc[:, 6] == "").all()
    text = _texts(at)
    assert "显著低于" not in text and "没有可比较的地区" in text
