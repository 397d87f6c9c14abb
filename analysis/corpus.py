"""The labelled suggestion corpus: reading, validating, hashing and splitting it.

The corpus lives in ``analysis/data/corpus/suggestions_part*.csv`` (UTF-8, columns
``id,text,labels,complaint,praise``; the labelling guide is ``analysis/data/corpus/LABELLING.md``).
``labels`` is a ``;``-separated list of ``topic:polarity`` pairs (topics :data:`TOPICS`, polarity
:data:`POLARITIES`), empty when no topic applies; ``complaint`` and ``praise`` are ``0``/``1`` flags
for the whole text.

Every function here is pure (no database, no streamlit). A training row is a :class:`LabelledText`;
staff corrections from the store become the same kind of row (``survey.topic_corrections``), and
:func:`merge_rows` lets them override corpus rows of the same text.

The held-out split (:func:`split_corpus`) is fixed by :data:`SPLIT_SEED`: 20 % of the rows,
stratified on the first label when every stratum has at least two rows (scikit-learn's
``train_test_split``), so the test rows are the same on every machine and in every run.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CORPUS_DIR",
    "POLARITIES",
    "SPLIT_SEED",
    "TOPICS",
    "CorpusError",
    "LabelledText",
    "corpus_hash",
    "load_corpus",
    "merge_rows",
    "normalise_text",
    "parse_labels",
    "read_corpus_file",
    "split_corpus",
]

CORPUS_DIR = Path(__file__).with_name("data") / "corpus"
#: The nine aspects of the service, in the fixed order of the ``labels`` column.
TOPICS = ("attitude", "skill", "outage_notice", "reliability", "repair", "billing", "channels",
          "procedures", "external")  # fmt: skip
POLARITIES = ("complaint", "praise", "neutral")
#: Seed of the held-out split (never change it: the test rows would change).
SPLIT_SEED = 20261204
TEST_SHARE = 0.2
COLUMNS = ("id", "text", "labels", "complaint", "praise")


class CorpusError(ValueError):
    "A corpus file or row does not follow the format of LABELLING.md."


@dataclass(frozen=True)
class LabelledText:
    """One labelled text: topics with their polarity, and the complaint / praise flags of the text.

    ``labels`` holds ``(topic, polarity)`` pairs in :data:`TOPICS` order, each topic at most once.
    """

    id: str
    text: str
    labels: tuple[tuple[str, str], ...] = ()
    complaint: bool = False
    praise: bool = False

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(topic for topic, _ in self.labels)

    def polarity(self, topic: str) -> str | None:
        """The polarity of ``topic`` in this text, ``None`` when the topic is not labelled."""
        return dict(self.labels).get(topic)

    def labels_text(self) -> str:
        """The labels as written in the corpus: ``attitude:praise;repair:complaint``."""
        return ";".join(f"{t}:{p}" for t, p in self.labels)


def normalise_text(text: str) -> str:
    """The form in which two texts count as the same: HTML entities decoded, NFKC, lower case,
    inner whitespace collapsed (``"  Ｔｈａｎｋｓ&amp;  bye"`` → ``"thanks& bye"``)."""
    return " ".join(unicodedata.normalize("NFKC", html.unescape(text)).lower().split())


def parse_labels(labels: str, *, where: str = "labels") -> tuple[tuple[str, str], ...]:
    """``"repair:complaint;attitude:praise"`` → ``(("attitude", "praise"), ("repair", "complaint"))``.

    Pairs come back in :data:`TOPICS` order. Raises :class:`CorpusError` naming ``where`` for an
    unknown topic or polarity, a malformed pair or a topic given twice.

    >>> parse_labels("repair:complaint;attitude:praise")
    (('attitude', 'praise'), ('repair', 'complaint'))
    >>> parse_labels("")
    ()
    """
    if not isinstance(labels, str):
        raise TypeError(f"labels must be a str, but got {type(labels).__name__}")
    found: dict[str, str] = {}
    for part in (p.strip() for p in labels.split(";")):
        if not part:
            continue
        topic, sep, polarity = (s.strip() for s in part.partition(":"))
        if not sep or topic not in TOPICS or polarity not in POLARITIES:
            raise CorpusError(
                f"{where}: each label must be topic:polarity with topic in {list(TOPICS)} and polarity in"
                f" {list(POLARITIES)}, but got {part!r}"
            )
        if topic in found:
            raise CorpusError(f"{where}: topic {topic!r} is labelled twice in {labels!r}")
        found[topic] = polarity
    return tuple((t, found[t]) for t in TOPICS if t in found)


def _flag(value: str, name: str, where: str) -> bool:
    if value.strip() not in ("0", "1"):
        raise CorpusError(f"{where}: {name} must be 0 or 1, but got {value!r}")
    return value.strip() == "1"


def read_corpus_file(path: str | Path) -> list[LabelledText]:
    """The rows of one corpus CSV file (header ``id,text,labels,complaint,praise``).

    Rows with an empty text are skipped (nothing to learn from). Any other malformed row is a
    :class:`CorpusError` naming the file, the row id and the field.
    """
    path = Path(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or list(reader.fieldnames)[: len(COLUMNS)] != list(COLUMNS):
            raise CorpusError(
                f"{path.name}: the header must be {','.join(COLUMNS)}, but got {reader.fieldnames}"
            )
        rows = []
        for number, record in enumerate(reader, start=2):
            if any(record.get(c) is None for c in COLUMNS):
                raise CorpusError(f"{path.name} line {number}: the row has fewer than {len(COLUMNS)} fields")
            where = f"{path.name} row {record['id'] or number}"
            if not record["text"].strip():
                continue
            rows.append(
                LabelledText(
                    id=record["id"].strip(),
                    text=record["text"],
                    labels=parse_labels(record["labels"], where=where),
                    complaint=_flag(record["complaint"], "complaint", where),
                    praise=_flag(record["praise"], "praise", where),
                )
            )
    return rows


def load_corpus(folder: str | Path | None = None) -> list[LabelledText]:
    """Every row of ``folder/suggestions_part*.csv`` (default :data:`CORPUS_DIR`), files in name order.

    Rows whose normalised text (:func:`normalise_text`) was seen before are dropped, so the same
    text never lands on both sides of the split; an id used twice is a :class:`CorpusError`.
    Returns ``[]`` when there is no corpus file (the dictionary-only installation).
    """
    folder = Path(folder) if folder is not None else CORPUS_DIR
    rows: list[LabelledText] = []
    for path in sorted(folder.glob("suggestions_part*.csv")):
        rows.extend(read_corpus_file(path))
    ids = [r.id for r in rows]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})[:5]
        raise CorpusError(f"ids must be unique across the corpus files, but {twice} occur more than once")
    return merge_rows(rows)


def merge_rows(*groups: Iterable[LabelledText]) -> list[LabelledText]:
    """One row per normalised text; a row in a later group replaces an earlier row of the same text
    (staff corrections passed last override the corpus), within a group the first row wins."""
    merged: dict[str, LabelledText] = {}
    for group in groups:
        seen: set[str] = set()
        for row in group:
            key = normalise_text(row.text)
            if key in seen:
                continue
            seen.add(key)
            merged.pop(key, None)
            merged[key] = row
    return list(merged.values())


def corpus_hash(rows: Sequence[LabelledText]) -> str:
    """SHA-256 of the training data (texts, labels and flags, in a canonical order): the same rows give
    the same hash whatever their order, one changed label gives another."""
    lines = sorted(
        json.dumps(
            [normalise_text(r.text), r.labels_text(), int(r.complaint), int(r.praise)], ensure_ascii=False
        )
        for r in rows
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _stratum(row: LabelledText) -> str:
    if row.labels:
        return row.labels[0][0]
    return "complaint" if row.complaint else "praise" if row.praise else "none"


def split_corpus(
    rows: Sequence[LabelledText], *, test_share: float = TEST_SHARE, seed: int = SPLIT_SEED
) -> tuple[list[LabelledText], list[LabelledText]]:
    """The fixed train / held-out split: ``test_share`` of the rows, stratified on the first label
    (no-topic rows by their complaint / praise flag) when every stratum has two rows or more,
    otherwise a plain random split; both by ``seed``.

    The rows are put in id order first, so the split does not depend on the order of the files.
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be in (0, 1), but got {test_share!r}")
    from sklearn.model_selection import train_test_split

    ordered = sorted(rows, key=lambda r: (r.id, normalise_text(r.text)))
    if len(ordered) < 10:
        raise ValueError(f"rows must hold at least 10 texts to split, but got {len(ordered)}")
    strata = [_stratum(r) for r in ordered]
    counts = {s: strata.count(s) for s in set(strata)}
    stratify = strata if min(counts.values()) >= 2 else None
    train, test = train_test_split(ordered, test_size=test_share, random_state=seed, stratify=stratify)
    return list(train), list(test)
