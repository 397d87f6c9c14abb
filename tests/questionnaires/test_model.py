"""Tests of the questionnaire model: skip logic, answer validation, storage encoding, hashing."""

import dataclasses
import json

import pytest

from questionnaires import (
    AnswerError,
    Choice,
    Problem,
    Question,
    Questionnaire,
    QuestionnaireError,
    decode_value,
    encode_value,
    load_default,
)

Q = load_default()
CONDITIONAL = {"outage_notice", "repair", "hotline", "online", "complaint_handling"}
REQUIRED_ALWAYS = [
    "overall", "attitude", "skill", "reliability", "voltage", "planned_outage", "reported_fault",
    "billing", "complained", "vs_last_year",
]  # fmt: skip
# A complete, valid set of answers of someone who skipped every conditional question.
BASE = {
    "overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "no",
    "reported_fault": "no", "billing": 2, "complained": "no", "vs_last_year": "same",
}  # fmt: skip
LABEL = {"zh": "题目", "en": "Question"}


def make(*questions: Question) -> Questionnaire:
    return Questionnaire("t", "1", {"zh": "测试", "en": "Test"}, {}, questions)


# --- skip logic -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({}, set()),
        ({"planned_outage": "yes"}, {"outage_notice"}),
        ({"planned_outage": "no"}, set()),
        ({"planned_outage": "maybe"}, set()),  # an invalid answer counts as unanswered
        ({"reported_fault": "yes"}, {"repair"}),
        ({"reported_fault": True}, {"repair"}),
        ({"channels": ["hotline"]}, {"hotline"}),
        ({"channels": ["online", "counter"]}, {"online"}),
        ({"channels": ["hotline", "online"]}, {"hotline", "online"}),
        ({"channels": ["counter", "wechat"]}, set()),
        ({"channels": ["none"]}, set()),
        ({"channels": ["none", "hotline"]}, set()),  # violates the constraint: treated as unanswered
        ({"complained": "yes"}, {"complaint_handling"}),
        (
            {
                "planned_outage": "yes",
                "reported_fault": "yes",
                "channels": ["hotline", "online"],
                "complained": "yes",
            },
            CONDITIONAL,
        ),
    ],
)
def test_default_skip_logic(answers, shown):
    ids = [q.id for q in Q.relevant_questions(answers)]
    assert set(ids) & CONDITIONAL == shown
    assert set(ids) - CONDITIONAL == {q.id for q in Q.questions} - CONDITIONAL
    assert ids == [q.id for q in Q.questions if q.id in ids]  # questionnaire order is kept


CHAIN = make(
    Question("a", "yesno", LABEL, required=True),
    Question("b", "yesno", LABEL, relevant="${a} = 'yes'"),
    Question("c", "text", LABEL, required=True, relevant="not(${b} = 'yes')"),
)


@pytest.mark.parametrize(
    ("answers", "shown"),
    [
        ({}, ["a"]),  # b is not relevant, so c (which depends on b) is not either
        ({"a": "no", "b": "no"}, ["a"]),
        ({"a": "yes"}, ["a", "b", "c"]),  # b relevant but unanswered: not(None = 'yes') is true
        ({"a": "yes", "b": "no"}, ["a", "b", "c"]),
        ({"a": "yes", "b": "yes"}, ["a", "b"]),
    ],
)
def test_relevance_depends_on_relevance_of_referenced_questions(answers, shown):
    assert [q.id for q in CHAIN.relevant_questions(answers)] == shown


# --- validation -----------------------------------------------------------------------------------------


def test_valid_answers_are_cleaned_and_coerced():
    answers = {
        **BASE, "overall": "4", "attitude": 5.0, "planned_outage": "yes", "outage_notice": " 2 ",
        "channels": ["online", "hotline", "online"], "hotline": 1, "online": 5, "recommend": "9",
        "suggestion": "  抢修很及时，谢谢！ ", "unknown_question": "ignored",
    }  # fmt: skip
    assert Q.validate(answers) == {
        "overall": 4, "attitude": 5, "skill": 4, "reliability": 3, "voltage": 4, "planned_outage": "yes",
        "outage_notice": 2, "reported_fault": "no", "channels": ["hotline", "online"], "hotline": 1,
        "online": 5, "billing": 2, "complained": "no", "vs_last_year": "same", "recommend": 9,
        "suggestion": "抢修很及时，谢谢！",
    }  # fmt: skip


def test_answers_to_non_relevant_questions_are_dropped():
    answers = {**BASE, "outage_notice": 3, "repair": 1, "hotline": 2, "complaint_handling": 5}
    assert Q.validate(answers) == BASE


@pytest.mark.parametrize("empty", [None, "", "   ", [], ()])
def test_empty_optional_answers_are_dropped(empty):
    answers = {**BASE, "channels": empty if empty != "   " else [], "recommend": empty, "suggestion": empty}
    assert Q.validate(answers) == BASE


def test_all_missing_required_answers_are_listed():
    with pytest.raises(AnswerError) as info:
        Q.validate({})
    assert [p.question_id for p in info.value.problems] == REQUIRED_ALWAYS
    assert all(p.message_zh and p.message_en for p in info.value.problems)


def test_required_conditional_questions_are_listed_when_relevant():
    answers = {"planned_outage": "yes", "reported_fault": "yes", "complained": "yes", "channels": ["online"]}
    with pytest.raises(AnswerError) as info:
        Q.validate(answers)
    missing = [p.question_id for p in info.value.problems]
    expected = [q.id for q in Q.questions if q.required and q.id not in answers and q.id != "hotline"]
    assert missing == expected
    assert "online" in missing and "hotline" not in missing


@pytest.mark.parametrize(
    ("qid", "value", "fragment"),
    [
        ("overall", 0, "between 1 and 5, but got 0"),
        ("overall", 6, "between 1 and 5, but got 6"),
        ("overall", "6", "between 1 and 5, but got 6"),
        ("overall", -1, "between 1 and 5"),
        ("overall", 3.5, "whole number from 1 to 5, but got 3.5"),
        ("overall", "abc", "whole number from 1 to 5, but got 'abc'"),
        ("overall", True, "whole number"),
        ("overall", [4], "whole number"),
        ("recommend", 11, "between 0 and 10, but got 11"),
        ("recommend", -1, "between 0 and 10, but got -1"),
        ("vs_last_year", "much better", "'much better' is not one of the choices (better, same, worse)"),
        ("vs_last_year", ["better"], "must be one choice"),
        ("planned_outage", "maybe", "not one of the choices (yes, no)"),
        ("channels", ["hotline", "fax"], "'fax' not among the choices"),
        ("channels", "hotline", "must be a list of choices"),
        ("channels", [1], "must be a list of choices"),
        ("channels", ["none", "hotline"], "cannot be combined with other channels"),
        ("suggestion", "x" * 501, "at most 500 characters, but got 501"),
        ("suggestion", ["text"], "must be text"),
    ],
)
def test_invalid_answer(qid, value, fragment):
    with pytest.raises(AnswerError) as info:
        Q.validate({**BASE, qid: value})
    [problem] = info.value.problems
    assert problem.question_id == qid
    assert fragment in problem.message_en
    assert problem.message_zh
    assert fragment in str(info.value)


def test_constraint_message_is_used():
    with pytest.raises(AnswerError) as info:
        Q.validate({**BASE, "channels": ["none", "wechat"]})
    assert info.value.problems == [
        Problem(
            "channels",
            "选择“都没有用过”时，不能同时选择其他渠道。",
            "“None of these” cannot be combined with other channels.",
        )
    ]


def test_every_problem_is_listed_at_once():
    answers = {**BASE, "overall": 9, "vs_last_year": "x", "suggestion": "长" * 600}
    del answers["attitude"]
    with pytest.raises(AnswerError) as info:
        Q.validate(answers)
    assert [p.question_id for p in info.value.problems] == [
        "overall",
        "attitude",
        "vs_last_year",
        "suggestion",
    ]
    assert list(info.value.by_question()) == ["overall", "attitude", "vs_last_year", "suggestion"]
    assert info.value.problems[1].message("en") == "an answer is required"


@pytest.mark.parametrize(
    "text",
    [
        "服务很好👍 good job, спасибо, مرحبا, こんにちは 😀",
        "👍" * 500,  # 500 characters (code points), 2000 bytes in UTF-8
        "电" * 500,
        "第一行\n第二行\t（全角标点）",
        "👨‍👩‍👧",
    ],
)
def test_text_accepts_any_script_within_the_cap(text):
    assert Q.validate({**BASE, "suggestion": text})["suggestion"] == text


@pytest.mark.parametrize("text", ["👍" * 501, "a" * 100_000, "意" * 100_000])
def test_text_over_the_cap_is_refused(text):
    with pytest.raises(AnswerError) as info:
        Q.validate({**BASE, "suggestion": text})
    [problem] = info.value.problems
    assert f"at most 500 characters, but got {len(text)}" in problem.message_en
    assert "最多 500 个字" in problem.message_zh
    assert len(str(info.value)) < 1000  # the text itself is not echoed back


NUMBERS = make(Question("n", "number", LABEL, required=True, minimum=0, maximum=100))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12), ("12", 12), (12.0, 12), ("2.5", 2.5), (0, 0), (100, 100), (" 7 ", 7), ("1e2", 100)],
)
def test_number_answers(value, expected):
    cleaned = NUMBERS.validate({"n": value})["n"]
    assert cleaned == expected and type(cleaned) is type(expected)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (-1, "at least 0, but got -1"),
        (100.5, "at most 100, but got 100.5"),
        ("nan", "must be a number"),
        ("inf", "must be a number"),
        (float("nan"), "must be a number"),
        ("twelve", "must be a number"),
        (False, "must be a number"),
    ],
)
def test_invalid_number_answers(value, fragment):
    with pytest.raises(AnswerError, match=fragment):
        NUMBERS.validate({"n": value})


def test_answers_must_be_a_mapping():
    with pytest.raises(TypeError, match="answers must be a mapping"):
        Q.validate([("overall", 4)])


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
