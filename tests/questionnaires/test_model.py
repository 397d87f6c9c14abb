"""Tests of the questionnaire model: skip logic and answer validation (storage, hashing: test_model_storage.py)."""

import pytest

from questionnaires import (
    AnswerError,
    Problem,
    Question,
)
from tests.questionnaires.model_samples import BASE, CONDITIONAL, LABEL, NUMBERS, REQUIRED_ALWAYS, Q, make

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


def test_text_drops_control_characters_but_keeps_line_breaks():
    cleaned = Q.validate({**BASE, "suggestion": "停电\x00太多\x1b[31m\x7f\r\n抢修慢\t"})["suggestion"]
    assert cleaned == "停电太多[31m\r\n抢修慢"


@pytest.mark.parametrize("text", ["👍" * 501, "a" * 100_000, "意" * 100_000])
def test_text_over_the_cap_is_refused(text):
    with pytest.raises(AnswerError) as info:
        Q.validate({**BASE, "suggestion": text})
    [problem] = info.value.problems
    assert f"at most 500 characters, but got {len(text)}" in problem.message_en
    assert "最多 500 个字" in problem.message_zh
    assert len(str(info.value)) < 1000  # the text itself is not echoed back


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
