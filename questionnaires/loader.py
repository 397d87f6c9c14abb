"""Load questionnaires from YAML or XLSForm files, and the packaged default questionnaire."""

from __future__ import annotations

import functools
import tempfile
from importlib import resources
from os import PathLike
from pathlib import Path

import yaml

from questionnaires.errors import QuestionnaireError
from questionnaires.model import Questionnaire
from questionnaires.xlsform import from_xlsform, to_xlsform

__all__ = ["from_xlsform", "load_bytes", "load_default", "load_questionnaire", "loads_yaml", "to_xlsform"]

DEFAULT_FILE = "default.yaml"
#: Deepest nesting of YAML mappings and lists accepted (a questionnaire needs about 6); deeper is refused
#: before the document is built, whose recursive construction would otherwise hit Python's recursion limit.
MAX_YAML_DEPTH = 32
#: PyYAML's safe loader, in C (libyaml, ≈ 6 × faster) when PyYAML was built with it: the same documents.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def loads_yaml(text: str, *, source: str = "<string>") -> Questionnaire:
    """Parse a questionnaire from YAML text (PyYAML's safe loader; no Python objects).

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
        _check_depth(text, source)
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)
    except RecursionError:  # a backstop: _check_depth refuses such documents first
        raise QuestionnaireError(
            f"the YAML is nested too deeply (more than {MAX_YAML_DEPTH} levels of mappings and lists)",
            source=source,
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise QuestionnaireError(f"malformed YAML: {where}{problem}", source=source) from None
    try:
        return Questionnaire.from_dict(data)
    except QuestionnaireError as error:
        raise error.within(source=source) from None


def _check_depth(text: str, source: str) -> None:
    """Refuse YAML nested deeper than ``MAX_YAML_DEPTH``, reading its events (iterative, stops at the limit)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                mark = event.start_mark
                raise QuestionnaireError(
                    f"the YAML is nested too deeply: more than {MAX_YAML_DEPTH} levels of mappings and lists"
                    f" at line {mark.line + 1}, column {mark.column + 1}",
                    source=source,
                )
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


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


def load_bytes(data: bytes, filename: str) -> Questionnaire:
    """Load an uploaded questionnaire file's content: YAML or XLSForm, chosen by ``filename``'s suffix.

    Raises
    ------
    QuestionnaireError
        As `load_questionnaire`; messages name `filename` (not a temporary path).
    """
    if not isinstance(data, bytes | bytearray):
        raise TypeError(f"data must be bytes, but got {type(data).__name__}")
    suffix = Path(filename).suffix.lower()
    if suffix in (".yaml", ".yml"):
        try:
            text = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise QuestionnaireError(
                f"the file is not UTF-8 text ({error.reason})", source=filename
            ) from None
        return loads_yaml(text, source=filename)
    if suffix == ".xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "upload.xlsx"
            path.write_bytes(bytes(data))
            try:
                return from_xlsform(path)
            except QuestionnaireError as error:
                raise QuestionnaireError(
                    error.problem, question=error.question, position=error.position, source=filename
                ) from None
    raise QuestionnaireError(
        f"file type must be .yaml, .yml or .xlsx, but got {suffix or 'none'!r}", source=filename
    )


@functools.cache
def load_default() -> Questionnaire:
    """The system's default questionnaire (``questionnaires/default.yaml``, id ``psc-satisfaction``)."""
    text = resources.files("questionnaires").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return loads_yaml(text, source=DEFAULT_FILE)
