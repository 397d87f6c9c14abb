"""Tests of the questionnaire model: storage encoding, definition, dict round trip and hashing
(split from test_model.py)."""

import dataclasses
import json

import pytest

from questionnaires import (
    Choice,
    Question,
    Questionnaire,
    QuestionnaireError,
    decode_value,
    encode_value,
)
from tests.questionnaires.model_samples import LABEL, NUMBERS, Q, make

# --- storage encoding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("qid", "value", "text"),
    [
        ("overall", 4, "4"),
        ("recommend", 0, "0"),
        ("recommend", 10, "10"),
        ("planned_outage", "yes", "yes"),
        ("vs_last_year", "worse", "worse"),
        ("channels", ["hotline", "online"], '["hotline", "online"]'),
        ("channels", [], "[]"),
        ("suggestion", "好👍 'quoted' \"x\"", "好👍 'quoted' \"x\""),
    ],
)
def test_encode_decode(qid, value, text):
    question = Q.question(qid)
    assert encode_value(question, value) == text
    assert decode_value(question, text) == value


@pytest.mark.parametrize(
    ("value", "text"), [(12, "12"), (12.0, "12"), (2.5, "2.5"), (-0.1, "-0.1"), (1e20, "1e+20")]
)
def test_encode_decode_numbers(value, text):
    question = NUMBERS.question("n")
    assert encode_value(question, value) == text
    assert decode_value(question, text) == value


@pytest.mark.parametrize(
    ("qid", "value", "error"),
    [
        ("overall", "4", TypeError),
        ("overall", True, TypeError),
        ("channels", "hotline", TypeError),
        ("suggestion", 5, TypeError),
    ],
)
def test_encode_rejects_wrong_types(qid, value, error):
    with pytest.raises(error, match=qid):
        encode_value(Q.question(qid), value)


def test_notes_have_no_value():
    note = Question("n", "note", LABEL)
    with pytest.raises(ValueError, match="takes no answer"):
        encode_value(note, "x")
    with pytest.raises(ValueError, match="takes no answer"):
        decode_value(note, "x")


# --- definition, dict round trip and hashing ------------------------------------------------------------


def _reversed(value):
    """The same data with every mapping's key order reversed."""
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed(v) for v in value]
    return value


def test_to_dict_round_trip_through_json():
    data = json.loads(json.dumps(Q.to_dict(), ensure_ascii=False))
    again = Questionnaire.from_dict(data)
    assert again == Q
    assert again.to_dict() == Q.to_dict()
    assert again.sha256() == Q.sha256()


def test_sha256_is_stable_under_key_order():
    digest = Q.sha256()
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert Questionnaire.from_dict(_reversed(Q.to_dict())).sha256() == digest
    assert list(_reversed(Q.to_dict())) != list(Q.to_dict())


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["questions"][0]["label"].update(zh="总体来说，您满意吗？"),
        lambda d: d["questions"][0]["label"].update(en="Overall satisfaction"),
        lambda d: d["title"].update(en="Survey"),
        lambda d: d["questions"][9]["choices"].reverse(),
        lambda d: d["questions"][0].update(required=False),
        lambda d: d.update(version="2"),
        lambda d: d["questions"].pop(),
    ],
)
def test_sha256_changes_with_the_content(edit):
    data = Q.to_dict()
    edit(data)
    assert Questionnaire.from_dict(data).sha256() != Q.sha256()


def test_questionnaire_is_frozen_and_hashable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Q.version = "2"
    with pytest.raises(dataclasses.FrozenInstanceError):
        Q.questions[0].required = False
    assert hash(Q) == hash(Questionnaire.from_dict(Q.to_dict()))
    assert Q.question("overall").label == {"en": "Overall, how satisfied are you with our power supply service?",
                                           "zh": "总体而言，您对我们的供电服务满意吗？"}  # fmt: skip
    with pytest.raises(KeyError, match="no question 'nope'"):
        Q.question("nope")


def test_defaults_for_likert_and_yesno():
    likert = Question("s", "likert5", LABEL)
    assert likert.low_label == {"zh": "非常不满意", "en": "Very dissatisfied"}
    assert likert.high_label == {"zh": "非常满意", "en": "Very satisfied"}
    assert Question("y", "yesno", LABEL).choices == (
        Choice("yes", {"zh": "是", "en": "Yes"}),
        Choice("no", {"zh": "否", "en": "No"}),
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"type": "slider"}, "type must be one of likert5, single"),
        ({"id": "1abc"}, "id must be a name"),
        ({"id": "a b"}, "id must be a name"),
        ({"label": {}}, "label is missing"),
        ({"label": {"zh": "  "}}, "label is missing"),
        ({"label": "总体满意度"}, "label must be a mapping"),
        ({"type": "single"}, "choices are missing"),
        ({"type": "multiple", "choices": ()}, "choices are missing"),
        (
            {"type": "single", "choices": (Choice("a", LABEL), Choice("a", LABEL))},
            "duplicate choice value(s): a",
        ),
        ({"type": "likert5", "choices": (Choice("1", LABEL),)}, "must be the values 1..5"),
        ({"type": "yesno", "choices": (Choice("y", LABEL), Choice("n", LABEL))}, "must be 'yes' and 'no'"),
        ({"type": "text", "choices": (Choice("a", LABEL),)}, "a text question takes no choices"),
        ({"type": "likert5", "minimum": 1}, "minimum applies only to number questions"),
        ({"type": "number", "minimum": 5, "maximum": 1}, "minimum must be <= maximum, but got 5 > 1"),
        ({"type": "number", "maximum": "10"}, "maximum must be a number"),
        ({"type": "text", "max_length": 0}, "max_length must be a positive integer, but got 0"),
        ({"type": "likert5", "max_length": 100}, "max_length applies only to text questions"),
        ({"type": "note", "required": True}, "a note cannot be required"),
        ({"required": "yes"}, "required must be true or false"),
        ({"constraint_message": {"zh": "错"}}, "constraint_message given without a constraint"),
        (
            {"type": "single", "choices": (Choice("a", LABEL),), "low_label": LABEL},
            "low_label/high_label apply",
        ),
        ({"relevant": "${a} = "}, "relevant: syntax error"),
        ({"relevant": ". = 1"}, "relevant: syntax error"),
        ({"constraint": "foo(.)"}, "constraint: unknown function 'foo'"),
        (
            {"choices": ({"value": "", "label": LABEL},), "type": "single"},
            "choice value must be a non-empty string",
        ),
    ],
)
def test_invalid_question_definitions(kwargs, fragment):
    with pytest.raises(QuestionnaireError) as info:
        Question(**{"id": "q", "type": "text", "label": LABEL, **kwargs})
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (
            [Question("a", "text", LABEL), Question("a", "yesno", LABEL)],
            "question 'a': duplicate id (also question #1)",
        ),
        (
            [Question("a", "text", LABEL, relevant="${b} = 'x'"), Question("b", "text", LABEL)],
            "question 'a': relevant: reference to later question 'b' (cyclic",
        ),
        (
            [Question("a", "text", LABEL, relevant="${a} = 'x'")],
            "question 'a': relevant: cyclic reference to itself",
        ),
        (
            [Question("a", "text", LABEL, constraint="${a} != 'x'")],
            "question 'a': constraint: cyclic reference to itself (use '.' for the current answer)",
        ),
        (
            [Question("a", "text", LABEL), Question("b", "text", LABEL, relevant="${c} = 'x'")],
            "question 'b': relevant: reference to unknown question 'c'",
        ),
        (
            [Question("a", "text", LABEL, constraint=". != ${b}"), Question("b", "text", LABEL)],
            "question 'a': constraint: reference to later question 'b'",
        ),
        ([], "the questionnaire has no questions"),
    ],
)
def test_invalid_questionnaires(questions, message):
    with pytest.raises(QuestionnaireError) as info:
        make(*questions)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("id"), "id is missing"),
        (lambda d: d.pop("title"), "title is missing"),
        (lambda d: d.update(extra=1), "unknown top-level field(s): extra"),
        (lambda d: d["questions"][2].pop("type"), "question 'skill': type is missing"),
        (lambda d: d["questions"][2].pop("id"), "question #3: id is missing"),
        (lambda d: d["questions"][2].update(lable={}), "question 'skill': unknown field(s) lable"),
        (lambda d: d["questions"][9]["choices"][0].update(value=True), "read as a boolean; quote it"),
        (lambda d: d["questions"].append("text"), "question #19: a question must be a mapping"),
    ],
)
def test_from_dict_errors_name_the_question(edit, message):
    data = Q.to_dict()
    edit(data)
    with pytest.raises(QuestionnaireError) as info:
        Questionnaire.from_dict(data)
    assert message in str(info.value)


def test_numeric_version_and_choice_values_from_yaml_become_strings():
    data = {
        "id": "t", "version": 2, "title": {"zh": "测"},
        "questions": [{"id": "s", "type": "single", "label": LABEL,
                       "choices": [{"value": 1, "label": LABEL}, {"value": 2.0, "label": LABEL}]}],
    }  # fmt: skip
    questionnaire = Questionnaire.from_dict(data)
    assert questionnaire.version == "2"
    assert questionnaire.question("s").choice_values == ("1", "2")


@pytest.mark.parametrize(
    ("qid", "scale"),
    [("overall", (1, 2, 3, 4, 5)), ("recommend", (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)), ("channels", ())],
)
def test_scale_points(qid, scale):
    assert Q.question(qid).scale == scale
