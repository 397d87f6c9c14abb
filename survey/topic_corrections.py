"""Staff corrections of a suggestion's topics, polarity and complaint flag (issue 13).

A correction overrides the model in every count at once (``survey.topic_models.round_classification``), is
shown as corrected (who, when), is audited, and becomes a training row of the next model
(:func:`correction_rows`; it overrides a corpus row of the same text). Staff, managers and admins may
correct suggestions of customers in their region scope (the region the customer had at the draw).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlite_utils

from analysis.corpus import LabelledText, parse_labels
from survey.access import require_role
from survey.store import audit, now, transaction
from survey.users import User

__all__ = [
    "CorrectionError",
    "correct_suggestion",
    "correction_rows",
    "corrections_frame",
    "remove_correction",
]

ROLES = ("staff", "manager", "admin")


class CorrectionError(Exception):
    "A suggestion's classification cannot be corrected as asked."


def _labels(labels: str | dict[str, str] | Iterable[tuple[str, str]]) -> str:
    if isinstance(labels, str):
        pairs = parse_labels(labels)
    else:
        items = labels.items() if isinstance(labels, dict) else labels
        pairs = parse_labels(";".join(f"{t}:{p}" for t, p in items))
    return ";".join(f"{t}:{p}" for t, p in pairs)


def _response(
    db: sqlite_utils.Database, response_id: int, user: User | None
) -> tuple[int, str | None, str | None]:
    row = db.execute(
        "SELECT a.round_id, a.region, (SELECT value FROM answers x WHERE x.response_id = r.id"
        " AND x.question_id = 'suggestion') FROM responses r JOIN assignments a ON a.id = r.assignment_id"
        " WHERE r.id = ?",
        [response_id],
    ).fetchone()
    round_id, region, suggestion = row if row is not None else (None, None, None)
    if row is None or (user is not None and not user.can_see_region(region or "")):
        raise CorrectionError(f"response_id {response_id!r} is not a response in your scope")
    if not (suggestion or "").strip():
        raise CorrectionError(f"response {response_id} has no suggestion to correct")
    return round_id, region, suggestion


def correct_suggestion(
    db: sqlite_utils.Database,
    response_id: int,
    labels: str | dict[str, str] | Iterable[tuple[str, str]],
    *,
    complaint: bool,
    praise: bool,
    user: User | None,
) -> dict:
    """Set a suggestion's topics with their polarity (``{"repair": "complaint"}`` or
    ``"repair:complaint;attitude:praise"``) and its complaint / praise flags; returns the stored correction.

    A topic labelled ``complaint`` implies ``complaint=True`` (LABELLING.md), which is enforced. A complaint
    opens the response's follow-up item if it has none yet. ``user`` None = the machine's operator.
    Raises :class:`survey.access.NotPermitted` for a role that may not correct and
    :class:`CorrectionError` for a response outside the user's scope or without a suggestion.
    """
    require_role(user, ROLES, "correcting suggestion topics")
    if not isinstance(complaint, bool) or not isinstance(praise, bool):
        raise TypeError(f"complaint and praise must be bool, but got {complaint!r} and {praise!r}")
    text = _labels(labels)
    pairs = parse_labels(text)
    if any(p == "complaint" for _, p in pairs) and not complaint:
        raise CorrectionError("complaint must be True when a topic is labelled complaint")
    if any(p == "praise" for _, p in pairs) and not praise:
        raise CorrectionError("praise must be True when a topic is labelled praise")
    by, stamp = (user.name if user else "cli"), now()
    with transaction(db):
        round_id, region, _ = _response(db, response_id, user)
        db.execute(
            "INSERT INTO topic_corrections (response_id, round_id, region, labels, complaint, praise, corrected_by,"
            " corrected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(response_id) DO UPDATE SET"
            " labels = excluded.labels, complaint = excluded.complaint, praise = excluded.praise,"
            " corrected_by = excluded.corrected_by, corrected_at = excluded.corrected_at",
            [response_id, round_id, region, text, int(complaint), int(praise), by, stamp],
        )
        audit(db, by, "topic_correction",
              f"response={response_id} labels={text or '-'} complaint={int(complaint)} praise={int(praise)}")  # fmt: skip
        if complaint:
            from survey.follow_ups import open_for_response

            open_for_response(db, response_id)
    return {"response_id": response_id, "labels": text, "complaint": complaint, "praise": praise,
            "corrected_by": by, "corrected_at": stamp}  # fmt: skip


def remove_correction(db: sqlite_utils.Database, response_id: int, *, user: User | None) -> bool:
    """Drop a correction (the model's classification counts again); audited. True when one was removed."""
    require_role(user, ROLES, "correcting suggestion topics")
    with transaction(db):
        _response(db, response_id, user)
        removed = db.execute("DELETE FROM topic_corrections WHERE response_id = ?", [response_id]).rowcount
        if removed:
            audit(db, user.name if user else "cli", "topic_correction_removed", f"response={response_id}")
    return bool(removed)


def corrections_frame(
    db: sqlite_utils.Database, *, round_id: int | None = None, scope: str | None = None
) -> pd.DataFrame:
    """The corrections (newest first) with the suggestion text, within ``scope`` (None = all regions)."""
    from survey.users import region_filter

    sql = ("SELECT c.response_id, c.round_id, c.region, x.value, c.labels, c.complaint, c.praise, c.corrected_by,"
           " c.corrected_at FROM topic_corrections c LEFT JOIN answers x ON x.response_id = c.response_id"
           " AND x.question_id = 'suggestion' WHERE 1 = 1")  # fmt: skip
    params: list = []
    if round_id is not None:
        sql, params = sql + " AND c.round_id = ?", [round_id]
    fragment, values = region_filter("c.region", scope)
    rows = db.execute(
        sql + fragment + " ORDER BY c.corrected_at DESC, c.response_id", [*params, *values]
    ).fetchall()
    columns = ["response_id", "round_id", "region", "text", "labels", "complaint", "praise", "corrected_by",
               "corrected_at"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def correction_rows(db: sqlite_utils.Database) -> list[LabelledText]:
    """Every correction as a training row (id ``R<response id>``)."""
    return [
        LabelledText(f"R{r.response_id}", r.text, parse_labels(r.labels), bool(r.complaint), bool(r.praise))
        for r in corrections_frame(db).itertuples()
        if isinstance(r.text, str) and r.text.strip()
    ]
