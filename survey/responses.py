"""Responses: token resolution, drafts and response submission — a customer's link, or an interviewer's
phone answers for one assignment, becoming one stored response (the invitation lists are
:mod:`survey.fieldwork`).

Every state change is one ``BEGIN IMMEDIATE`` transaction and ``responses.assignment_id``
is UNIQUE, so a double click, a second tab or two processes submitting the same token
store exactly one response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from questionnaires import Questionnaire, encode_value
from survey import dialect
from survey.busy import busy_is_retry
from survey.follow_ups import open_for_response, warm_follow_up_rules
from survey.forms import get_questionnaire
from survey.store import audit, now, transaction
from survey.tokens import looks_like_token, token_hash


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


def _lookup(db: sqlite_utils.Database, token: str, *, lock: bool = False):
    """The assignment behind ``token`` with its round's status; ``lock``: its row stays locked until the
    transaction ends (a second submission of the same link waits, then sees it complete)."""
    if not looks_like_token(token):
        return None
    locking = dialect.lock_rows(db, "a") if lock else ""
    return db.execute(
        "SELECT a.id, a.round_id, a.customer_id, a.status, a.expires_at, a.is_reserve, a.released_at,"  # noqa: S608
        " a.draft, r.status, r.questionnaire_id FROM assignments a JOIN rounds r ON r.id = a.round_id"
        f" WHERE a.token_hash = ?{locking}",  # (fixed text: the locking clause is the dialect's)
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
    """Keep a partly filled form so the same link can resume it.

    Raises :class:`survey.busy.DatabaseBusy` when another process holds the write lock past the busy
    timeout (nothing is written; the page keeps the answers and says "try again").
    """
    with busy_is_retry(), transaction(db):
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
    in both cases nothing is written — and :class:`survey.busy.DatabaseBusy` when another process holds
    the write lock past the busy timeout (nothing is written either: the customer tries again).
    """
    # Validate before taking the write lock (a questionnaire version never changes), so
    # concurrent submitters hold the lock only for the re-check and the inserts.
    row = _lookup(db, token)
    _check(row)
    questionnaire = get_questionnaire(db, row[9])
    clean = questionnaire.validate(answers)
    warm_follow_up_rules()  # load the topic dictionary (once per process) before taking the lock
    with busy_is_retry(), transaction(db, shared=True):  # submissions of different links run side by side
        row = _lookup(db, token, lock=True)
        _check(row)  # still open: another tab or process may have submitted meanwhile
        return _store_response(db, row[0], questionnaire, clean, mode=mode, interviewer=interviewer)


def submit_by_assignment(
    db: sqlite_utils.Database,
    assignment_id: int,
    answers: dict,
    *,
    interviewer: str,
    mode: str = "phone",
) -> int:
    """Store the answers an interviewer took on the phone for one assignment; return the response id.

    The same checks as a web link apply (round open, not yet answered, reserve released), except the
    link's expiry; everything happens in one transaction, so a web answer and a phone answer of the
    same customer can never both be stored.
    """
    if not isinstance(interviewer, str) or not interviewer.strip():
        raise ValueError(f"interviewer must be a non-empty name, but got {interviewer!r}")
    warm_follow_up_rules()
    with busy_is_retry(), transaction(db, shared=True):
        locking = dialect.lock_rows(db, "a")
        row = db.execute(
            "SELECT a.id, a.round_id, a.customer_id, a.status, NULL, a.is_reserve, a.released_at, a.draft,"  # noqa: S608
            " r.status, r.questionnaire_id FROM assignments a JOIN rounds r ON r.id = a.round_id"
            f" WHERE a.id = ?{locking}",  # (fixed text: the locking clause is the dialect's)
            [assignment_id],
        ).fetchone()
        _check(row)
        questionnaire = get_questionnaire(db, row[9])
        clean = questionnaire.validate(answers)
        response_id = _store_response(db, row[0], questionnaire, clean, mode=mode, interviewer=interviewer)
        audit(db, interviewer, "phone_response", f"assignment={assignment_id} response={response_id}")
        return response_id


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
    stamp = submitted_at or now()
    cur = db.execute(
        "INSERT INTO responses (assignment_id, submitted_at, mode, interviewer, questionnaire_sha256)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        [assignment_id, stamp, mode, interviewer, questionnaire.sha256()],
    )
    response_id = cur.fetchone()[0]
    db.conn.executemany(
        "INSERT INTO answers (response_id, question_id, value) VALUES (?, ?, ?)",
        [
            (response_id, qid, encode_value(questionnaire.question(qid), value))
            for qid, value in clean.items()
        ],
    )
    db.execute(
        "UPDATE assignments SET status = 'complete', mode = ?, draft = NULL, updated_at = ? WHERE id = ?",
        [mode, stamp, assignment_id],
    )
    open_for_response(db, response_id)  # an unhappy customer gets a follow-up item in the same transaction
    return response_id
