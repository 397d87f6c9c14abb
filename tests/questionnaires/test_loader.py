"""Tests of the YAML and XLSForm loaders and of the default questionnaire."""

from pathlib import Path

import openpyxl
import pytest

import questionnaires
from questionnaires import (
    Choice,
    Question,
    Questionnaire,
    QuestionnaireError,
    from_xlsform,
    load_default,
    load_questionnaire,
    loads_yaml,
    to_xlsform,
)

DEFAULT_IDS = [
    "overall", "attitude", "skill", "reliability", "voltage", "planned_outage", "outage_notice", "reported_fault",
    "repair", "channels", "hotline", "online", "billing", "complained", "complaint_handling", "vs_last_year",
    "recommend", "suggestion",
]  # fmt: skip
LABEL = {"zh": "题目", "en": "Question"}


# --- the default questionnaire --------------------------------------------------------------------------


def test_default_questionnaire_identity():
    q = load_default()
    assert (q.id, q.version) == ("psc-satisfaction", "1")
    assert q.title == {"zh": "供电服务满意度调查", "en": "Power supply service satisfaction survey"}
    assert [x.id for x in q.questions] == DEFAULT_IDS
    assert load_default() is q  # cached; safe because the model is immutable
    assert load_questionnaire(Path(questionnaires.__file__).with_name("default.yaml")) == q


@pytest.mark.parametrize(
    ("qid", "qtype", "required", "relevant"),
    [
        ("overall", "likert5", True, None),
        ("attitude", "likert5", True, None),
        ("skill", "likert5", True, None),
        ("reliability", "likert5", True, None),
        ("voltage", "likert5", True, None),
        ("planned_outage", "yesno", True, None),
        ("outage_notice", "likert5", True, "${planned_outage} = 'yes'"),
        ("reported_fault", "yesno", True, None),
        ("repair", "likert5", True, "${reported_fault} = 'yes'"),
        ("channels", "multiple", False, None),
        ("hotline", "likert5", True, "selected(${channels}, 'hotline')"),
        ("online", "likert5", True, "selected(${channels}, 'online')"),
        ("billing", "likert5", True, None),
        ("complained", "yesno", True, None),
        ("complaint_handling", "likert5", True, "${complained} = 'yes'"),
        ("vs_last_year", "single", True, None),
        ("recommend", "rating10", False, None),
        ("suggestion", "text", False, None),
    ],
)
def test_default_questions(qid, qtype, required, relevant):
    question = load_default().question(qid)
    assert (question.type, question.required, question.relevant) == (qtype, required, relevant)
    assert question.label["zh"] and question.label["en"]
    assert all(c.label["zh"] and c.label["en"] for c in question.choices)


def test_default_choices_and_text_cap():
    q = load_default()
    assert q.question("channels").choice_values == ("hotline", "online", "counter", "wechat", "none")
    assert q.question("vs_last_year").choice_values == ("better", "same", "worse")
    assert q.question("planned_outage").choice_values == ("yes", "no")
    assert q.question("suggestion").max_length == 500
    assert q.question("suggestion").label == {"zh": "您对我们的意见和建议", "en": "Your suggestions"}
    assert q.question("overall").low_label["zh"] == "非常不满意"
    assert q.question("overall").high_label["zh"] == "非常满意"


# --- YAML -----------------------------------------------------------------------------------------------

HEAD = "id: t\nversion: '1'\ntitle: {zh: 测试, en: Test}\nquestions:\n"


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("id: [unclosed\n", ["malformed YAML", "line 2"]),
        ("id: t\n  version: 1\n bad", ["malformed YAML", "line"]),
        ("- just\n- a list\n", ["a questionnaire must be a mapping"]),
        ("", ["a questionnaire must be a mapping, but got NoneType"]),
        ("!!python/object/apply:os.system ['echo hi']\n", ["malformed YAML", "python/object/apply"]),
        (
            "version: '1'\ntitle: {zh: 测}\nquestions: [{id: a, type: text, label: {zh: a}}]\n",
            ["id is missing"],
        ),
        (HEAD + "  - {type: text, label: {zh: 甲}}\n", ["question #1: id is missing"]),
        (HEAD + "  - {id: a, label: {zh: 甲}}\n", ["question 'a': type is missing"]),
        (HEAD + "  - {id: a, type: text}\n", ["question 'a': label is missing"]),
        (
            HEAD + "  - {id: a, type: slider, label: {zh: 甲}}\n",
            ["question 'a'", "type must be one of", "'slider'"],
        ),
        (
            HEAD + "  - {id: a, type: text, label: {zh: 甲}}\n  - {id: a, type: yesno, label: {zh: 乙}}\n",
            ["question 'a': duplicate id (also question #1)"],
        ),
        (HEAD + "  - {id: a, type: single, label: {zh: 甲}}\n", ["question 'a': choices are missing"]),
        (
            HEAD + "  - {id: a, type: multiple, label: {zh: 甲}, choices: [{value: x}]}\n",
            ["question 'a'", "choice 'x' needs a label"],
        ),
        (
            HEAD + "  - {id: a, type: single, label: {zh: 甲}, choices: [{value: yes, label: {zh: 是}}]}\n",
            ["question 'a'", "read as a boolean; quote it in YAML"],
        ),
        (
            HEAD
            + "  - {id: a, type: yesno, label: {zh: 甲}}\n  - {id: b, type: text, label: {zh: 乙}, relevant: '${a} = '}\n",
            ["question 'b': relevant: syntax error"],
        ),
        (
            HEAD + "  - {id: a, type: yesno, label: {zh: 甲}, relevant: \"${b} = 'yes'\"}\n"
            "  - {id: b, type: yesno, label: {zh: 乙}}\n",
            ["question 'a': relevant: reference to later question 'b'"],
        ),
        (
            HEAD + "  - {id: a, type: text, label: {zh: 甲}, requird: true}\n",
            ["question 'a': unknown field(s) requird"],
        ),
        (HEAD + "  - {id: a, type: text, label: 甲}\n", ["question 'a': label must be a mapping"]),
        (HEAD + "  - just text\n", ["question #1: a question must be a mapping"]),
    ],
)
def test_yaml_errors_name_file_question_and_problem(tmp_path, text, fragments):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message


def test_loads_yaml_source_name():
    with pytest.raises(QuestionnaireError, match=r"^<string>: malformed YAML"):
        loads_yaml("a: [")
    with pytest.raises(QuestionnaireError, match=r"^mine\.yml: id is missing"):
        loads_yaml("title: x", source="mine.yml")


def test_yml_suffix_and_round_trip_through_yaml(tmp_path):
    import yaml

    path = tmp_path / "copy.YML"
    path.write_text(yaml.safe_dump(load_default().to_dict(), allow_unicode=True), encoding="utf-8")
    assert load_questionnaire(path) == load_default()


@pytest.mark.parametrize(("name", "fragment"), [("q.json", "but got '.json'"), ("q", "but got 'none'")])
def test_unsupported_file_types(tmp_path, name, fragment):
    path = tmp_path / name
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=fragment):
        load_questionnaire(path)


def test_non_utf8_yaml(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("id: 问卷\n".encode("gbk"))
    with pytest.raises(QuestionnaireError, match="not UTF-8"):
        load_questionnaire(path)


# --- XLSForm --------------------------------------------------------------------------------------------


def write_xlsform(path, survey, choices=(), settings=()):
    """Write a workbook; each argument is a list of rows, the first being the header."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "survey"
    for row in survey:
        workbook["survey"].append(list(row))
    for name, rows in (("choices", choices), ("settings", settings)):
        if rows:
            sheet = workbook.create_sheet(name)
            for row in rows:
                sheet.append(list(row))
    workbook.save(path)
    return path


SURVEY_HEADER = ("type", "name", "label::Chinese (zh)", "label::English (en)", "hint::Chinese (zh)", "required",
                 "relevant", "constraint", "constraint_message::Chinese (zh)", "parameters")  # fmt: skip
CHOICES = [
    ("list_name", "name", "label::Chinese (zh)", "label::English (en)"),
    ("yn", "yes", "是", "Yes"),
    ("yn", "no", "否", "No"),
    ("sat", 1, "很差", "Very poor"),
    ("sat", 2, "2", "2"),
    ("sat", 3, "3", "3"),
    ("sat", 4, "4", "4"),
    ("sat", 5, "很好", "Very good"),
    ("likert5", 1, "非常不满意", "Very dissatisfied"),
    ("likert5", 2, "不满意", "Dissatisfied"),
    ("likert5", 3, "一般", "Neutral"),
    ("likert5", 4, "满意", "Satisfied"),
    ("likert5", 5, "非常满意", "Very satisfied"),
    ("ch", "phone", "电话", "Phone"),
    ("ch", "app", "App", "App"),
    ("tier", "a", "甲", "A"),
    ("tier", "b", "乙", None),
]


def test_staff_style_xlsform(tmp_path):
    path = write_xlsform(
        tmp_path / "staff.xlsx",
        [
            SURVEY_HEADER,
            ("start", "start"),
            ("end", "end"),
            ("deviceid", "deviceid"),
            ("select_one yn", "outage", "停电过吗？", "Any outage?", None, "yes"),
            ("select_one sat", "notice", "通知及时吗？", "Timely notice?", "请打分", "TRUE", "${outage} = 'yes'"),
            ("select_one likert5", "overall", "总体满意度", "Overall", None, 1),
            ("select multiple ch", "channels", "渠道", "Channels", None, None, None,
             "count-selected(.) <= 1", "最多选一项"),
            ("select_one tier", "tier", "档位", "Tier", None, "no"),
            ("integer", "visits", "次数", "Visits", None, "false", None, ". >= 0"),
            ("range", "nps", "推荐", "Recommend", None, None, None, None, None, "start=0 end=10 step=1"),
            ("text", "comment", "建议", "Comment"),
            ("note", "thanks", "谢谢！", "Thank you!"),
            (),
        ],
        CHOICES,
        [("form_id", "version", "form_title", "default_language"), ("staff-form", 3, "员工问卷", "Chinese (zh)")],
    )  # fmt: skip
    q = from_xlsform(path)
    expected = Questionnaire(
        "staff-form",
        "3",
        {"zh": "员工问卷"},
        {},
        (
            Question("outage", "yesno", {"zh": "停电过吗？", "en": "Any outage?"}, required=True,
                     choices=(Choice("yes", {"zh": "是", "en": "Yes"}), Choice("no", {"zh": "否", "en": "No"}))),
            Question("notice", "likert5", {"zh": "通知及时吗？", "en": "Timely notice?"}, hint={"zh": "请打分"},
                     required=True, relevant="${outage} = 'yes'",
                     low_label={"zh": "很差", "en": "Very poor"}, high_label={"zh": "很好", "en": "Very good"}),
            Question("overall", "likert5", {"zh": "总体满意度", "en": "Overall"}, required=True, choices=tuple(
                Choice(str(v), {"zh": zh, "en": en}) for _, v, zh, en in CHOICES[8:13])),
            Question("channels", "multiple", {"zh": "渠道", "en": "Channels"},
                     choices=(Choice("phone", {"zh": "电话", "en": "Phone"}), Choice("app", {"zh": "App", "en": "App"})),
                     constraint="count-selected(.) <= 1", constraint_message={"zh": "最多选一项"}),
            Question("tier", "single", {"zh": "档位", "en": "Tier"},
                     choices=(Choice("a", {"zh": "甲", "en": "A"}), Choice("b", {"zh": "乙"}))),
            Question("visits", "number", {"zh": "次数", "en": "Visits"}, constraint=". >= 0"),
            Question("nps", "rating10", {"zh": "推荐", "en": "Recommend"}),
            Question("comment", "text", {"zh": "建议", "en": "Comment"}),
            Question("thanks", "note", {"zh": "谢谢！", "en": "Thank you!"}),
        ),
    )  # fmt: skip
    assert q == expected
    assert q.question("overall").low_label == {"zh": "非常不满意", "en": "Very dissatisfied"}
    assert [x.id for x in q.relevant_questions({"outage": "yes"})][:2] == ["outage", "notice"]


def test_plain_label_column_uses_default_language(tmp_path):
    path = write_xlsform(tmp_path / "plain.xlsx", [("type", "name", "label"), ("text", "t", "Comments")],
                         settings=[("form_title", "default_language"), ("My form", "English (en)")])  # fmt: skip
    q = from_xlsform(path)
    assert (q.id, q.version, q.title) == ("plain", "1", {"en": "My form"})
    assert q.question("t").label == {"en": "Comments"}


def test_default_questionnaire_xlsform_round_trip(tmp_path):
    path = tmp_path / "default.xlsx"
    to_xlsform(load_default(), path)
    again = load_questionnaire(path)
    assert again == load_default()
    assert again.sha256() == load_default().sha256()


def test_every_feature_round_trips_through_xlsform(tmp_path):
    five = tuple(Choice(str(v), {"zh": f"{v}分", "en": f"{v} points"}) for v in range(1, 6))
    original = Questionnaire(
        "all-types",
        "2.1",
        {"zh": "全部题型", "en": "All types", "ja": "全て"},
        {"zh": "说明"},
        (
            Question("intro", "note", {"zh": "您好", "ja": "こんにちは"}),
            Question("l1", "likert5", LABEL, required=True),
            Question("l2", "likert5", LABEL, low_label={"zh": "差"}, high_label={"zh": "好", "en": "Good"}),
            Question("l3", "likert5", LABEL, choices=five),
            Question("l4", "likert5", LABEL, choices=five, low_label={"zh": "最差"}),
            Question("yn", "yesno", LABEL, choices=(Choice("no", {"zh": "没有"}), Choice("yes", {"zh": "有"}))),
            Question("one", "single", LABEL, hint={"en": "Pick one"}, required=True,
                     choices=(Choice("x", {"zh": "叉"}), Choice("y", {"en": "Why"})), relevant="${yn} = 'yes'"),
            Question("many", "multiple", LABEL, choices=(Choice("x", {"zh": "叉"}), Choice("z", {"zh": "z"})),
                     constraint="count-selected(.) < 2", constraint_message={"zh": "最多一项", "en": "At most one"}),
            Question("num", "number", LABEL, minimum=-1.5, maximum=1000, constraint=". != 7"),
            Question("num2", "number", LABEL, minimum=0),
            Question("r", "rating10", LABEL, low_label={"zh": "不会"}, high_label={"zh": "一定"}),
            Question("r2", "rating10", LABEL, relevant="selected(${many}, 'z')"),
            Question("t", "text", LABEL, max_length=200, constraint="string-length(.) >= 2"),
        ),
    )  # fmt: skip
    path = tmp_path / "all.xlsx"
    to_xlsform(original, path)
    again = from_xlsform(path)
    for before, after in zip(original.questions, again.questions, strict=True):
        assert after == before
    assert again == original
    assert again.sha256() == original.sha256()


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (
            {"type": "begin group", "name": "grp"},
            "question 'grp': survey row 3: unsupported type 'begin group'",
        ),
        ({"type": "begin_repeat", "name": "rep"}, "survey row 3: unsupported type 'begin_repeat'"),
        (
            {"type": "calculate", "name": "calc", "label": None},
            "question 'calc': survey row 3: unsupported type 'calculate'",
        ),
        ({"type": "geopoint", "name": "where"}, "unsupported type 'geopoint'"),
        ({"type": "select_one_from_file streets.csv"}, "unsupported type 'select_one_from_file streets.csv'"),
        ({"type": "select_one yn or_other"}, "unsupported type 'select_one yn or_other'"),
        ({"type": "image"}, "unsupported type 'image'"),
        ({"type": "select_one nolist"}, "survey row 3: choice list 'nolist' is not in the choices sheet"),
        ({"type": "range", "parameters": "start=1 end=5"}, "only range 'start=0 end=10 step=1'"),
        ({"type": "range"}, "only range 'start=0 end=10 step=1' (a 0-10 rating) is supported, but got ''"),
        ({"type": "range", "parameters": "start=a"}, "range parameters must be numbers"),
        ({"required": "maybe"}, "survey row 3: required must be yes or no, but got 'maybe'"),
        ({"name": None}, "survey row 3: name is missing"),
        ({"type": None}, "survey row 3: type is missing"),
        ({"name": "1bad"}, "survey row 3: id must be a name"),
        ({"type": "note", "name": "n", "label": None}, "question 'n': survey row 3: label is missing"),
        ({"name": "a"}, "question 'a': duplicate id"),
        ({"relevant": "${later} = 1"}, "question 'q': relevant: reference to unknown question 'later'"),
    ],
)
def test_xlsform_errors_name_the_row_and_type(tmp_path, row, fragment):
    header = ("type", "name", "label::Chinese (zh)", "required", "parameters", "relevant")
    cells = {"type": "text", "name": "q", "label": "题目", **row}
    path = write_xlsform(tmp_path / "bad.xlsx", [header, ("text", "a", "甲"), tuple(cells.get(k) for k in
                         ("type", "name", "label", "required", "parameters", "relevant"))], CHOICES)  # fmt: skip
    with pytest.raises(QuestionnaireError) as info:
        from_xlsform(path)
    assert str(info.value).startswith(f"{path}: ")
    assert fragment in str(info.value)


def test_xlsform_choice_sheet_errors(tmp_path):
    path = write_xlsform(tmp_path / "c.xlsx", [("type", "name", "label"), ("select_one l", "s", "选")],
                         [("list_name", "name", "label"), ("l", None, "无值")])  # fmt: skip
    with pytest.raises(QuestionnaireError, match="choices row 2: list_name and name are required"):
        from_xlsform(path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"not a zip", "not a readable .xlsx workbook"), (None, "no 'survey' sheet")],
)
def test_unreadable_workbooks(tmp_path, content, fragment):
    path = tmp_path / "w.xlsx"
    if content is None:
        workbook = openpyxl.Workbook()
        workbook.active.title = "other"
        workbook.save(path)
    else:
        path.write_bytes(content)
    with pytest.raises(QuestionnaireError, match=fragment):
        load_questionnaire(path)
