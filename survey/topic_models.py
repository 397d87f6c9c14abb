"""Suggestion topics in the store: versioned trained models, the classification stored with each response,
and what managers count (issue 13).

Which model classifies (:func:`current_model`):

1. the newest model version in ``topic_models`` (``v1``, ``v2``, … trained by ``python -m survey
   train-topics`` or the admins' button on 意见建议 from the shipped corpus — or ``$SURVEY_TOPIC_CORPUS`` —
   plus staff corrections);
2. else the model trained from the corpus shipped with the project (``analysis/data/corpus``), trained
   once per process (and kept in the owner-only cache folder ``$SURVEY_MODEL_CACHE``, default
   ``~/.cache/power-survey``, so the next process loads it) — shown as the shipped version;
3. else (no corpus, or ``SURVEY_TOPIC_MODEL=dictionary``) the phrase dictionary alone.

Frozen counts: every response's suggestion is classified once and stored in ``suggestion_topics`` with the
version that produced it. :func:`classify_round` fills in missing classifications and, for an *open* round,
re-classifies what an older model produced; a closed round keeps its stored classification until a manager
asks for :func:`reclassify_round` (audited). Staff corrections (``survey.topic_corrections``) override the
model in every count.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlite_utils

from analysis.corpus import CorpusError, load_corpus
from analysis.topic_model import (
    DICTIONARY_VERSION,
    TopicModel,
    TopicPrediction,
    TopicScore,
    dictionary_predictions,
    dumps,
    loads,
)
from survey.access import NotPermitted, require_role
from survey.store import PRIVATE_FILE, audit, db_identity, now, private_folder, transaction
from survey.users import User

__all__ = [
    "ModelInfo",
    "TopicModelError",
    "classify_round",
    "classify_texts",
    "current_model",
    "list_models",
    "model_info",
    "reclassify_round",
    "round_classification",
    "shipped_model",
    "stored_prediction",
    "topic_labels",
    "topic_summary",
    "train_and_store",
    "versions_used",
]

log = logging.getLogger(__name__)
SHIPPED = "shipped"
#: Fewest corpus rows for the shipped model (below it the dictionary alone classifies).
MIN_CORPUS_ROWS = 50


class TopicModelError(Exception):
    "A topic model cannot be trained, stored or used as asked."


@dataclass(frozen=True)
class ModelInfo:
    """What the page says about a model: ``v3`` (2026-12-04, held-out F1 0.84)."""

    version: str
    created_at: str | None
    created_by: str | None
    held_out_f1: float | None
    data_hash: str | None
    kind: str  # "stored" | "shipped" | "dictionary"
    n_train: int = 0
    n_corrections: int = 0


# ---------------------------------------------------------------------------- the shipped model
_SHIPPED: dict[str, object] = {}
_SHIPPED_LOCK = threading.Lock()
_STORED: dict[tuple[str, int], TopicModel] = {}
_STORED_LOCK = threading.Lock()


def _cache_dir() -> Path:
    return Path(os.environ.get("SURVEY_MODEL_CACHE") or Path.home() / ".cache" / "power-survey")


def _cached_file(data_hash: str) -> Path:
    import sklearn

    return _cache_dir() / f"topic-model-{data_hash[:16]}-sklearn{sklearn.__version__}.joblib"


def _trusted(path: Path) -> bool:
    """A cache file is loaded only when this user owns it and nobody else may write it (pickle runs code)."""
    try:
        info = path.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def corpus_folder() -> Path | None:
    """The labelled corpus folder: ``$SURVEY_TOPIC_CORPUS`` if set (an installation's own labelled
    suggestions, same format), else None (the shipped ``analysis/data/corpus``)."""
    value = os.environ.get("SURVEY_TOPIC_CORPUS", "").strip()
    return Path(value) if value else None


def dictionary_only() -> bool:
    """True when ``SURVEY_TOPIC_MODEL=dictionary`` asks for the phrase dictionary alone."""
    return os.environ.get("SURVEY_TOPIC_MODEL", "").strip().lower() == DICTIONARY_VERSION


def shipped_model(corpus_dir: str | os.PathLike | None = None) -> TopicModel | None:
    """The model trained from the shipped corpus (once per process; the file cache spares later processes
    the training), or None when there is no usable corpus."""
    corpus_dir = corpus_dir if corpus_dir is not None else corpus_folder()
    key = str(corpus_dir or "")
    if key in _SHIPPED:
        return _SHIPPED[key]  # type: ignore[return-value]
    with _SHIPPED_LOCK:
        if key not in _SHIPPED:
            _SHIPPED[key] = _train_shipped(corpus_dir)
    return _SHIPPED[key]  # type: ignore[return-value]


def _train_shipped(corpus_dir) -> TopicModel | None:
    from analysis.corpus import corpus_hash
    from analysis.topic_training import train_topic_model

    try:
        corpus = load_corpus(corpus_dir)
    except (CorpusError, OSError) as e:
        log.warning("suggestion corpus not usable, topics by the dictionary alone: %s", e)
        return None
    if len(corpus) < MIN_CORPUS_ROWS:
        return None
    data_hash = corpus_hash(corpus)
    path = _cached_file(data_hash)
    if _trusted(path):
        try:
            model = loads(path.read_bytes())
            if model.info.get("data_hash") == data_hash:
                return model
        except Exception as e:  # noqa: BLE001 - a stale or broken cache file is retrained
            log.warning("topic model cache %s not usable (%s); retraining", path, e)
    model = train_topic_model(corpus, evaluate=False, version=f"{SHIPPED}-{data_hash[:8]}").model
    try:
        private_folder(path.parent)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(dumps(model))
        os.replace(temporary, path)
    except OSError as e:
        log.warning("topic model cache not written (%s)", e)
    return model


# ---------------------------------------------------------------------------- stored versions
def _newest(db: sqlite_utils.Database) -> int | None:
    return db.execute("SELECT MAX(version) FROM topic_models").fetchone()[0]


def _load_stored(db: sqlite_utils.Database, version: int) -> TopicModel:
    key = (db_identity(db), version)
    model = _STORED.get(key)
    if model is None:
        row = db.execute("SELECT model FROM topic_models WHERE version = ?", [version]).fetchone()
        if row is None:
            raise TopicModelError(f"version must name a stored topic model, but v{version} does not exist")
        model = loads(row[0])
        model.version = f"v{version}"
        with _STORED_LOCK:
            _STORED[key] = model
    return model


def current_model(db: sqlite_utils.Database) -> TopicModel | None:
    """The model that classifies now: the newest stored version, else the shipped one; None = dictionary."""
    if dictionary_only():
        return None
    version = _newest(db)
    return _load_stored(db, version) if version is not None else shipped_model()


def current_version(db: sqlite_utils.Database) -> str:
    model = current_model(db)
    return model.version if model is not None else DICTIONARY_VERSION


def classify_texts(db: sqlite_utils.Database, texts: list[object]) -> list[TopicPrediction]:
    """Predictions of the current model (or the dictionary) for ``texts``."""
    model = current_model(db)
    return model.predict(texts) if model is not None else dictionary_predictions(texts)


def model_info(db: sqlite_utils.Database, version: str | None = None) -> ModelInfo:
    """About a model version (default: the current one): ``v3``, ``shipped-1a2b3c4d`` or ``dictionary``."""
    version = version or current_version(db)
    if version.startswith("v") and version[1:].isdigit():
        row = db.execute(
            "SELECT created_at, created_by, scores, data_hash, n_train, n_corrections FROM topic_models"
            " WHERE version = ?",
            [int(version[1:])],
        ).fetchone()
        if row is None:
            raise TopicModelError(f"version must name a stored topic model, but {version!r} does not exist")
        scores = json.loads(row[2])
        f1 = ((scores.get("held_out") or {}).get("micro") or {}).get("f1")
        return ModelInfo(version, row[0], row[1], f1, row[3], "stored", row[4], row[5])
    if version.startswith(SHIPPED):
        model = shipped_model()
        info = model.info if model is not None and model.version == version else {}
        return ModelInfo(version, None, None, info.get("held_out_micro_f1"), info.get("data_hash"), SHIPPED,
                         info.get("n_train", 0))  # fmt: skip
    return ModelInfo(DICTIONARY_VERSION, None, None, None, None, DICTIONARY_VERSION)


def list_models(db: sqlite_utils.Database) -> pd.DataFrame:
    """Stored versions, newest first: version, created_at, created_by, data_hash, n_train, n_corrections,
    held-out micro F1, CV micro F1."""
    rows = []
    for version, created_at, by, data_hash, n_train, n_corr, scores in db.execute(
        "SELECT version, created_at, created_by, data_hash, n_train, n_corrections, scores FROM topic_models"
        " ORDER BY version DESC"
    ):
        s = json.loads(scores)
        rows.append({"version": f"v{version}", "created_at": created_at, "created_by": by,
                     "data_hash": data_hash[:12], "n_train": n_train, "n_corrections": n_corr,
                     "held_out_f1": ((s.get("held_out") or {}).get("micro") or {}).get("f1"),
                     "cv_f1": ((s.get("cv") or {}).get("micro") or {}).get("f1")})  # fmt: skip
    columns = [
        "version",
        "created_at",
        "created_by",
        "data_hash",
        "n_train",
        "n_corrections",
        "held_out_f1",
        "cv_f1",
    ]
    return pd.DataFrame(rows, columns=columns)


def train_and_store(
    db: sqlite_utils.Database, *, user: User | None = None, evaluate: bool = True, corpus_dir=None
):
    """Train a new version from the shipped corpus plus the staff corrections, store it and make it current.

    Admins only (``user`` None = the machine's operator, the CLI without ``--as-user``). Returns
    ``(ModelInfo, analysis.topic_training.TrainingResult)``. Audited as ``topic_model_train``. Closed
    rounds keep their stored classification; open rounds follow the new model on their next read.
    """
    import sklearn

    from analysis.topic_training import train_topic_model
    from survey.topic_corrections import correction_rows

    if user is not None and user.role != "admin":
        raise NotPermitted(f"training a topic model is for admins, but {user.name!r} is {user.role!r}")
    try:
        corpus = load_corpus(corpus_dir if corpus_dir is not None else corpus_folder())
    except CorpusError as e:
        raise TopicModelError(str(e)) from e
    corrections = correction_rows(db)
    if len(corpus) + len(corrections) < MIN_CORPUS_ROWS:
        raise TopicModelError(
            f"training needs at least {MIN_CORPUS_ROWS} labelled texts (corpus + corrections), but got"
            f" {len(corpus) + len(corrections)}"
        )
    result = train_topic_model(corpus, corrections, evaluate=evaluate)
    settings = result.model.settings
    with transaction(db):
        version = (_newest(db) or 0) + 1
        result.model.version = f"v{version}"
        db.execute(
            "INSERT INTO topic_models (version, created_at, created_by, data_hash, n_train, n_corrections, scores,"
            " settings, library, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [version, now(), user.name if user else None, result.data_hash, result.n_train, result.n_corrections,
             json.dumps(result.scores_json(), ensure_ascii=False), json.dumps(settings.__dict__),
             f"scikit-learn {sklearn.__version__}", dumps(result.model)],
        )  # fmt: skip
        f1 = result.held_out.micro.f1 if result.held_out else float("nan")
        audit(db, user.name if user else "cli", "topic_model_train",
              f"version=v{version} data={result.data_hash[:12]} train={result.n_train} corrections={result.n_corrections}"
              f" held_out_f1={f1:.3f}")  # fmt: skip
    return model_info(db, f"v{version}"), result


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
    prediction = classify_texts(db, [text])[0]
    with transaction(db):
        _store(db, row[0], [(response_id, prediction)])
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
    fixes = {r[0]: r[1:] for r in db.execute(
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
            prediction = _corrected(prediction, *fix[:3])
        records.append({"response_id": int(rid), "region": region, "text": text, "weight": float(weight),
                        "prediction": prediction, "model_version": version,
                        "corrected_by": fix[3] if fix else None, "corrected_at": fix[4] if fix else None})  # fmt: skip
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
