"""A trained suggestion-topic classifier: topics with probabilities, a polarity per topic, and a
calibrated complaint decision.

The model combines three kinds of features (:class:`TextFeatures`):

* character 1–3-grams (TF-IDF, ``analyzer="char_wb"``, sublinear tf) of the normalised text — robust to
  misspellings (跳匝 / 跳闸), missing word boundaries and mixed Chinese / English;
* jieba words and word bigrams with the power-utility user dictionary (:func:`analysis.suggestions.segment`);
* the phrase dictionary's verdicts (:func:`analysis.suggestions.classify` and
  :func:`analysis.suggestions.complaint_topics`, one-hot), so the explainable rules staff edit in
  ``analysis/data/topics.yaml`` are evidence the model weighs rather than a competing answer.

It answers four questions per text (:meth:`TopicModel.predict`, one :class:`TopicPrediction` each):

1. *Topic relevance*, multi-label by binary relevance: one L2-regularised logistic regression per topic
   (Tsoumakas & Katakis 2007, "Multi-label classification: an overview", *Int. J. Data Warehousing and
   Mining* 3(3)), a topic kept when its probability reaches the topic's threshold. Logistic regression
   minimises log-loss, so its probabilities are calibrated in Platt's sense (Platt 1999, "Probabilistic
   outputs for support vector machines"; Niculescu-Mizil & Caruana 2005, "Predicting good probabilities
   with supervised learning", ICML).
2. *Polarity per topic* (complaint / praise / neutral): one-vs-rest logistic regressions over
   (text, topic) pairs whose features are those of the clauses most relevant to the topic (the clause
   of "师傅人很好，但是修了两次都没修好" that is about repair is the second one) plus the topic itself, so
   praise of one aspect is not read as a complaint about another.
3. *Complaint* — the decision that opens a follow-up call — is its own logistic regression on the whole
   text (its probability a Platt-type sigmoid of a linear score fitted by log-loss; Zadrozny & Elkan 2002,
   "Transforming classifier scores into accurate multiclass probability estimates", KDD, compare
   calibration methods), thresholded at the level chosen by cross-validation on the training rows.
4. *Praise* of anything, the same way.

Hyper-parameters and thresholds come from 5-fold cross-validation on the training split only
(:mod:`analysis.topic_training`); :class:`ModelSettings` holds the result. Everything is deterministic
(fixed ``random_state``; liblinear / lbfgs solvers). Blank and "no suggestion" answers (无, 没有, …) get
an empty prediction without consulting the model. See the scikit-learn user guide, "Probability
calibration" and "Multiclass and multioutput algorithms" (https://scikit-learn.org/stable/modules/).

A fitted model pickles with joblib (:func:`dumps` / :func:`loads`); only load bytes this system wrote
(pickle runs code).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from analysis.corpus import TOPICS, LabelledText, normalise_text
from analysis.suggestions import classify, complaint_topics, load_topics, segment

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
]

#: Version of the model's layout (features, parts); bumped whenever a change makes older pickles unusable.
MODEL_FORMAT = 4
#: A clause is about a topic when its topic probability is at least this share of the text's best clause's.
CONTEXT_SHARE = 0.5
#: Texts are cut to this many characters before classification (a pasted essay costs no more than this).
MAX_CHARS = 2000
#: The ``model_version`` of predictions made by the phrase dictionary alone.
DICTIONARY_VERSION = "dictionary"
_CLAUSE = re.compile(r"[,.!?;:、。，！？；：\n\r\t~～…]+|但是|可是|不过|但|就是|只是|\bbut\b|\bhowever\b")
_DICTIONARY_KEYS = (*TOPICS, "praise")


# ---------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TopicScore:
    """One topic of a text: its probability and the polarity of the text about it."""

    topic: str
    probability: float
    polarity: str
    polarity_probability: float = 1.0
    corrected: bool = False


@dataclass(frozen=True)
class TopicPrediction:
    """What a text is about (topics in :data:`analysis.corpus.TOPICS` order), whether it complains
    (``complaint``, which opens a follow-up) and praises, and which model said so.

    ``empty`` is true for blank and "no suggestion" answers, which are no suggestion at all.
    """

    topics: tuple[TopicScore, ...]
    complaint_probability: float
    complaint: bool
    praise_probability: float
    praise: bool
    model_version: str
    empty: bool = False

    @property
    def topic_keys(self) -> tuple[str, ...]:
        return tuple(s.topic for s in self.topics)

    def with_polarity(self, polarity: str) -> tuple[str, ...]:
        """Topics the text is about with this polarity: ``with_polarity("complaint")``."""
        return tuple(s.topic for s in self.topics if s.polarity == polarity)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TopicPrediction:
        return cls(**{**data, "topics": tuple(TopicScore(**s) for s in data["topics"])})


def _empty(version: str) -> TopicPrediction:
    return TopicPrediction((), 0.0, False, 0.0, False, version, empty=True)


@dataclass(frozen=True)
class ModelSettings:
    """Hyper-parameters and decision thresholds (chosen by cross-validation on the training rows)."""

    topic_c: float = 8.0
    topic_balanced: bool = False
    complaint_c: float = 4.0
    praise_c: float = 4.0
    polarity_c: float = 16.0  # 5-fold CV on the training split compared 1, 4, 16, 64 (16 and 64 tied, best)
    use_words: bool = True
    use_dictionary: bool = True
    topic_thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOPICS, 0.5))
    complaint_threshold: float = 0.5
    praise_threshold: float = 0.5


# ---------------------------------------------------------------------------- features
def prepare(text: object) -> str:
    """The text the model reads: HTML entities decoded, NFKC, lower case, at most :data:`MAX_CHARS`."""
    return normalise_text("" if text is None or not isinstance(text, str) else text)[:MAX_CHARS]


def _words(text: str) -> list[str]:
    """jieba words (utility user dictionary) and word bigrams; a module function so models pickle."""
    words = [w.lower() for w in segment(text)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _dictionary_row(text: str) -> list[float]:
    found, complained = set(classify(text)), set(complaint_topics(text))
    return [float(k in found) for k in _DICTIONARY_KEYS] + [float(k in complained) for k in TOPICS]


class TextFeatures:
    """Character n-grams + jieba words + the phrase dictionary's verdicts, as one sparse matrix.

    The three blocks are kept apart (:meth:`blocks`) so cross-validation can compare feature sets on
    the same fitted vectorisers.
    """

    def __init__(self, *, use_words: bool = True, use_dictionary: bool = True) -> None:
        self.use_words, self.use_dictionary = use_words, use_dictionary

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.chars_ = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32
        )
        self.chars_.fit(texts)
        self.words_ = TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32)
        self.words_.fit(texts)
        return self

    def blocks(self, texts: Sequence[str]) -> dict[str, sp.csr_matrix]:
        return {
            "chars": self.chars_.transform(texts),
            "words": self.words_.transform(texts),
            "dictionary": sp.csr_matrix(np.array([_dictionary_row(t) for t in texts], dtype=np.float32).reshape(
                len(texts), len(_DICTIONARY_KEYS) + len(TOPICS))),
        }  # fmt: skip

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return combine(self.blocks(texts), use_words=self.use_words, use_dictionary=self.use_dictionary)


def combine(blocks: dict[str, sp.csr_matrix], *, use_words: bool, use_dictionary: bool) -> sp.csr_matrix:
    parts = [blocks["chars"]] + [blocks["words"]] * use_words + [blocks["dictionary"]] * use_dictionary
    return sp.hstack(parts, format="csr")


def clauses(text: str) -> list[str]:
    """The clauses of a text: split at punctuation and at 但是 / 可是 / 不过 / 就是 / but / however.

    >>> clauses("师傅人很好，但是修了两次都没修好")
    ['师傅人很好', '修了两次都没修好']
    """
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()] or [text]


# ---------------------------------------------------------------------------- estimators
def logistic(c: float, seed: int, *, balanced: bool = False):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="liblinear", class_weight="balanced" if balanced else None,
                              random_state=seed, max_iter=1000, tol=1e-3)  # fmt: skip


class _Constant:
    """Stands in for a classifier when the training rows hold a single class."""

    def __init__(self, value: float) -> None:
        self.value = value

    def predict_proba(self, x) -> np.ndarray:
        return np.tile([1 - self.value, self.value], (x.shape[0], 1))


def _char_weights(model, n_chars: int) -> np.ndarray:
    if isinstance(model, _Constant):
        return np.zeros(n_chars)
    return np.asarray(model.coef_[0][:n_chars], dtype=float)


def _bias(model) -> float:
    if isinstance(model, _Constant):
        value = min(max(model.value, 1e-6), 1 - 1e-6)
        return float(np.log(value / (1 - value)))
    return float(model.intercept_[0])


def fit_binary(estimator, x, y: np.ndarray):
    return estimator.fit(x, y) if 0 < y.sum() < len(y) else _Constant(float(y.mean()) if len(y) else 0.0)


def positive(model, x) -> np.ndarray:
    return model.predict_proba(x)[:, 1]


# ---------------------------------------------------------------------------- the model
class TopicModel:
    """Topics, polarity per topic, complaint and praise of customer suggestions (see the module doc).

    Build one with :func:`analysis.topic_training.train_topic_model` (which chooses ``settings`` by
    cross-validation) or ``TopicModel(settings).fit(rows)``; ``version`` names it in predictions (the
    store sets ``"v3"``; the model trained from the shipped corpus is ``"shipped"``).
    """

    def __init__(
        self, settings: ModelSettings | None = None, *, seed: int = 0, version: str = "unsaved"
    ) -> None:
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
        rows = [r for r in rows if not _is_blank(r.text)]
        if not rows:
            raise ValueError("rows must hold at least one non-empty text, but got none")
        s = self.settings
        texts = [prepare(r.text) for r in rows]
        self.features_ = TextFeatures(use_words=s.use_words, use_dictionary=s.use_dictionary).fit(texts)
        x = self.features_.transform(texts)
        y = np.array([[t in r.topics for t in TOPICS] for r in rows], dtype=int)
        self.topic_models_ = [
            fit_binary(logistic(s.topic_c, self.seed, balanced=s.topic_balanced), x, y[:, k])
            for k in range(len(TOPICS))
        ]
        complaint = np.array([r.complaint for r in rows], dtype=int)
        self.complaint_model_ = fit_binary(logistic(s.complaint_c, self.seed), x, complaint)
        praise = np.array([r.praise for r in rows], dtype=int)
        self.praise_model_ = fit_binary(logistic(s.praise_c, self.seed), x, praise)
        # clause relevance reads the character part of each topic model (cheap on every clause)
        n_chars = len(self.features_.chars_.vocabulary_)
        self.clause_weights_ = np.column_stack([_char_weights(m, n_chars) for m in self.topic_models_])
        self.clause_bias_ = np.array([_bias(m) for m in self.topic_models_])
        pairs = [(i, t) for i, r in enumerate(rows) for t in r.topics]
        self.polarity_model_ = None
        if pairs:
            xp = self._pair_features(texts, pairs)
            labels = np.array([rows[i].polarity(t) for i, t in pairs])
            if len(set(labels)) > 1:
                from sklearn.multiclass import OneVsRestClassifier

                # one binary model per polarity, probabilities normalised (binary relevance again)
                self.polarity_model_ = OneVsRestClassifier(logistic(s.polarity_c, self.seed)).fit(xp, labels)
            else:
                self.polarity_model_ = str(labels[0])
        self._cache: dict[str, TopicPrediction] = {}
        return self

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
        if (
            flat
        ):  # characters only: cheaper, and better than the full features by 5-fold CV on the training split
            chars = self.features_.chars_.transform(flat)
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

    def _pair_features(self, texts: Sequence[str], pairs: Sequence[tuple[int, str]]) -> sp.csr_matrix:
        """Characters of the topic's clauses and (at half weight) of the whole text, the topic, and the
        dictionary's verdict on the whole text (the topic complained about; praise found)."""
        contexts = self._contexts(texts, pairs)
        whole = self.features_.chars_.transform([texts[i] for i, _ in pairs]) * 0.5
        extra = np.zeros((len(pairs), 2 * len(TOPICS) + 1), dtype=np.float32)
        for j, (i, topic) in enumerate(pairs):
            k = TOPICS.index(topic)
            extra[j, k] = 1.0
            extra[j, len(TOPICS) + k] = float(topic in complaint_topics(texts[i]))
            extra[j, -1] = float("praise" in classify(texts[i]))
        return sp.hstack(
            [self.features_.chars_.transform(contexts), whole, sp.csr_matrix(extra)], format="csr"
        )

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
        live = [i for i, t in enumerate(texts) if not _is_blank(t)]
        for i in set(range(len(texts))) - set(live):
            out[i] = _empty(self.version)
        if live:
            x = self.features_.transform([texts[i] for i in live])
            probs = self.topic_probabilities(x)
            complaint, praise = positive(self.complaint_model_, x), positive(self.praise_model_, x)
            chosen = [[t for k, t in enumerate(TOPICS) if probs[j, k] >= s.topic_thresholds.get(t, 0.5)]
                      for j in range(len(live))]  # fmt: skip
            pairs = [(i, t) for i, topics in zip(live, chosen, strict=True) for t in topics]
            polarity = self._polarities(texts, pairs)
            for j, i in enumerate(live):
                scores = tuple(TopicScore(t, round(float(probs[j, TOPICS.index(t)]), 4), *polarity[(i, t)])
                               for t in chosen[j])  # fmt: skip
                out[i] = TopicPrediction(scores, round(float(complaint[j]), 4), bool(complaint[j] >= s.complaint_threshold),
                                         round(float(praise[j]), 4), bool(praise[j] >= s.praise_threshold), self.version)  # fmt: skip
        return out  # type: ignore[return-value]

    def _polarities(self, texts: Sequence[str], pairs: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
        if not pairs:
            return {}
        if self.polarity_model_ is None or isinstance(self.polarity_model_, str):
            label = self.polarity_model_ or "neutral"
            return {p: (label, 1.0) for p in pairs}
        probs = self.polarity_model_.predict_proba(self._pair_features(texts, pairs))
        classes = list(self.polarity_model_.classes_)
        best = probs.argmax(axis=1)
        return {
            p: (str(classes[b]), round(float(probs[j, b]), 4))
            for j, (p, b) in enumerate(zip(pairs, best, strict=True))
        }


def _is_blank(text: str) -> bool:
    return load_topics().is_empty(text)


# ---------------------------------------------------------------------------- dictionary mode
def dictionary_predictions(texts: Sequence[object]) -> list[TopicPrediction]:
    """Predictions by the phrase dictionary alone (installations without training data, and the baseline
    the trained model is compared with): topics of :func:`analysis.suggestions.classify`, polarity
    complaint for :func:`analysis.suggestions.complaint_topics`, praise when the dictionary finds praise,
    else neutral; probabilities are 1.0 (a rule has no confidence)."""
    out = []
    for text in texts:
        text = prepare(text)
        if _is_blank(text):
            out.append(_empty(DICTIONARY_VERSION))
            continue
        found, complained = classify(text), set(complaint_topics(text))
        praise = "praise" in found
        scores = tuple(TopicScore(t, 1.0, "complaint" if t in complained else "praise" if praise else "neutral")
                       for t in TOPICS if t in found)  # fmt: skip
        out.append(TopicPrediction(scores, float(bool(complained)), bool(complained), float(praise), praise,
                                   DICTIONARY_VERSION))  # fmt: skip
    return out


def dumps(model: TopicModel) -> bytes:
    """The fitted model as joblib bytes (for the store)."""
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    return buffer.getvalue()


def loads(data: bytes) -> TopicModel:
    """A model from :func:`dumps` bytes. Pickle runs code: only load bytes this system wrote."""
    import joblib

    model = joblib.load(io.BytesIO(data))
    if not isinstance(model, TopicModel):
        raise TypeError(f"data must hold a TopicModel, but got {type(model).__name__}")
    if getattr(model, "format", None) != MODEL_FORMAT:
        raise ValueError(f"the model's format must be {MODEL_FORMAT}, but got {getattr(model, 'format', None)!r}"
                         " (trained by an older version: train a new one)")  # fmt: skip
    return model
