"""Tests for the editable topic dictionary, jieba segmentation and the aspect rule of analysis.suggestions
(split from test_suggestions.py; hand-written examples, expected topics by meaning)."""

from __future__ import annotations

import math
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import yaml

from analysis import suggestions
from analysis.corpus import load_corpus
from analysis.suggestions import (
    DEFAULT_TOPICS_PATH,
    TOPIC_KEYS,
    USERDICT_PATH,
    classify,
    classify_frame,
    complaint_topics,
    is_complaint_text,
    load_topics,
    segment,
    summarise_topics,
    top_terms,
)


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
    monkeypatch.setattr(suggestions, "_FAST", None)
    suggestions._segment.cache_clear()
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        return suggestions._tokenizer(), suggestions._fast_tokenizer()

    with ThreadPoolExecutor(max_workers=3) as pool:
        tokenizers = list(pool.map(lambda _: run(), range(3)))
    assert tokenizers[0][0] is tokenizers[1][0] is tokenizers[2][0]
    assert tokenizers[0][1] is tokenizers[1][1] is tokenizers[2][1]
    assert "电费" in segment("电费太贵") and "电费" in segment("电费太贵", hmm=False)
    assert capfd.readouterr().err == ""


def test_the_fast_cut_gives_jiebas_words_on_the_corpus():
    """The topic model's words (``hmm=False``) come from jieba-rs (``rjieba``); jieba's own dictionary-only cut
    with the same user dictionary must give the same words on (nearly) every corpus text — ties between equally
    likely cuts may differ (1 in 9,484 texts when this was written: 嗡嗡嗡)."""
    texts = [unicodedata.normalize("NFKC", r.text) for r in load_corpus()]
    assert len(texts) > 5000
    jieba_cut = suggestions._tokenizer()
    differ = [t for t in texts if suggestions._segment(t, False)
              != tuple(w for w in (x.strip() for x in jieba_cut.lcut(t, HMM=False)) if suggestions._is_word(w))]  # fmt: skip
    assert len(differ) <= len(texts) // 1000, differ[:5]
    for word in ("网上国网", "95598", "跳闸", "峰谷电价"):  # the user dictionary reached the fast cut
        assert word in segment(f"我在{word}上看到", hmm=False)


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
