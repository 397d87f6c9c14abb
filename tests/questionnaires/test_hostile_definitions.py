"""Hostile questionnaire files (issue 11, item 12): deep nesting and huge numbers are named problems, not
RecursionError or OverflowError tracebacks — at import time, never at answer time."""

import time

import pytest
import yaml

from questionnaires import Question, QuestionnaireError, loads_yaml
from questionnaires.expr import MAX_NUMBER_DIGITS, parse
from questionnaires.loader import MAX_YAML_DEPTH, load_bytes

from .model_samples import LABEL, make

HUGE = "9" * 400


def _yaml(**question) -> str:
    """A one-question questionnaire as YAML, with ``question``'s fields over a plain number question."""
    q = make(Question("n", "number", LABEL), Question("later", "text", LABEL))
    data = q.to_dict()
    data["questions"][1].update(question)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 2000 + "]" * 2000,  # flow lists (the review's probe)
        "a: " + "{b: " * 2000 + "1" + "}" * 2000,  # flow mappings
        "".join(" " * (2 * i) + f"k{i}:\n" for i in range(2000)) + " " * 4000 + "x",  # block mappings
        "- " * 2000 + "x",  # block lists
    ],
    ids=["flow-lists", "flow-maps", "block-maps", "block-lists"],
)
def test_deeply_nested_yaml_is_a_named_problem(text):
    started = time.perf_counter()
    with pytest.raises(QuestionnaireError, match=f"nested too deeply: more than {MAX_YAML_DEPTH} levels"):
        loads_yaml(text, source="deep.yaml")
    assert time.perf_counter() - started < 5  # refused at the limit, not after building 2,000 levels


def test_deeply_nested_yaml_upload_names_the_file():
    with pytest.raises(QuestionnaireError, match=r"^deep\.yaml: the YAML is nested too deeply"):
        load_bytes(("a: " + "[" * 500 + "]" * 500).encode(), "deep.yaml")


def test_ordinary_nesting_still_loads():
    assert loads_yaml(_yaml()).questions[1].id == "later"


def test_400_digit_number_in_skip_logic_is_refused_at_import():
    # Before: the file imported, and answering raised OverflowError (int too large to convert to float).
    with pytest.raises(QuestionnaireError, match=f"400 digits; at most {MAX_NUMBER_DIGITS}"):
        loads_yaml(_yaml(relevant=f"${{n}} > {HUGE}"))


# --- sweep: every place a number enters a definition or an evaluation -----------------------------------


@pytest.mark.parametrize(
    "field",
    [
        {"relevant": f"${{n}} > {HUGE}"},
        {"relevant": f"${{n}} = -{HUGE}"},
        {"relevant": f"${{n}} < {HUGE}.5"},
        {"relevant": f"${{n}} < 0.{HUGE}"},
        {"relevant": f"not({HUGE} = ${{n}})"},
        {"type": "number", "constraint": f". <= {HUGE}"},
        {"type": "number", "minimum": int(HUGE)},
        {"type": "number", "maximum": -int(HUGE)},
        {"type": "number", "maximum": float("inf")},
        {"type": "number", "minimum": float("nan")},
    ],
    ids=lambda f: next(iter(f.items()))[0] if "type" not in f else list(f)[1],
)
def test_every_huge_number_in_a_definition_is_a_named_problem(field):
    with pytest.raises(QuestionnaireError) as caught:
        loads_yaml(_yaml(**field), source="huge.yaml")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("huge.yaml: question 'later'")


def test_fifteen_digits_are_still_a_number():
    rule = parse(f"${{n}} < {'9' * MAX_NUMBER_DIGITS}")
    assert rule.evaluate({"n": 3}) is True


@pytest.mark.parametrize(
    "answer",
    [10**400, -(10**400), HUGE, "-" + HUGE, float("inf"), 1e308],
    ids=["int", "-int", "text", "-text", "inf", "1e308"],
)
@pytest.mark.parametrize("source", ["${n} > 5", "${n} = 5", "${n} != 5", "${n} <= 999999999999999"])
def test_evaluating_a_huge_answer_never_raises(answer, source):
    assert parse(source).evaluate({"n": answer}) in (True, False)
