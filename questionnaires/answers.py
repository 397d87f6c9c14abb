"""Answers: coercion to canonical Python types, validation, skip logic, and TEXT encoding for storage.

Canonical answer types: ``int`` for likert5 (1..5) and rating10 (0..10); ``int`` or ``float`` for number
(integral values become ``int``); ``str`` for single, yesno ("yes"/"no") and text; ``list[str]`` for
multiple (in the order of the choices, without duplicates). Notes have no answer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from questionnaires.errors import AnswerError, Problem

if TYPE_CHECKING:
    from questionnaires.model import Question, Questionnaire

__all__ = ["encode_value", "decode_value", "validate_answers", "relevant_questions"]

_SCALES = {"likert5": (1, 5), "rating10": (0, 10)}
#: Control characters a typed text never needs (NUL, escape sequences, DEL …); line breaks and tabs stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def is_empty(value: object) -> bool:
    """Whether `value` counts as "not answered": None, blank text or an empty selection."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return len(value) == 0
    return False


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else None
    return None


def _number(value: object) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | str):
        try:
            number = float(value)
        except ValueError:
            return None
        if not math.isfinite(number):
            return None
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return None


def coerce(question: Question, value: object) -> tuple[object, Problem | None]:
    """Coerce a non-empty raw answer to its canonical type and check type, range, choices and length.

    Returns ``(value, None)`` on success, ``(None, problem)`` otherwise. Constraints are not checked here.
    """
    qid, qtype = question.id, question.type

    def problem(zh: str, en: str) -> tuple[None, Problem]:
        return None, Problem(qid, zh, en)

    if qtype in _SCALES:
        low, high = _SCALES[qtype]
        number = _whole_number(value)
        if number is None:
            return problem(
                f"请选择 {low} 到 {high} 之间的整数。",
                f"must be a whole number from {low} to {high}, but got {_show(value)}",
            )
        if not low <= number <= high:
            return problem(
                f"请选择 {low} 到 {high} 之间的整数。", f"must be between {low} and {high}, but got {number}"
            )
        return number, None
    if qtype == "number":
        number = _number(value)
        if number is None:
            return problem("请输入数字。", f"must be a number, but got {_show(value)}")
        if question.minimum is not None and number < question.minimum:
            return problem(
                f"不能小于 {question.minimum:g}。", f"must be at least {question.minimum:g}, but got {number}"
            )
        if question.maximum is not None and number > question.maximum:
            return problem(
                f"不能大于 {question.maximum:g}。", f"must be at most {question.maximum:g}, but got {number}"
            )
        return number, None
    if qtype in ("single", "yesno"):
        if qtype == "yesno" and isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return problem("请选择一个选项。", f"must be one choice (a string), but got {_show(value)}")
        value = value.strip()
        if value not in question.choice_values:
            allowed = ", ".join(question.choice_values)
            return problem(
                f"选项无效：{_show(value)}。", f"{_show(value)} is not one of the choices ({allowed})"
            )
        return value, None
    if qtype == "multiple":
        if not isinstance(value, list | tuple | set | frozenset) or not all(
            isinstance(v, str) for v in value
        ):
            return problem("请从选项中选择。", f"must be a list of choices, but got {_show(value)}")
        chosen = {v.strip() for v in value}
        unknown = sorted(chosen - set(question.choice_values))
        if unknown:
            allowed = ", ".join(question.choice_values)
            return problem(
                f"选项无效：{', '.join(unknown)}。",
                f"{', '.join(map(repr, unknown))} not among the choices ({allowed})",
            )
        return [v for v in question.choice_values if v in chosen], None
    if qtype == "text":
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return problem("请输入文字。", f"must be text, but got {_show(value)}")
        value = _CONTROL.sub("", value).strip()
        if len(value) > question.max_length:
            return problem(
                f"最多 {question.max_length} 个字，当前 {len(value)} 个字。",
                f"must be at most {question.max_length} characters, but got {len(value)}",
            )
        return value, None
    raise ValueError(f"question {qid!r} of type {qtype!r} takes no answer")


def _walk(
    questionnaire: Questionnaire, answers: Mapping[str, object]
) -> Iterator[tuple[Question, object, Problem | None]]:
    """Yield ``(question, clean value or None, problem or None)`` for each relevant question, in order.

    Relevance uses only the valid answers of earlier relevant questions; a question whose `relevant`
    refers to a non-relevant question is not relevant.
    """
    if not isinstance(answers, Mapping):
        raise TypeError(
            f"answers must be a mapping of question id to value, but got {type(answers).__name__}"
        )
    clean: dict[str, object] = {}
    relevant: set[str] = set()
    for question in questionnaire.questions:
        rule = question.relevant_expression
        if rule is not None and (not rule.references <= relevant or not rule.evaluate(clean)):
            continue
        relevant.add(question.id)
        raw = answers.get(question.id)
        if question.type == "note":
            yield question, None, None
            continue
        if is_empty(raw):
            if question.required:
                yield question, None, Problem(question.id, "此题为必答题，请作答。", "an answer is required")
            else:
                yield question, None, None
            continue
        value, problem = coerce(question, raw)
        check = question.constraint_expression
        if problem is None and check is not None and not check.evaluate(clean, current=value):
            message = question.constraint_message
            problem = Problem(
                question.id,
                message.get("zh") or message.get("en") or "答案不符合要求。",
                message.get("en")
                or message.get("zh")
                or f"the answer does not satisfy {question.constraint!r}",
            )
        if problem is None:
            clean[question.id] = value
            yield question, value, None
        else:
            yield question, None, problem


def relevant_questions(questionnaire: Questionnaire, answers: Mapping[str, object]) -> list[Question]:
    """Questions to show given the answers so far (invalid answers count as unanswered)."""
    return [question for question, _, _ in _walk(questionnaire, answers)]


def validate_answers(questionnaire: Questionnaire, answers: Mapping[str, object]) -> dict[str, object]:
    """Clean answers of the relevant questions, or raise `AnswerError` listing every problem.

    Answers to non-relevant or unknown questions and empty optional answers are dropped.
    """
    clean: dict[str, object] = {}
    problems: list[Problem] = []
    for question, value, problem in _walk(questionnaire, answers):
        if problem is not None:
            problems.append(problem)
        elif value is not None:
            clean[question.id] = value
    if problems:
        raise AnswerError(problems)
    return clean


def encode_value(question: Question, value: object) -> str:
    """Encode one clean answer as TEXT for storage: ``"4"``, ``"2.5"``, ``"yes"``, ``'["hotline", "online"]'``.

    Raises
    ------
    TypeError
        If `value` is not of the canonical type for the question type.
    ValueError
        For a note (which has no answer) or a non-finite number.
    """
    qtype = question.type
    if qtype in _SCALES:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"value of {qtype} question {question.id!r} must be an int, but got {value!r}")
        return str(value)
    if qtype == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(
                f"value of number question {question.id!r} must be an int or float, but got {value!r}"
            )
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(
                    f"value of number question {question.id!r} must be finite, but got {value!r}"
                )
            return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
        return str(value)
    if qtype == "multiple":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise TypeError(
                f"value of multiple question {question.id!r} must be a list of str, but got {value!r}"
            )
        return json.dumps(list(value), ensure_ascii=False)
    if qtype in ("single", "yesno", "text"):
        if not isinstance(value, str):
            raise TypeError(f"value of {qtype} question {question.id!r} must be a str, but got {value!r}")
        return value
    raise ValueError(f"question {question.id!r} of type {qtype!r} takes no answer")


def decode_value(question: Question, text: str) -> object:
    """Decode a stored TEXT answer back to its canonical Python value (inverse of `encode_value`)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, but got {type(text).__name__}")
    qtype = question.type
    if qtype in _SCALES:
        return int(text)
    if qtype == "number":
        number = _number(text)
        if number is None:
            raise ValueError(
                f"stored value of number question {question.id!r} must be a number, but got {text!r}"
            )
        return number
    if qtype == "multiple":
        values = json.loads(text)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(
                f"stored value of multiple question {question.id!r} must be a JSON list, but got {text!r}"
            )
        return values
    if qtype in ("single", "yesno", "text"):
        return text
    raise ValueError(f"question {question.id!r} of type {qtype!r} takes no answer")
