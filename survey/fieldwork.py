"""Fieldwork: invitation links, token resolution, drafts and response submission.

Every state change is one ``BEGIN IMMEDIATE`` transaction and ``responses.assignment_id``
is UNIQUE, so a double click, a second tab or two processes submitting the same token
store exactly one response.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from questionnaires import Questionnaire, encode_value
from survey.forms import get_questionnaire
from survey.store import audit, now, transaction
from survey.tokens import looks_like_token, make_token, secret_key, token_hash

INVITATION_COLUMNS = ("customer_id", "name", "phone", "link")


class TokenError(Exception):
    "The link is not valid for answering (unknown, used, expired or closed)."

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


@dataclass(frozen=True)
class TokenInfo:
    """What a valid link opens: the assignment, its round and pinned questionnaire."""

    assignment_id: int
    round_id: int
    customer_id: str
    questionnaire: Questionnaire
    draft: dict


def invitation_rows(
    db: sqlite_utils.Database, round_id: int, base_url: str = "http://localhost:8501/"
) -> list[dict]:
    """One row per sampled (or released reserve) customer with a personal link ``…?t=<token>``."""
    if db.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchone() is None:
        raise LookupError(f"round {round_id!r} does not exist")
    key = secret_key(db)
    base = base_url if base_url.endswith("/") else base_url + "/"
    rows = db.execute(
        "SELECT a.id, c.id, c.name, c.phone FROM assignments a JOIN customers c ON c.id = a.customer_id"
        " WHERE a.round_id = ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL) ORDER BY a.stratum, a.prn",
        [round_id],
    ).fetchall()
    return [
        {"customer_id": cid, "name": name, "phone": phone, "link": f"{base}?t={make_token(key, aid)}"}
        for aid, cid, name, phone in rows
    ]


def invitations_csv(rows: list[dict]) -> str:
    """CSV text (UTF-8 with BOM for Excel) of invitation rows; cells that look like formulas are neutralised."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=INVITATION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(row[k]) for k in INVITATION_COLUMNS})
    return out.getvalue()


def safe_cell(value: object) -> object:
    """Prefix ``'`` to text starting with = + - @ so spreadsheets do not run it as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_invitations(
    db: sqlite_utils.Database, round_id: int, path: str | Path, *, base_url: str, by: str | None = None
) -> int:
    rows = invitation_rows(db, round_id, base_url)
    Path(path).write_text(invitations_csv(rows), encoding="utf-8")
    with transaction(db):
        audit(db, by, "export_invitations", f"round={round_id} rows={len(rows)} file={Path(path).name}")
    return len(rows)


def _lookup(db: sqlite_utils.Database, token: str):
    if not looks_like_token(token):
        return None
    return db.execute(
        "SELECT a.id, a.round_id, a.customer_id, a.status, a.expires_at, a.is_reserve, a.released_at, a.draft,"
        " r.status, r.questionnaire_id FROM assignments a JOIN rounds r ON r.id = a.round_id WHERE a.token_hash = ?",
        [token_hash(token)],
    ).fetchone()


def _check(row) -> None:
    if row is None:
        raise TokenError("unknown")
    _, _, _, status, expires_at, is_reserve, released_at, _, round_status, _ = row
    if is_reserve and not released_at:
        raise TokenError("unknown")
    if status == "complete":
        raise TokenError("used")
    if round_status != "open":
        raise TokenError("closed")
    if expires_at and expires_at < now():
        raise TokenError("expired")


def resolve_token(db: sqlite_utils.Database, token: str) -> TokenInfo:
    """The open assignment behind a link, or :class:`TokenError` with ``state`` in
    unknown / used / closed / expired."""
    row = _lookup(db, token)
    _check(row)
    return TokenInfo(row[0], row[1], row[2], get_questionnaire(db, row[9]), json.loads(row[7] or "{}"))


def save_draft(db: sqlite_utils.Database, token: str, answers: dict) -> None:
    """Keep a partly filled form so the same link can resume it."""
    with transaction(db):
        row = _lookup(db, token)
        _check(row)
        db.execute(
            "UPDATE assignments SET draft = ?, status = CASE WHEN status = 'issued' THEN 'started' ELSE status END,"
            " updated_at = ? WHERE id = ?",
            [json.dumps(answers, ensure_ascii=False), now(), row[0]],
        )


def submit_response(
    db: sqlite_utils.Database,
    token: str,
    answers: dict,
    *,
    mode: str = "web",
    interviewer: str | None = None,
) -> int:
    """Validate and store one response in one transaction; return its id.

    Raises :class:`TokenError` if the link is no longer open (including when another tab or
    process submitted first) and ``questionnaires.AnswerError`` if answers are invalid —
    in both cases nothing is written.
    """
    with transaction(db):
        row = _lookup(db, token)
        _check(row)
        questionnaire = get_questionnaire(db, row[9])
        clean = questionnaire.validate(answers)
        return _store_response(db, row[0], questionnaire, clean, mode=mode, interviewer=interviewer)


def _store_response(
    db,
    assignment_id: int,
    questionnaire: Questionnaire,
    clean: dict,
    *,
    mode: str,
    interviewer: str | None,
    submitted_at: str | None = None,
) -> int:
    cur = db.execute(
        "INSERT INTO responses (assignment_id, submitted_at, mode, interviewer, questionnaire_sha256)"
        " VALUES (?, ?, ?, ?, ?)",
        [assignment_id, submitted_at or now(), mode, interviewer, questionnaire.sha256()],
    )
    response_id = cur.lastrowid
    db.conn.executemany(
        "INSERT INTO answers (response_id, question_id, value) VALUES (?, ?, ?)",
        [
            (response_id, qid, encode_value(questionnaire.question(qid), value))
            for qid, value in clean.items()
        ],
    )
    db.execute(
        "UPDATE assignments SET status = 'complete', mode = ?, draft = NULL, updated_at = ? WHERE id = ?",
        [mode, submitted_at or now(), assignment_id],
    )
    return response_id
