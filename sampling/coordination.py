"""Expected overlap of PRN-coordinated samples (negative coordination by rotation).

With permanent random numbers a round's sample in stratum h is (about) the arc
``[a_h, a_h + n_h/N_h)`` of the unit circle of PRNs; the next round starts where the last one
ended, so two rounds of the same survey share customers only once the arcs wrap around and
overlap (Ohlsson 1995, §9.3; Tillé 2006, §7.2.3). Since PRNs are uniform, the expected number of
customers in both samples is ``N_h`` times the length of the arcs' intersection.

Different surveys of the same frame do not share a start: the first round of survey ``s`` starts, in stratum h,
at :func:`survey_start` — a point derived from the frame's salt, the survey key and the stratum, uniform on
[0, 1) over salts. Two surveys' samples are then arcs at independent uniform positions, so they share on average
``n_a·n_b/N_h`` customers per stratum, as independent samples would (Ohlsson 1995, §9.2 on independent starts
for independent surveys).
"""

from __future__ import annotations

import hashlib

#: Separates the fields hashed by :func:`survey_start`, so ("ab", "c") and ("a", "bc") differ.
_FIELD = "\x1f"


def _pieces(start: float, length: float) -> list[tuple[float, float]]:
    """The arc ``[start, start + length)`` on the unit circle as 1 or 2 intervals in [0, 1)."""
    length = min(max(length, 0.0), 1.0)
    if length >= 1.0:
        return [(0.0, 1.0)]
    end = start + length
    if end <= 1.0:
        return [(start, end)]
    return [(start, 1.0), (0.0, end - 1.0)]


def arc_overlap(start_a: float, length_a: float, start_b: float, length_b: float) -> float:
    """Length of the intersection of two arcs of the unit circle.

    >>> arc_overlap(0.0, 0.3, 0.3, 0.3)
    0.0
    >>> round(arc_overlap(0.9, 0.2, 0.0, 0.5), 10)
    0.1
    """
    total = 0.0
    for lo_a, hi_a in _pieces(start_a % 1.0, length_a):
        for lo_b, hi_b in _pieces(start_b % 1.0, length_b):
            total += max(0.0, min(hi_a, hi_b) - max(lo_a, lo_b))
    return total


def expected_overlap(
    population: int,
    start_a: float,
    size_a: int,
    population_a: int,
    start_b: float,
    size_b: int,
    population_b: int,
) -> float:
    """Expected number of units of one stratum sampled in both of two PRN rounds.

    Round r takes about the arc ``[start_r, start_r + n_r/N_r)``; the expected common units are
    ``N · |arc_a ∩ arc_b|`` (Ohlsson 1995, §9.3: PRN samples are sequential Poisson-like arcs). ``population``
    is N today; independent samples would share ``n_a·n_b/N`` instead (Lohr 2019, §2.3, SRS inclusion).

    >>> expected_overlap(1000, 0.0, 100, 1000, 0.1, 100, 1000)
    0.0
    >>> round(expected_overlap(1000, 0.0, 1000, 1000, 0.5, 100, 1000), 9)
    100.0
    """
    if population_a <= 0 or population_b <= 0:
        return 0.0
    return population * arc_overlap(start_a, size_a / population_a, start_b, size_b / population_b)


def arc_length(start: float, next_start: float, drawn: int, population: int) -> float:
    """Length of the PRN arc a round actually covered in a stratum: from its start to where the next round
    starts (``(next − start) mod 1``); a stratum drawn whole covers the circle, one not drawn covers nothing.

    >>> round(arc_length(0.9, 0.1, 5, 100), 10), arc_length(0.3, 0.3, 100, 100), arc_length(0.3, 0.3, 0, 100)
    (0.2, 1.0, 0.0)
    """
    if drawn <= 0:
        return 0.0
    if drawn >= population or next_start == start:
        return 1.0
    return (next_start - start) % 1.0


def survey_start(salt: str, survey: str, stratum: str) -> float:
    """Start point of a survey's first round in a stratum: ``int(sha256(salt, "survey", survey, stratum)[:13 hex])
    / 16**13``, the PRN rule of DESIGN.md applied to the survey key instead of a customer id.

    Stable (the same salt, survey and stratum give the same start on every copy of the database), uniform on
    [0, 1) over salts, and unrelated between surveys, so two surveys' first rounds overlap only as independent
    samples would: ``N_h · E|arc_a ∩ arc_b| = n_a·n_b/N_h`` for independent uniform starts (Ohlsson 1995, §9.2;
    Lohr 2019, §2.3). Rounds after the first rotate from where the survey's previous round ended.

    >>> survey_start("salt", "default", "all") == survey_start("salt", "default", "all")
    True
    >>> survey_start("salt", "default", "all") != survey_start("salt", "outage", "all")
    True
    """
    for name, value in (("salt", salt), ("survey", survey), ("stratum", stratum)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, but got {value!r}")
    text = _FIELD.join((salt, "survey", survey, stratum))
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:13], 16) / 16**13
