"""Loading and validating the editable topic dictionary (``analysis/data/topics.yaml``).

Every mistake a staff member can make in the file is a ``ValueError`` naming the topic and
the field; the validated result is a :class:`analysis.topic_matcher.TopicDictionary`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from analysis.topic_matcher import (
    _NOT_WORD,
    _SETTINGS_FIELDS,
    _TOPIC_FIELDS,
    DEFAULT_TOPICS_PATH,
    TOPIC_KEYS,
    MatchSettings,
    Topic,
    TopicDictionary,
    _normalise,
)

__all__ = ["load_topics"]


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
                 for name in ("keywords", "weak_keywords", "negative", "subjects", "cues", "requests",
                              "aspects")}  # fmt: skip
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
        # The C-accelerated safe loader when PyYAML has it (same semantics, ~10x faster).
        data = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )  # noqa: S506
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: invalid YAML: {exc}") from exc
    return _parse(data, str(path))


@lru_cache(maxsize=1)
def _default_topics() -> TopicDictionary:
    return load_topics(DEFAULT_TOPICS_PATH)
