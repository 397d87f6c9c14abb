"""The topic dictionary model and its matcher (the engine behind :mod:`analysis.suggestions`).

Loading and validating the YAML file is :mod:`analysis.topic_dictionary`.

The topics, their labels and the words that signal them live in an editable dictionary,
``analysis/data/topics.yaml`` (its header explains the rules). Matching is done on the
normalised characters of the text (NFKC, lower case), not on jieba tokens, so a phrase that
staff add to the dictionary matches however jieba would split the sentence around it; Latin
words match as whole words.

A text gets two answers (:class:`Verdict`):

* ``topics`` — every *aspect* of the service it is about, whatever the polarity (抢修很快 and
  抢修太慢 are both ``repair``), plus ``praise`` when it praises something. An aspect is found
  by a complaint rule below or by a plain mention (``aspects``); a negator right before a
  mention sets it aside (不是态度的问题).
* ``complaints`` — the aspects named with a negative cue: a keyword, an ``A...B`` keyword (B
  shortly after A in the same clause) or a subject next to a cue (电费 + 贵). Wishes (a request
  word, or any rule after a suggestion marker: 希望抢修再快一点), weak keywords and plain
  mentions are topics but not complaints.

A negative word that overlaps a hit cancels it; for praise a negator right before (不满意, not
helpful) or a suggestion marker earlier in the clause (希望能及时一点) cancels it too. This is a
transparent lexicon method: every decision can be traced to one dictionary entry, which is what
a complaint-handling team needs to maintain it (Liu 2012, *Sentiment Analysis and Opinion
Mining*, ch. 5, on lexicon-based classification and negation).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "DEFAULT_TOPICS_PATH",
    "TOPIC_KEYS",
    "USERDICT_PATH",
    "MatchSettings",
    "Topic",
    "TopicDictionary",
    "Verdict",
]

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_TOPICS_PATH = DATA_DIR / "topics.yaml"
USERDICT_PATH = DATA_DIR / "userdict.txt"
TOPIC_KEYS = ("attitude", "skill", "outage_notice", "reliability", "repair", "billing", "channels",
              "procedures", "external", "praise")  # fmt: skip
_TOPIC_FIELDS = {"label_zh", "label_en", "complaint", "keywords", "weak_keywords", "negative", "subjects",
                 "cues", "requests", "aspects", "negatable", "drop_if_only_praise", "description"}  # fmt: skip
_SETTINGS_FIELDS = {"gap", "window", "negation_gap", "negators", "suggestion_markers", "empty_texts"}
_CLAUSE_BREAK = re.compile(r"[,.!?;:、。\n\r\t|]")
_NOT_WORD = re.compile(r"[\W_]+")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "ness")
_CACHE_LIMIT = 200_000
# roles a dictionary literal can play
_KW, _WEAK, _GAP_A, _GAP_B, _SUBJ, _CUE, _REQ, _NEG, _NEGATOR, _MARKER, _ASPECT = range(11)
# what a rule found: a complaint cue (keyword, A...B, subject + cue), a wish (request after a
# suggestion marker), a weak keyword, or a plain mention of the aspect
_STRONG, _WISH, _WEAKLY, _MENTION = "strong", "wish", "weak", "mention"
_SLOT = {_STRONG: 0, _WEAKLY: 1, _MENTION: 2}


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
    aspects: tuple[str, ...] = ()
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
        """Topic keys of one text (aspects mentioned, plus praise); see ``analysis.suggestions.classify``."""
        return self._matcher.verdict(_as_text(text)).topics

    def complaints(self, text: object) -> tuple[str, ...]:
        """Complaint topics of one text: aspects named together with a negative cue."""
        return self._matcher.verdict(_as_text(text)).complaints

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


@dataclass(frozen=True)
class Verdict:
    """What one text is about: every aspect mentioned (plus praise), and the complaint topics."""

    topics: tuple[str, ...]
    complaints: tuple[str, ...]


_NOTHING = Verdict((), ())


class _Matcher:
    """Finds every dictionary literal in a text (all overlaps) and applies the topic rules."""

    def __init__(self, topics: Sequence[Topic], settings: MatchSettings) -> None:
        self.topics, self.settings = tuple(topics), settings
        self.roles: dict[str, list[tuple[int, int, int]]] = {}
        for t, topic in enumerate(topics):
            for kind, slot, words in ((_WEAK, 1, topic.weak_keywords), (_KW, 0, topic.keywords),
                                      (_ASPECT, 2, topic.aspects)):  # fmt: skip
                for ref, word in enumerate(words):
                    parts = word.split("...")
                    if len(parts) == 1:
                        self._add(word, t, kind, 0)
                    else:  # "A...B": the pair is identified by (topic, ref, slot)
                        self._add(parts[0], t, _GAP_A, ref * 3 + slot)
                        self._add(parts[1], t, _GAP_B, ref * 3 + slot)
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
        self.cache: dict[str, Verdict] = {}
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

    def verdict(self, text: str) -> Verdict:
        cached = self.cache.get(text)
        if cached is None:
            cached = self._verdict(_normalise(text))
            with self.lock:
                if len(self.cache) >= _CACHE_LIMIT:
                    self.cache.clear()
                self.cache[text] = cached
        return cached

    def _verdict(self, text: str) -> Verdict:
        if self.is_empty(text):
            return _NOTHING
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
            return _NOTHING
        breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
        ctx = _Context(text, breaks, negators, markers, self.settings, self.max_len)
        strong = {t for t, kinds in parts.items() if ctx.matches(kinds, self.topics[t].negatable, _STRONG)}
        found = strong | {
            t for t, kinds in parts.items() if ctx.matches(kinds, self.topics[t].negatable, _WISH)
        }
        if all(self.topics[t].drop_if_only_praise for t in found):
            # weak keywords (a bare 停电, a polite 谢谢) speak only when nothing else, or only a
            # context topic such as the weather, was found: 台风停电 → external + reliability
            found |= {t for t, kinds in parts.items() if _WEAK in kinds or _GAP_A in kinds
                      if ctx.matches(kinds, True, _WEAKLY)}  # fmt: skip
        praise = {t for t in found if not self.topics[t].complaint}
        if praise and all(self.topics[t].drop_if_only_praise for t in found - praise):
            found = praise  # "thanks for working through the typhoon" is no complaint about the typhoon
        complaints = {t for t in found & strong if self.topics[t].complaint
                      and ctx.matches(parts[t], self.topics[t].negatable, _STRONG, wishes=False)}  # fmt: skip
        # aspects are topics whatever the polarity (态度很好 → attitude + praise); a negator right
        # before a mention sets the aspect aside (不是态度的问题)
        found |= {t for t, kinds in parts.items() if ctx.matches(kinds, False, _MENTION)}
        keys = tuple(self.topics[t].key for t in sorted(found))
        return Verdict(keys, tuple(self.topics[t].key for t in sorted(complaints)))


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

    def matches(
        self, kinds: dict[int, list[tuple[int, int, int]]], negatable: bool, mode: str, *, wishes: bool = True
    ) -> bool:
        """Does a rule of ``mode`` fire? ``wishes=False`` skips hits after a suggestion marker."""
        negative = kinds.get(_NEG, [])
        for hit in self._candidates(kinds, mode):
            if negative and any(
                ne > s for s, e in hit for _, ne, _ in _starting(negative, s - self.max_len, e)
            ):
                continue
            if negatable and (self._negated(hit[-1][0]) or self._after_marker(hit[0][0])):
                continue
            if mode == _MENTION and self._negated(hit[0][0]):
                continue
            if not wishes and self._after_marker(hit[0][0]):
                continue
            return True
        return False

    def _candidates(self, kinds: dict[int, list[tuple[int, int, int]]], mode: str) -> Iterable[list]:
        if mode == _WISH:
            yield from self._requests(kinds)
            return
        single = {_STRONG: _KW, _WEAKLY: _WEAK, _MENTION: _ASPECT}[mode]
        for s, e, _ in kinds.get(single, []):
            yield [(s, e)]
        gap, window, slot = self.settings.gap, self.settings.window, _SLOT[mode]
        for s1, e1, ref in kinds.get(_GAP_A, []):
            if ref % 3 == slot:
                for s2, e2, ref2 in _starting(kinds.get(_GAP_B, []), e1, e1 + gap + 1):
                    if ref2 == ref and self._same(s1, s2):
                        yield [(s1, e1), (s2, e2)]
        if mode != _STRONG:
            return
        cues = kinds.get(_CUE, [])
        for a, b, _ in kinds.get(_SUBJ, []) if cues else ():
            for c, d, _ in _starting(cues, a - window - self.max_len, b + window + 1):
                distance = c - b if c >= b else a - d
                if 0 <= distance <= window and self._same(min(a, c), max(a, c)):
                    yield [(a, b), (c, d)]

    def _requests(self, kinds: dict[int, list[tuple[int, int, int]]]) -> Iterable[list]:
        window = self.settings.window
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
