"""Unit tests for analysis.suggestions: classification and frames (dictionary, segmentation: test_topic_dictionary.py)."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from analysis import suggestions
from analysis.suggestions import (
    DEFAULT_TOPICS_PATH,
    TOPIC_KEYS,
    classify,
    classify_frame,
    is_complaint,
    load_topics,
    summarise_topics,
)


# ---------------------------------------------------------------------------- classify
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one cause each, Chinese
        ("客服态度很差，爱答不理的", {"attitude"}),
        ("营业员很不耐烦，问两句就凶人", {"attitude"}),
        ("工作人员互相推诿，踢皮球", {"attitude"}),
        ("客服一问三不知，业务不熟练", {"skill"}),
        ("希望加强员工业务培训", {"skill"}),
        ("希望停电能提前通知一下", {"outage_notice"}),
        ("停电了也不知道什么时候来电", {"outage_notice"}),
        ("我们村经常停电，一个月停好几次", {"reliability"}),
        ("夏天电压太低，空调都开不起来", {"reliability"}),
        ("家里老是跳闸", {"reliability"}),
        ("希望电压稳定一点", {"reliability"}),
        ("报修以后等了四个多小时才有人来", {"repair"}),
        ("抢修速度太慢了", {"repair"}),
        ("电费太贵了", {"billing"}),
        ("阶梯电价不合理", {"billing"}),
        ("电表走得太快了，怀疑不准", {"billing"}),
        ("95598电话很难打通", {"channels"}),
        ("网上国网登录不上", {"channels"}),
        # service-hall queues are procedures (labelling guide); the hall as a channel also fires
        ("营业厅排队时间太长，只开一个窗口", {"channels", "procedures"}),
        ("办理过户手续太麻烦，跑了好几趟", {"procedures"}),
        ("光伏并网流程太复杂，希望简化", {"procedures"}),
        ("修路的把电缆挖断了", {"external"}),
        ("服务很好，谢谢", {"praise"}),
        ("抢修师傅很辛苦，点赞！", {"repair", "praise"}),  # aspects whatever the polarity
        ("非常满意", {"praise"}),
        # several causes
        ("停电前没有收到通知，电压也经常不稳", {"outage_notice", "reliability"}),
        ("台风过后停电两天", {"external", "reliability"}),
        ("停电时间太长，抢修太慢", {"reliability", "repair"}),
        ("服务挺好的，就是停电太频繁了", {"praise", "reliability"}),
        ("总体还可以，就是电费有点贵", {"billing"}),
        # English
        ("The hotline is always busy and nobody answered.", {"channels"}),
        ("Power cuts are too frequent in summer", {"reliability"}),
        ("The electricity bill is too high", {"billing"}),
        ("Staff were rude and impatient", {"attitude"}),
        ("Great service, thank you!", {"praise"}),
        ("No notice before the outage", {"outage_notice"}),
        # mixed and full-width
        ("App不好用，经常卡", {"channels"}),
        ("95598 hotline打不通", {"channels"}),
        ("９５５９８打不通", {"channels"}),
        ("停电太频繁 please", {"reliability"}),
        ("师傅服务好，点赞👍", {"praise"}),
        # praise words inside complaints or wishes are not praise
        ("希望抢修能及时一点", {"repair"}),
        ("希望服务更好一点", set()),
        ("停电好几次了", {"reliability"}),
        # weather mentioned only to praise the crew is no complaint
        ("感谢师傅台风天冒雨抢修", {"repair", "praise"}),
        ("Thank you for your hard work during the typhoon", {"praise"}),
    ],
)
def test_classify_examples(text, expected):
    assert set(classify(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["服务不满意", "不太满意", "不是很满意", "态度不怎么好", "服务不好", "不专业",
     "not satisfied with the service", "the staff were not helpful", "wasn't good"],
)  # fmt: skip
def test_negated_praise_is_not_praise(text):
    assert "praise" not in classify(text)


@pytest.mark.parametrize(
    "text",
    [None, math.nan, float("nan"), pd.NA, "", "   ", "\n\t", "无", "无。", "没有", "暂无", "没有意见", "暂无建议",
     "No", "no.", "NO", "none", "N/A", "-", "/", "。。。", "？？"],
)  # fmt: skip
def test_empty_answers_have_no_topic(text):
    assert classify(text) == ()


def test_results_are_in_dictionary_order():
    found = classify("Great service, but the bill is too high and power cuts are too frequent")
    assert found == tuple(k for k in TOPIC_KEYS if k in {"praise", "billing", "reliability"})


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert('电费太贵')</script>",
        "<img src=x onerror=alert(1)>停电太频繁",
        "'; DROP TABLE answers; --",
        "😀😀😀" * 1000,
        "停电太频繁了，" * 15_000,  # ~105 kB
        "不" * 100_000,
        "电费贵" * 30_000,
        "服务很好不满意" * 15_000,
        "a" * 100_000,
        "\x00\x01\ufffd\u200b",
    ],
)
def test_never_crashes_and_returns_known_keys(text):
    found = classify(text)
    assert isinstance(found, tuple) and set(found) <= set(TOPIC_KEYS)


@pytest.mark.parametrize("value", [123, 4.5, ["电费贵"], {"a": 1}, b"bytes"])
def test_classify_rejects_non_text(value):
    with pytest.raises(TypeError, match="text must be a str"):
        classify(value)


@pytest.mark.parametrize(
    ("topics", "expected"),
    [((), False), (("praise",), False), (("praise", "billing"), True), (("external",), True),
     (["attitude"], True), (iter(["repair"]), True)],
)  # fmt: skip
def test_is_complaint(topics, expected):
    assert is_complaint(topics) is expected


def test_is_complaint_rejects_str_and_unknown_keys():
    with pytest.raises(TypeError):
        is_complaint("billing")
    with pytest.raises(KeyError):
        is_complaint(["no-such-topic"])


def test_classify_is_thread_safe():
    texts = ["电费太贵了", "客服态度很差", "服务很好，谢谢", "停电前没有收到通知"] * 500
    expected = [classify(t) for t in texts]
    suggestions.load_topics()._matcher.cache.clear()
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(classify, texts)) == expected


# ---------------------------------------------------------------------------- frames
@pytest.fixture
def answers():
    return pd.DataFrame(
        {
            "region": ["厦门", "厦门", "厦门", "泉州", "泉州", "泉州", "泉州"],
            "suggestion": [
                "电费太贵了",
                "<b>客服态度很差</b>",
                "无",
                "电费太贵了，客服态度也差",
                "服务很好，谢谢",
                None,
                "希望电工师傅注意安全",
            ],
        },
        index=[101, 102, 103, 104, 105, 106, 107],
    )


def test_classify_frame_rows(answers):
    out = classify_frame(answers, by="region")
    assert list(out.columns) == ["region", "row", "text", "topic", "label_zh", "label_en", "complaint",
                                 "text_complaint"]  # fmt: skip
    # "无" and None are dropped; the safety wish keeps one row with no topic
    assert list(out.index) == [101, 102, 104, 104, 105, 107]
    assert list(out["row"]) == [0, 1, 3, 3, 4, 6]
    topics = [None if pd.isna(t) else t for t in out["topic"]]
    assert topics == ["billing", "attitude", "attitude", "billing", "praise", None]
    assert list(out["complaint"]) == [True, True, True, True, False, False]
    assert list(out["text_complaint"]) == [True, True, True, True, False, False]
    assert out.loc[102, "text"] == "<b>客服态度很差</b>"  # never escaped or altered here
    assert out.loc[101, "label_zh"] == "电费与电价" and out.loc[105, "label_en"] == "Praise"


def test_classify_frame_validates(answers):
    with pytest.raises(TypeError, match="DataFrame"):
        classify_frame(answers["suggestion"])
    with pytest.raises(ValueError, match="comment"):
        classify_frame(answers, text_col="comment")
    with pytest.raises(ValueError, match="district"):
        classify_frame(answers, by=["region", "district"])


def test_classify_frame_empty_and_odd_values():
    df = pd.DataFrame({"suggestion": pd.Series([], dtype=object)})
    assert classify_frame(df).empty
    odd = pd.DataFrame({"suggestion": [12345, math.nan, "停电太频繁"]})
    out = classify_frame(odd)
    assert list(out["row"]) == [0, 2] and pd.isna(out["topic"].iloc[0])


def test_summarise_topics_overall(answers):
    summary = summarise_topics(classify_frame(answers), examples=1)
    assert list(summary.columns) == ["topic", "label_zh", "label_en", "complaint", "count", "complaints",
                                     "n_texts", "share", "examples"]  # fmt: skip
    assert summary.set_index("topic").loc["billing", "complaints"] == 2
    assert len(summary) == len(TOPIC_KEYS)  # every topic, zero counts included
    row = summary.set_index("topic")
    # 5 real suggestions: billing in 2, attitude in 2, praise in 1
    assert row.loc["billing", "count"] == 2 and row.loc["billing", "share"] == pytest.approx(2 / 5)
    assert row.loc["attitude", "count"] == 2 and row.loc["praise", "share"] == pytest.approx(1 / 5)
    assert row.loc["repair", "count"] == 0 and row.loc["repair", "examples"] == []
    assert row.loc["billing", "examples"] == ["电费太贵了"]
    assert list(summary["topic"][:3]) == [
        "attitude",
        "billing",
        "praise",
    ]  # count desc, ties in dictionary order


def test_summarise_topics_by_region(answers):
    summary = summarise_topics(classify_frame(answers, by="region"), by="region", examples=3)
    assert len(summary) == 2 * len(TOPIC_KEYS)
    cell = summary.set_index(["region", "topic"])
    assert cell.loc[("厦门", "billing"), "count"] == 1 and cell.loc[("厦门", "billing"), "n_texts"] == 2
    assert cell.loc[("泉州", "billing"), "share"] == pytest.approx(1 / 3)
    assert cell.loc[("泉州", "attitude"), "examples"] == ["电费太贵了，客服态度也差"]
    assert cell.loc[("厦门", "attitude"), "examples"] == ["<b>客服态度很差</b>"]


@pytest.mark.parametrize("examples", [-1, 1.5, True, "3"])
def test_summarise_topics_rejects_bad_examples(answers, examples):
    with pytest.raises(ValueError, match="examples"):
        summarise_topics(classify_frame(answers), examples=examples)


def test_summarise_topics_needs_classify_frame_output(answers):
    with pytest.raises(ValueError, match="classify_frame"):
        summarise_topics(answers)


def test_summarise_topics_without_texts():
    summary = summarise_topics(classify_frame(pd.DataFrame({"suggestion": ["无", None]})))
    assert (summary["count"] == 0).all() and summary["share"].isna().all()


def test_hundred_thousand_texts_with_duplicates_are_summarised():
    base = [
        "电费太贵了",
        "客服态度很差",
        "服务很好，谢谢",
        "停电前没有收到通知",
        "无",
        "95598打不通",
        "台风停电",
    ]
    texts = [f"{base[i % 20_000 % len(base)]}{i % 20_000}" for i in range(100_000)]  # 20 000 distinct texts
    df = pd.DataFrame({"suggestion": texts, "region": ["A", "B"] * 50_000})
    out = summarise_topics(
        classify_frame(df, by="region", topics=load_topics(DEFAULT_TOPICS_PATH)), by="region"
    )
    assert out["count"].sum() > 0
