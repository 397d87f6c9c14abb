"""Unit tests for analysis.suggestions (hand-written examples; expected topics by meaning)."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import yaml

from analysis import suggestions
from analysis.suggestions import (
    DEFAULT_TOPICS_PATH,
    TOPIC_KEYS,
    USERDICT_PATH,
    classify,
    classify_frame,
    complaint_topics,
    is_complaint,
    is_complaint_text,
    load_topics,
    segment,
    summarise_topics,
    top_terms,
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


# ---------------------------------------------------------------------------- dictionary
def test_packaged_dictionary():
    topics = load_topics()
    assert topics.keys == TOPIC_KEYS
    assert [t.complaint for t in topics.topics] == [k != "praise" for k in TOPIC_KEYS]
    assert all(t.label_zh and t.label_en and t.keywords for t in topics.topics)
    assert load_topics() is load_topics()  # cached


def _write(tmp_path, data, name="topics.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def raw():
    return yaml.safe_load(DEFAULT_TOPICS_PATH.read_text(encoding="utf-8"))


def test_edited_dictionary_is_used(tmp_path, raw):
    raw["topics"]["billing"]["keywords"].append("电费卡")
    raw["topics"]["external"]["keywords"].append("野猪")
    topics = load_topics(_write(tmp_path, raw))
    assert classify("野猪拱倒了电线杆", topics) == ("external",)
    assert classify("野猪拱倒了电线杆") == ()  # the packaged dictionary is untouched


def test_numbers_in_yaml_are_words(tmp_path, raw):
    raw["topics"]["channels"]["keywords"].append(12398)  # unquoted number in the YAML
    assert classify("打12398", load_topics(_write(tmp_path, raw))) == ("channels",)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["topics"].__setitem__("weather", d["topics"].pop("external")), "unknown topic 'weather'"),
        (lambda d: d["topics"]["repair"].__setitem__("keywords", []), "topic 'repair': keywords must be a non-empty"),
        (lambda d: d["topics"]["repair"].pop("keywords"), "topic 'repair': keywords must be a non-empty"),
        (lambda d: d["topics"]["skill"].__setitem__("keyword", ["x"]), r"topic 'skill': unknown field\(s\) \['keyword'\]"),
        (lambda d: d["topics"].pop("praise"), r"\['praise'\] missing"),
        (lambda d: d["topics"]["praise"].__setitem__("complaint", "no"), "topic 'praise': complaint must be true or false"),
        (lambda d: d["topics"]["billing"]["keywords"].append(None), "topic 'billing': keywords entries must be text"),
        (lambda d: d["topics"]["billing"]["keywords"].append("  "), "topic 'billing': keywords entry"),
        (lambda d: d["topics"]["billing"]["keywords"].append("a...b...c"), "topic 'billing'.*'a...b...c'"),
        (lambda d: d["topics"]["billing"].pop("cues"), "topic 'billing': subjects and cues"),
        (lambda d: d["topics"]["billing"].__setitem__("label_zh", ""), "topic 'billing': label_zh"),
        (lambda d: d["topics"].__setitem__("billing", ["电费"]), "topic 'billing': must be a mapping"),
        (lambda d: d["settings"].__setitem__("gap", -1), r"settings.gap must be an integer in \[0, 100\]"),
        (lambda d: d["settings"].__setitem__("colour", "red"), "settings must be a mapping with keys"),
        (lambda d: d.__setitem__("topcis", {}), r"unknown top-level key\(s\) \['topcis'\]"),
    ],
)  # fmt: skip
def test_invalid_dictionary_is_rejected(tmp_path, raw, edit, message):
    edit(raw)
    with pytest.raises(ValueError, match=message):
        load_topics(_write(tmp_path, raw))


@pytest.mark.parametrize("text", ["topics: [unclosed", "- just\n- a list\n", "", "topics: 3\n"])
def test_malformed_yaml_is_rejected(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="bad.yaml"):
        load_topics(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_topics(tmp_path / "nope.yaml")


# ---------------------------------------------------------------------------- segmentation
@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("我打95598一直打不通", "95598"),
        ("网上国网也登不上", "网上国网"),
        ("抢修人员来得太慢", "抢修人员"),
        ("停电通知没收到", "停电通知"),
        ("供电所的人不管", "供电所"),
        ("我们台区电压低", "台区"),
        ("电表走得快", "电表"),
        ("峰谷电价不合理", "峰谷电价"),
        ("阶梯电价太贵", "阶梯电价"),
        ("计划停电太多", "计划停电"),
        ("９５５９８电话", "95598"),
    ],
)
def test_segment_keeps_utility_terms_whole(text, word):
    assert word in segment(text)


@pytest.mark.parametrize("text", [None, math.nan, "", "  ", "，。！"])
def test_segment_empty(text):
    assert segment(text) == []


def test_segment_is_quiet_and_initialised_once(monkeypatch, capfd):
    monkeypatch.setattr(suggestions, "_TOKENIZER", None)
    suggestions._segment.cache_clear()
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        return suggestions._tokenizer()

    with ThreadPoolExecutor(max_workers=3) as pool:
        tokenizers = list(pool.map(lambda _: run(), range(3)))
    assert tokenizers[0] is tokenizers[1] is tokenizers[2]
    assert "电费" in segment("电费太贵")
    assert capfd.readouterr().err == ""


def test_userdict_format():
    for number, line in enumerate(USERDICT_PATH.read_text(encoding="utf-8").splitlines(), 1):
        word, freq, tag = line.split(" ")
        assert word and int(freq) > 0 and tag.isalpha(), f"line {number}: {line!r}"


def test_top_terms():
    terms = top_terms(["电费太贵", "电费太贵了", "95598打不通", None, "无"], n=2)
    assert list(terms.columns) == ["term", "count"]
    assert terms.iloc[0].to_dict() == {"term": "电费", "count": 2}
    with pytest.raises(ValueError, match="n must be a positive integer"):
        top_terms([], n=0)


# ---------------------------------------------------------------------------- aspect rule (dev set)
# A development set written by hand for tuning the aspect rule of tests/analysis/data/README.md
# (topics are aspects whatever the polarity; praise is an extra label). Written from the
# labelling guide only, not from the evaluation set's rows, which are never used for tuning.
ASPECT_DEV_SET = [
    ("营业厅的小姑娘态度特别好", "attitude;praise"),
    ("抄表员很有礼貌", "attitude;praise"),
    ("接线员说话很客气，谢谢", "attitude;praise"),
    ("客服解释得很清楚，很专业", "skill;praise"),
    ("停电通知发得很及时", "outage_notice;praise"),
    ("今年电压稳定多了", "reliability;praise"),
    ("这两年基本不停电了，点赞", "reliability;praise"),
    ("抢修师傅来得很快，半小时就修好了", "repair;praise"),
    ("报修后很快就有人上门，谢谢", "repair;praise"),
    ("在网上国网交电费很方便", "billing;channels;praise"),
    ("95598一打就通，很方便", "channels;praise"),
    ("办理过户手续很简单，一次就办好了，满意", "procedures;praise"),
    ("不是抢修的问题，是电费太贵", "billing"),
    ("服务很好", "praise"),
    ("满意", "praise"),
    ("营业员脾气很好，讲解也专业", "attitude;skill;praise"),
    ("希望抢修再快一点", "repair"),
    ("The repair crew came quickly, thanks", "repair;praise"),
    ("Staff at the counter were very polite", "attitude;praise"),
    ("The hotline agent was very professional", "skill;praise"),
    ("电费太贵了", "billing"),
    ("态度很差", "attitude"),
    ("师傅人很好，但是修了两次都没修好", "attitude;repair;praise"),
    ("停电前没有收到通知，电压也经常不稳", "outage_notice;reliability"),
    ("暂无", ""),
    ("很不满意", ""),
]


@pytest.mark.parametrize(("text", "labels"), ASPECT_DEV_SET)
def test_aspect_rule_dev_set(text, labels):
    assert set(classify(text)) == set(filter(None, labels.split(";")))


@pytest.mark.parametrize(
    ("text", "complaints"),
    [
        # a positive mention is a topic but no complaint
        ("态度很好", ()),
        ("营业厅的小姑娘态度特别好", ()),
        ("抢修师傅来得很快，半小时就修好了", ()),
        ("服务很好", ()),
        ("无", ()),
        (None, ()),
        # a wish is no complaint
        ("希望抢修再快一点", ()),
        ("希望电压稳定一点", ()),
        # praise mixed with a complaint: the complaint counts
        ("师傅人很好，但是修了两次都没修好", ("repair",)),
        ("电费太贵了", ("billing",)),
        ("客服爱答不理的", ("attitude",)),
        ("95598电话很难打通", ("channels",)),
        ("不是态度的问题，是电压太低", ("reliability",)),
        ("Staff were rude and impatient", ("attitude",)),
    ],
)
def test_complaint_detection(text, complaints):
    assert complaint_topics(text) == complaints
    assert is_complaint_text(text) is bool(complaints)


def test_aspect_mentions_are_not_complaint_topics_in_frames():
    df = pd.DataFrame({"suggestion": ["态度很好", "态度很差"]})
    out = classify_frame(df)
    attitude = out[out["topic"] == "attitude"]
    assert list(attitude["complaint"]) == [False, True]
    summary = summarise_topics(out).set_index("topic")
    assert summary.loc["attitude", "count"] == 2 and summary.loc["attitude", "complaints"] == 1


def test_aspects_field_is_validated(tmp_path):
    data = yaml.safe_load(DEFAULT_TOPICS_PATH.read_text(encoding="utf-8"))
    data["topics"]["repair"]["aspects"] = "抢修"
    path = tmp_path / "topics.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="aspects"):
        load_topics(path)
