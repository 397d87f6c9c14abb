"""The estimators of the topic model: L2-regularised logistic regressions fitted by liblinear, a constant stand-in
for a class the training rows never vary, and the choice of topics from their probabilities (binary relevance;
Tsoumakas & Katakis 2007, "Multi-label classification: an overview", *Int. J. Data Warehousing and Mining* 3(3)).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["char_weights", "choose_topics", "fit_binary", "intercept", "logistic", "positive"]


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


def char_weights(model, n_chars: int) -> np.ndarray:
    if isinstance(model, _Constant):
        return np.zeros(n_chars)
    return np.asarray(model.coef_[0][:n_chars], dtype=float)


def intercept(model) -> float:
    if isinstance(model, _Constant):
        value = min(max(model.value, 1e-6), 1 - 1e-6)
        return float(np.log(value / (1 - value)))
    return float(model.intercept_[0])


def fit_binary(estimator, x, y: np.ndarray):
    return estimator.fit(x, y) if 0 < y.sum() < len(y) else _Constant(float(y.mean()) if len(y) else 0.0)


def positive(model, x) -> np.ndarray:
    return model.predict_proba(x)[:, 1]


def choose_topics(probs: np.ndarray, thresholds: Sequence[float], fallback_share: float) -> np.ndarray:
    """Topics kept (bool, one column per topic): probability at least the topic's threshold; a row with
    none gets its best topic (by probability over threshold) when that ratio reaches ``fallback_share``."""
    ratio = probs / np.asarray(thresholds, dtype=float)
    chosen = ratio >= 1
    if fallback_share < 1 and len(probs):
        rows = np.flatnonzero(~chosen.any(axis=1) & (ratio.max(axis=1) >= fallback_share))
        chosen[rows, ratio[rows].argmax(axis=1)] = True
    return chosen
