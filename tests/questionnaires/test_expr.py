"""Tests of the safe expression language used by `relevant` and `constraint`."""

import builtins

import pytest
from hypothesis import given
from hypothesis import strategies as st

from questionnaires.errors import QuestionnaireError
from questionnaires.expr import Expression, parse, references


@pytest.mark.parametrize(
    ("source", "answers", "current", "expected"),
    [
        ("${a} = 'yes'", {"a": "yes"}, None, True),
        ("${a} = 'yes'", {"a": "no"}, None, False),
        ("${a} = 'yes'", {}, None, False),
        ('${a} == "yes"', {"a": "yes"}, None, True),
        # comparisons with an unanswered reference are false, including !=
        ("${a} != 'yes'", {}, None, False),
        ("${a} != 'yes'", {"a": "no"}, None, True),
        ("${n} < 3", {}, None, False),
        # ... except the XLSForm idiom for "answered" / "not answered"
        ("${a} != ''", {}, None, False),
        ("${a} != ''", {"a": "x"}, None, True),
        ("${a} = ''", {}, None, True),
        # numbers and numeric strings compare as numbers
        ("${n} >= 4", {"n": 4}, None, True),
        ("${n} >= 4", {"n": "4"}, None, True),
        ("${n} >= 4", {"n": 3}, None, False),
        ("${n} = '4'", {"n": 4}, None, True),
        ("${n} < 2.5", {"n": 2}, None, True),
        ("${n} <= .5", {"n": 0.5}, None, True),
        ("${n} > -1", {"n": 0}, None, True),
        ("${n} != 10", {"n": 10.0}, None, False),
        ("${s} > 'abc'", {"s": "abd"}, None, False),  # no ordering of non-numeric text
        # multiple choice
        ("selected(${m}, 'x')", {"m": ["x", "y"]}, None, True),
        ("selected(${m}, 'x')", {"m": ["y"]}, None, False),
        ("selected(${m}, 'x')", {}, None, False),
        ("selected(${m}, 'x')", {"m": "x"}, None, True),
        ("${m} = 'x y'", {"m": ["x", "y"]}, None, True),
        ("count-selected(${m}) = 0", {}, None, True),
        ("count-selected(.) > 1", {}, ["a", "b"], True),
        ("count-selected(.) > 1", {}, ["a"], False),
        ("not(selected(., 'none') and count-selected(.) > 1)", {}, ["none", "hotline"], False),
        ("not(selected(., 'none') and count-selected(.) > 1)", {}, ["none"], True),
        ("not(selected(., 'none') and count-selected(.) > 1)", {}, ["online", "hotline"], True),
        # string-length counts characters, not bytes
        ("string-length(.) <= 3", {}, "abc", True),
        ("string-length(.) <= 3", {}, "abcd", False),
        ("string-length(.) = 3", {}, "👍供e", True),
        ("string-length(.) = 0", {}, None, True),
        # boolean logic and precedence: not > and > or
        ("not(${a} = 'yes')", {"a": "no"}, None, True),
        ("not ${a} = 'yes'", {"a": "yes"}, None, False),
        ("${a} = 'yes' or ${b} = 'yes'", {"b": "yes"}, None, True),
        ("${a} = 'yes' and ${b} = 'yes'", {"b": "yes"}, None, False),
        ("true() or false() and false()", {}, None, True),
        ("(true() or false()) and false()", {}, None, False),
        ("not true() or true()", {}, None, True),
        ("not (true() or true())", {}, None, False),
        ("(${n} >= 1) and (${n} <= 5)", {"n": 5}, None, True),
        (". >= 0 and . <= 100", {}, 100, True),
        (". >= 0 and . <= 100", {}, 100.5, False),
        ("${a}", {"a": "x"}, None, True),
        ("${a}", {"a": ""}, None, False),
        ("${a.b-c}", {"a.b-c": "x"}, None, True),
    ],
)
def test_evaluate(source, answers, current, expected):
    assert parse(source, allow_current=True).evaluate(answers, current=current) is expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("${a} =", "end of expression"),
        ("${a} = = 1", "unexpected '='"),
        ("(${a} = 1", "expected ')'"),
        ("${a} = 1)", "unexpected ')'"),
        ("${a} and", "end of expression"),
        ("1 < 2 < 3", "chained comparison"),
        ("a = 1", "unknown name 'a'"),
        ("${a b} = 1", "invalid question reference"),
        ("${} = 1", "invalid question reference"),
        ("${1a} = 1", "invalid question reference"),
        ("'unterminated", 'unexpected "\'"'),
        ("foo(${a})", "unknown function 'foo'"),
        ("exec('x')", "unknown function 'exec'"),
        ("selected(${a})", "selected() takes 2 argument(s), but got 1"),
        ("true(1)", "true() takes 0 argument(s), but got 1"),
        ("selected(${a}, 'x',)", "unexpected ')'"),
        # nothing that looks like Python gets anywhere near an interpreter
        ("__import__('os')", "unexpected '_'"),
        ("__import__('os').system('ls')", "unexpected '_'"),
        ("${a}.__class__", "unexpected '_'"),
        ("open('f').read()", "unknown function 'open'"),
        ("lambda: 1", "unexpected ':'"),
        ("${a} = 1; import os", "unexpected ';'"),
        ("[x for x in ()]", "unexpected '['"),
        ("${a} + 1", "unexpected '+'"),
    ],
)
def test_invalid_expressions(source, fragment):
    with pytest.raises(QuestionnaireError) as info:
        parse(source, allow_current=True)
    assert fragment in str(info.value)


def test_current_answer_only_in_constraints():
    with pytest.raises(
        QuestionnaireError, match=r"'\.' \(the current answer\) can only be used in a constraint"
    ):
        parse("string-length(.) < 5")
    assert isinstance(parse("string-length(.) < 5", allow_current=True), Expression)


@pytest.mark.parametrize(
    "source", ["(" * 500 + "1" + ")" * 500, "not " * 200 + "true()"], ids=["parens", "not"]
)
def test_deep_nesting_is_an_error_not_a_crash(source):
    with pytest.raises(QuestionnaireError, match="nesting deeper"):
        parse(source)


def test_too_long_expression():
    with pytest.raises(QuestionnaireError, match="at most 2000 characters"):
        parse("true() or " * 300 + "true()")


def test_source_must_be_a_string():
    with pytest.raises(TypeError, match="source must be a str"):
        parse(42)


def test_never_uses_python_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec/compile must not be used")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    rule = parse("selected(${m}, 'x') and string-length(.) < 4 or ${n} >= 3", allow_current=True)
    assert rule.evaluate({"m": ["x"]}, current="abc") is True


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${a} = 'yes'", {"a"}),
        ("selected(${a}, 'x') and ${b} > . or not(${a} = ${c})", {"a", "b", "c"}),
        ("string-length(.) < 5", set()),
        ("true()", set()),
    ],
)
def test_references(source, expected):
    assert references(source) == expected
    assert references(parse(source, allow_current=True)) == expected


@given(st.text(max_size=60))
def test_any_text_parses_or_raises_questionnaire_error(source):
    try:
        expression = parse(source, allow_current=True)
    except QuestionnaireError:
        return
    expression.evaluate({}, current=None)  # evaluation of a parsed expression never raises


@given(st.text(alphabet="${}()'\". =!<>andortsElc-0123456789, ", max_size=40))
def test_expression_alphabet_fuzz(source):
    try:
        expression = parse(source, allow_current=True)
    except QuestionnaireError:
        return
    assert isinstance(expression.evaluate({"a": "x", "b": ["y"]}, current=["z"]), bool)
