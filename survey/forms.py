"""Questionnaire versions in the database, pinned by content hash."""

from __future__ import annotations

import functools
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from questionnaires import Questionnaire, load_bytes, load_default, to_xlsform
from survey.store import audit, now, transaction


def save_questionnaire(db: sqlite_utils.Database, questionnaire: Questionnaire) -> int:
    """Store a questionnaire version (idempotent by sha256) and return its row id.

    Editing a questionnaire yields a new hash and a new row; rounds keep the row they pinned,
    so the meaning of stored answers never changes.
    """
    sha = questionnaire.sha256()
    with transaction(db):
        row = db.execute("SELECT id FROM questionnaires WHERE sha256 = ?", [sha]).fetchone()
        if row:
            return row[0]
        cur = db.execute(
            "INSERT INTO questionnaires (name, version, sha256, definition, created_at) VALUES (?, ?, ?, ?, ?)"
            " RETURNING id",
            [
                questionnaire.id,
                questionnaire.version,
                sha,
                json.dumps(questionnaire.to_dict(), ensure_ascii=False, sort_keys=True),
                now(),
            ],
        )
        return cur.fetchone()[0]


def default_questionnaire_id(db: sqlite_utils.Database) -> int:
    """Row id of the packaged default questionnaire (stored on first use)."""
    return save_questionnaire(db, load_default())


def get_questionnaire(db: sqlite_utils.Database, questionnaire_id: int) -> Questionnaire:
    row = db.execute("SELECT definition FROM questionnaires WHERE id = ?", [questionnaire_id]).fetchone()
    if row is None:
        raise LookupError(f"questionnaire {questionnaire_id!r} does not exist")
    return _parse_definition(row[0])


@functools.lru_cache(maxsize=64)
def _parse_definition(definition: str) -> Questionnaire:
    """Stored definitions never change (a new version is a new row), so parse each text once."""
    return Questionnaire.from_dict(json.loads(definition))


def round_questionnaire(db: sqlite_utils.Database, round_id: int) -> Questionnaire:
    row = db.execute("SELECT questionnaire_id FROM rounds WHERE id = ?", [round_id]).fetchone()
    if row is None:
        raise LookupError(f"round {round_id!r} does not exist")
    return get_questionnaire(db, row[0])


@dataclass(frozen=True)
class QuestionnaireVersion:
    """One stored questionnaire version and the rounds that pinned it."""

    id: int
    name: str
    version: str
    sha256: str
    created_at: str
    questions: int
    rounds: tuple[int, ...]


def list_questionnaires(db: sqlite_utils.Database) -> list[QuestionnaireVersion]:
    """Stored versions, newest first, with the ids of the rounds using each (for the round designer)."""
    used: dict[int, list[int]] = {}
    for qid, rid in db.execute("SELECT questionnaire_id, id FROM rounds ORDER BY id"):
        used.setdefault(qid, []).append(rid)
    out = []
    for row_id, name, version, sha, created, definition in db.execute(
        "SELECT id, name, version, sha256, created_at, definition FROM questionnaires ORDER BY id DESC"
    ):
        n = len(json.loads(definition).get("questions", []))
        out.append(QuestionnaireVersion(row_id, name, version, sha, created, n, tuple(used.get(row_id, ()))))
    return out


@dataclass(frozen=True)
class ImportResult:
    """Outcome of :func:`import_questionnaire`: the row id and whether it is a new version."""

    questionnaire_id: int
    created: bool
    questionnaire: Questionnaire


def import_questionnaire(
    db: sqlite_utils.Database, data: bytes, filename: str, *, by: str | None = None
) -> ImportResult:
    """Validate an uploaded YAML or XLSForm file and store it as a version (idempotent by sha256); audited.

    Raises ``questionnaires.QuestionnaireError`` naming the file, the question and the problem; then
    nothing is stored.
    """
    questionnaire = load_bytes(data, filename)
    with transaction(db):
        existed = db.execute(
            "SELECT 1 FROM questionnaires WHERE sha256 = ?", [questionnaire.sha256()]
        ).fetchone()
        qid = save_questionnaire(db, questionnaire)
        audit(
            db, by, "import_questionnaire", f"id={qid} file={filename} sha256={questionnaire.sha256()[:12]}"
        )
    return ImportResult(qid, existed is None, questionnaire)


def xlsform_bytes(questionnaire: Questionnaire) -> bytes:
    """The questionnaire as an XLSForm workbook (.xlsx content)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "form.xlsx"
        to_xlsform(questionnaire, path)
        return path.read_bytes()
