"""Uploaded questionnaire files (bytes + file name): YAML and XLSForm, errors naming the file and question."""

from __future__ import annotations

import pytest

from questionnaires import QuestionnaireError, load_bytes, load_default, to_xlsform


def test_xlsform_bytes_round_trip_to_the_same_hash(tmp_path):
    path = tmp_path / "default.xlsx"
    to_xlsform(load_default(), path)
    assert load_bytes(path.read_bytes(), "默认问卷.xlsx").sha256() == load_default().sha256()


def test_yaml_with_bom_is_read():
    text = 'id: x\nversion: "1"\ntitle: {zh: 测试}\nquestions:\n  - {id: a, type: yesno, label: {zh: 是否}}\n'
    q = load_bytes(("\ufeff" + text).encode("utf-8"), "x.yaml")
    assert q.id == "x" and q.questions[0].type == "yesno"


@pytest.mark.parametrize(
    "data, name, message",
    [(b"id: x\nversion: 1\ntitle: {zh: t}\nquestions:\n  - {id: a, type: slider, label: {zh: a}}\n", "a.yaml",
      "a.yaml: question 'a'"),
     ("标题".encode("gb18030"), "b.yml", "b.yml: the file is not UTF-8 text"),
     (b"not a zip", "c.xlsx", "c.xlsx: not a readable .xlsx workbook"),
     (b"x", "d.csv", "d.csv: file type must be .yaml, .yml or .xlsx")],
)  # fmt: skip
def test_errors_name_the_uploaded_file(data, name, message):
    with pytest.raises(QuestionnaireError) as e:
        load_bytes(data, name)
    assert str(e.value).startswith(message)
    assert "/tmp" not in str(e.value)


def test_bytes_are_required():
    with pytest.raises(TypeError, match="data must be bytes"):
        load_bytes("id: x", "x.yaml")
