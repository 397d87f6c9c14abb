"""Counting classified suggestions: per topic (and group) the texts mentioning it, complaining about it,
praising it, with unweighted and weighted shares.

Input is one row per suggestion with a ``prediction`` (:class:`analysis.topic_model.TopicPrediction`,
corrections already applied) and a ``weight`` (the respondent's survey weight). A text may name several
topics, so shares need not add up to 1.

* ``share`` = texts complaining about the topic / texts with a suggestion in the group (unweighted);
* ``weighted_share`` = the same with the respondents' weights, i.e. the estimated share of customers
  whose suggestion complains about the topic (a ratio estimator, Lohr 2019, §4.1; without its SE here).
"""

from __future__ import annotations

import math

import pandas as pd

from analysis.corpus import TOPICS

__all__ = ["COUNT_COLUMNS", "topic_counts", "topic_rows"]

COUNT_COLUMNS = ["topic", "label_zh", "label_en", "count", "complaints", "praise", "neutral", "n_texts", "share",
                 "weighted_share", "praise_share", "mean_probability"]  # fmt: skip


def topic_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (suggestion, topic): the frame's other columns plus ``topic, polarity, probability,
    corrected``; a suggestion without topic keeps one row with ``topic`` None."""
    records = []
    for record in frame.to_dict("records"):
        prediction = record["prediction"]
        for score in prediction.topics or (None,):
            records.append({**record, "topic": score.topic if score else None,
                            "polarity": score.polarity if score else None,
                            "probability": score.probability if score else None,
                            "corrected": bool(score.corrected) if score else record.get("corrected_by") is not None})  # fmt: skip
    columns = [*frame.columns, "topic", "polarity", "probability", "corrected"]
    return pd.DataFrame.from_records(records, columns=columns)


def topic_counts(
    frame: pd.DataFrame, labels: dict[str, tuple[str, str]], by: str | None = None
) -> pd.DataFrame:
    """Counts per topic (every topic in every group, 0 when absent), sorted by group, then complaints.

    ``labels`` maps a topic key to its (Chinese, English) name. Columns: ``[by], *COUNT_COLUMNS``; plus
    two rows per group for the texts as a whole: ``topic`` = ``"_complaint"`` (texts whose complaint
    decision is yes, with or without a topic) and ``"_praise"``.
    """
    groups = [(None, frame)] if by is None else list(frame.groupby(by, sort=True))
    records = []
    for key, part in groups:
        n = len(part)
        weights = part["weight"].astype(float).tolist() if "weight" in part else [1.0] * n
        total = sum(weights)
        stats = {
            t: {"count": 0, "complaint": 0, "praise": 0, "neutral": 0, "w": 0.0, "p": 0.0} for t in TOPICS
        }
        complaint_texts = praise_texts = 0
        w_complaint = w_praise = 0.0
        for prediction, w in zip(part["prediction"], weights, strict=True):
            complaint_texts += prediction.complaint
            praise_texts += prediction.praise
            w_complaint += w * prediction.complaint
            w_praise += w * prediction.praise
            for score in prediction.topics:
                s = stats[score.topic]
                s["count"] += 1
                s[score.polarity] += 1
                s["p"] += score.probability
                s["w"] += w * (score.polarity == "complaint")
        group = {} if by is None else {by: key[0] if isinstance(key, tuple) else key}
        for order, topic in enumerate(TOPICS):
            s = stats[topic]
            records.append({**group, "topic": topic, "label_zh": labels[topic][0], "label_en": labels[topic][1],
                            "count": s["count"], "complaints": s["complaint"], "praise": s["praise"],
                            "neutral": s["neutral"], "n_texts": n, "share": s["complaint"] / n if n else math.nan,
                            "weighted_share": s["w"] / total if total else math.nan,
                            "praise_share": s["praise"] / n if n else math.nan,
                            "mean_probability": s["p"] / s["count"] if s["count"] else math.nan, "_order": order})  # fmt: skip
        for topic, count, weighted in (
            ("_complaint", complaint_texts, w_complaint),
            ("_praise", praise_texts, w_praise),
        ):
            name = labels.get(topic, (topic, topic))
            records.append({**group, "topic": topic, "label_zh": name[0], "label_en": name[1], "count": count,
                            "complaints": complaint_texts if topic == "_complaint" else 0,
                            "praise": praise_texts if topic == "_praise" else 0, "neutral": 0, "n_texts": n,
                            "share": count / n if n else math.nan, "weighted_share": weighted / total if total else math.nan,
                            "praise_share": praise_texts / n if n else math.nan, "mean_probability": math.nan,
                            "_order": 100 + (topic == "_praise")})  # fmt: skip
    columns = ([by] if by else []) + COUNT_COLUMNS
    if not records:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame.from_records(records)
    keys = ([by] if by else []) + ["_general", "complaints", "count", "_order"]
    out["_general"] = out["topic"].str.startswith("_")
    out = out.sort_values(keys, ascending=[True] * (1 if by else 0) + [True, False, False, True])
    return out[columns].reset_index(drop=True)
