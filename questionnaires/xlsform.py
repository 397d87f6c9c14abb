"""Read and write XLSForm workbooks (survey / choices / settings sheets) for the supported question types.

Mapping (XLSForm → model): ``select_one LIST`` → single, or yesno when the list's values are yes/no, or
likert5 when the list is named ``likert5`` or its values are 1..5; ``select_multiple LIST`` → multiple;
``integer``/``decimal`` → number; ``text`` → text; ``range`` with ``start=0 end=10 step=1`` → rating10;
``note`` → note. Metadata rows (start, end, today, deviceid, …) are skipped; any other type is an error
naming the sheet row. Languages come from column suffixes such as ``label::Chinese (zh)``.

Beyond standard XLSForm, optional survey columns ``minimum``, ``maximum``, ``max_length``,
``low_label::…`` and ``high_label::…`` and settings columns ``form_title::…`` and ``description::…``
carry the model fields that XLSForm has no column for, so that `to_xlsform` → `from_xlsform` round-trips.
"""

from __future__ import annotations

import re
import zipfile
from os import PathLike
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from questionnaires.errors import QuestionnaireError
from questionnaires.model import Choice, Question, Questionnaire

__all__ = ["from_xlsform", "to_xlsform"]

METADATA_TYPES = {
    "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit",
}  # fmt: skip
LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}
_LANGUAGE_CODES = {"chinese": "zh", "中文": "zh", "english": "en", "英文": "en"}
_TRUE = {"yes", "true", "1", "true()", "y"}
_FALSE = {"no", "false", "0", "false()", "n", ""}
_LIKERT_VALUES = ["1", "2", "3", "4", "5"]
_RATING10 = "start=0 end=10 step=1"
_LABEL_COLUMNS = ("label", "hint", "constraint_message", "low_label", "high_label")


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _language(spec: str, default: str) -> str:
    """``"Chinese (zh)"`` → ``"zh"``, ``"en"`` → ``"en"``, ``""`` → `default`."""
    spec = spec.strip()
    match = re.search(r"\(([^)]+)\)\s*$", spec)
    if match:
        return match.group(1).strip()
    return _LANGUAGE_CODES.get(spec.lower(), spec) if spec else default


def _read_sheet(workbook: Any, name: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows of sheet `name` as ``(excel row number, {header: value})``; [] if the sheet is absent."""
    sheet = next((workbook[s] for s in workbook.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return []
    rows = sheet.iter_rows(values_only=True)
    header = [_cell_text(h) for h in next(rows, ())]
    result = []
    for number, values in enumerate(rows, start=2):
        record = {h: v for h, v in zip(header, values, strict=False) if h and v not in (None, "")}
        if record:
            result.append((number, record))
    return result


def _labels(record: dict[str, Any], column: str, default_lang: str) -> dict[str, str]:
    texts = {}
    for header, value in record.items():
        base, sep, lang = header.partition("::")
        if base.strip().lower() == column:
            texts[_language(lang, default_lang) if sep else default_lang] = _cell_text(value)
    return texts


def _plain(record: dict[str, Any], column: str) -> str:
    return next((_cell_text(v) for h, v in record.items() if h.strip().lower() == column), "")


def _number(record: dict[str, Any], column: str, row: int) -> float | None:
    text = _plain(record, column)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise QuestionnaireError(f"survey row {row}: {column} must be a number, but got {text!r}") from None


def _row_question(
    row: int, record: dict[str, Any], lists: dict[str, list[Choice]], lang: str
) -> Question | None:
    kind = " ".join(_plain(record, "type").split())
    name = _plain(record, "name") or None

    def fail(problem: str) -> QuestionnaireError:
        return QuestionnaireError(f"survey row {row}: {problem}", question=name)

    if not kind:
        raise fail("type is missing")
    words = kind.replace("select one ", "select_one ").replace("select multiple ", "select_multiple ").split()
    head = words[0].lower()
    if head in METADATA_TYPES and len(words) == 1:
        return None
    if not name:
        raise fail(f"name is missing (type {kind!r})")
    fields: dict[str, Any] = {}
    if head in ("select_one", "select_multiple") and len(words) == 2:
        if words[1] not in lists:
            raise fail(f"choice list {words[1]!r} is not in the choices sheet")
        choices = lists[words[1]]
        values = [c.value for c in choices]
        if head == "select_multiple":
            qtype = "multiple"
        elif sorted(values) == ["no", "yes"]:
            qtype = "yesno"
        elif words[1] == "likert5" or values == _LIKERT_VALUES:
            qtype = "likert5"
            plain = all(all(t == c.value for t in c.label.values()) for c in choices[1:4])
            if plain and len(choices) == 5:
                fields["low_label"], fields["high_label"] = choices[0].label, choices[4].label
                choices = []
        else:
            qtype = "single"
        fields["choices"] = tuple(choices)
    elif head in ("integer", "int", "decimal") and len(words) == 1:
        qtype = "number"
    elif head in ("text", "string") and len(words) == 1:
        qtype = "text"
    elif head == "note" and len(words) == 1:
        qtype = "note"
    elif head == "range" and len(words) == 1:
        params = dict(p.split("=", 1) for p in re.split(r"[\s;,]+", _plain(record, "parameters")) if "=" in p)
        try:
            start, end, step = (float(params.get(k, d)) for k, d in (("start", 1), ("end", 10), ("step", 1)))
        except ValueError:
            raise fail(
                f"range parameters must be numbers, but got {_plain(record, 'parameters')!r}"
            ) from None
        if (start, end, step) != (0, 10, 1):
            raise fail(
                f"only range {_RATING10!r} (a 0-10 rating) is supported, but got {_plain(record, 'parameters')!r}"
            )
        qtype = "rating10"
    else:
        raise fail(
            f"unsupported type {kind!r} (supported: select_one, select_multiple, integer, decimal, text, range 0-10, note)"
        )
    required = _plain(record, "required").lower()
    if required not in _TRUE | _FALSE:
        raise fail(f"required must be yes or no, but got {required!r}")
    for column in _LABEL_COLUMNS:
        texts = _labels(record, column, lang)
        if texts:
            fields[column] = texts
    max_length = _number(record, "max_length", row)
    try:
        return Question(
            id=name,
            type=qtype,
            required=required in _TRUE,
            relevant=_plain(record, "relevant") or None,
            constraint=_plain(record, "constraint") or None,
            minimum=_number(record, "minimum", row),
            maximum=_number(record, "maximum", row),
            max_length=500 if max_length is None else int(max_length),
            **{"label": {}, **fields},
        )
    except QuestionnaireError as error:
        raise fail(error.problem) from None


def from_xlsform(path: str | PathLike[str]) -> Questionnaire:
    """Read an XLSForm workbook (.xlsx) into a `Questionnaire`.

    Raises
    ------
    QuestionnaireError
        If the workbook is unreadable or a row is invalid or unsupported; the message names the file,
        the question and the sheet row.
    """
    path = Path(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise QuestionnaireError(f"not a readable .xlsx workbook ({error})", source=str(path)) from None
    try:
        survey = _read_sheet(workbook, "survey")
        choice_rows = _read_sheet(workbook, "choices")
        settings_rows = _read_sheet(workbook, "settings")
    finally:
        workbook.close()
    try:
        if not survey:
            raise QuestionnaireError("the workbook has no 'survey' sheet or it is empty")
        settings = settings_rows[0][1] if settings_rows else {}
        lang = _language(_plain(settings, "default_language"), "zh")
        lists: dict[str, list[Choice]] = {}
        for row, record in choice_rows:
            list_name, value = (
                _plain(record, "list_name") or _plain(record, "list name"),
                _plain(record, "name"),
            )
            if not list_name or not value:
                raise QuestionnaireError(f"choices row {row}: list_name and name are required")
            try:
                lists.setdefault(list_name, []).append(Choice(value, _labels(record, "label", lang)))
            except QuestionnaireError as error:
                raise QuestionnaireError(f"choices row {row}: {error.problem}") from None
        questions = [
            q for row, record in survey if (q := _row_question(row, record, lists, lang)) is not None
        ]
        title = _labels(settings, "form_title", lang)
        return Questionnaire(
            id=_plain(settings, "form_id") or path.stem,
            version=_plain(settings, "version") or "1",
            title=title or {lang: path.stem},
            description=_labels(settings, "description", lang),
            questions=tuple(questions),
        )
    except QuestionnaireError as error:
        raise error.within(source=str(path)) from None


def _columns(base: str, languages: list[str]) -> list[str]:
    return [f"{base}::{LANGUAGE_NAMES.get(code, code)} ({code})" for code in languages]


def _choice_list(question: Question) -> list[Choice]:
    if question.type != "likert5" or question.choices:
        return list(question.choices)
    middle = [Choice(v, {lang: v for lang in question.low_label or {"zh": v}}) for v in _LIKERT_VALUES[1:4]]
    return [Choice("1", question.low_label), *middle, Choice("5", question.high_label)]


def to_xlsform(questionnaire: Questionnaire, path: str | PathLike[str]) -> None:
    """Write `questionnaire` as an XLSForm workbook; `from_xlsform` reads back an equal questionnaire."""
    texts = [questionnaire.title, questionnaire.description]
    for q in questionnaire.questions:
        texts += [getattr(q, column) for column in _LABEL_COLUMNS] + [c.label for c in q.choices]
    found = {lang for text in texts for lang in text}
    languages = [code for code in ("zh", "en") if code in found] + sorted(found - {"zh", "en"})

    lists: dict[str, list[Choice]] = {}
    survey_rows: list[dict[str, Any]] = []
    for q in questionnaire.questions:
        row: dict[str, Any] = {"name": q.id, "required": "yes" if q.required else "", "relevant": q.relevant,
                               "constraint": q.constraint}  # fmt: skip
        if q.choices or q.type == "likert5":
            choices = _choice_list(q)
            preferred = q.type if q.type in ("likert5", "yesno") else q.id
            list_name, n = preferred, 1
            while list_name in lists and lists[list_name] != choices:
                n += 1
                list_name = f"{preferred}_{n}"
            lists[list_name] = choices
            row["type"] = f"{'select_multiple' if q.type == 'multiple' else 'select_one'} {list_name}"
            if q.choices and q.type == "likert5":
                row["low_label"], row["high_label"] = q.low_label, q.high_label
        else:
            row["type"] = {"number": "decimal", "text": "text", "note": "note", "rating10": "range"}[q.type]
        if q.type == "rating10":
            row.update(parameters=_RATING10, low_label=q.low_label, high_label=q.high_label)
        if q.type == "text":
            row["max_length"] = q.max_length
        for column in ("label", "hint", "constraint_message"):
            row[column] = getattr(q, column)
        row.update(minimum=q.minimum, maximum=q.maximum)
        survey_rows.append(row)

    plain = ["type", "name"]
    localized = ["label", "hint"]
    extra = ["required", "relevant", "constraint", "constraint_message", "parameters", "minimum", "maximum",
             "max_length", "low_label", "high_label"]  # fmt: skip
    used = {key for row in survey_rows for key, value in row.items() if value not in (None, "", {})}
    headers: list[tuple[str, str | None]] = [(c, None) for c in plain]
    for column in localized + [c for c in extra if c in used]:
        if column in _LABEL_COLUMNS:
            headers += [(h, column) for h in _columns(column, languages)]
        else:
            headers.append((column, None))

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    sheet.append([h for h, _ in headers])
    for row in survey_rows:
        cells = []
        for header, column in headers:
            if column is None:
                cells.append(row.get(header) if row.get(header) not in ("", None) else None)
            else:
                cells.append((row.get(column) or {}).get(_language(header.partition("::")[2], "")))
        sheet.append(cells)

    choices_sheet = workbook.create_sheet("choices")
    choices_sheet.append(["list_name", "name", *_columns("label", languages)])
    for list_name, choices in lists.items():
        for choice in choices:
            choices_sheet.append([list_name, choice.value, *(choice.label.get(code) for code in languages)])

    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "default_language", "form_title", *_columns("form_title", languages),
                     *_columns("description", languages)])  # fmt: skip
    default = languages[0] if languages else "zh"
    settings.append([questionnaire.id, questionnaire.version, f"{LANGUAGE_NAMES.get(default, default)} ({default})",
                     questionnaire.title.text(default), *(questionnaire.title.get(c) for c in languages),
                     *(questionnaire.description.get(c) for c in languages)])  # fmt: skip
    workbook.save(Path(path))
