"""The numpy counting of analysis.topic_vectors gives scikit-learn's own TF-IDF rows, bit for bit."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.corpus import load_corpus
from analysis.topic_features import _words, prepare
from analysis.topic_vectors import CharGrams, token_counts

AWKWARD = ["", " ", "\t\n", "a", "AB cd", "停电", "停 电  了\u3000吗", "👍", "\U0001f600停电\U0001f600", "x" * 300,
           "Power OFF again!!", "ÄÖÜ straße", "٣ ١٢", "\x00停\x00电", "tab\there\u2028line", "  lead and trail  "]  # fmt: skip


def _texts() -> list[str]:
    rng = random.Random(7)
    alphabet = "停电通知抢修 abcXYZ\u3000\t.,!?😊👎é\u00a0"
    made = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    return [prepare(r.text) for r in load_corpus()] + AWKWARD + made


@pytest.mark.parametrize("ngrams", [(1, 3), (1, 2), (2, 3), (3, 3)])
def test_char_grams_equal_sklearn(ngrams: tuple[int, int]) -> None:
    texts = _texts()
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, sublinear_tf=True, dtype=np.float32)
    vectorizer.fit(texts[: len(texts) // 2])  # the other half holds n-grams the vocabulary lacks
    expected, got = vectorizer.transform(texts), CharGrams(vectorizer).transform(texts)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert expected.nnz > 10_000
    assert (got != expected).nnz == 0


def test_char_grams_of_texts_without_any_word() -> None:
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(["停电 了", "abc"])
    got = CharGrams(vectorizer).transform(["", "   ", "\t"])
    assert got.shape == (3, len(vectorizer.vocabulary_)) and got.nnz == 0


def test_char_grams_refuse_other_analysers() -> None:
    with pytest.raises(ValueError, match="char_wb"):
        CharGrams(TfidfVectorizer(analyzer="char", ngram_range=(1, 3)).fit(["停电"]))
    with pytest.raises(ValueError, match="char_wb"):
        CharGrams(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4)).fit(["停电"]))


def test_token_counts_equal_sklearn() -> None:
    texts = _texts()
    vectorizer = TfidfVectorizer(analyzer=_words, sublinear_tf=True, dtype=np.float32).fit(texts[::2])
    expected, got = vectorizer.transform(texts), token_counts(vectorizer, texts, _words)
    assert expected.nnz > 5_000
    assert (got != expected).nnz == 0 and got.shape == expected.shape
