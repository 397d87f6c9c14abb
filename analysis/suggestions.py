"""Suggestion topics: sort customers' free-text suggestions by aspect of the service.

Public API over the topic dictionary (``analysis/data/topics.yaml``, matched by
:mod:`analysis.topic_matcher`):

* :func:`classify` — the aspects a suggestion is about, whatever the polarity, plus ``praise``
  (the labelling rule of the evaluation set, ``tests/analysis/data/README.md``):
  ``"态度很好"`` → ``("attitude", "praise")``.
* :func:`complaint_topics` / :func:`is_complaint_text` — whether it complains: an aspect named
  with a negative cue (``"师傅人很好，但是修了两次都没修好"`` → complaint about ``repair``), used
  to open follow-up items.
* :func:`classify_frame` and :func:`summarise_topics` — one row per (suggestion, topic) and
  counts, shares and example texts per group, for the dashboard.

:func:`segment` (jieba with the power-utility user dictionary) serves term statistics,
:func:`top_terms`, which staff use to find words missing from the dictionary.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pandas as pd

from analysis.topic_dictionary import load_topics
from analysis.topic_matcher import (
    _NOT_WORD,
    DEFAULT_TOPICS_PATH,
    TOPIC_KEYS,
    USERDICT_PATH,
    MatchSettings,
    Topic,
    TopicDictionary,
    Verdict,
    _as_text,
)

__all__ = [
    "DEFAULT_TOPICS_PATH",
    "TOPIC_KEYS",
    "USERDICT_PATH",
    "MatchSettings",
    "Topic",
    "TopicDictionary",
    "Verdict",
    "classify",
    "classify_frame",
    "complaint_topics",
    "is_complaint",
    "is_complaint_text",
    "load_topics",
    "segment",
    "summarise_topics",
    "top_terms",
]


# ---------------------------------------------------------------------------- public API
def classify(text: object, topics: TopicDictionary | None = None) -> tuple[str, ...]:
    """Aspects of the service (topic keys, in dictionary order) a suggestion is about, plus praise.

    Topics are aspects whatever the polarity; ``praise`` is an additional label when the text
    praises something (tests/analysis/data/README.md). Use :func:`complaint_topics` to know
    which aspects are complained about.

    Parameters
    ----------
    text : the suggestion; None, NaN, blank text and "no suggestion" answers (无, 没有, 暂无,
        no, …; ``settings.empty_texts``) give ``()``.
    topics : the dictionary; default :func:`load_topics`.

    Examples
    --------
    >>> classify("停电前没有收到通知，电压也经常不稳")
    ('outage_notice', 'reliability')
    >>> classify("营业员态度很好"), classify("服务不满意"), classify("无")
    (('attitude', 'praise'), (), ())
    """
    return (topics or load_topics()).classify(text)


def complaint_topics(text: object, topics: TopicDictionary | None = None) -> tuple[str, ...]:
    """The aspects a suggestion complains about: named with a negative cue (态度差, 电费 + 贵, 没修好).

    A wish (希望电压稳定一点), a plain or positive mention (态度很好) and praise are not
    complaints. ``()`` for empty texts.

    Examples
    --------
    >>> complaint_topics("师傅人很好，但是修了两次都没修好")
    ('repair',)
    >>> complaint_topics("态度很好")
    ()
    """
    return (topics or load_topics()).complaints(text)


def is_complaint_text(text: object, topics: TopicDictionary | None = None) -> bool:
    """True when the suggestion complains about at least one aspect (see :func:`complaint_topics`).

    This is the rule that opens a follow-up item for a suggestion (survey.follow_ups).
    """
    return bool(complaint_topics(text, topics))


def is_complaint(topics: Iterable[str], dictionary: TopicDictionary | None = None) -> bool:
    """True when any of the topic keys is a complaint cause (every topic except praise by default).

    This looks at topic keys only; since topics are aspects whatever the polarity, use
    :func:`is_complaint_text` to know whether a *text* complains.
    """
    if isinstance(topics, str):
        raise TypeError("topics must be an iterable of topic keys, but got a str")
    dictionary = dictionary or load_topics()
    return any(dictionary[key].complaint for key in topics)


def _columns(df: object, names: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, but got {type(df).__name__}")
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise ValueError(f"{what} must name columns of df, but {missing} not in {list(df.columns)}")


def _by_list(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def classify_frame(df: pd.DataFrame, text_col: str = "suggestion", by: str | Sequence[str] | None = None,
                   topics: TopicDictionary | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per (suggestion, topic).

    Rows whose text is missing, blank or a "no suggestion" answer are dropped; a real suggestion
    with no topic keeps one row with ``topic`` = NA, so it still counts in the shares.

    Returns
    -------
    DataFrame indexed like ``df`` (labels repeat for several topics), columns ``[by…], row``
    (position in ``df``), ``text, topic, label_zh, label_en, complaint`` (the text complains
    about this topic) and ``text_complaint`` (the text complains about any topic).
    """
    by_cols = _by_list(by)
    _columns(df, [text_col, *by_cols], "text_col and by")
    dictionary = topics or load_topics()
    labels = {t.key: t for t in dictionary.topics}
    texts = ["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
             for v in df[text_col].tolist()]  # fmt: skip
    rows, keys = [], []
    verdicts: dict[str, tuple[tuple[str, ...], tuple[str, ...]] | None] = {}
    complaints: list[tuple[str, ...]] = []
    for position, text in enumerate(texts):
        if text not in verdicts:
            verdicts[text] = (
                None
                if dictionary.is_empty(text)
                else (dictionary.classify(text), dictionary.complaints(text))
            )
        found = verdicts[text]
        if found is not None:
            for key in found[0] or (None,):
                rows.append(position)
                keys.append(key)
                complaints.append(found[1])
    out = df.iloc[rows][by_cols].copy() if by_cols else pd.DataFrame(index=df.index[rows])
    out["row"] = rows
    out["text"] = [texts[i] for i in rows]
    out["topic"] = pd.array(keys, dtype="object")
    out["label_zh"] = [labels[k].label_zh if k else None for k in keys]
    out["label_en"] = [labels[k].label_en if k else None for k in keys]
    out["complaint"] = [k in c for k, c in zip(keys, complaints, strict=True)]
    out["text_complaint"] = [bool(c) for c in complaints]
    return out


def summarise_topics(df: pd.DataFrame, by: str | Sequence[str] | None = None, examples: int = 3,
                     topics: TopicDictionary | None = None) -> pd.DataFrame:  # fmt: skip
    """Counts, shares and example texts per topic (and per ``by`` group) from :func:`classify_frame`.

    ``share`` = suggestions mentioning the topic / suggestions in the group (``n_texts``); a text
    can mention several topics, so shares need not add to 1. Every topic appears in every group
    (count 0 when absent). Sorted by group, then count (descending), then dictionary order.

    Returns
    -------
    DataFrame with columns ``[by…], topic, label_zh, label_en, complaint, count, complaints,
    n_texts, share, examples``: ``complaint`` says whether the topic is a complaint cause,
    ``complaints`` counts the texts complaining about it (0 when the input has no ``complaint``
    column), ``examples`` lists up to ``examples`` distinct texts, in input order.
    """
    if isinstance(examples, bool) or not isinstance(examples, int) or examples < 0:
        raise ValueError(f"examples must be an integer >= 0, but got {examples!r}")
    by_cols = _by_list(by)
    _columns(df, ["row", "text", "topic", *by_cols], "classify_frame output and by")
    dictionary = topics or load_topics()
    keys = by_cols or ["_all"]
    data = df if by_cols else df.assign(_all=0)
    n_texts = data.groupby(keys, sort=True, dropna=False)["row"].nunique().to_dict() or (
        {0: 0} if not by_cols else {}
    )
    tagged = data[data["topic"].notna()].drop_duplicates([*keys, "topic", "row"])
    counts = tagged.groupby([*keys, "topic"], dropna=False).size().to_dict()
    complained = (
        tagged[tagged["complaint"].astype(bool)].groupby([*keys, "topic"], dropna=False).size().to_dict()
        if "complaint" in tagged.columns
        else {}
    )
    firsts = (
        tagged.drop_duplicates([*keys, "topic", "text"])
        .groupby([*keys, "topic"], dropna=False)
        .head(examples)
    )
    shown = firsts.groupby([*keys, "topic"], dropna=False)["text"].agg(list).to_dict()
    records = []
    for group, n in n_texts.items():
        group = group if isinstance(group, tuple) else (group,)
        for order, topic in enumerate(dictionary.topics):
            count = counts.get((*group, topic.key), 0)
            records.append({**dict(zip(by_cols, group, strict=False)), "topic": topic.key,
                            "label_zh": topic.label_zh, "label_en": topic.label_en,
                            "complaint": topic.complaint, "count": count,
                            "complaints": complained.get((*group, topic.key), 0), "n_texts": n,
                            "share": count / n if n else math.nan,
                            "examples": shown.get((*group, topic.key), []), "_order": order})  # fmt: skip
    out = pd.DataFrame.from_records(records)
    out = out.sort_values([*by_cols, "count", "_order"], ascending=[True] * len(by_cols) + [False, True])
    return out.drop(columns="_order").reset_index(drop=True)


# ---------------------------------------------------------------------------- segmentation
_TOKENIZER = None
_FAST = None
_TOKENIZER_LOCK = threading.Lock()


def _tokenizer():
    """One private jieba.Tokenizer with the user dictionary, built on first use (quietly)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        with _TOKENIZER_LOCK:
            if _TOKENIZER is None:
                import jieba

                logger = logging.getLogger("jieba")
                level = logger.level
                logger.setLevel(logging.WARNING)
                try:
                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    tokenizer.load_userdict(str(USERDICT_PATH))
                finally:
                    logger.setLevel(level)
                _TOKENIZER = tokenizer
    return _TOKENIZER


def _fast_tokenizer():
    """One ``rjieba.Jieba`` (jieba-rs: jieba's algorithm and default dictionary in Rust) with the same user
    dictionary, built on first use: the dictionary-only cut (``hmm=False``) about 12 × faster than jieba's own,
    the same words (``tests/analysis/test_topic_dictionary.py`` compares them on the whole corpus)."""
    global _FAST
    if _FAST is None:
        with _TOKENIZER_LOCK:
            if _FAST is None:
                import rjieba

                fast = rjieba.Jieba()
                for line in USERDICT_PATH.read_text(encoding="utf-8").splitlines():
                    word, freq, tag = (line.split() + [None, None])[:3]
                    if word:
                        fast.add_word(word, int(freq) if freq else None, tag)
                _FAST = fast
    return _FAST


@lru_cache(maxsize=65_536)
def _segment(text: str, hmm: bool) -> tuple[str, ...]:
    tokens = _tokenizer().lcut(text, HMM=True) if hmm else _fast_tokenizer().cut(text, False)
    return tuple(w for w in (t.strip() for t in tokens) if _is_word(w))


@lru_cache(maxsize=262_144)
def _is_word(token: str) -> bool:
    """Not whitespace or punctuation alone (cached: the same tokens come back in text after text)."""
    return bool(_NOT_WORD.sub("", token))


def segment(text: object, *, hmm: bool = True) -> list[str]:
    """Words of a text by jieba with the power-utility user dictionary (95598, 网上国网, 抢修 …).

    The text is NFKC-normalised first (９５５９８ → 95598); whitespace and punctuation-only
    tokens are dropped. Results of repeated texts are cached. ``hmm`` (jieba's hidden Markov model
    for words missing from its dictionary) finds new words for :func:`top_terms`; the topic model
    reads the dictionary words alone (``hmm=False``, cut by jieba-rs through ``rjieba``: the same words
    as jieba's own dictionary-only cut, about 12 × faster).
    """
    text = _as_text(text)
    return list(_segment(unicodedata.normalize("NFKC", text), hmm)) if text.strip() else []


def top_terms(texts: Iterable[object], n: int = 20, min_length: int = 2,
              stopwords: Iterable[str] = ()) -> pd.DataFrame:  # fmt: skip
    """The ``n`` most frequent words (by :func:`segment`) with their counts, e.g. over the
    suggestions that got no topic, to find words missing from the dictionary."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, but got {n!r}")
    stop = set(stopwords)
    counts = Counter(w for t in texts for w in segment(t) if len(w) >= min_length and w not in stop)
    return pd.DataFrame(counts.most_common(n), columns=["term", "count"])
