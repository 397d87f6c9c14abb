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
from survey.follow_ups import open_for_new_response, warm_follow_up_rules
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


@dataclass(frozen=True)
class _Assignment:
    """One assignment as a submission checks it (the columns of ``_ASSIGNMENT_SQL``, in order)."""

    id: int
    round_id: int
    customer_id: str
    status: str
    expires_at: str | None
    is_reserve: int
    released_at: str | None
    draft: str | None
    round_status: str
    questionnaire_id: int


#: The columns of :class:`_Assignment` over ``assignments a JOIN rounds r``; a WHERE clause follows.
_ASSIGNMENT_SQL = (
    "SELECT a.id, a.round_id, a.customer_id, a.status, a.expires_at, a.is_reserve, a.released_at, a.draft,"
    " r.status, r.questionnaire_id FROM assignments a JOIN rounds r ON r.id = a.round_id"
)


def _assignment(db: sqlite_utils.Database, where: str, params: list, *, lock: bool) -> _Assignment | None:
    """The assignment matching ``where`` (fixed text); ``lock``: its row stays locked until the transaction
    ends (a second submission of the same link waits, then sees it complete)."""
    locking = dialect.lock_rows(db, "a") if lock else ""
    row = db.execute(f"{_ASSIGNMENT_SQL} WHERE {where}{locking}", params).fetchone()  # noqa: S608 (fixed text)
    return _Assignment(*row) if row is not None else None


def _lookup(db: sqlite_utils.Database, token: str, *, lock: bool = False) -> _Assignment | None:
    """The assignment behind ``token`` with its round's status (None for text that is no link)."""
    if not looks_like_token(token):
        return None
    return _assignment(db, "a.token_hash = ?", [token_hash(token)], lock=lock)


def _check(unit: _Assignment | None, *, link: bool = True) -> None:
    """Refuse a unit that no link opens (unknown, an unreleased reserve), already answered, of a closed round,
    or — for a ``link`` — past its expiry (an interviewer's phone answers do not expire)."""
    if unit is None:
        raise TokenError("unknown")
    if unit.is_reserve and not unit.released_at:
        raise TokenError("unknown")
    if unit.status == "complete":
        raise TokenError("used")
    if unit.round_status != "open":
        raise TokenError("closed")
    if link and unit.expires_at and unit.expires_at < now():
        raise TokenError("expired")


def resolve_token(db: sqlite_utils.Database, token: str) -> TokenInfo:
    """The open assignment behind a link, or :class:`TokenError` with ``state`` in
    unknown / used / closed / expired."""
    unit = _lookup(db, token)
    _check(unit)
    questionnaire = get_questionnaire(db, unit.questionnaire_id)
    return TokenInfo(unit.id, unit.round_id, unit.customer_id, questionnaire, json.loads(unit.draft or "{}"))


def save_draft(db: sqlite_utils.Database, token: str, answers: dict) -> None:
    """Keep a partly filled form so the same link can resume it.

    Raises :class:`survey.busy.DatabaseBusy` when another process holds the write lock past the busy
    timeout (nothing is written; the page keeps the answers and says "try again").
    """
    with busy_is_retry(), transaction(db):
        unit = _lookup(db, token)
        _check(unit)
        db.execute(
            "UPDATE assignments SET draft = ?, status = CASE WHEN status = 'issued' THEN 'started' ELSE status END,"
            " updated_at = ? WHERE id = ?",
            [json.dumps(answers, ensure_ascii=False), now(), unit.id],
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
    unit = _lookup(db, token)
    _check(unit)
    questionnaire = get_questionnaire(db, unit.questionnaire_id)
    clean = questionnaire.validate(answers)
    warm_follow_up_rules()  # load the topic dictionary (once per process) before taking the lock
    with busy_is_retry(), transaction(db, shared=True):  # submissions of different links run side by side
        unit = _lookup(db, token, lock=True)
        _check(unit)  # still open: another tab or process may have submitted meanwhile
        return _store_response(db, unit.id, questionnaire, clean, mode=mode, interviewer=interviewer)


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
        unit = _assignment(db, "a.id = ?", [assignment_id], lock=True)
        _check(unit, link=False)
        questionnaire = get_questionnaire(db, unit.questionnaire_id)
        clean = questionnaire.validate(answers)
        response_id = _store_response(db, unit.id, questionnaire, clean, mode=mode, interviewer=interviewer)
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
    stored = {qid: encode_value(questionnaire.question(qid), value) for qid, value in clean.items()}
    db.conn.executemany(
        "INSERT INTO answers (response_id, question_id, value) VALUES (?, ?, ?)",
        [(response_id, qid, value) for qid, value in stored.items()],
    )
    ((round_id, region),) = db.execute(
        "UPDATE assignments SET status = 'complete', mode = ?, draft = NULL, updated_at = ? WHERE id = ?"
        " RETURNING round_id, region",
        [mode, stamp, assignment_id],
    ).fetchall()
    # an unhappy customer gets a follow-up item in the same transaction
    open_for_new_response(db, response_id, stored, round_id=round_id, region=region, submitted_at=stamp)
    return response_id
