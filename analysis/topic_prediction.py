"""What a suggestion is about, as the topic model or the phrase dictionary answers it.

:class:`TopicPrediction` (topics with probabilities and a polarity each, the complaint and praise
decisions, the model version) is what the store keeps per response and the pages show;
:func:`dictionary_predictions` gives the same answer from the phrase dictionary alone, for installations
without training data and as the baseline the trained model is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from analysis.corpus import TOPICS
from analysis.suggestions import classify, complaint_topics, load_topics
from analysis.topic_features import prepare

__all__ = ["DICTIONARY_VERSION", "TopicPrediction", "TopicScore", "dictionary_predictions", "is_blank"]

#: The ``model_version`` of predictions made by the phrase dictionary alone.
DICTIONARY_VERSION = "dictionary"


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


def empty_prediction(version: str) -> TopicPrediction:
    """The prediction of a blank or "no suggestion" answer."""
    return TopicPrediction((), 0.0, False, 0.0, False, version, empty=True)


def nothing_found(version: str) -> TopicPrediction:
    """The prediction of a text with nothing to read (:func:`analysis.topic_features.is_gibberish`)."""
    return TopicPrediction((), 0.0, False, 0.0, False, version)


def is_blank(text: str) -> bool:
    """True for blank and "no suggestion" answers (无, 没有, 暂无, no …; ``settings.empty_texts``)."""
    return load_topics().is_empty(text)


def dictionary_predictions(texts: Sequence[object]) -> list[TopicPrediction]:
    """Predictions by the phrase dictionary alone: topics of :func:`analysis.suggestions.classify`,
    polarity complaint for :func:`analysis.suggestions.complaint_topics`, praise when the dictionary finds
    praise, else neutral; probabilities are 1.0 (a rule has no confidence)."""
    out = []
    for text in texts:
        text = prepare(text)
        if is_blank(text):
            out.append(empty_prediction(DICTIONARY_VERSION))
            continue
        found, complained = classify(text), set(complaint_topics(text))
        praise = "praise" in found
        scores = tuple(TopicScore(t, 1.0, "complaint" if t in complained else "praise" if praise else "neutral")
                       for t in TOPICS if t in found)  # fmt: skip
        out.append(TopicPrediction(scores, float(bool(complained)), bool(complained), float(praise), praise,
                                   DICTIONARY_VERSION))  # fmt: skip
    return out
