"""Suggestion topics in the store: versioned trained models, the classification stored with each response,
and what managers count (issue 13).

Which model classifies (:func:`current_model`):

1. the newest model version in ``topic_models`` (``v1``, ``v2``, … trained by ``python -m survey
   train-topics`` or the admins' button on 意见建议 from the shipped corpus — or ``$SURVEY_TOPIC_CORPUS`` —
   plus staff corrections);
2. else the model trained from the corpus shipped with the project (``analysis/data/corpus``), trained
   once per process (and kept in the owner-only cache folder ``$SURVEY_MODEL_CACHE``, default
   ``~/.cache/power-survey``, so the next process loads it; the file is named by the corpus hash and
   :func:`analysis.topic_model.training_fingerprint`, so a changed corpus, model code or phrase
   dictionary trains anew) — shown as the shipped version;
3. else (no corpus, or ``SURVEY_TOPIC_MODEL=dictionary``) the phrase dictionary alone.

The stored classification of each response (frozen for closed rounds) and the counts are
:mod:`survey.topic_classification`.
"""

from __future__ import annotations

import contextlib
import fcntl
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
    MODEL_FORMAT,
    TopicModel,
    TopicPrediction,
    dictionary_predictions,
    dumps,
    loads,
    training_fingerprint,
)
from survey.access import NotPermitted
from survey.store import PRIVATE_FILE, audit, db_identity, now, private_folder, transaction
from survey.users import User

__all__ = [
    "ModelInfo",
    "TopicModelError",
    "classify_texts",
    "current_model",
    "list_models",
    "model_info",
    "shipped_model",
    "train_and_store",
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

    code = training_fingerprint()[:12]
    return (
        _cache_dir()
        / f"topic-model-{data_hash[:16]}-f{MODEL_FORMAT}-c{code}-sklearn{sklearn.__version__}.joblib"
    )


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
    with _cache_lock(path):  # several processes starting at once: one trains, the others load its file
        model = _load_cached(path, data_hash)
        if model is not None:
            return model
        model = train_topic_model(corpus, evaluate=False, version=f"{SHIPPED}-{data_hash[:8]}").model
        try:
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as handle:
                handle.write(dumps(model))
            os.replace(temporary, path)
        except OSError as e:
            log.warning("topic model cache not written (%s)", e)
    return model


def _load_cached(path: Path, data_hash: str) -> TopicModel | None:
    if not _trusted(path):
        return None
    try:
        model = loads(path.read_bytes())
    except Exception as e:  # noqa: BLE001 - a stale or broken cache file is retrained
        log.warning("topic model cache %s not usable (%s); retraining", path, e)
        return None
    same = model.info.get("data_hash") == data_hash and model.info.get("code_hash") == training_fingerprint()
    return model if same else None


@contextlib.contextmanager
def _cache_lock(path: Path):
    """An exclusive ``flock`` on ``path.lock`` (no lock, and no waiting, when the folder cannot be made)."""
    try:
        private_folder(path.parent)
        fd = os.open(path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


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
    if version is not None:
        try:
            return _load_stored(db, version)
        except (ValueError, TypeError) as e:  # a version this code cannot read: say so, use the shipped one
            log.warning("topic model v%s not usable (%s); using the shipped model", version, e)
    return shipped_model()


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
        created_at, created_by, scores, data_hash, n_train, n_corrections = row
        f1 = ((json.loads(scores).get("held_out") or {}).get("micro") or {}).get("f1")
        return ModelInfo(version, created_at, created_by, f1, data_hash, "stored", n_train, n_corrections)
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
