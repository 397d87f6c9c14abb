"""Suggestion topics: sort customers' free-text suggestions into complaint causes.

The causes, their labels and the words that signal them live in an editable dictionary,
``analysis/data/topics.yaml`` (its header explains the rules). Matching is done on the
normalised characters of the text (NFKC, lower case), not on jieba tokens, so a phrase that
staff add to the dictionary matches however jieba would split the sentence around it; Latin
words match as whole words. A topic is found by a keyword, an ``A...B`` keyword (B shortly
after A in the same clause) or a subject next to a cue (电费 + 贵); a negative word that
overlaps the hit cancels it, and for praise a negator right before (不满意, not helpful) or a
suggestion marker earlier in the clause (希望能及时一点) cancels it too. This is a transparent
lexicon method: every decision can be traced to one dictionary entry, which is what a
complaint-handling team needs to maintain it (Liu 2012, *Sentiment Analysis and Opinion
Mining*, ch. 5, on lexicon-based classification and negation).

:func:`segment` (jieba with the power-utility user dictionary) serves term statistics,
:func:`top_terms`, which staff use to find words missing from the dictionary.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

__all__ = [
    "DEFAULT_TOPICS_PATH",
    "TOPIC_KEYS",
    "USERDICT_PATH",
    "MatchSettings",
    "Topic",
    "TopicDictionary",
    "classify",
    "classify_frame",
    "is_complaint",
    "load_topics",
    "segment",
    "summarise_topics",
    "top_terms",
]

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_TOPICS_PATH = DATA_DIR / "topics.yaml"
USERDICT_PATH = DATA_DIR / "userdict.txt"
TOPIC_KEYS = ("attitude", "skill", "outage_notice", "reliability", "repair", "billing", "channels",
              "procedures", "external", "praise")  # fmt: skip
_TOPIC_FIELDS = {"label_zh", "label_en", "complaint", "keywords", "weak_keywords", "negative", "subjects",
                 "cues", "requests", "negatable", "drop_if_only_praise", "description"}  # fmt: skip
_SETTINGS_FIELDS = {"gap", "window", "negation_gap", "negators", "suggestion_markers", "empty_texts"}
_CLAUSE_BREAK = re.compile(r"[,.!?;:、。\n\r\t|]")
_NOT_WORD = re.compile(r"[\W_]+")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "ness")
_CACHE_LIMIT = 200_000
# roles a dictionary literal can play
_KW, _WEAK, _GAP_A, _GAP_B, _SUBJ, _CUE, _REQ, _NEG, _NEGATOR, _MARKER = range(10)


@dataclass(frozen=True)
class Topic:
    """One complaint cause (or praise) and the words that signal it (see topics.yaml)."""

    key: str
    label_zh: str
    label_en: str
    complaint: bool
    keywords: tuple[str, ...]
    weak_keywords: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()
    negatable: bool = False
    drop_if_only_praise: bool = False


@dataclass(frozen=True)
class MatchSettings:
    """Distances (in characters) and the global word lists of the matcher."""

    gap: int = 8
    window: int = 10
    negation_gap: int = 2
    negators: tuple[str, ...] = ()
    suggestion_markers: tuple[str, ...] = ()
    empty_texts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TopicDictionary:
    """The validated topic dictionary with its compiled matcher; build it with :func:`load_topics`."""

    topics: tuple[Topic, ...]
    settings: MatchSettings = MatchSettings()
    source: str | None = None
    _matcher: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_matcher", _Matcher(self.topics, self.settings))

    @property
    def keys(self) -> tuple[str, ...]:
        """Topic keys in dictionary order (the order of every result)."""
        return tuple(t.key for t in self.topics)

    def __getitem__(self, key: str) -> Topic:
        for topic in self.topics:
            if topic.key == key:
                return topic
        raise KeyError(key)

    def classify(self, text: object) -> tuple[str, ...]:
        """Topic keys of one text; see :func:`classify`."""
        return self._matcher.classify(_as_text(text))

    def is_empty(self, text: object) -> bool:
        """True for None/NaN, blank text and "no suggestion" answers (无, 没有, 暂无, no …)."""
        return self._matcher.is_empty(_normalise(_as_text(text)))


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")


def _as_text(value: object) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    raise TypeError(f"text must be a str, None or NaN, but got {type(value).__name__}")


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class _Matcher:
    """Finds every dictionary literal in a text (all overlaps) and applies the topic rules."""

    def __init__(self, topics: Sequence[Topic], settings: MatchSettings) -> None:
        self.topics, self.settings = tuple(topics), settings
        self.roles: dict[str, list[tuple[int, int, int]]] = {}
        for t, topic in enumerate(topics):
            for kind, words in ((_WEAK, topic.weak_keywords), (_KW, topic.keywords)):
                for ref, word in enumerate(words):
                    parts = word.split("...")
                    if len(parts) == 1:
                        self._add(word, t, kind, 0)
                    else:  # "A...B": the pair is identified by (topic, ref, kind)
                        self._add(parts[0], t, _GAP_A, ref * 2 + (kind == _WEAK))
                        self._add(parts[1], t, _GAP_B, ref * 2 + (kind == _WEAK))
            for kind, words in ((_SUBJ, topic.subjects), (_CUE, topic.cues), (_REQ, topic.requests),
                                (_NEG, topic.negative)):  # fmt: skip
                for word in words:
                    self._add(word, t, kind, 0)
        for kind, words in ((_NEGATOR, settings.negators), (_MARKER, settings.suggestion_markers)):
            for word in words:
                self._add(word, -1, kind, 0)
        # state of every literal and proper prefix: 1 literal, 2 prefix, 4/8 Latin letter at the start/end
        self.states: dict[str, int] = {}
        for word in self.roles:
            for k in range(1, len(word)):
                self.states[word[:k]] = self.states.get(word[:k], 0) | 2
            latin = 4 * _is_word_char(word[0]) + 8 * _is_word_char(word[-1])
            self.states[word] = self.states.get(word, 0) | 1 | latin
        self.max_len = max(map(len, self.roles), default=1)
        self.cache: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()

    def _add(self, word: str, topic: int, kind: int, ref: int) -> None:
        self.roles.setdefault(_normalise(word), []).append((topic, kind, ref))

    def is_empty(self, norm: str) -> bool:
        return not norm.strip() or _NOT_WORD.sub("", norm) in self.settings.empty_texts

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """All (start, end, literal) occurrences sorted by start; Latin literals only as whole words."""
        found, states, n = [], self.states, len(text)
        for i, ch in enumerate(text):
            state, end, piece = states.get(ch, 0), i + 1, ch
            while state:
                if state & 1:
                    stop = end
                    if state & 8 and end < n and _is_word_char(text[end]):
                        stop = next((end + len(s) for s in _SUFFIXES if text.startswith(s, end)
                                     and (end + len(s) == n or not _is_word_char(text[end + len(s)]))), -1)  # fmt: skip
                    if stop > 0 and not (state & 4 and i and _is_word_char(text[i - 1])):
                        found.append((i, stop, piece))
                if not state & 2 or end >= n:
                    break
                end += 1
                piece = text[i:end]
                state = states.get(piece, 0)
        return found

    def classify(self, text: str) -> tuple[str, ...]:
        cached = self.cache.get(text)
        if cached is None:
            cached = self._classify(_normalise(text))
            with self.lock:
                if len(self.cache) >= _CACHE_LIMIT:
                    self.cache.clear()
                self.cache[text] = cached
        return cached

    def _classify(self, text: str) -> tuple[str, ...]:
        if self.is_empty(text):
            return ()
        parts: dict[int, dict[int, list[tuple[int, int, int]]]] = {}
        negators, markers = [], []
        for start, end, literal in self.scan(text):
            for t, kind, ref in self.roles[literal]:
                if kind == _NEGATOR:
                    negators.append((start, end))
                elif kind == _MARKER:
                    markers.append((start, end))
                else:
                    parts.setdefault(t, {}).setdefault(kind, []).append((start, end, ref))
        if not parts:
            return ()
        breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
        ctx = _Context(text, breaks, negators, markers, self.settings, self.max_len)
        found = {t for t, kinds in parts.items() if ctx.matches(kinds, self.topics[t].negatable, weak=False)}
        if all(self.topics[t].drop_if_only_praise for t in found):
            # weak keywords (a bare 停电, a polite 谢谢) speak only when nothing else, or only a
            # context topic such as the weather, was found: 台风停电 → external + reliability
            found |= {t for t, kinds in parts.items() if _WEAK in kinds or _GAP_A in kinds
                      if ctx.matches(kinds, True, weak=True)}  # fmt: skip
        praise = {t for t in found if not self.topics[t].complaint}
        if praise and all(self.topics[t].drop_if_only_praise for t in found - praise):
            found = praise  # "thanks for working through the typhoon" is no complaint about the typhoon
        return tuple(self.topics[t].key for t in sorted(found))


def _starting(spans: list, low: int, high: int) -> list:
    """The spans (sorted by start) whose start lies in [low, high)."""
    return spans[bisect_left(spans, low, key=_start) : bisect_left(spans, high, key=_start)]


def _start(span: tuple) -> int:
    return span[0]


@dataclass
class _Context:
    """One normalised text with its clause breaks, negators and suggestion markers."""

    text: str
    breaks: list[int]
    negators: list[tuple[int, int]]
    markers: list[tuple[int, int]]
    settings: MatchSettings
    max_len: int

    def _same(self, left: int, right: int) -> bool:
        return bisect_right(self.breaks, left) == bisect_right(self.breaks, right)

    def matches(self, kinds: dict[int, list[tuple[int, int, int]]], negatable: bool, weak: bool) -> bool:
        negative = kinds.get(_NEG, [])
        for hit in self._candidates(kinds, weak):
            if negative and any(
                ne > s for s, e in hit for _, ne, _ in _starting(negative, s - self.max_len, e)
            ):
                continue
            if negatable and (self._negated(hit[-1][0]) or self._after_marker(hit[0][0])):
                continue
            return True
        return False

    def _candidates(self, kinds: dict[int, list[tuple[int, int, int]]], weak: bool) -> Iterable[list]:
        for s, e, _ in kinds.get(_WEAK if weak else _KW, []):
            yield [(s, e)]
        gap, window = self.settings.gap, self.settings.window
        for s1, e1, ref in kinds.get(_GAP_A, []):
            if ref % 2 == weak:
                for s2, e2, ref2 in _starting(kinds.get(_GAP_B, []), e1, e1 + gap + 1):
                    if ref2 == ref and self._same(s1, s2):
                        yield [(s1, e1), (s2, e2)]
        if weak:
            return
        cues = kinds.get(_CUE, [])
        for a, b, _ in kinds.get(_SUBJ, []) if cues else ():
            for c, d, _ in _starting(cues, a - window - self.max_len, b + window + 1):
                distance = c - b if c >= b else a - d
                if 0 <= distance <= window and self._same(min(a, c), max(a, c)):
                    yield [(a, b), (c, d)]
        for s, e, _ in kinds.get(_REQ, []) if self.markers else ():
            if any(me <= s and self._same(ms, s) for ms, me in _starting(self.markers, s - window - self.max_len, s)
                   if s - me <= window):  # fmt: skip
                yield [(s, e)]

    def _negated(self, start: int) -> bool:
        for ns, ne in _starting(self.negators, start - 32, start):
            if ne <= start and self._same(ns, start):
                between = self.text[ne:start]
                if len(between.strip()) <= self.settings.negation_gap or (
                    between.isascii() and len(between.split()) <= 1
                ):
                    return True
        return False

    def _after_marker(self, start: int) -> bool:
        index = bisect_right(self.breaks, start)
        clause_start = self.breaks[index - 1] if index else 0
        return any(me <= start for _, me in _starting(self.markers, clause_start, start))


# ---------------------------------------------------------------------------- loading
def _words(value: object, topic: str, name: str, *, required: bool = False) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise ValueError(f"topic {topic!r}: {name} must be a non-empty list of words, but got {value!r}")
    words = []
    for word in value:
        if isinstance(word, bool) or not isinstance(word, str | int):  # YAML reads 95598 as int
            raise ValueError(f"topic {topic!r}: {name} entries must be text, but got {word!r} (quote it)")
        word = _normalise(str(word)).strip()
        parts = word.split("...")
        if not word or len(parts) > 2 or not all(p.strip() for p in parts):
            raise ValueError(f"topic {topic!r}: {name} entry {word!r} must be a word or 'A...B'")
        words.append(word)
    return tuple(dict.fromkeys(words))


def _parse(data: object, source: str) -> TopicDictionary:
    if not isinstance(data, dict) or not isinstance(data.get("topics"), dict):
        raise ValueError(f"{source}: the file must be a mapping with a 'topics' mapping")
    extra = set(data) - {"version", "settings", "topics"}
    if extra:
        raise ValueError(f"{source}: unknown top-level key(s) {sorted(extra)}")
    topics = []
    for key, spec in data["topics"].items():
        if key not in TOPIC_KEYS:
            raise ValueError(f"{source}: unknown topic {key!r}; topics must be among {list(TOPIC_KEYS)}")
        if not isinstance(spec, dict):
            raise ValueError(f"topic {key!r}: must be a mapping of fields, but got {spec!r}")
        unknown = set(spec) - _TOPIC_FIELDS
        if unknown:
            raise ValueError(
                f"topic {key!r}: unknown field(s) {sorted(unknown)}; allowed {sorted(_TOPIC_FIELDS)}"
            )
        for name in ("label_zh", "label_en"):
            if not isinstance(spec.get(name), str) or not spec[name].strip():
                raise ValueError(
                    f"topic {key!r}: {name} must be a non-empty text, but got {spec.get(name)!r}"
                )
        flags = {name: spec.get(name, default) for name, default in
                 (("complaint", key != "praise"), ("negatable", False), ("drop_if_only_praise", False))}  # fmt: skip
        for name, flag in flags.items():
            if not isinstance(flag, bool):
                raise ValueError(f"topic {key!r}: {name} must be true or false, but got {flag!r}")
        words = {name: _words(spec.get(name), key, name, required=name == "keywords")
                 for name in ("keywords", "weak_keywords", "negative", "subjects", "cues", "requests")}  # fmt: skip
        if bool(words["subjects"]) != bool(words["cues"]):
            raise ValueError(f"topic {key!r}: subjects and cues must be given together (both non-empty)")
        topics.append(Topic(key, spec["label_zh"].strip(), spec["label_en"].strip(), **flags, **words))
    missing = [k for k in TOPIC_KEYS if k not in data["topics"]]
    if missing:
        raise ValueError(f"{source}: topic(s) {missing} missing; every topic in {list(TOPIC_KEYS)} is needed")
    raw = data.get("settings") or {}
    if not isinstance(raw, dict) or set(raw) - _SETTINGS_FIELDS:
        raise ValueError(f"{source}: settings must be a mapping with keys among {sorted(_SETTINGS_FIELDS)}")
    numbers = {}
    for name in ("gap", "window", "negation_gap"):
        value = raw.get(name, getattr(MatchSettings, name))
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            raise ValueError(f"settings.{name} must be an integer in [0, 100], but got {value!r}")
        numbers[name] = value
    lists = {name: _words(raw.get(name), "settings", name) for name in ("negators", "suggestion_markers")}
    empty_raw = raw.get("empty_texts") or []
    if not isinstance(empty_raw, list) or not all(isinstance(w, str | int) for w in empty_raw):
        raise ValueError(f"settings.empty_texts must be a list of texts, but got {empty_raw!r}")
    empty = frozenset(_NOT_WORD.sub("", _normalise(str(w))) for w in empty_raw) - {""}
    settings = MatchSettings(**numbers, **lists, empty_texts=empty)
    return TopicDictionary(tuple(topics), settings, source)


def load_topics(path: str | Path | None = None) -> TopicDictionary:
    """Load and validate a topic dictionary (YAML).

    Parameters
    ----------
    path : the YAML file; ``None`` loads the packaged ``analysis/data/topics.yaml`` (cached).

    Raises
    ------
    ValueError
        Invalid YAML, unknown or missing topic keys, unknown fields, empty keyword lists,
        wrong types — the message names the topic and the field.
    """
    if path is None:
        return _default_topics()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc
    return _parse(data, str(path))


@lru_cache(maxsize=1)
def _default_topics() -> TopicDictionary:
    return load_topics(DEFAULT_TOPICS_PATH)


# ---------------------------------------------------------------------------- public API
def classify(text: object, topics: TopicDictionary | None = None) -> tuple[str, ...]:
    """Complaint causes (topic keys, in dictionary order) mentioned in one suggestion.

    Parameters
    ----------
    text : the suggestion; None, NaN, blank text and "no suggestion" answers (无, 没有, 暂无,
        no, …; ``settings.empty_texts``) give ``()``.
    topics : the dictionary; default :func:`load_topics`.

    Examples
    --------
    >>> classify("停电前没有收到通知，电压也经常不稳")
    ('outage_notice', 'reliability')
    >>> classify("抢修师傅很辛苦，点赞！"), classify("服务不满意"), classify("无")
    (('praise',), (), ())
    """
    return (topics or load_topics()).classify(text)


def is_complaint(topics: Iterable[str], dictionary: TopicDictionary | None = None) -> bool:
    """True when any of the topic keys is a complaint cause (every topic except praise by default)."""
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
    (position in ``df``), ``text, topic, label_zh, label_en, complaint``.
    """
    by_cols = _by_list(by)
    _columns(df, [text_col, *by_cols], "text_col and by")
    dictionary = topics or load_topics()
    labels = {t.key: t for t in dictionary.topics}
    texts = ["" if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v)
             for v in df[text_col].tolist()]  # fmt: skip
    rows, keys = [], []
    verdicts: dict[str, tuple[str, ...] | None] = {}
    for position, text in enumerate(texts):
        if text not in verdicts:
            verdicts[text] = None if dictionary.is_empty(text) else dictionary.classify(text)
        found = verdicts[text]
        if found is not None:
            for key in found or (None,):
                rows.append(position)
                keys.append(key)
    out = df.iloc[rows][by_cols].copy() if by_cols else pd.DataFrame(index=df.index[rows])
    out["row"] = rows
    out["text"] = [texts[i] for i in rows]
    out["topic"] = pd.array(keys, dtype="object")
    out["label_zh"] = [labels[k].label_zh if k else None for k in keys]
    out["label_en"] = [labels[k].label_en if k else None for k in keys]
    out["complaint"] = [bool(k) and labels[k].complaint for k in keys]
    return out


def summarise_topics(df: pd.DataFrame, by: str | Sequence[str] | None = None, examples: int = 3,
                     topics: TopicDictionary | None = None) -> pd.DataFrame:  # fmt: skip
    """Counts, shares and example texts per topic (and per ``by`` group) from :func:`classify_frame`.

    ``share`` = suggestions mentioning the topic / suggestions in the group (``n_texts``); a text
    can mention several topics, so shares need not add to 1. Every topic appears in every group
    (count 0 when absent). Sorted by group, then count (descending), then dictionary order.

    Returns
    -------
    DataFrame with columns ``[by…], topic, label_zh, label_en, complaint, count, n_texts, share,
    examples`` (a list of up to ``examples`` distinct texts, in input order).
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
                            "complaint": topic.complaint, "count": count, "n_texts": n,
                            "share": count / n if n else math.nan,
                            "examples": shown.get((*group, topic.key), []), "_order": order})  # fmt: skip
    out = pd.DataFrame.from_records(records)
    out = out.sort_values([*by_cols, "count", "_order"], ascending=[True] * len(by_cols) + [False, True])
    return out.drop(columns="_order").reset_index(drop=True)


# ---------------------------------------------------------------------------- segmentation
_TOKENIZER = None
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


@lru_cache(maxsize=65_536)
def _segment(text: str) -> tuple[str, ...]:
    return tuple(w for w in (t.strip() for t in _tokenizer().lcut(text)) if _NOT_WORD.sub("", w))


def segment(text: object) -> list[str]:
    """Words of a text by jieba with the power-utility user dictionary (95598, 网上国网, 抢修 …).

    The text is NFKC-normalised first (９５５９８ → 95598); whitespace and punctuation-only
    tokens are dropped. Results of repeated texts are cached.
    """
    text = _as_text(text)
    return list(_segment(unicodedata.normalize("NFKC", text))) if text.strip() else []


def top_terms(texts: Iterable[object], n: int = 20, min_length: int = 2,
              stopwords: Iterable[str] = ()) -> pd.DataFrame:  # fmt: skip
    """The ``n`` most frequent words (by :func:`segment`) with their counts, e.g. over the
    suggestions that got no topic, to find words missing from the dictionary."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, but got {n!r}")
    stop = set(stopwords)
    counts = Counter(w for t in texts for w in segment(t) if len(w) >= min_length and w not in stop)
    return pd.DataFrame(counts.most_common(n), columns=["term", "count"])
