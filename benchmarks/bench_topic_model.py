"""Topic model speed (issue 13 targets): training on the shipped corpus (< 30 s) and classifying 10,000
suggestions (< 2 s). Run: ``python benchmarks/bench_topic_model.py``. Not a test: the machine is shared.

The 10,000 texts are distinct (corpus texts with a running number appended), so the per-text cache does
not help; a second pass over the same texts shows the cached speed.
"""

from __future__ import annotations

import os
import time

from analysis.corpus import load_corpus
from analysis.topic_training import train_topic_model


def main() -> None:
    corpus = load_corpus()
    started = time.perf_counter()
    result = train_topic_model(corpus, evaluate=False)
    train_s = time.perf_counter() - started
    texts = [f"{corpus[i % len(corpus)].text} {i}" for i in range(10_000)]
    model = result.model
    model.predict(texts[:10])  # jieba and the dictionary loaded
    started = time.perf_counter()
    model.predict(texts)
    predict_s = time.perf_counter() - started
    started = time.perf_counter()
    model.predict(texts)
    cached_s = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"train on {len(corpus)} texts ({result.n_train} training rows): {train_s:.1f} s (target < 30 s)")
    print(
        f"classify 10,000 distinct suggestions: {predict_s:.2f} s (target < 2 s); again (cached): {cached_s:.2f} s"
    )
    print(f"load average at the end: {load:.1f}")


if __name__ == "__main__":
    main()
