"""Training the topic model: feature set, regularisation and thresholds by 5-fold cross-validation on
the training split only; one score on the held-out split, beside the phrase dictionary's on the same rows.

Procedure (:func:`train_topic_model`):

1. :func:`analysis.corpus.split_corpus` sets aside the fixed held-out 20 % (staff corrections always
   train; a held-out row with a corrected text is dropped from the test rows).
2. :func:`choose_settings` runs 5-fold cross-validation on the training rows (folds stratified on the
   first label, seed fixed). In each fold the vectorisers are fitted on the fold's training part only.
   It picks, by out-of-fold (OOF) micro F1 of the topics, the feature set (characters with or without
   jieba words, dictionary verdicts and polarity cues; a set without words when it is within
   :data:`FEATURE_TOLERANCE` of the best) and the topic
   regularisation ``C``; then the complaint and praise
   ``C`` by OOF average precision; then the thresholds from the OOF probabilities: per topic the one of
   highest F1; for complaint the highest threshold whose OOF recall is at least
   :data:`COMPLAINT_RECALL_TARGET` (a missed unhappy customer costs more than one extra call); for praise
   the one of highest F1.
3. The cross-validation scores reported (``evaluate=True``) are those of the whole pipeline with the
   chosen settings refitted in each fold (OOF predictions of the same folds; thresholds were chosen on those folds too, so they
   are slightly optimistic — the held-out scores are not).
4. The model is fitted on all training rows and scored once on the held-out rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.corpus import TOPICS, LabelledText, corpus_hash, merge_rows, normalise_text, split_corpus
from analysis.topic_eval import TopicScores, score_predictions
from analysis.topic_features import TextFeatures, combine, prepare
from analysis.topic_model import (
    ModelSettings,
    TopicModel,
    choose_topics,
    fit_binary,
    logistic,
    positive,
    training_fingerprint,
)
from analysis.topic_prediction import TopicPrediction, TopicScore, dictionary_predictions, is_blank

__all__ = ["COMPLAINT_RECALL_TARGET", "TrainingResult", "choose_settings", "train_topic_model"]

FOLDS = 5
SEED = 0
COMPLAINT_RECALL_TARGET = 0.95
TOPIC_C = (4.0, 16.0, 64.0, 256.0)
BINARY_C = (8.0, 32.0, 128.0)
#: (jieba words, dictionary verdicts, polarity cues) beside the characters
FEATURE_SETS = ((True, True, False), (True, True, True), (False, True, False), (False, True, True))
#: The OOF micro F1 a feature set without jieba words may lose to the best and still be chosen. Words cost
#: ≈ 0.3 s of classifying 10,000 texts even cut by jieba-rs (2.1–2.3 s with them, 1.8–1.9 s without on the
#: 11,262-text corpus: issue 13's < 2 s), gain 0.005 held out and nothing on unseen authors (parts 19–22
#: held out whole: micro F1 0.813 with and without).
FEATURE_TOLERANCE = 0.01
#: Candidate fallback shares (1.0 = none) and the OOF micro F1 a fallback may cost.
FALLBACK_SHARES = (1.0, 0.8, 0.6, 0.5, 0.4, 0.3)
FALLBACK_TOLERANCE = 0.005
_GRID = np.round(np.arange(0.05, 0.951, 0.025), 3)


@dataclass(frozen=True)
class TrainingResult:
    """A fitted model and how it was chosen and scored."""

    model: TopicModel
    data_hash: str
    n_train: int
    n_test: int
    n_corrections: int
    cv: TopicScores | None
    held_out: TopicScores | None
    dictionary_held_out: TopicScores | None
    selection: pd.DataFrame
    seconds: float

    def scores_json(self) -> dict:
        """Held-out and CV scores (and the dictionary's held-out scores) as plain JSON values."""
        return {
            "held_out": self.held_out.to_dict() if self.held_out else None,
            "cv": self.cv.to_dict() if self.cv else None,
            "dictionary_held_out": self.dictionary_held_out.to_dict() if self.dictionary_held_out else None,
            "n_train": self.n_train, "n_test": self.n_test, "n_corrections": self.n_corrections,
        }  # fmt: skip


def _stratum(row: LabelledText) -> str:
    return row.labels[0][0] if row.labels else ("complaint" if row.complaint else "none")


def _folds(rows: Sequence[LabelledText], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import KFold, StratifiedKFold

    strata = [_stratum(r) for r in rows]
    if min(strata.count(s) for s in set(strata)) >= folds:
        return list(
            StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(rows)), strata)
        )
    return list(KFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(rows))))


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for t in _GRID:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
        if f1 > best_f1 + 1e-12 or (abs(f1 - best_f1) <= 1e-12 and abs(t - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(t), f1
    return best


def _recall_threshold(y: np.ndarray, p: np.ndarray, target: float) -> float:
    if not y.sum():
        return 0.5
    passing = [float(t) for t in _GRID if ((p >= t) & (y == 1)).sum() / y.sum() >= target]
    return max(passing) if passing else float(_GRID[0])


def _micro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((pred & (y == 1)).sum())
    return 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0


def _no_topic_f1(y: np.ndarray, chosen: np.ndarray) -> float:
    gold, predicted = ~y.any(axis=1), ~chosen.any(axis=1)
    tp = int((gold & predicted).sum())
    return 2 * tp / (gold.sum() + predicted.sum()) if gold.sum() + predicted.sum() else 0.0


def choose_settings(
    rows: Sequence[LabelledText], *, folds: int = FOLDS, seed: int = SEED
) -> tuple[ModelSettings, pd.DataFrame, list[tuple[np.ndarray, np.ndarray]], TopicScores]:
    """Settings chosen by ``folds``-fold cross-validation on ``rows`` (see the module doc).

    Returns the settings, one row per candidate with its OOF score, the folds used, and the OOF scores
    of topics, complaint and praise with the chosen settings (polarity not scored: ``polarity=None``).
    """
    from sklearn.metrics import average_precision_score

    rows = [r for r in rows if not is_blank(r.text)]
    if len(rows) < 2 * folds:
        raise ValueError(
            f"rows must hold at least {2 * folds} non-empty texts for {folds}-fold CV, but got {len(rows)}"
        )
    texts = [prepare(r.text) for r in rows]
    y = np.array([[t in r.topics for t in TOPICS] for r in rows], dtype=int)
    complaint = np.array([r.complaint for r in rows], dtype=int)
    praise = np.array([r.praise for r in rows], dtype=int)
    splits = _folds(rows, folds, seed)
    blocks = []
    for train, test in splits:
        features = TextFeatures().fit([texts[i] for i in train])
        blocks.append((features.blocks([texts[i] for i in train]), features.blocks([texts[i] for i in test])))
    oof: dict[tuple, np.ndarray] = {}
    records: list[dict] = []

    def oof_probabilities(target: np.ndarray, fs: tuple[bool, bool, bool], c: float, balanced: bool) -> np.ndarray:
        values = np.zeros(target.shape)
        for (train, test), (b_train, b_test) in zip(splits, blocks, strict=True):
            x_train = combine(b_train, use_words=fs[0], use_dictionary=fs[1], use_cues=fs[2])
            x_test = combine(b_test, use_words=fs[0], use_dictionary=fs[1], use_cues=fs[2])
            for k in range(target.shape[1]) if target.ndim == 2 else (None,):
                column = target[train] if k is None else target[train, k]
                model = positive(fit_binary(logistic(c, seed, balanced=balanced), x_train, column), x_test)
                values[(test,) if k is None else (test, k)] = model
        return values

    def run_topics(fs: tuple[bool, bool, bool], c: float, balanced: bool = False) -> None:
        probs = oof[fs, c, balanced] = oof_probabilities(y, fs, c, balanced)
        pred = np.column_stack(
            [probs[:, k] >= _best_f1_threshold(y[:, k], probs[:, k]) for k in range(len(TOPICS))]
        )
        records.append({"part": "topics", "words": fs[0], "dictionary": fs[1], "cues": fs[2], "C": c,
                        "balanced": balanced, "score": _micro_f1(y, pred)})  # fmt: skip

    # the feature set at the middle C, then C for that feature set, then class weights (sequential search)
    middle = TOPIC_C[len(TOPIC_C) // 2]
    for fs in FEATURE_SETS:
        run_topics(fs, middle)
    # the cheapest feature set within FEATURE_TOLERANCE of the best: words are read only when they add
    # more than noise
    top = max(r["score"] for r in records)
    near = [r for r in records if r["score"] >= top - FEATURE_TOLERANCE]
    best_fs = min(near, key=lambda r: (r["words"], -r["score"]))
    fs = (best_fs["words"], best_fs["dictionary"], best_fs["cues"])
    for c in TOPIC_C:
        if c != middle:
            run_topics(fs, c)
    same = [r for r in records if (r["words"], r["dictionary"], r["cues"]) == fs]
    run_topics(fs, max(same, key=lambda r: r["score"])["C"], balanced=True)
    same = [r for r in records if (r["words"], r["dictionary"], r["cues"]) == fs]
    best = max(same, key=lambda r: r["score"])
    topic_c, topic_balanced = best["C"], best["balanced"]
    probs = oof[fs, topic_c, topic_balanced]
    thresholds = {t: _best_f1_threshold(y[:, k], probs[:, k]) for k, t in enumerate(TOPICS)}
    fallback = _fallback_share(y, probs, [thresholds[t] for t in TOPICS], records)
    chosen = {}
    for name, target in (("complaint", complaint), ("praise", praise)):
        oofs = {}
        for dictionary in (True, False):
            for c in BINARY_C:
                values = oofs[dictionary, c] = oof_probabilities(target, (fs[0], dictionary, True), c, False)
                ap = average_precision_score(target, values) if 0 < target.sum() < len(target) else 0.0
                records.append({"part": name, "words": fs[0], "dictionary": dictionary, "cues": True, "C": c,
                                "balanced": False, "score": float(ap)})  # fmt: skip
        top = max((r for r in records if r["part"] == name), key=lambda r: r["score"])
        values = oofs[top["dictionary"], top["C"]]
        threshold = (_recall_threshold(target, values, COMPLAINT_RECALL_TARGET) if name == "complaint"
                     else _best_f1_threshold(target, values))  # fmt: skip
        chosen[name] = (top["C"], top["dictionary"], threshold)
        oof[name] = values
    if chosen["complaint"][1] != chosen["praise"][1]:  # one binary feature set: the complaint decision's
        values = oof_probabilities(praise, (fs[0], chosen["complaint"][1], True), chosen["praise"][0], False)
        oof["praise"] = values
        chosen["praise"] = (chosen["praise"][0], chosen["complaint"][1], _best_f1_threshold(praise, values))
    settings = ModelSettings(topic_c=topic_c, topic_balanced=topic_balanced, complaint_c=chosen["complaint"][0],
                             praise_c=chosen["praise"][0], use_words=fs[0], use_dictionary=fs[1], use_cues=fs[2],
                             binary_dictionary=chosen["complaint"][1], topic_thresholds=thresholds,
                             fallback_share=fallback, complaint_threshold=chosen["complaint"][2],
                             praise_threshold=chosen["praise"][2])  # fmt: skip
    quick = _oof_scores(rows, settings, probs, oof["complaint"], oof["praise"])
    return settings, pd.DataFrame.from_records(records), splits, quick


def _fallback_share(y: np.ndarray, probs: np.ndarray, thresholds: list[float], records: list[dict]) -> float:
    """The fallback share of highest OOF "no topic" F1 among those that cost at most
    :data:`FALLBACK_TOLERANCE` of the topics' OOF micro F1 (1.0, no fallback, when none helps)."""
    scored = []
    for share in FALLBACK_SHARES:
        chosen = choose_topics(probs, thresholds, share)
        scored.append((share, _micro_f1(y, chosen), _no_topic_f1(y, chosen)))
        records.append({"part": "fallback", "C": share, "score": scored[-1][2], "micro_f1": scored[-1][1]})
    plain = scored[0][1]
    return max((s for s in scored if s[1] >= plain - FALLBACK_TOLERANCE), key=lambda s: (s[2], s[0]))[0]


def _oof_scores(rows, settings: ModelSettings, topics: np.ndarray, complaint: np.ndarray, praise: np.ndarray):
    """CV scores of topics, complaint and praise from the selection's OOF probabilities (no polarity)."""
    kept = choose_topics(topics, [settings.topic_thresholds[t] for t in TOPICS], settings.fallback_share)
    predicted = []
    for j in range(len(rows)):
        scores = tuple(TopicScore(t, float(topics[j, k]), "neutral") for k, t in enumerate(TOPICS) if kept[j, k])
        predicted.append(TopicPrediction(scores, float(complaint[j]), bool(complaint[j] >= settings.complaint_threshold),
                                         float(praise[j]), bool(praise[j] >= settings.praise_threshold), "cv"))  # fmt: skip
    return replace(score_predictions(rows, predicted), polarity=None)


def cross_validated_scores(
    rows: Sequence[LabelledText], settings: ModelSettings, splits, *, seed: int = SEED
) -> TopicScores:
    """Scores of the whole pipeline with ``settings`` over the OOF predictions of ``splits``."""
    rows = [r for r in rows if not is_blank(r.text)]
    predicted: list = [None] * len(rows)
    for train, test in splits:
        model = TopicModel(settings, seed=seed, version="cv").fit([rows[i] for i in train])
        for i, p in zip(test, model.predict([rows[i].text for i in test]), strict=True):
            predicted[i] = p
    return score_predictions(rows, predicted)


def train_topic_model(
    corpus: Sequence[LabelledText],
    corrections: Sequence[LabelledText] = (),
    *,
    evaluate: bool = True,
    folds: int = FOLDS,
    seed: int = SEED,
    version: str = "unsaved",
) -> TrainingResult:
    """Choose settings by CV on the training split, fit, and score once on the held-out split.

    ``corrections`` (staff corrections, as rows) override corpus rows of the same text and always
    train. ``evaluate=False`` reports the CV scores of the selection's OOF probabilities (topics,
    complaint, praise; no polarity) instead of refitting the whole pipeline in every fold. The data hash covers the corpus and the corrections.
    """
    started = time.perf_counter()
    corpus = merge_rows(corpus)
    corrected = {normalise_text(r.text) for r in corrections}
    train, test = split_corpus(corpus)
    test = [r for r in test if normalise_text(r.text) not in corrected]
    train = merge_rows(train, corrections)
    settings, selection, splits, quick = choose_settings(train, folds=folds, seed=seed)
    cv = cross_validated_scores(train, settings, splits, seed=seed) if evaluate else quick
    model = TopicModel(settings, seed=seed, version=version).fit(train)
    held_out = score_predictions(test, model.predict([r.text for r in test])) if test else None
    baseline = score_predictions(test, dictionary_predictions([r.text for r in test])) if test else None
    data_hash = corpus_hash(merge_rows(corpus, corrections))
    seconds = time.perf_counter() - started
    model.info = {"data_hash": data_hash, "n_train": len(train), "n_test": len(test),
                  "n_corrections": len(corrections), "code_hash": training_fingerprint(),
                  "held_out_micro_f1": round(held_out.micro.f1, 4) if held_out and held_out.micro.support else None,
                  "settings": {**replace(settings).__dict__}}  # fmt: skip
    return TrainingResult(model=model, data_hash=data_hash, n_train=len(train), n_test=len(test),
                          n_corrections=len(corrections), cv=cv, held_out=held_out, dictionary_held_out=baseline,
                          selection=selection, seconds=seconds)  # fmt: skip
