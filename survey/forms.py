"""Questionnaire versions in the database, pinned by content hash."""

from __future__ import annotations

import json

import sqlite_utils

from questionnaires import Questionnaire, load_default
from survey.store import now, transaction


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
            "INSERT INTO questionnaires (name, version, sha256, definition, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                questionnaire.id,
                questionnaire.version,
                sha,
                json.dumps(questionnaire.to_dict(), ensure_ascii=False, sort_keys=True),
                now(),
            ],
        )
        return cur.lastrowid


def default_questionnaire_id(db: sqlite_utils.Database) -> int:
    """Row id of the packaged default questionnaire (stored on first use)."""
    return save_questionnaire(db, load_default())


def get_questionnaire(db: sqlite_utils.Database, questionnaire_id: int) -> Questionnaire:
    row = db.execute("SELECT definition FROM questionnaires WHERE id = ?", [questionnaire_id]).fetchone()
    if row is None:
        raise LookupError(f"questionnaire {questionnaire_id!r} does not exist")
    return Questionnaire.from_dict(json.loads(row[0]))


def round_questionnaire(db: sqlite_utils.Database, round_id: int) -> Questionnaire:
    row = db.execute("SELECT questionnaire_id FROM rounds WHERE id = ?", [round_id]).fetchone()
    if row is None:
        raise LookupError(f"round {round_id!r} does not exist")
    return get_questionnaire(db, row[0])
