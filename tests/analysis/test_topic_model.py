"""The trained suggestion-topic model: corpus format and split, the model's behaviour (multi-label, polarity,
determinism, odd inputs), the scores, and its held-out quality against the phrase dictionary on the same rows.

The quality test trains on the shipped corpus' fixed training split (settings by 5-fold CV on it) and scores
the held-out split once; the bars are comparisons with the dictionary measured here, not fixed numbers.
Run with ``-s`` to see the tables.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest

from analysis.corpus import (
    TOPICS,
    CorpusError,
    LabelledText,
    corpus_hash,
    load_corpus,
    merge_rows,
    parse_labels,
    read_corpus_file,
    split_corpus,
)
from analysis.topic_eval import score_predictions
from analysis.topic_model import (
    ModelSettings,
    TopicModel,
    TopicPrediction,
    TopicScore,
    dictionary_predictions,
    dumps,
    loads,
)
from analysis.topic_training import choose_settings, train_topic_model

sys.path.insert(0, str(Path(__file__).parent))
from topic_fixture import fixture_rows, write_fixture_corpus  # noqa: E402

MIN_CORPUS = 1000


@pytest.fixture(scope="module")
def small_model() -> TopicModel:
    return TopicModel(ModelSettings(topic_thresholds=dict.fromkeys(TOPICS, 0.3)), seed=0).fit(fixture_rows())


# ---------------------------------------------------------------------------- corpus
def test_parse_labels_orders_and_validates():
    assert parse_labels("repair:complaint;attitude:praise") == (
        ("attitude", "praise"),
        ("repair", "complaint"),
    )
    assert parse_labels(" ; ") == ()
    for bad in ("repair", "repair:angry", "praise:praise", "repair:complaint;repair:praise"):
        with pytest.raises(CorpusError):
            parse_labels(bad)


def test_read_corpus_file_names_the_row(tmp_path):
    path = tmp_path / "suggestions_part1.csv"
    path.write_text("id,text,labels,complaint,praise\nC1,停电了,reliability:complaint,1,0\nC2,好,,2,0\n",
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(CorpusError, match="C2.*complaint must be 0 or 1"):
        read_corpus_file(path)
    path.write_text(
        "id,text,labels,complaint,praise\nC1,停电了,reliability:complaint,1,0\nC2,,,0,0\n", encoding="utf-8"
    )
    assert [r.id for r in read_corpus_file(path)] == ["C1"]  # an empty text teaches nothing


def test_load_corpus_reads_every_part_and_drops_repeated_texts(tmp_path):
    write_fixture_corpus(tmp_path)
    (tmp_path / "suggestions_part2.csv").write_text(
        "id,text,labels,complaint,praise\nX1,营业员态度很差 ,attitude:neutral,0,0\nX2,新的一条,,0,0\n",
        encoding="utf-8",
    )
    rows = load_corpus(tmp_path)
    assert len(rows) == len(fixture_rows()) + 1  # X1 repeats a part-1 text (after normalising)
    assert load_corpus(tmp_path / "missing") == []
    (tmp_path / "suggestions_part3.csv").write_text(
        "id,text,labels,complaint,praise\nX2,另一条,,0,0\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="unique"):
        load_corpus(tmp_path)


def test_merge_rows_later_groups_override_and_hash_follows_the_labels():
    corpus = [LabelledText("C1", "电费太贵", (("billing", "complaint"),), True), LabelledText("C2", "无")]
    fixed = [LabelledText("R9", "电费太贵 ", (("billing", "neutral"),), False)]
    merged = merge_rows(corpus, fixed)
    assert [r.id for r in merged] == ["C2", "R9"]
    assert corpus_hash(corpus) == corpus_hash(list(reversed(corpus)))
    assert corpus_hash(corpus) != corpus_hash(merged)


def test_split_is_fixed_disjoint_and_about_a_fifth():
    rows = fixture_rows()
    train, test = split_corpus(rows)
    again = split_corpus(list(reversed(rows)))
    assert [r.id for r in test] == [r.id for r in again[1]]
    assert not {r.id for r in train} & {r.id for r in test}
    assert len(test) == pytest.approx(0.2 * len(rows), abs=1)


# ---------------------------------------------------------------------------- the model
def test_multi_label_and_polarity_per_topic(small_model):
    p = small_model.predict_one("营业员态度很好，但是报修半天没人来")
    assert {"attitude", "repair"} <= set(p.topic_keys)
    polarity = {s.topic: s.polarity for s in p.topics}
    assert polarity["attitude"] == "praise" and polarity["repair"] == "complaint"
    assert p.complaint and p.complaint_probability > 0.5
    assert all(0 <= s.probability <= 1 and 0 <= s.polarity_probability <= 1 for s in p.topics)


def test_praise_of_a_topic_is_not_a_complaint(small_model):
    p = small_model.predict_one("停电前收到短信提醒，挺好")
    assert "outage_notice" in p.topic_keys and p.with_polarity("complaint") == ()
    assert not p.complaint and p.praise


@pytest.mark.parametrize("text", [None, "", "   ", "无", "没有", float("nan")])
def test_empty_answers_are_no_suggestion(small_model, text):
    p = small_model.predict_one(text)
    assert p.empty and p.topics == () and not p.complaint and not p.praise


def test_garbage_long_and_english_texts(small_model):
    garbage, english = small_model.predict(["@@@###%%%", "the app keeps crashing and the bill is too high"])
    assert not garbage.empty and all(0 <= s.probability <= 1 for s in garbage.topics)
    assert {"channels", "billing"} <= set(english.topic_keys)
    started = time.perf_counter()
    long = small_model.predict_one("经常停电，" * 20_000)  # 100,000 characters, cut to MAX_CHARS
    assert time.perf_counter() - started < 5 and "reliability" in long.topic_keys


def test_deterministic_and_round_trips_through_joblib(small_model):
    texts = ["电费太贵了", "师傅很专业，抢修很快", "95598老是打不通", "asdf"]
    again = TopicModel(small_model.settings, seed=0).fit(fixture_rows())
    assert small_model.predict(texts) == again.predict(texts)
    restored = loads(dumps(small_model))
    assert restored.predict(texts) == small_model.predict(texts)
    with pytest.raises(TypeError):
        loads(_joblib_bytes({"not": "a model"}))


def _joblib_bytes(obj) -> bytes:
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    return buffer.getvalue()


def test_prediction_json_round_trip(small_model):
    p = small_model.predict_one("营业员态度很好，但是报修半天没人来")
    assert TopicPrediction.from_dict(p.to_dict()) == p


def test_dictionary_mode_reads_praise_as_praise():
    (praise,) = dictionary_predictions(["营业员态度很好"])
    assert praise.model_version == "dictionary" and praise.with_polarity("praise") == ("attitude",)
    assert not praise.complaint
    (complaint,) = dictionary_predictions(["电费太贵了"])
    assert complaint.complaint and complaint.with_polarity("complaint") == ("billing",)


def test_choose_settings_uses_only_the_rows_given():
    rows = fixture_rows()
    settings, selection, splits, quick = choose_settings(rows, folds=5)
    assert set(settings.topic_thresholds) == set(TOPICS)
    assert all(0 < v < 1 for v in settings.topic_thresholds.values()) and 0 < settings.complaint_threshold < 1
    assert set(selection["part"]) == {"topics", "complaint", "praise", "fallback"}
    assert settings.fallback_share in set(selection.loc[selection["part"] == "fallback", "C"])
    assert sorted(i for _, test in splits for i in test) == list(
        range(len(rows) - 2)
    )  # blank 无/没有 left out
    assert quick.n == len(rows) - 2 and quick.polarity is None


# ---------------------------------------------------------------------------- scores
def test_scores_count_topics_pairs_and_decisions():
    gold = [LabelledText("a", "x", (("repair", "complaint"), ("attitude", "praise")), True, True),
            LabelledText("b", "y", (), False, False), LabelledText("c", "z", (("billing", "neutral"),))]  # fmt: skip
    predicted = [TopicPrediction((TopicScore("attitude", 0.9, "praise"), TopicScore("repair", 0.8, "praise")), 0.9, True, 0.9, True, "t"),
                 TopicPrediction((TopicScore("billing", 0.6, "complaint"),), 0.7, True, 0.1, False, "t"),
                 TopicPrediction((), 0.1, False, 0.1, False, "t")]  # fmt: skip
    s = score_predictions(gold, predicted)
    assert (s.micro.tp, s.micro.fp, s.micro.fn) == (2, 1, 1)
    assert s.per_topic["billing"].fp == 1 and s.per_topic["billing"].fn == 1
    assert (s.polarity.tp, s.polarity.fp, s.polarity.fn) == (1, 2, 2)
    assert (s.complaint.tp, s.complaint.fp) == (1, 1) and s.exact_match == pytest.approx(1 / 3)
    assert (s.no_topic.tp, s.no_topic.fp, s.no_topic.fn) == (0, 1, 1)
    assert math.isnan(s.per_topic["skill"].precision)
    table = s.table()
    assert list(table["row"][:9]) == list(TOPICS) and "exact match" in set(table["row"])


# ---------------------------------------------------------------------------- quality on the shipped corpus
@pytest.fixture(scope="module")
def trained():
    corpus = load_corpus()
    if len(corpus) < MIN_CORPUS:
        pytest.fail(f"the shipped corpus must hold at least {MIN_CORPUS} texts, but has {len(corpus)}")
    return train_topic_model(corpus, evaluate=False)


def test_held_out_model_beats_the_dictionary(trained):
    model, baseline = trained.held_out, trained.dictionary_held_out
    print(
        "\nheld-out: model\n",
        model.table().to_string(),
        "\nheld-out: dictionary\n",
        baseline.table().to_string(),
    )
    print("\nCV (training split, selection OOF)\n", trained.cv.table().to_string())
    assert trained.n_test >= 0.15 * (trained.n_train + trained.n_test)
    assert model.micro.f1 > baseline.micro.f1
    assert model.per_topic["skill"].recall > baseline.per_topic["skill"].recall
    assert model.complaint.f1 > baseline.complaint.f1
    assert model.polarity.f1 > baseline.polarity.f1
    assert model.no_topic.precision > baseline.no_topic.precision


def test_issue_examples_with_the_trained_model(trained):
    m = trained.model
    late = m.predict_one("上个月停电没有提前通知")
    assert late.complaint and "outage_notice" in late.with_polarity("complaint")
    praised = m.predict_one("每次停电都能收到短信提醒，挺好")
    assert praised.with_polarity("praise") == ("outage_notice",) and praised.praise


def test_praise_of_outage_notices_opens_no_follow_up(trained):
    assert not trained.model.predict_one("每次停电都能收到短信提醒，挺好").complaint


# ---------------------------------------------------------------------------- texts written for these tests
# None of these texts is in the corpus (checked below): praise of a topic must come out as praise, and
# an unhappy text about the same topic as a complaint that opens a follow-up.
PRAISE_AND_COMPLAINT = [
    ("attitude", "抄表的小伙子每次来都很客气，点赞", "抄表的小伙子说话很冲，问两句就不耐烦了"),
    ("repair", "昨晚报修，师傅半小时就到了，很快就修好了，非常满意", "报修了一整天都没人来，太慢了"),
    ("channels", "现在用网上国网交电费很方便，好用", "网上国网老是登录不上，交个电费折腾半天"),
    ("reliability", "今年夏天一次电都没停过，电压也稳，很好", "这个月已经停了五次电了，还让不让人过日子"),
]


@pytest.mark.parametrize(("topic", "praise", "complaint"), PRAISE_AND_COMPLAINT)
def test_praise_and_complaint_about_a_topic_on_new_texts(trained, topic, praise, complaint):
    known = {r.text for r in load_corpus()}
    assert praise not in known and complaint not in known
    happy, unhappy = trained.model.predict([praise, complaint])
    assert topic in happy.with_polarity("praise") and not happy.complaint and happy.praise
    assert topic in unhappy.with_polarity("complaint") and unhappy.complaint and not unhappy.praise


@pytest.mark.parametrize("text", ["asdkjh", "qwertyuiop zxcvbnm", "jjjjjjj kkkk", "123456789", "@@@###%%%"])
def test_gibberish_gets_no_topic_and_is_not_a_complaint(trained, text):
    p = trained.model.predict_one(text)
    assert p.topics == () and not p.complaint and not p.praise and not p.empty


@pytest.mark.parametrize("text", ["power cut again, third time this week", "👎", "差"])
def test_short_or_english_texts_are_not_gibberish(trained, text):
    assert trained.model.predict_one(text).complaint
