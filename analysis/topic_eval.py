"""Scores of topic predictions against labelled texts: per-topic precision / recall / F1, micro and macro
averages, exact match, "no topic" precision, topic-polarity pairs and the complaint / praise decisions.

Multi-label metrics as in Manning, Raghavan & Schütze 2008, *Introduction to Information Retrieval*,
§13.6 (micro-averaging pools TP, FP and FN over topics; macro-averaging averages the per-topic F1) and
Tsoumakas & Katakis 2007 (exact match = subset accuracy). An undefined ratio (0/0) is ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.corpus import TOPICS, LabelledText
from analysis.topic_model import TopicPrediction

__all__ = ["Counts", "TopicScores", "score_predictions"]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives of one decision."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else math.nan

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else math.nan

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def _count(gold: Sequence[bool], predicted: Sequence[bool]) -> Counts:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    return Counts(tp, sum(p and not g for g, p in zip(gold, predicted, strict=True)),
                  sum(g and not p for g, p in zip(gold, predicted, strict=True)))  # fmt: skip


@dataclass(frozen=True)
class TopicScores:
    """Every score of one set of predictions (see the module doc)."""

    n: int
    per_topic: dict[str, Counts]
    no_topic: Counts
    complaint: Counts
    praise: Counts
    polarity: Counts | None
    exact_match: float

    @property
    def micro(self) -> Counts:
        total = Counts()
        for counts in self.per_topic.values():
            total = total + counts
        return total

    @property
    def macro_f1(self) -> float:
        values = [c.f1 for c in self.per_topic.values() if c.support]
        values = [0.0 if math.isnan(v) else v for v in values]
        return sum(values) / len(values) if values else math.nan

    def table(self) -> pd.DataFrame:
        """One row per topic, then micro, macro, no topic, topic:polarity, complaint and praise."""
        rows = [(k, c) for k, c in self.per_topic.items()]
        rows += [("micro", self.micro), ("no topic", self.no_topic)]
        rows += [("topic:polarity", self.polarity)] if self.polarity is not None else []
        rows += [("complaint", self.complaint), ("praise", self.praise)]  # fmt: skip
        frame = pd.DataFrame(
            [
                {"row": k, "precision": c.precision, "recall": c.recall, "f1": c.f1, "support": c.support}
                for k, c in rows
            ]  # fmt: skip
        )
        macro = pd.DataFrame([{"row": "macro", "precision": math.nan, "recall": math.nan, "f1": self.macro_f1,
                               "support": self.micro.support}])  # fmt: skip
        exact = pd.DataFrame([{"row": "exact match", "precision": math.nan, "recall": math.nan,
                               "f1": self.exact_match, "support": self.n}])  # fmt: skip
        return pd.concat([frame.iloc[: len(TOPICS) + 1], macro, exact, frame.iloc[len(TOPICS) + 1 :]],
                         ignore_index=True)  # fmt: skip

    def to_dict(self) -> dict:
        """Plain numbers for JSON (``nan`` becomes ``None``)."""

        def clean(value: float) -> float | None:
            return None if value is None or math.isnan(value) else round(float(value), 4)

        def block(c: Counts) -> dict:
            return {"precision": clean(c.precision), "recall": clean(c.recall), "f1": clean(c.f1),
                    "support": c.support, "tp": c.tp, "fp": c.fp, "fn": c.fn}  # fmt: skip

        return {"n": self.n, "topics": {k: block(c) for k, c in self.per_topic.items()},
                "micro": block(self.micro), "macro_f1": clean(self.macro_f1), "exact_match": clean(self.exact_match),
                "no_topic": block(self.no_topic), "polarity": block(self.polarity) if self.polarity else None,
                "complaint": block(self.complaint), "praise": block(self.praise)}  # fmt: skip


def score_predictions(gold: Sequence[LabelledText], predicted: Sequence[TopicPrediction]) -> TopicScores:
    """Score ``predicted`` (one per text, same order) against ``gold``.

    ``exact_match`` is the share of texts whose predicted topic set equals the labelled one (subset
    accuracy; polarity not compared). ``no_topic`` treats "no topic" as a label of its own (its precision: of the texts given no topic,
    the share that have none). ``polarity`` scores ``topic:polarity`` pairs (a right topic with the wrong
    polarity is one false positive and one false negative).
    """
    if len(gold) != len(predicted):
        raise ValueError(
            f"predicted must hold one prediction per text ({len(gold)}), but got {len(predicted)}"
        )
    gold_sets = [set(g.topics) for g in gold]
    pred_sets = [set(p.topic_keys) for p in predicted]
    per_topic = {t: _count([t in g for g in gold_sets], [t in p for p in pred_sets]) for t in TOPICS}
    gold_pairs = [set(g.labels) for g in gold]
    pred_pairs = [{(s.topic, s.polarity) for s in p.topics} for p in predicted]
    polarity = Counts(sum(len(g & p) for g, p in zip(gold_pairs, pred_pairs, strict=True)),
                      sum(len(p - g) for g, p in zip(gold_pairs, pred_pairs, strict=True)),
                      sum(len(g - p) for g, p in zip(gold_pairs, pred_pairs, strict=True)))  # fmt: skip
    exact = [g == p for g, p in zip(gold_sets, pred_sets, strict=True)]
    return TopicScores(
        n=len(gold),
        per_topic=per_topic,
        no_topic=_count([not g for g in gold_sets], [not p for p in pred_sets]),
        complaint=_count([g.complaint for g in gold], [p.complaint for p in predicted]),
        praise=_count([g.praise for g in gold], [p.praise for p in predicted]),
        polarity=polarity,
        exact_match=sum(exact) / len(exact) if exact else math.nan,
    )
