"""A trained suggestion-topic classifier: topics with probabilities, a polarity per topic, and a
calibrated complaint decision.

The features are those of :mod:`analysis.topic_features` (character n-grams, jieba words, the phrase
dictionary's verdicts, polarity cues). The model answers four questions per text
(:meth:`TopicModel.predict`, one :class:`~analysis.topic_prediction.TopicPrediction` each):

1. *Topic relevance*, multi-label by binary relevance: one L2-regularised logistic regression per topic
   (Tsoumakas & Katakis 2007, "Multi-label classification: an overview", *Int. J. Data Warehousing and
   Mining* 3(3)), a topic kept when its probability reaches the topic's threshold. A text none of whose
   topics reaches its threshold still gets its best topic when that topic's probability reaches
   ``fallback_share`` of its threshold (a complaint about *something* is rarely about nothing). Logistic
   regression minimises log-loss, so its probabilities are calibrated in Platt's sense (Platt 1999;
   Niculescu-Mizil & Caruana 2005, "Predicting good probabilities with supervised learning", ICML).
2. *Polarity per topic* (complaint / praise / neutral): one-vs-rest logistic regressions over
   (text, topic) pairs whose features are those of the clauses most relevant to the topic (the clause
   of "师傅人很好，但是修了两次都没修好" that is about repair is the second one), the polarity cues of those
   clauses and of the whole text, and the cues crossed with the topic (praise words weigh differently for
   billing, which is mostly asked about, than for attitude), so praise of one aspect is not read as a
   complaint about another.
3. *Complaint* — the decision that opens a follow-up call — is its own logistic regression on the whole
   text (a Platt-type sigmoid of a linear score fitted by log-loss; Zadrozny & Elkan 2002, KDD),
   thresholded at the level chosen by cross-validation on the training rows; a topic whose polarity is
   complaint with probability :data:`TOPIC_COMPLAINT` or more makes the text a complaint too.
4. *Praise* of anything, the same way.

Blank and "no suggestion" answers (无, 没有, …) get an empty prediction, and texts with nothing to read
(:func:`analysis.topic_features.is_gibberish`: "asdkjh") no topic and no complaint, without consulting the
model. Hyper-parameters and thresholds come from 5-fold cross-validation on the training split only
(:mod:`analysis.topic_training`); :class:`ModelSettings` holds the result. Everything is deterministic
(fixed ``random_state``; liblinear solver). See the scikit-learn user guide, "Probability calibration"
and "Multiclass and multioutput algorithms" (https://scikit-learn.org/stable/modules/).

A fitted model pickles with joblib (:func:`dumps` / :func:`loads`); only load bytes this system wrote
(pickle runs code). :func:`training_fingerprint` names the code and dictionary a model was trained with,
so a cached model is retrained when either changes.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from analysis.corpus import TOPICS, LabelledText
from analysis.suggestions import classify, complaint_topics
from analysis.topic_estimators import (
    _Constant,  # noqa: F401  (models pickled before the split name it here)
    char_weights,
    choose_topics,
    fit_binary,
    intercept,
    logistic,
    positive,
)
from analysis.topic_features import (
    MAX_CHARS,
    N_CUES,
    TextFeatures,
    clauses,
    combine,
    cue_rows,
    is_gibberish,
    known_words,
    prepare,
)
from analysis.topic_prediction import (
    DICTIONARY_VERSION,
    TopicPrediction,
    TopicScore,
    dictionary_predictions,
    empty_prediction,
    is_blank,
    nothing_found,
)

__all__ = [
    "DICTIONARY_VERSION",
    "MAX_CHARS",
    "MODEL_FORMAT",
    "ModelSettings",
    "TextFeatures",
    "TopicModel",
    "TopicPrediction",
    "TopicScore",
    "clauses",
    "dictionary_predictions",
    "dumps",
    "loads",
    "training_fingerprint",
]

#: Version of the model's layout (features, parts); bumped whenever a change makes older pickles unusable.
MODEL_FORMAT = 5
#: A topic complained about with at least this polarity probability makes the text a complaint whatever the
#: whole-text decision says (LABELLING.md: any complaint label => complaint 1; "电费太贵了" was billing:complaint
#: but no follow-up). On two 75/25 splits of the training rows: complaint recall +0.4-0.6 points, precision -0.1-0.4.
TOPIC_COMPLAINT = 0.8
#: A clause is about a topic when its topic probability is at least this share of the text's best clause's.
CONTEXT_SHARE = 0.5
_HERE = Path(__file__).parent
#: What a trained model depends on besides its rows: the code that builds and fits it, the dictionary.
_FINGERPRINTED = ("corpus.py", "suggestions.py", "topic_matcher.py", "topic_dictionary.py", "topic_features.py",
                  "topic_vectors.py", "topic_estimators.py", "topic_prediction.py", "topic_model.py",
                  "topic_training.py", "data/topics.yaml", "data/userdict.txt")  # fmt: skip


@lru_cache(maxsize=1)
def training_fingerprint() -> str:
    """SHA-256 of :data:`MODEL_FORMAT`, the modules that build and fit the model and the phrase
    dictionary files (``analysis/data/topics.yaml``, ``userdict.txt``): a model cached under another
    fingerprint was trained by other code or on other dictionary verdicts."""
    digest = hashlib.sha256(f"format {MODEL_FORMAT}\n".encode())
    for name in _FINGERPRINTED:
        path = _HERE / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b"") + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters and decision thresholds (chosen by cross-validation on the training rows)."""

    topic_c: float = 8.0
    topic_balanced: bool = False
    complaint_c: float = 4.0
    praise_c: float = 4.0
    polarity_c: float = 16.0  # 5-fold CV on the training split compared 4, 16, 64 (16 best with the cues)
    use_words: bool = True
    use_dictionary: bool = True
    use_cues: bool = False
    binary_dictionary: bool = True  # the dictionary block for the complaint and praise decisions
    topic_thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOPICS, 0.5))
    fallback_share: float = 1.0  # 1.0: no fallback topic
    complaint_threshold: float = 0.5
    praise_threshold: float = 0.5


# ---------------------------------------------------------------------------- the model
class TopicModel:
    """Topics, polarity per topic, complaint and praise of customer suggestions (see the module doc).

    Build one with :func:`analysis.topic_training.train_topic_model` (which chooses ``settings`` by
    cross-validation) or ``TopicModel(settings).fit(rows)``; ``version`` names it in predictions (the
    store sets ``"v3"``; the model trained from the shipped corpus is ``"shipped-…"``).
    """

    def __init__(self, settings: ModelSettings | None = None, *, seed: int = 0, version: str = "unsaved") -> None:
        self.settings = settings or ModelSettings()
        self.seed, self.version = seed, version
        self.format = MODEL_FORMAT
        self.info: dict = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_cache")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- fitting
    def fit(self, rows: Sequence[LabelledText]) -> TopicModel:
        """Fit every part on ``rows`` (blank / "no suggestion" rows are left out)."""
        rows = [r for r in rows if not is_blank(r.text)]
        if not rows:
            raise ValueError("rows must hold at least one non-empty text, but got none")
        s = self.settings
        texts = [prepare(r.text) for r in rows]
        self.known_words_ = known_words(texts)
        self.features_ = TextFeatures(use_words=s.use_words, use_dictionary=s.use_dictionary, use_cues=s.use_cues)
        self.features_.fit(texts)
        x, x_binary, chars = self._matrices(texts)
        y = np.array([[t in r.topics for t in TOPICS] for r in rows], dtype=int)
        self.topic_models_ = [fit_binary(logistic(s.topic_c, self.seed, balanced=s.topic_balanced), x, y[:, k])
                              for k in range(len(TOPICS))]  # fmt: skip
        complaint = np.array([r.complaint for r in rows], dtype=int)
        self.complaint_model_ = fit_binary(logistic(s.complaint_c, self.seed), x_binary, complaint)
        praise = np.array([r.praise for r in rows], dtype=int)
        self.praise_model_ = fit_binary(logistic(s.praise_c, self.seed), x_binary, praise)
        # clause relevance reads the character part of each topic model (cheap on every clause)
        n_chars = len(self.features_.chars_.vocabulary_)
        self.clause_weights_ = np.column_stack([char_weights(m, n_chars) for m in self.topic_models_])
        self.clause_bias_ = np.array([intercept(m) for m in self.topic_models_])
        pairs = [(i, t) for i, r in enumerate(rows) for t in r.topics]
        self.polarity_model_ = None
        if pairs:
            labels = np.array([rows[i].polarity(t) for i, t in pairs])
            if len(set(labels)) > 1:
                from sklearn.multiclass import OneVsRestClassifier

                # one binary model per polarity, probabilities normalised (binary relevance again)
                xp = self._pair_features(texts, pairs, chars)
                self.polarity_model_ = OneVsRestClassifier(logistic(s.polarity_c, self.seed)).fit(xp, labels)
            else:
                self.polarity_model_ = str(labels[0])
        self._cache: dict[str, TopicPrediction] = {}
        return self

    def _matrices(self, texts: Sequence[str]) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
        """Feature rows for the topic models and for the complaint / praise models (which always read the
        cues; the dictionary block as chosen), and the character block alone."""
        s = self.settings
        blocks = self.features_.blocks(texts, words=s.use_words)
        topics = combine(blocks, use_words=s.use_words, use_dictionary=s.use_dictionary, use_cues=s.use_cues)
        binary = combine(blocks, use_words=s.use_words, use_dictionary=s.binary_dictionary, use_cues=True)
        return topics, binary, blocks["chars"]

    def topic_probabilities(self, x) -> np.ndarray:
        """Probability of every topic (columns in :data:`TOPICS` order) for feature rows ``x``."""
        return np.column_stack([positive(m, x) for m in self.topic_models_])

    def _contexts(self, texts: Sequence[str], pairs: Sequence[tuple[int, str]]) -> list[str]:
        """For each (text, topic) the clauses about the topic: those whose topic probability (by the
        character part of the topic model) is at least half of the best clause's; the whole text when it
        has one clause."""
        pieces = {i: clauses(texts[i]) for i in {i for i, _ in pairs}}
        split = [i for i, parts in pieces.items() if len(parts) > 1]
        flat = [c for i in split for c in pieces[i]]
        probs = np.empty((0, len(TOPICS)))
        if flat:  # characters only: cheaper, and better than the full features by 5-fold CV on the training split
            chars = self.features_.char_rows(flat)
            probs = 1 / (1 + np.exp(-(chars @ self.clause_weights_ + self.clause_bias_)))
        by_text, start = {}, 0
        for i in split:
            by_text[i] = probs[start : start + len(pieces[i])]
            start += len(pieces[i])
        out = []
        for i, topic in pairs:
            if i not in by_text:
                out.append(texts[i])
                continue
            column = by_text[i][:, TOPICS.index(topic)]
            keep = column >= column.max() * CONTEXT_SHARE
            out.append(" ".join(c for c, k in zip(pieces[i], keep, strict=True) if k))
        return out

    def _pair_features(
        self, texts: Sequence[str], pairs: Sequence[tuple[int, str]], chars: sp.csr_matrix | None = None
    ) -> sp.csr_matrix:
        """Characters of the topic's clauses and (at half weight) of the whole text; the topic; the
        dictionary's verdict on the whole text (the topic complained about; praise found); the polarity
        cues of the clauses and (at half weight) of the text; the clauses' cues crossed with the topic.

        ``chars`` (the character rows of ``texts``, when already computed) spares transforming them again.
        """
        contexts = self._contexts(texts, pairs)
        if chars is None:
            whole = self.features_.char_rows([texts[i] for i, _ in pairs]) * 0.5
        else:
            whole = chars[[i for i, _ in pairs]] * 0.5
        n, k_topics = len(pairs), len(TOPICS)
        extra = np.zeros((n, 2 * k_topics + 1), dtype=np.float32)
        crossed = np.zeros((n, k_topics, N_CUES), dtype=np.float32)
        cues = cue_rows(contexts)
        for j, (i, topic) in enumerate(pairs):
            k = TOPICS.index(topic)
            extra[j, k] = 1.0
            extra[j, k_topics + k] = float(topic in complaint_topics(texts[i]))
            extra[j, -1] = float("praise" in classify(texts[i]))
            crossed[j, k] = cues[j]
        whole_cues = cue_rows([texts[i] for i, _ in pairs]) * 0.5
        return sp.hstack([self._context_chars(texts, pairs, contexts, chars), whole, sp.csr_matrix(extra),
                          sp.csr_matrix(cues), sp.csr_matrix(whole_cues),
                          sp.csr_matrix(crossed.reshape(n, -1))], format="csr")  # fmt: skip

    def _context_chars(self, texts, pairs, contexts: list[str], chars: sp.csr_matrix | None) -> sp.csr_matrix:
        """Character rows of the contexts; a context that is its whole text reuses the text's row of ``chars``
        (the same string: the same row, without analysing it again)."""
        if chars is None:
            return self.features_.char_rows(contexts)
        index = np.array([i for i, _ in pairs], dtype=np.int64)
        redo = [j for j, (c, (i, _)) in enumerate(zip(contexts, pairs, strict=True)) if c != texts[i]]
        if not redo:
            return chars[index]
        index[redo] = chars.shape[0] + np.arange(len(redo))
        fresh = self.features_.char_rows([contexts[j] for j in redo])
        return sp.vstack([chars, fresh], format="csr")[index]

    # -- predicting
    def predict(self, texts: Sequence[object]) -> list[TopicPrediction]:
        """One :class:`TopicPrediction` per text (None, NaN and blank texts give an empty one), in order.

        Repeated texts are classified once (per process, per model).
        """
        prepared = [prepare(t) for t in texts]
        cache = getattr(self, "_cache", None)
        if cache is None:
            cache = self._cache = {}
        todo = list(dict.fromkeys(p for p in prepared if p not in cache))
        if todo:
            found = self._predict_new(todo)
            with self._lock:
                if len(cache) > 100_000:
                    cache.clear()
                cache.update(zip(todo, found, strict=True))
        return [cache.get(p) or self._predict_new([p])[0] for p in prepared]

    def predict_one(self, text: object) -> TopicPrediction:
        return self.predict([text])[0]

    def _predict_new(self, texts: Sequence[str]) -> list[TopicPrediction]:
        s = self.settings
        out: list[TopicPrediction | None] = [None] * len(texts)
        live = []
        for i, text in enumerate(texts):
            if is_blank(text):
                out[i] = empty_prediction(self.version)
            elif is_gibberish(text, self.known_words_):
                out[i] = nothing_found(self.version)
            else:
                live.append(i)
        if not live:
            return out  # type: ignore[return-value]
        x, x_binary, chars = self._matrices([texts[i] for i in live])
        probs = self.topic_probabilities(x)
        complaint, praise = positive(self.complaint_model_, x_binary), positive(self.praise_model_, x_binary)
        kept = choose_topics(probs, [s.topic_thresholds.get(t, 0.5) for t in TOPICS], s.fallback_share)
        chosen = [[t for k, t in enumerate(TOPICS) if kept[j, k]] for j in range(len(live))]
        polarity = self._polarities([texts[i] for i in live], [(j, t) for j, topics in enumerate(chosen) for t in topics], chars)
        polarity = {(live[j], t): v for (j, t), v in polarity.items()}
        for j, i in enumerate(live):
            scores = tuple(TopicScore(t, round(float(probs[j, TOPICS.index(t)]), 4), *polarity[(i, t)])
                           for t in chosen[j])  # fmt: skip
            unhappy = complaint[j] >= s.complaint_threshold or any(
                t.polarity == "complaint" and t.polarity_probability >= TOPIC_COMPLAINT for t in scores
            )
            out[i] = TopicPrediction(scores, round(float(complaint[j]), 4), bool(unhappy),
                                     round(float(praise[j]), 4), bool(praise[j] >= s.praise_threshold), self.version)  # fmt: skip
        return out  # type: ignore[return-value]

    def _polarities(self, texts: Sequence[str], pairs: list[tuple[int, str]], chars=None) -> dict[tuple[int, str], tuple]:
        if not pairs:
            return {}
        if self.polarity_model_ is None or isinstance(self.polarity_model_, str):
            label = self.polarity_model_ or "neutral"
            return {p: (label, 1.0) for p in pairs}
        probs = self.polarity_model_.predict_proba(self._pair_features(texts, pairs, chars))
        classes = list(self.polarity_model_.classes_)
        best = probs.argmax(axis=1)
        return {p: (str(classes[b]), round(float(probs[j, b]), 4)) for j, (p, b) in enumerate(zip(pairs, best, strict=True))}


def dumps(model: TopicModel) -> bytes:
    """The fitted model as joblib bytes (for the store)."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def loads(data: bytes) -> TopicModel:
    """A model from :func:`dumps` bytes. Pickle runs code: only load bytes this system wrote."""
    import joblib

    try:
        model = joblib.load(io.BytesIO(data))
    except (AttributeError, ImportError) as e:  # a class or function this code no longer has
        raise ValueError(f"data must hold a model this version can read, but loading failed: {e}") from e
    if not isinstance(model, TopicModel):
        raise TypeError(f"data must hold a TopicModel, but got {type(model).__name__}")
    if getattr(model, "format", None) != MODEL_FORMAT:
        raise ValueError(f"the model's format must be {MODEL_FORMAT}, but got {getattr(model, 'format', None)!r}"
                         " (trained by an older version: train a new one)")  # fmt: skip
    return model
