"""Topic model speed and quality (issue 13 targets): training on 1,500 texts (< 30 s), classifying 10,000
suggestions (< 2 s), and the held-out and 5-fold CV scores per topic.

Run: ``python benchmarks/bench_topic_model.py`` (add ``--no-scores`` for the timings alone). Not a test:
the machine is shared, so every time is also given as a ratio to a baseline measured in the same run —
the phrase dictionary classifying the same 10,000 texts, a cost that moves with the machine's load the
same way.

* *train*: :func:`analysis.topic_training.train_topic_model` with ``evaluate=False`` (settings by 5-fold
  CV on the training split, then the fit) on 1,500 corpus texts (the held-out split is set aside first,
  so 1,200 train), timed from a cold start of the vectorisers (jieba already loaded);
* *classify*: 10,000 distinct texts (corpus texts with a running number appended, so the per-text cache
  does not help); a second pass shows the cached speed;
* *scores*: ``train_topic_model(evaluate=True)`` on the whole corpus — held-out scores (once, on the
  fixed 20 %) and the CV scores of the whole pipeline refitted in each fold;
* *unseen authors* (``--authors-out 19,20,21,22``, the newest four): the shipped pipeline trained on every
  other corpus file and scored on the texts of those files it never saw — whole authors held out, the way an
  independent hand-labelled set is scored (a random split shares each author's style between train and test).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.corpus import CORPUS_DIR, load_corpus, merge_rows, normalise_text, read_corpus_file  # noqa: E402
from analysis.suggestions import segment  # noqa: E402
from analysis.topic_eval import score_predictions  # noqa: E402
from analysis.topic_model import dictionary_predictions  # noqa: E402
from analysis.topic_training import train_topic_model  # noqa: E402


def _timed(function, *args, **kwargs) -> tuple[object, float]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-scores", action="store_true", help="timings only (skip the CV-scored training)")
    parser.add_argument("--authors-out", default="19,20,21,22",
                        help="corpus parts held out whole for the unseen-authors score ('' to skip)")
    args = parser.parse_args()
    corpus = load_corpus()
    texts = [f"{corpus[i % len(corpus)].text} {i}" for i in range(10_000)]
    segment("停电")  # jieba loaded once, outside every timing
    dictionary_predictions(texts[:10])
    _, dictionary_s = _timed(dictionary_predictions, texts)
    result, train_s = _timed(train_topic_model, corpus[:1500], evaluate=False)
    model = result.model
    model.predict(texts[:10])
    _, predict_s = _timed(model.predict, texts)
    _, cached_s = _timed(model.predict, texts)
    print(f"baseline: dictionary classifying 10,000 texts: {dictionary_s:.2f} s")
    print(f"train on 1,500 texts ({result.n_train} training rows): {train_s:.1f} s"
          f" = {train_s / dictionary_s:.1f}x baseline (target < 30 s)")  # fmt: skip
    print(f"classify 10,000 distinct suggestions: {predict_s:.2f} s = {predict_s / dictionary_s:.2f}x baseline"
          f" (target < 2 s); again (cached): {cached_s:.2f} s")  # fmt: skip
    print(f"load average after the timings: {os.getloadavg()[0]:.1f}")
    if args.no_scores:
        return
    full, full_s = _timed(train_topic_model, corpus, evaluate=True)
    shipped = full.model
    more = [f"{t} #{i}" for i, t in enumerate(texts)]  # distinct from the texts classified above
    shipped.predict(more[:10])
    _, shipped_s = _timed(shipped.predict, more)
    print(f"\nthe model of the whole corpus (as shipped; words: {shipped.settings.use_words}) classifying"
          f" 10,000 distinct suggestions: {shipped_s:.2f} s = {shipped_s / dictionary_s:.2f}x baseline")  # fmt: skip
    pd.set_option("display.width", 160)
    for name, scores in (("held-out (model)", full.held_out), ("held-out (dictionary)", full.dictionary_held_out),
                         ("5-fold CV on the training split (whole pipeline)", full.cv)):  # fmt: skip
        print(f"\n{name}: n = {scores.n}\n{scores.table().round(3).to_string(index=False)}")
    print(f"\nsettings chosen by CV: {full.model.settings}")
    print(f"(scored training on {len(corpus)} texts with CV refits: {full_s:.1f} s)")
    if args.authors_out:
        unseen_authors([int(n) for n in args.authors_out.split(",")])


def unseen_authors(parts: list[int]) -> None:
    """Train on every corpus file but ``parts`` (as shipped), score the held-out files' unseen texts."""
    files = sorted(CORPUS_DIR.glob("suggestions_part*.csv"))
    number = {path: int(path.stem.removeprefix("suggestions_part")) for path in files}
    train = merge_rows(*(read_corpus_file(p) for p in files if number[p] not in parts))
    seen = {normalise_text(r.text) for r in train}
    test = [r for r in merge_rows(*(read_corpus_file(p) for p in files if number[p] in parts))
            if normalise_text(r.text) not in seen]  # fmt: skip
    model = train_topic_model(train, evaluate=False).model
    for name, predicted in (("model", model.predict([r.text for r in test])),
                            ("dictionary", dictionary_predictions([r.text for r in test]))):  # fmt: skip
        scores = score_predictions(test, predicted)
        print(f"\nunseen authors (parts {', '.join(map(str, parts))}; {name}; trained on {len(train)} texts of the"
              f" other parts): n = {scores.n}\n{scores.table().round(3).to_string(index=False)}")  # fmt: skip


if __name__ == "__main__":
    main()
