"""Fast transforms of fitted TF-IDF vectorisers: the same matrices as scikit-learn's ``transform``, counted
with numpy instead of one Python step per n-gram.

scikit-learn's ``CountVectorizer`` counts every feature of every document in a Python loop (its
``_count_vocab``), which was about half the time of classifying 10,000 suggestions. Here:

* :class:`CharGrams` — a fitted ``TfidfVectorizer(analyzer="char_wb", lowercase=True)``: each text is
  lower-cased and split at whitespace, each word padded with one space on either side, and the n-grams
  of each padded word are keyed as integers (code point + 1 in 21 bits per character), all texts at once;
  keys are looked up in a hash index of the vocabulary's keys (``pandas.Index.get_indexer``);
* :func:`token_counts` — a fitted vectoriser whose analyser returns a token list (jieba words): one
  dictionary look-up per token, in one comprehension.

Both hand the counts to the vectoriser's own ``TfidfTransformer`` (sublinear tf, idf, l2 norm), so the
result equals ``vectorizer.transform(texts)`` exactly (``tests/analysis/test_topic_vectors.py`` checks it
on the corpus). The char_wb rule is that of ``sklearn.feature_extraction.text._VectorizerMixin
._char_wb_ngrams`` (scikit-learn 1.9): n-grams never cross a word boundary; a padded word shorter than
``n`` would be one gram, but with at most 3-grams no padded word (3 characters or more) is that short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["CharGrams", "token_counts"]

_BITS = 21  # code points are below 0x110000 < 2**21; +1 so that no character keys as 0


def gram_key(gram: str) -> int:
    """The integer key of an n-gram of at most three characters."""
    return sum((ord(ch) + 1) << (_BITS * k) for k, ch in enumerate(gram))


class CharGrams:
    """``vectorizer.transform`` of a fitted char_wb ``TfidfVectorizer`` with ``ngram_range`` within (1, 3)."""

    def __init__(self, vectorizer) -> None:
        low, high = vectorizer.ngram_range
        if vectorizer.analyzer != "char_wb" or not 1 <= low <= high <= 3 or not vectorizer.lowercase:
            raise ValueError(
                f"a lower-casing char_wb vectoriser of 1-3-grams is needed, but got {vectorizer!r}"
            )
        self.vectorizer, self.low, self.high = vectorizer, low, high
        vocabulary = vectorizer.vocabulary_
        keys = np.fromiter((gram_key(g) for g in vocabulary), dtype=np.uint64, count=len(vocabulary))
        self.keys = pd.Index(keys)  # a hash table: get_indexer is ~6 x faster than searchsorted here
        self.columns = np.fromiter(vocabulary.values(), dtype=np.int64, count=len(vocabulary))

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The raw n-gram counts (``CountVectorizer.transform``) of ``texts``."""
        words = [t.lower().split() for t in texts]
        padded = [f" {w} " for ws in words for w in ws]
        n_docs, n_features = len(texts), len(self.vectorizer.vocabulary_)
        if not padded:
            return sp.csr_matrix((n_docs, n_features), dtype=self.vectorizer.dtype)
        lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
        word_doc = np.repeat(np.arange(n_docs), [len(ws) for ws in words])
        utf32 = "".join(padded).encode("utf-32-le", "surrogatepass")
        codes = np.frombuffer(utf32, dtype=np.uint32).astype(np.uint64) + 1
        word_at = np.repeat(np.arange(len(padded)), lengths)
        rows, cols = [], []
        for n in range(self.low, self.high + 1):  # a padded word has 3 characters or more: never "short"
            m = len(codes) - n + 1
            key = codes[:m].copy()
            for k in range(1, n):
                key |= codes[k : k + m] << np.uint64(_BITS * k)
            inside = word_at[:m] == word_at[n - 1 : n - 1 + m]
            rows.append(word_doc[word_at[:m][inside]])
            cols.append(key[inside])
        keys, docs = np.concatenate(cols), np.concatenate(rows)
        at = self.keys.get_indexer(keys)
        known = at >= 0
        matrix = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=self.vectorizer.dtype), (docs[known], self.columns[at[known]])),
            shape=(n_docs, n_features),
        )
        matrix.sum_duplicates()
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF rows, equal to ``vectorizer.transform(texts)``."""
        return self.vectorizer._tfidf.transform(self.counts(texts), copy=False)


def token_counts(vectorizer, texts: Sequence[str], analyze: Callable[[str], list[str]]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)`` for a fitted ``TfidfVectorizer(analyzer=analyze)``, counted with one
    dictionary look-up per token."""
    vocabulary = vectorizer.vocabulary_
    tokens = [analyze(t) for t in texts]
    found = [vocabulary.get(w, -1) for ws in tokens for w in ws]
    docs = np.repeat(np.arange(len(texts)), [len(ws) for ws in tokens])
    cols = np.asarray(found, dtype=np.int64)
    keep = cols >= 0
    counts = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=vectorizer.dtype), (docs[keep], cols[keep])),
        shape=(len(texts), len(vocabulary)),
    )
    counts.sum_duplicates()
    return vectorizer._tfidf.transform(counts, copy=False)
