"""What the topic model reads: the prepared text, its clauses, and four blocks of features.

* ``chars`` — character 1–3-grams (TF-IDF, ``analyzer="char_wb"``, sublinear tf) of the normalised text:
  robust to misspellings (跳匝 / 跳闸), missing word boundaries and mixed Chinese / English;
* ``words`` — jieba words and word bigrams with the power-utility user dictionary
  (:func:`analysis.suggestions.segment`);
* ``dictionary`` — the phrase dictionary's verdicts (:func:`analysis.suggestions.classify` and
  :func:`analysis.suggestions.complaint_topics`, one-hot), so the explainable rules staff edit in
  ``analysis/data/topics.yaml`` are evidence the model weighs rather than a competing answer;
* ``cues`` — counts of polarity cues (:func:`cue_row`): praise words with no negator just before them
  (挺好, 很及时, 点赞), praise words negated (不太好, 不及时), complaint words, wish markers, the markers of
  LABELLING.md rule 1 that turn a wish into a complaint (不要再, 老是, 早点), acceptance (理解, 天灾) and
  questions. Character n-grams see these words too, but spread over hundreds of columns; one column per
  cue family lets 1,300 training texts learn what a negation does (Liu 2012, *Sentiment Analysis and
  Opinion Mining*, §5.3 on sentiment shifters).

:func:`is_gibberish` says when a text holds nothing the model can read (no Chinese character, no emoji,
no word seen in training): keyboard mashing such as ``"asdkjh"`` gets no topic and is not a complaint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from analysis.corpus import TOPICS, normalise_text
from analysis.suggestions import classify, complaint_topics, segment
from analysis.topic_vectors import CharGrams, token_counts

__all__ = [
    "CUE_FAMILIES",
    "MAX_CHARS",
    "TextFeatures",
    "clauses",
    "combine",
    "cue_row",
    "cue_rows",
    "is_gibberish",
    "known_words",
    "prepare",
]

#: Texts are cut to this many characters before classification (a pasted essay costs no more than this).
MAX_CHARS = 2000
_CLAUSE = re.compile(r"[,.!?;:、。，！？；：\n\r\t~～…]+|但是|可是|不过|但|就是|只是|\bbut\b|\bhowever\b")
DICTIONARY_KEYS = (*TOPICS, "praise")

_PRAISE = ("好", "不错", "满意", "点赞", "赞", "谢谢", "感谢", "辛苦", "方便", "及时", "快", "专业", "耐心", "热情",
           "稳定", "稳", "靠谱", "给力", "贴心", "负责", "清楚", "细心", "周到", "感动", "表扬", "好评", "棒", "省心",
           "放心", "利索", "没得说", "客气", "准时", "nice", "good", "great", "thanks", "thank", "helpful", "quick",
           "fast", "excellent", "friendly", "patient", "appreciate", "👍", "😊", "❤")  # fmt: skip
_COMPLAINT = ("差", "慢", "太", "不", "没", "又", "老是", "总是", "一直", "每次", "投诉", "垃圾", "坑", "乱", "凭什么",
              "为什么", "怎么", "还是", "才", "等了", "半天", "几次", "多次", "好几", "烂", "差劲", "不满", "失望",
              "麻烦", "折腾", "白跑", "难", "贵", "低", "烧", "坏", "骗", "敷衍", "推", "挂", "忙音", "打不通", "闪退",
              "无语", "离谱", "受不了", "到底", "难道", "服了", "呵呵", "bad", "poor", "terrible", "never", "slow",
              "worst", "not", "no", "didn't", "nobody", "again", "still", "👎", "😡", "🙄", "😅")  # fmt: skip
_WISH = ("希望", "建议", "能不能", "能否", "可否", "可以", "请", "如果", "要是", "最好", "please", "hope", "suggest",
         "could", "would", "should", "wish")  # fmt: skip
_DEFICIT = ("不要再", "别再", "又", "总是", "老是", "每次", "一直", "快点", "早点", "及时一点", "便宜点", "稳定一点",
            "再快", "快一点", "早一点", "少停")  # fmt: skip
_ACCEPT = ("理解", "没办法", "天灾", "正常", "认了")
_NEGATORS = ("不", "没", "未", "别", "不太", "不够", "不怎么", "not", "no", "never")
_NEGATED_PRAISE = tuple(n + p for n in ("不", "没", "不太", "不怎么", "没那么", "不够")
                        for p in ("好", "及时", "满意", "方便", "专业", "耐心", "热情", "稳定", "清楚", "快", "负责"))  # fmt: skip
_QUESTION = ("?", "吗", "呢")
#: The cue families counted by :func:`cue_row`, in column order (the last column is praise not negated).
CUE_FAMILIES = {"praise": _PRAISE, "complaint": _COMPLAINT, "wish": _WISH, "deficit": _DEFICIT,
                "accept": _ACCEPT, "negated_praise": _NEGATED_PRAISE, "question": _QUESTION}  # fmt: skip
N_CUES = len(CUE_FAMILIES) + 1
_PRAISE_AT = re.compile("|".join(re.escape(w) for w in sorted(_PRAISE, key=len, reverse=True)))
# one pattern per family: the positions where one of its words starts (longest word first)
_FAMILY_AT = tuple(re.compile("(?=" + "|".join(re.escape(w) for w in sorted(f, key=len, reverse=True)) + ")")
                   for f in CUE_FAMILIES.values())  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def prepare(text: object) -> str:
    """The text the model reads: HTML entities decoded, NFKC, lower case, at most :data:`MAX_CHARS`."""
    return normalise_text("" if text is None or not isinstance(text, str) else text)[:MAX_CHARS]


def clauses(text: str) -> list[str]:
    """The clauses of a text: split at punctuation and at 但是 / 可是 / 不过 / 就是 / but / however.

    >>> clauses("师傅人很好，但是修了两次都没修好")
    ['师傅人很好', '修了两次都没修好']
    """
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()] or [text]


def cue_row(text: str) -> np.ndarray:
    """Polarity cues of a prepared text: ``log1p`` of the number of places where a word of each family of
    :data:`CUE_FAMILIES` starts, then of the praise words with no negator in the three characters before
    them.

    >>> cue_row("不太好")[[0, 5, 7]].round(2).tolist()  # praise, negated praise, praise not negated
    [0.69, 0.69, 0.0]
    """
    return np.array(_cues(text), dtype=np.float32)


def cue_rows(texts: Iterable[str]) -> np.ndarray:
    """:func:`cue_row` of every text as one ``(n, N_CUES)`` array (no array per text)."""
    return np.array([_cues(t) for t in texts], dtype=np.float32).reshape(-1, N_CUES)


@lru_cache(maxsize=65_536)
def _cues(text: str) -> tuple[float, ...]:
    """:func:`cue_row` as a tuple, cached: a text's cues are read for its topics, its clauses and itself."""
    counts = [len(pattern.findall(text)) for pattern in _FAMILY_AT]
    plain = sum(
        not any(n in text[max(0, m.start() - 3) : m.start()] for n in _NEGATORS) for m in _PRAISE_AT.finditer(text)
    )
    return tuple(np.log1p(np.array([*counts, plain], dtype=np.float32)).tolist())


def _words(text: str) -> list[str]:
    """jieba words (utility user dictionary) and word bigrams; a module function so models pickle."""
    words = [w.lower() for w in segment(text, hmm=False)]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def _readable(word: str) -> bool:
    return len(word) >= 2 or bool(_HAN.search(word))


def known_words(texts: Iterable[str], *, min_texts: int = 2) -> frozenset[str]:
    """The words (jieba tokens, two characters or more, or Chinese) found in at least ``min_texts`` texts."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in {w.lower() for w in segment(text, hmm=False) if _readable(w)}:
            counts[word] = counts.get(word, 0) + 1
    return frozenset(w for w, n in counts.items() if n >= min_texts)


def is_gibberish(text: str, known: frozenset[str]) -> bool:
    """True when a prepared text has no Chinese character, no emoji / symbol and no word of ``known``.

    >>> is_gibberish("asdkjh", frozenset({"power"}))
    True
    >>> is_gibberish("power off again", frozenset({"power"})), is_gibberish("👎", frozenset())
    (False, False)
    """
    if _HAN.search(text) or any(unicodedata.category(c) == "So" for c in text):
        return False
    return not any(w.lower() in known for w in segment(text, hmm=False))


def _dictionary_row(text: str) -> list[float]:
    found, complained = set(classify(text)), set(complaint_topics(text))
    return [float(k in found) for k in DICTIONARY_KEYS] + [float(k in complained) for k in TOPICS]


class TextFeatures:
    """Character n-grams, jieba words, the phrase dictionary's verdicts and polarity cues (module doc).

    The blocks are kept apart (:meth:`blocks`) so cross-validation can compare feature sets on the same
    fitted vectorisers; :func:`combine` joins the chosen ones.
    """

    def __init__(self, *, use_words: bool = True, use_dictionary: bool = True, use_cues: bool = False) -> None:
        self.use_words, self.use_dictionary, self.use_cues = use_words, use_dictionary, use_cues

    def fit(self, texts: Sequence[str]) -> TextFeatures:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, dtype=np.float32)
        self.chars_.fit(texts)
        self.words_ = TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32)
        self.words_.fit(texts)
        self.__dict__.pop("_char_grams", None)
        return self

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_char_grams"}

    def char_rows(self, texts: Sequence[str]) -> sp.csr_matrix:
        """``chars_.transform(texts)``, counted with numpy (:class:`analysis.topic_vectors.CharGrams`)."""
        grams = self.__dict__.get("_char_grams")
        if grams is None:
            grams = self._char_grams = CharGrams(self.chars_)
        return grams.transform(texts)

    def word_rows(self, texts: Sequence[str]) -> sp.csr_matrix:
        """``words_.transform(texts)`` with one look-up per word (:func:`analysis.topic_vectors.token_counts`)."""
        return token_counts(self.words_, texts, _words)

    def blocks(self, texts: Sequence[str], *, words: bool = True) -> dict[str, sp.csr_matrix]:
        """The four blocks of ``texts``; ``words=False`` leaves the jieba words out (an empty block: a model
        without words spares segmenting)."""
        n = len(texts)
        dictionary = np.array([_dictionary_row(t) for t in texts], dtype=np.float32)
        cues = cue_rows(texts)
        return {
            "chars": self.char_rows(texts),
            "words": self.word_rows(texts) if words else sp.csr_matrix((n, 0), dtype=np.float32),
            "dictionary": sp.csr_matrix(dictionary.reshape(n, len(DICTIONARY_KEYS) + len(TOPICS))),
            "cues": sp.csr_matrix(cues.reshape(n, N_CUES) * CUE_WEIGHT),
        }

    def transform(self, texts: Sequence[str], *, use_dictionary: bool | None = None) -> sp.csr_matrix:
        dictionary = self.use_dictionary if use_dictionary is None else use_dictionary
        return combine(self.blocks(texts, words=self.use_words), use_words=self.use_words, use_dictionary=dictionary,
                       use_cues=self.use_cues)  # fmt: skip


#: Scale of the cue block beside the unit-length TF-IDF rows (5-fold CV on the training split: 0.5
#: beat 0 and 1 for the complaint and praise decisions).
CUE_WEIGHT = 0.5


def combine(
    blocks: dict[str, sp.csr_matrix], *, use_words: bool, use_dictionary: bool, use_cues: bool = False
) -> sp.csr_matrix:
    """The character block and the chosen others, side by side."""
    parts = [blocks["chars"]] + [blocks["words"]] * use_words + [blocks["dictionary"]] * use_dictionary
    return sp.hstack(parts + [blocks["cues"]] * use_cues, format="csr")
