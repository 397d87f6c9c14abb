"""Questionnaires as data: the model, skip logic and validation, YAML/XLSForm loaders, the default survey."""

from questionnaires.errors import AnswerError, Problem, QuestionnaireError
from questionnaires.loader import (
    from_xlsform,
    load_bytes,
    load_default,
    load_questionnaire,
    loads_yaml,
    to_xlsform,
)
from questionnaires.model import Choice, Label, Question, Questionnaire, decode_value, encode_value

__all__ = [
    "AnswerError",
    "Choice",
    "Label",
    "Problem",
    "Question",
    "Questionnaire",
    "QuestionnaireError",
    "decode_value",
    "encode_value",
    "from_xlsform",
    "load_bytes",
    "load_default",
    "load_questionnaire",
    "loads_yaml",
    "to_xlsform",
]
