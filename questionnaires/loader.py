"""Load questionnaires from YAML or XLSForm files, and the packaged default questionnaire."""

from __future__ import annotations

import functools
from importlib import resources
from os import PathLike
from pathlib import Path

import yaml

from questionnaires.errors import QuestionnaireError
from questionnaires.model import Questionnaire
from questionnaires.xlsform import from_xlsform, to_xlsform

__all__ = ["from_xlsform", "load_default", "load_questionnaire", "loads_yaml", "to_xlsform"]

DEFAULT_FILE = "default.yaml"


def loads_yaml(text: str, *, source: str = "<string>") -> Questionnaire:
    """Parse a questionnaire from YAML text (``yaml.safe_load``; no Python objects).

    Parameters
    ----------
    text : str
        The YAML document (same structure as `Questionnaire.to_dict`).
    source : str
        Name used in error messages, usually the file name.

    Raises
    ------
    QuestionnaireError
        On malformed YAML or an invalid definition; the message names `source`, the question and the problem.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, but got {type(text).__name__}")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(f"malformed YAML: {where}{problem}", source=source) from None
    try:
        return Questionnaire.from_dict(data)
    except QuestionnaireError as error:
        raise error.within(source=source) from None


def load_questionnaire(path: str | PathLike[str]) -> Questionnaire:
    """Load a questionnaire file: YAML (``.yaml``/``.yml``) or XLSForm (``.xlsx``), chosen by suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise QuestionnaireError(
                f"the file is not UTF-8 text ({error.reason})", source=str(path)
            ) from None
        return loads_yaml(text, source=str(path))
    if suffix == ".xlsx":
        return from_xlsform(path)
    raise QuestionnaireError(
        f"file type must be .yaml, .yml or .xlsx, but got {suffix or 'none'!r}", source=str(path)
    )


@functools.cache
def load_default() -> Questionnaire:
    """The system's default questionnaire (``questionnaires/default.yaml``, id ``psc-satisfaction``)."""
    text = resources.files("questionnaires").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return loads_yaml(text, source=DEFAULT_FILE)
