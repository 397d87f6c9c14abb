"""Dashboard and trends messages (issue 12, items 6 and 10): what is shown and why, the group word of the
view, plain sentences on top with the jargon one click away, and no page that contradicts itself."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1.element_tree import Block, Expander

from survey.store import open_db
from survey.users import User, create_user

MANAGER = User("manager", "manager")
JARGON = ("H=", "H =", "ε²", "F=", "F =", "df", "Cramér", "Kruskal", "Rao-Scott", "Holm", "Dunn", "Kish")


def _page(store_app, page, user=MANAGER, lang="zh", **select):
    at = store_app(user, lang=lang)
    at.switch_page(f"app_pages/{page}.py").run()
    for key, value in select.items():
        at.selectbox(key=key).set_value(value).run()
    assert not at.exception, at.exception
    return at


def _elements(node, *, in_expanders: bool):
    """Leaf elements under ``node``: those outside every expander, or only those inside one."""
    for child in node.children.values():
        if isinstance(child, Expander):
            if in_expanders:
                yield from _elements(child, in_expanders=False)
            continue
        if isinstance(child, Block):
            yield from _elements(child, in_expanders=in_expanders)
        elif not in_expanders:
            yield child


def _main_text(at) -> str:
    return (
        "\n".join(
            str(getattr(e, "value", ""))
            for e in _elements(at.main, in_expanders=False)
            if e.type in ("markdown", "text", "alert")  # fmt: skip
        )
        + "\n"
        + "\n".join(str(e.value) for e in [*at.info, *at.warning])
    )


def _details_text(at) -> str:
    details = [e for e in at.expander if e.label in ("方法与检验细节", "Methods and test details")]
    assert len(details) == 1
    return "\n".join(str(e.value) for e in _elements(details[0], in_expanders=False) if e.type in
                     ("markdown", "text"))  # fmt: skip


def test_a_filter_is_not_called_the_account_scope(store_app):
    at = _page(store_app, "dashboard", dash_region="泉州")
    info = "\n".join(e.value for e in at.info)
    assert "您的账号限定为" not in info
    assert "当前筛选：地区为泉州" in info and "按区县进行" in info


def test_the_account_scope_is_said_as_such(store_app, demo_target):
    create_user(open_db(demo_target), "m_qz", "manager", "local-pass-123", region="泉州")
    at = _page(store_app, "dashboard", user=User("m_qz", "manager", "泉州"))
    info = "\n".join(e.value for e in at.info)
    assert "您的账号限定为 泉州" in info and "当前筛选" not in info
    at.selectbox(key="dash_type").set_value("居民").run()
    info = "\n".join(e.value for e in at.info)
    assert "您的账号限定为 泉州" in info and "当前筛选：客户类型为居民" in info


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_empty_filter_combination_says_so_not_that_the_round_has_no_answers(store_app, demo_target, lang):
    total = (
        open_db(demo_target)
        .execute(
            "SELECT COUNT(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id = 1"
        )
        .fetchone()[0]
    )
    at = _page(
        store_app, "dashboard", lang=lang, dash_region="莆田", dash_type="大工业"
    )  # no such answers in round 1
    warning = "\n".join(e.value for e in at.warning)
    assert "还没有答卷" not in warning and "no responses yet" not in warning
    if lang == "zh":
        assert f"本轮共有 {total} 份答卷" in warning and "地区为莆田，客户类型为大工业" in warning
    else:
        assert (
            f"This round has {total} responses" in warning
            and "Region: Putian, Customer type: Large industry" in warning
        )
    assert not at.metric  # nothing else is drawn


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_district_view_speaks_of_districts(store_app, monkeypatch, lang):
    monkeypatch.setenv("SURVEY_MIN_BASE", "2")
    at = _page(store_app, "dashboard", lang=lang, dash_region="福州")
    text = _main_text(at) + _details_text(at)
    if lang == "zh":
        assert "各区县" in text and "对区县" in text and "各地区" not in text
    else:
        assert "districts" in text and "regions" not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_manager_view_keeps_jargon_in_the_methods_section(store_app, monkeypatch, lang):
    monkeypatch.setenv("SURVEY_MIN_BASE", "5")
    at = _page(store_app, "dashboard", lang=lang, dash_item="voltage")
    main = _main_text(at)
    assert not [word for word in JARGON if word in main], main
    assert (
        ("显著低于" in main) if lang == "zh" else ("significantly lower" in main)
    )  # plain sentences stay on top
    details = _details_text(at)
    for word in ("Rao-Scott", "Cramér", "Kruskal", "ε²", "Holm", "Kish"):
        assert word in details


def _letters(at) -> dict[str, str]:
    table = at.dataframe[0].value
    return dict(zip(table.iloc[:, 0], table.iloc[:, 6], strict=True))


@pytest.mark.parametrize(
    "select",
    [
        {"dash_item": "voltage"},
        {"dash_item": "overall"},
        {"dash_item": "voltage", "dash_type": "居民"},
        {"dash_item": "voltage", "dash_region": "福州"},
        {"dash_item": "attitude", "dash_region": "宁德"},
        {"dash_item": "voltage", "dash_poststrat": True},
    ],
)
def test_headline_pair_sentences_and_letters_agree(store_app, monkeypatch, select):
    monkeypatch.setenv("SURVEY_MIN_BASE", "3")
    select = dict(select)
    post = select.pop("dash_poststrat", False)
    at = _page(store_app, "dashboard", **select)
    if post:
        at.checkbox(key="dash_poststrat").check().run()
        assert not at.exception
    headline = next(m.value for m in at.markdown if "平均分比较了" in m.value or "没有可比较的" in m.value)
    found = re.search(r"其中 (\d+) 对差异显著", headline)
    k = int(found.group(1)) if found else 0
    assert found or "没有一对差异显著" in headline or "没有可比较的" in headline
    main = [e for e in _elements(at.main, in_expanders=False) if e.type == "text"]
    bullets = [e.value for e in main if e.value.startswith("• ")]
    assert len(bullets) == k
    pairs = at.dataframe[1].value  # the pairwise table of this item
    assert (pairs.iloc[:, 7] == "是").sum() == k
    letters = _letters(at)
    for a, b, p, significant in pairs.iloc[:, [0, 1, 6, 7]].itertuples(index=False):
        if p.startswith("样本不足"):
            assert not letters.get(a) or not letters.get(b)  # a group below the base has no letter
            continue
        shared = set(letters[a]) & set(letters[b])
        assert (not shared) if significant == "是" else shared, (a, b, letters[a], letters[b])
        if significant == "是":  # the sentence names the lower group first
            assert any(a in s and b in s for s in bullets)
    text = "\n".join(e.value for e in main) + headline
    if k:
        assert "没有一对差异显著" not in text and "没有显著差异" not in text
    else:
        assert "显著低于" not in "\n".join(bullets) and "存在显著差异" not in text
    # the rank test may disagree (it ignores the design): then the methods section says so, in words
    details = _details_text(at)
    if ("存在显著差异" in details) != bool(k) and "无法" not in details:
        assert "请以上面的结论为准" in details


def test_trends_filter_by_region_for_unrestricted_managers(store_app, monkeypatch):
    monkeypatch.setenv("SURVEY_MIN_BASE", "2")
    at = _page(store_app, "trends")
    at.checkbox(key="trend_open").check().run()
    whole = at.dataframe[0].value
    at.selectbox(key="trend_region").set_value("福州").run()
    assert not at.exception
    local = at.dataframe[0].value
    assert (
        len(local) == 2 and (local.iloc[:, 5] < whole.iloc[:, 5]).all()
    )  # fewer answers: the region's domain
    assert any("当前筛选：福州" in e.value for e in at.info)


def test_trends_scope_has_no_region_filter(store_app, demo_target):
    create_user(open_db(demo_target), "m_qz", "manager", "local-pass-123", region="泉州")
    at = _page(store_app, "trends", user=User("m_qz", "manager", "泉州"))
    assert not [s for s in at.selectbox if s.key == "trend_region"]
    assert any("您的账号限定为 泉州" in e.value for e in at.info)


def test_trend_axis_labels_are_wrapped_not_cut():
    import pandas as pd

    from ui.charts import trend_chart

    name = "2026年第四季度供电服务满意度调查（进行中）"
    table = pd.DataFrame({"round": ["Q3", name], "estimate": [70.0, 72.0], "ci_low": [65.0, 68.0],
                          "ci_high": [75.0, 76.0], "n": [100, 120]})  # fmt: skip
    spec = trend_chart(table).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["axis"]["labelAngle"] == 0 and x["axis"]["labelLimit"] == 0 and "split" in x["axis"]["labelExpr"]
    assert "\n" not in x["axis"]["labelExpr"]  # a raw line break inside the expression breaks the whole chart
    labels = spec["datasets"][next(iter(spec["datasets"]))]
    wrapped = [row["round_label"] for row in labels]
    assert wrapped[1].replace("\n", "") == name and "\n" in wrapped[1]
    assert x["sort"] == wrapped  # oldest left


def test_manager_strings_name_no_file_paths():
    from ui import strings_dashboard

    for key, pair in strings_dashboard.STRINGS.items():
        for text in pair:
            assert not re.search(r"[\w/]+\.(ya?ml|py|csv|json)\b", text), key
