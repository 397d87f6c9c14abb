"""The questionnaire model: immutable, hashable dataclasses built from plain data (YAML, JSON, XLSForm).

A `Questionnaire` is validated when it is constructed: question types, ids, choices, ranges and the
`relevant`/`constraint` expressions (syntax, known questions, no forward or self references). Its canonical
JSON (`to_dict`) is what is stored, and `sha256` of that JSON pins it to a survey round.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from questionnaires import answers as _answers
from questionnaires.answers import decode_value, encode_value
from questionnaires.errors import AnswerError, Problem, QuestionnaireError
from questionnaires.expr import QUESTION_ID, Expression, parse
from questionnaires.labels import LIKERT_HIGH, LIKERT_LOW, Label

__all__ = [
    "AnswerError",
    "Choice",
    "Label",
    "Problem",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "QUESTION_TYPES",
    "decode_value",
    "encode_value",
]

#: Supported question types.
#: Bound on a number question's minimum / maximum (15 significant digits survive a float exactly).
MAX_BOUND = 1e15


def shorten_number(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters (a 400-digit number in a message stays one short line)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


QUESTION_TYPES = ("likert5", "single", "multiple", "yesno", "rating10", "number", "text", "note")


@dataclass(frozen=True)
class Choice:
    """One option of a single, multiple, yes/no or (labelled) likert5 question."""

    value: str
    label: Label

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not self.value.strip():
            raise QuestionnaireError(f"choice value must be a non-empty string, but got {self.value!r}")
        object.__setattr__(self, "value", self.value.strip())
        object.__setattr__(self, "label", Label(self.label, name=f"label of choice {self.value!r}"))
        if not self.label:
            raise QuestionnaireError(f"choice {self.value!r} needs a label")


YESNO_CHOICES = (
    Choice("yes", Label({"zh": "是", "en": "Yes"})),
    Choice("no", Label({"zh": "否", "en": "No"})),
)
_LABEL_FIELDS = ("label", "hint", "constraint_message", "low_label", "high_label")


@dataclass(frozen=True)
class Question:
    """One question. See `QUESTION_TYPES`; `relevant`/`constraint` use the `questionnaires.expr` language."""

    id: str
    type: str
    label: Label
    hint: Label = field(default_factory=Label)
    choices: tuple[Choice, ...] = ()
    required: bool = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Label = field(default_factory=Label)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 500
    low_label: Label = field(default_factory=Label)
    high_label: Label = field(default_factory=Label)
    relevant_expression: Expression | None = field(init=False, repr=False, compare=False, default=None)
    constraint_expression: Expression | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.id, str) or not QUESTION_ID.fullmatch(self.id):
            raise QuestionnaireError(
                f"id must be a name of letters, digits and _ . - (not starting with a digit), but got {self.id!r}"
            )
        if self.type not in QUESTION_TYPES:
            raise QuestionnaireError(
                f"type must be one of {', '.join(QUESTION_TYPES)}, but got {self.type!r}"
            )
        for name in _LABEL_FIELDS:
            set_(self, name, Label(getattr(self, name), name=name))
        if not self.label:
            raise QuestionnaireError("label is missing (give at least zh or en)")
        if not isinstance(self.required, bool):
            raise QuestionnaireError(f"required must be true or false, but got {self.required!r}")
        if self.type == "note" and self.required:
            raise QuestionnaireError("a note cannot be required")
        self._check_choices()
        self._check_ranges()
        for name, allow_current in (("relevant", False), ("constraint", True)):
            source = getattr(self, name)
            if source is not None and not isinstance(source, str):
                raise QuestionnaireError(f"{name} must be an expression string, but got {source!r}")
            source = source.strip() if source else None
            set_(self, name, source or None)
            if source:
                try:
                    set_(self, f"{name}_expression", parse(source, allow_current=allow_current))
                except QuestionnaireError as error:
                    raise QuestionnaireError(f"{name}: {error.problem}") from None
        if self.constraint_message and not self.constraint:
            raise QuestionnaireError("constraint_message given without a constraint")
        if self.type == "likert5":
            low, high = (
                (self.choices[0].label, self.choices[-1].label) if self.choices else (LIKERT_LOW, LIKERT_HIGH)
            )
            set_(self, "low_label", self.low_label or low)
            set_(self, "high_label", self.high_label or high)
        elif self.type != "rating10" and (self.low_label or self.high_label):
            raise QuestionnaireError(
                f"low_label/high_label apply to likert5 and rating10, not to {self.type}"
            )

    def _check_choices(self) -> None:
        choices = tuple(c if isinstance(c, Choice) else _choice_from_dict(c) for c in (self.choices or ()))
        values = [c.value for c in choices]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise QuestionnaireError(f"duplicate choice value(s): {', '.join(duplicates)}")
        if self.type in ("single", "multiple") and not choices:
            raise QuestionnaireError(f"choices are missing (a {self.type} question needs at least one)")
        if self.type == "yesno":
            if choices and set(values) != {"yes", "no"}:
                raise QuestionnaireError(
                    f"choices of a yesno question must be 'yes' and 'no', but got {values}"
                )
            choices = choices or YESNO_CHOICES
        if self.type == "likert5" and choices and values != ["1", "2", "3", "4", "5"]:
            raise QuestionnaireError(
                f"choices of a likert5 question must be the values 1..5, but got {values}"
            )
        if self.type in ("rating10", "number", "text", "note") and choices:
            raise QuestionnaireError(f"a {self.type} question takes no choices")
        object.__setattr__(self, "choices", choices)

    def _check_ranges(self) -> None:
        for name in ("minimum", "maximum"):
            value = getattr(self, name)
            if value is None:
                continue
            if self.type != "number":
                raise QuestionnaireError(f"{name} applies only to number questions, not to {self.type}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise QuestionnaireError(f"{name} must be a number, but got {value!r}")
            # also refuses inf, nan and a 400-digit int that a float cannot hold
            if not -MAX_BOUND < value < MAX_BOUND:
                raise QuestionnaireError(
                    f"{name} must be a number between -{MAX_BOUND:.0e} and {MAX_BOUND:.0e},"
                    f" but got {shorten_number(value)}"
                )
            object.__setattr__(self, name, float(value))
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise QuestionnaireError(
                f"minimum must be <= maximum, but got {self.minimum:g} > {self.maximum:g}"
            )
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 1:
            raise QuestionnaireError(f"max_length must be a positive integer, but got {self.max_length!r}")
        if self.type != "text" and self.max_length != 500:
            raise QuestionnaireError(f"max_length applies only to text questions, not to {self.type}")

    @property
    def choice_values(self) -> tuple[str, ...]:
        """Values of the choices, in order."""
        return tuple(c.value for c in self.choices)

    @property
    def scale(self) -> tuple[int, ...]:
        """Points of a likert5 (1..5) or rating10 (0..10) question; () for other types."""
        return {"likert5": tuple(range(1, 6)), "rating10": tuple(range(11))}.get(self.type, ())

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form; fields with default values are left out."""
        data: dict[str, Any] = {"id": self.id, "type": self.type, "label": dict(self.label)}
        for spec in fields(self):
            if spec.name in data or not spec.init:
                continue
            value = getattr(self, spec.name)
            if spec.name == "max_length":
                if self.type == "text":
                    data["max_length"] = value
            elif spec.name == "choices":
                if value:
                    data["choices"] = [{"value": c.value, "label": dict(c.label)} for c in value]
            elif isinstance(value, Label):
                if value:
                    data[spec.name] = dict(value)
            elif spec.name in ("minimum", "maximum") and value is not None:
                data[spec.name] = int(value) if value.is_integer() else value
            elif value not in (None, False):
                data[spec.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Question:
        """Build a question from `to_dict` output (or a YAML mapping); unknown keys are errors."""
        if not isinstance(data, Mapping):
            raise QuestionnaireError(f"a question must be a mapping, but got {data!r}")
        known = {f.name for f in fields(cls) if f.init}
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            raise QuestionnaireError(
                f"unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(sorted(known))}"
            )
        for key in ("id", "type", "label"):
            if data.get(key) in (None, "", {}):
                raise QuestionnaireError(f"{key} is missing")
        kwargs = dict(data)
        if not isinstance(kwargs.get("choices", []), list | tuple):
            raise QuestionnaireError(f"choices must be a list, but got {kwargs['choices']!r}")
        kwargs["choices"] = tuple(_choice_from_dict(c) for c in kwargs.get("choices") or ())
        return cls(**kwargs)


def _choice_from_dict(data: object) -> Choice:
    if not isinstance(data, Mapping) or set(data) - {"value", "label"} or "value" not in data:
        raise QuestionnaireError(f"a choice must be a mapping with 'value' and 'label', but got {data!r}")
    value = data["value"]
    if isinstance(value, bool):
        raise QuestionnaireError(
            f"choice value {value!r} was read as a boolean; quote it in YAML, e.g. 'yes'"
        )
    if isinstance(value, int | float):
        value = str(int(value)) if float(value).is_integer() else str(value)
    return Choice(value, data.get("label"))


@dataclass(frozen=True)
class Questionnaire:
    """A versioned, bilingual questionnaire: an ordered tuple of questions with skip logic."""

    id: str
    version: str
    title: Label
    description: Label = field(default_factory=Label)
    questions: tuple[Question, ...] = ()
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise QuestionnaireError(f"questionnaire id must be a non-empty string, but got {self.id!r}")
        if not isinstance(self.version, str) or not self.version.strip():
            raise QuestionnaireError(f"version must be a non-empty string, but got {self.version!r}")
        object.__setattr__(self, "title", Label(self.title, name="title"))
        object.__setattr__(self, "description", Label(self.description, name="description"))
        if not self.title:
            raise QuestionnaireError("title is missing (give at least zh or en)")
        object.__setattr__(self, "questions", tuple(self.questions))
        if not self.questions:
            raise QuestionnaireError("the questionnaire has no questions")
        for position, question in enumerate(self.questions, start=1):
            if not isinstance(question, Question):
                raise QuestionnaireError(
                    f"must be a Question, but got {type(question).__name__}", position=position
                )
            if question.id in self._index:
                first = self._index[question.id] + 1
                raise QuestionnaireError(f"duplicate id (also question #{first})", question=question.id)
            for name in ("relevant", "constraint"):
                expression = getattr(question, f"{name}_expression")
                for ref in sorted(expression.references if expression else ()):
                    if ref == question.id:
                        problem = "cyclic reference to itself" + (
                            " (use '.' for the current answer)" if name == "constraint" else ""
                        )
                    elif ref in self._index:
                        continue
                    elif any(q.id == ref for q in self.questions):
                        problem = f"reference to later question {ref!r} (cyclic; only earlier questions may be used)"
                    else:
                        problem = f"reference to unknown question {ref!r}"
                    raise QuestionnaireError(f"{name}: {problem}", question=question.id)
            self._index[question.id] = position - 1

    def question(self, qid: str) -> Question:
        """The question with id `qid` (KeyError if there is none)."""
        try:
            return self.questions[self._index[qid]]
        except KeyError:
            raise KeyError(f"questionnaire {self.id!r} has no question {qid!r}") from None

    def relevant_questions(self, answers: Mapping[str, object]) -> list[Question]:
        """Questions to show, in order, given the answers so far (skip logic applied)."""
        return _answers.relevant_questions(self, answers)

    def validate(self, answers: Mapping[str, object]) -> dict[str, object]:
        """Clean answers of the relevant questions, or raise `AnswerError` listing every problem."""
        return _answers.validate_answers(self, answers)

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain-data form (JSON/YAML-ready); ``from_dict(to_dict())`` gives an equal questionnaire."""
        data: dict[str, Any] = {"id": self.id, "version": self.version, "title": dict(self.title)}
        if self.description:
            data["description"] = dict(self.description)
        data["questions"] = [q.to_dict() for q in self.questions]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Questionnaire:
        """Build and validate a questionnaire from plain data; errors name the question and the problem."""
        if not isinstance(data, Mapping):
            raise QuestionnaireError(f"a questionnaire must be a mapping, but got {type(data).__name__}")
        unknown = sorted(set(data) - {"id", "version", "title", "description", "questions"}, key=str)
        if unknown:
            raise QuestionnaireError(f"unknown top-level field(s): {', '.join(map(str, unknown))}")
        for key in ("id", "version", "title", "questions"):
            if data.get(key) in (None, "", [], {}):
                raise QuestionnaireError(f"{key} is missing")
        version = data["version"]
        if isinstance(version, int | float) and not isinstance(version, bool):
            version = str(version)
        items = data["questions"]
        if not isinstance(items, list | tuple):
            raise QuestionnaireError(f"questions must be a list, but got {type(items).__name__}")
        questions = []
        for position, item in enumerate(items, start=1):
            qid = item.get("id") if isinstance(item, Mapping) else None
            try:
                questions.append(Question.from_dict(item))
            except QuestionnaireError as error:
                raise error.within(
                    question=qid if isinstance(qid, str) else None, position=position
                ) from None
            except TypeError as error:
                raise QuestionnaireError(str(error), question=qid, position=position) from None
        return cls(data["id"], version, data["title"], data.get("description"), tuple(questions))

    def sha256(self) -> str:
        """Hex SHA-256 of the canonical JSON of `to_dict` (sorted keys, UTF-8, no whitespace).

        Computed once per object (the dataclass is frozen, so the value cannot change).
        """
        cached = self.__dict__.get("_sha256")
        if cached is None:
            text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            cached = hashlib.sha256(text.encode("utf-8")).hexdigest()
            object.__setattr__(self, "_sha256", cached)
        return cached
