"""The topic model's features and rules: polarity cues, the gibberish rule, the fallback topic, and the
fingerprint that invalidates a cached shipped model when the code or the phrase dictionary changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import analysis.topic_model as topic_model
from analysis.topic_features import CUE_FAMILIES, clauses, cue_row, is_gibberish, known_words
from analysis.topic_model import choose_topics, training_fingerprint

FAMILY = {name: i for i, name in enumerate(CUE_FAMILIES)}
PLAIN_PRAISE = len(CUE_FAMILIES)


def test_a_negated_praise_word_is_not_plain_praise():
    praised, negated = cue_row("挺好的"), cue_row("不太好")
    assert praised[PLAIN_PRAISE] > 0 and praised[FAMILY["negated_praise"]] == 0
    assert negated[PLAIN_PRAISE] == 0 and negated[FAMILY["negated_praise"]] > 0
    assert cue_row("希望不要再停电了")[FAMILY["deficit"]] > 0 and cue_row("台风停电可以理解")[FAMILY["accept"]] > 0
    assert clauses("师傅人很好，但是修了两次都没修好") == ["师傅人很好", "修了两次都没修好"]


def test_known_words_need_two_texts():
    assert known_words(["the power is off", "power cut", "asdkjh"]) == frozenset({"power"})


@pytest.mark.parametrize(
    ("text", "gibberish"),
    [("asdkjh", True), ("zzzz qqqq", True), ("12345", True), ("!!!???", True),
     ("power off", False), ("停电", False), ("啊", False), ("👍", False)],
)  # fmt: skip
def test_gibberish_is_text_with_nothing_known(text, gibberish):
    assert is_gibberish(text, frozenset({"power"})) is gibberish


def test_fallback_keeps_the_best_topic_of_a_text_with_none():
    probs = np.array([[0.30, 0.10], [0.05, 0.10], [0.60, 0.90]])
    thresholds = [0.5, 0.5]
    assert choose_topics(probs, thresholds, 1.0).tolist() == [[False, False], [False, False], [True, True]]
    # 0.30 / 0.5 = 0.6 reaches the share, 0.10 / 0.5 = 0.2 does not
    assert choose_topics(probs, thresholds, 0.5).tolist() == [[True, False], [False, False], [True, True]]


def test_fingerprint_follows_the_dictionary_and_the_code(tmp_path, monkeypatch):
    here = Path(topic_model.__file__).parent
    copy = tmp_path / "analysis"
    (copy / "data").mkdir(parents=True)
    for name in topic_model._FINGERPRINTED:
        shutil.copy(here / name, copy / name)
    monkeypatch.setattr(topic_model, "_HERE", copy)
    training_fingerprint.cache_clear()
    try:
        same = training_fingerprint()
        with (copy / "data" / "topics.yaml").open("a", encoding="utf-8") as handle:
            handle.write("\n# a staff edit\n")
        training_fingerprint.cache_clear()
        edited = training_fingerprint()
        (copy / "topic_features.py").write_text("# other code\n", encoding="utf-8")
        training_fingerprint.cache_clear()
        recoded = training_fingerprint()
    finally:
        monkeypatch.undo()
        training_fingerprint.cache_clear()
    assert same == training_fingerprint() and len({same, edited, recoded}) == 3


def test_a_cached_model_of_other_code_is_not_loaded(tmp_path, monkeypatch):
    from analysis.topic_model import ModelSettings, TopicModel, dumps
    from survey import topic_models

    sys_path = Path(__file__).parent
    import sys

    sys.path.insert(0, str(sys_path))
    from topic_fixture import fixture_rows

    monkeypatch.setenv("SURVEY_MODEL_CACHE", str(tmp_path))
    model = TopicModel(ModelSettings()).fit(fixture_rows())
    path = topic_models._cached_file("ab" * 32)
    assert training_fingerprint()[:12] in path.name
    for code_hash, loaded in ((training_fingerprint(), True), ("older code", False)):
        model.info = {"data_hash": "ab" * 32, "code_hash": code_hash}
        path.write_bytes(dumps(model))
        path.chmod(0o600)
        assert (topic_models._load_cached(path, "ab" * 32) is not None) is loaded
