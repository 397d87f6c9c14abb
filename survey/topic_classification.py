"""The stored classification of each response's suggestion and what managers count (issue 13).

Every response's suggestion is classified once and stored in ``suggestion_topics`` with the model version
that produced it (:mod:`survey.topic_models` says which model that is). :func:`classify_round` fills in
missing classifications and, for an *open* round, re-classifies what an older model produced; a closed round
keeps its stored classification until a manager asks for :func:`reclassify_round` (audited). Staff corrections
(:mod:`survey.topic_corrections`) override the model in every count: 意见建议, the dashboard and the report
all read :func:`topic_summary`.
"""

from __future__ import annotations

import json

import pandas as pd
import sqlite_utils

from analysis.topic_model import TopicPrediction, TopicScore
from survey.access import NotPermitted, require_role
from survey.store import audit, now, transaction
from survey.topic_models import ModelInfo, TopicModelError, classify_texts, current_version, model_info
from survey.users import User

__all__ = [
    "classify_response",
    "classify_round",
    "reclassify_round",
    "round_classification",
    "stored_prediction",
    "topic_labels",
    "topic_summary",
    "versions_used",
]


# ---------------------------------------------------------------------------- stored classification
def _suggestions(db: sqlite_utils.Database, round_id: int) -> list[tuple[int, str | None]]:
    return db.execute(
        "SELECT r.id, (SELECT value FROM answers x WHERE x.response_id = r.id AND x.question_id = 'suggestion')"
        " FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id = ? ORDER BY r.id",
        [round_id],
    ).fetchall()


def _round_status(db: sqlite_utils.Database, round_id: int) -> str:
    row = db.execute("SELECT status FROM rounds WHERE id = ?", [round_id]).fetchone()
    if row is None:
        raise TopicModelError(f"round_id must name a round, but {round_id!r} does not exist")
    return row[0]


def _store(db, round_id: int, items: list[tuple[int, TopicPrediction]]) -> None:
    stamp = now()
    db.conn.executemany(
        "INSERT INTO suggestion_topics (response_id, round_id, model_version, prediction, classified_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(response_id) DO UPDATE SET model_version = excluded.model_version,"
        " prediction = excluded.prediction, classified_at = excluded.classified_at",
        [
            (rid, round_id, p.model_version, json.dumps(p.to_dict(), ensure_ascii=False), stamp)
            for rid, p in items
        ],
    )


def classify_response(db: sqlite_utils.Database, response_id: int, text: object) -> TopicPrediction:
    """Classify one response's suggestion with the current model and store it (joins an open transaction)."""
    row = db.execute(
        "SELECT a.round_id FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE r.id = ?",
        [response_id],
    ).fetchone()
    if row is None:
        raise TopicModelError(f"response_id must name a response, but {response_id!r} does not exist")
    return classify_new_response(db, response_id, row[0], text)


def classify_new_response(
    db: sqlite_utils.Database, response_id: int, round_id: int, text: object
) -> TopicPrediction:
    """:func:`classify_response` for a response of ``round_id`` stored by the caller's open transaction (nothing
    read back)."""
    prediction = classify_texts(db, [text])[0]
    with transaction(db):
        _store(db, round_id, [(response_id, prediction)])
    return prediction


def stored_prediction(db: sqlite_utils.Database, response_id: int) -> TopicPrediction | None:
    """The response's classification as counted: its staff correction over its stored prediction;
    None when it has neither."""
    row = db.execute(
        "SELECT prediction FROM suggestion_topics WHERE response_id = ?", [response_id]
    ).fetchone()
    fix = db.execute("SELECT labels, complaint, praise FROM topic_corrections WHERE response_id = ?",
                     [response_id]).fetchone()  # fmt: skip
    if row is None and fix is None:
        return None
    prediction = (TopicPrediction.from_dict(json.loads(row[0])) if row is not None
                  else TopicPrediction((), 0.0, False, 0.0, False, "correction"))  # fmt: skip
    return _corrected(prediction, *fix) if fix is not None else prediction


def classify_round(db: sqlite_utils.Database, round_id: int) -> int:
    """Store the classification the round is missing; an open round's classifications by an older model
    are redone with the current one (a closed round keeps them). Returns how many were (re)classified."""
    status = _round_status(db, round_id)
    version = current_version(db)
    stored = dict(db.execute("SELECT response_id, model_version FROM suggestion_topics WHERE round_id = ?",
                             [round_id]).fetchall())  # fmt: skip
    todo = [(rid, text) for rid, text in _suggestions(db, round_id)
            if rid not in stored or (status == "open" and stored[rid] != version)]  # fmt: skip
    if not todo:
        return 0
    predictions = classify_texts(db, [text for _, text in todo])
    with transaction(db):
        _store(db, round_id, [(rid, p) for (rid, _), p in zip(todo, predictions, strict=True)])
    return len(todo)


def reclassify_round(db: sqlite_utils.Database, round_id: int, *, user: User | None) -> int:
    """Classify every suggestion of the round again with the current model (the manager's explicit choice
    for a closed round: its published counts change). Managers and admins of all regions; audited."""
    require_role(user, ("manager", "admin"), "reclassifying a round's suggestions")
    if user is not None and user.regions is not None:
        raise NotPermitted(f"reclassifying a round is for accounts of all regions; {user.name!r} is limited to"
                           f" {','.join(user.regions)}")  # fmt: skip
    _round_status(db, round_id)
    rows = _suggestions(db, round_id)
    predictions = classify_texts(db, [text for _, text in rows])
    version = current_version(db)
    with transaction(db):
        _store(db, round_id, [(rid, p) for (rid, _), p in zip(rows, predictions, strict=True)])
        audit(
            db,
            user.name if user else "cli",
            "topics_reclassify",
            f"round={round_id} version={version} n={len(rows)}",
        )
    return len(rows)


def _corrected(prediction: TopicPrediction, labels: str, complaint: int, praise: int) -> TopicPrediction:
    from analysis.corpus import parse_labels

    probability = {s.topic: s.probability for s in prediction.topics}
    scores = tuple(
        TopicScore(t, probability.get(t, 1.0), p, 1.0, corrected=True) for t, p in parse_labels(labels)
    )
    return TopicPrediction(scores, float(complaint), bool(complaint), float(praise), bool(praise),
                           prediction.model_version, empty=False)  # fmt: skip


def round_classification(
    db: sqlite_utils.Database, round_id: int, *, scope: str | None = None
) -> pd.DataFrame:
    """One row per response with a suggestion: ``response_id, region, text, weight, prediction``
    (:class:`TopicPrediction`, the correction applied), ``model_version``, ``corrected_by``, ``corrected_at``.

    Classifies what is missing first (:func:`classify_round`). ``scope`` limits the rows to the
    account's regions (as drawn). Empty and "no suggestion" answers are left out.
    """
    from survey.results import responses_frame, scoped

    classify_round(db, round_id)
    frame = scoped(responses_frame(db, round_id), scope)
    stored = {rid: (version, json.loads(p)) for rid, version, p in db.execute(
        "SELECT response_id, model_version, prediction FROM suggestion_topics WHERE round_id = ?", [round_id])}  # fmt: skip
    fixes = {rid: {"labels": labels, "complaint": complaint, "praise": praise, "by": by, "at": at}
             for rid, labels, complaint, praise, by, at in db.execute(
        "SELECT response_id, labels, complaint, praise, corrected_by, corrected_at FROM topic_corrections"
        " WHERE round_id = ?", [round_id])}  # fmt: skip
    records = []
    texts = (
        frame["suggestion"] if "suggestion" in frame else pd.Series([None] * len(frame), index=frame.index)
    )
    for rid, region, weight, text in zip(
        frame["response_id"], frame["region"], frame["weight"], texts, strict=True
    ):
        if rid not in stored:
            continue
        version, data = stored[rid]
        prediction = TopicPrediction.from_dict(data)
        fix = fixes.get(rid)
        if prediction.empty and fix is None:
            continue
        if fix is not None:
            prediction = _corrected(prediction, fix["labels"], fix["complaint"], fix["praise"])
        records.append({"response_id": int(rid), "region": region, "text": text, "weight": float(weight),
                        "prediction": prediction, "model_version": version,
                        "corrected_by": fix["by"] if fix else None, "corrected_at": fix["at"] if fix else None})  # fmt: skip
    columns = [
        "response_id",
        "region",
        "text",
        "weight",
        "prediction",
        "model_version",
        "corrected_by",
        "corrected_at",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


# ---------------------------------------------------------------------------- what managers count
def topic_labels() -> dict[str, tuple[str, str]]:
    """(Chinese, English) names of the topics (from the topic dictionary) and of the two whole-text rows."""
    from analysis.suggestions import load_topics

    labels = {t.key: (t.label_zh, t.label_en) for t in load_topics().topics}
    labels["_complaint"] = ("含投诉的意见（全部）", "Suggestions with a complaint (all)")
    labels["_praise"] = ("含表扬的意见（全部）", "Suggestions with praise (all)")
    return labels


def topic_summary(
    db: sqlite_utils.Database,
    round_id: int,
    *,
    scope: str | None = None,
    response_ids=None,
    by: str | None = None,
    classification: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Complaints, praise and mentions per topic of the round's stored classification (corrections
    applied): :func:`analysis.topic_counts.topic_counts`, limited to ``scope`` and, when given, to
    ``response_ids`` (a dashboard view's respondents). The same numbers feed 意见建议, the dashboard
    and the Excel report."""
    from analysis.topic_counts import topic_counts

    frame = classification if classification is not None else round_classification(db, round_id, scope=scope)
    if response_ids is not None:
        frame = frame[frame["response_id"].isin(set(int(r) for r in response_ids))]
    return topic_counts(frame, topic_labels(), by=by)


def versions_used(db: sqlite_utils.Database, classification: pd.DataFrame) -> list[tuple[ModelInfo, int]]:
    """Which model versions classified the rows (with how many rows each), most rows first."""
    counts = classification["model_version"].value_counts() if len(classification) else pd.Series(dtype=int)
    out = []
    for version, n in counts.items():
        try:
            info = model_info(db, str(version))
        except TopicModelError:  # a version deleted by hand
            info = ModelInfo(str(version), None, None, None, None, "stored")
        out.append((info, int(n)))
    return out
