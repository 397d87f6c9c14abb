"""AAPOR outcome rates of a survey round.

Formulas and disposition classes from The American Association for Public Opinion Research (2023),
*Standard Definitions: Final Dispositions of Case Codes and Outcome Rates for Surveys*, 10th edition:

- I  complete interview (1.1)                 - P  partial interview (1.2)
- R  refusal and break-off (2.10)             - NC non-contact (2.20)
- O  other eligible, non-interview (2.30)     - UH unknown if household / eligible unit (3.x)
- UO unknown eligibility, other (3.x)         - NE not eligible (4.x; not in any denominator)

Our disposition codes map to these classes as in :data:`DISPOSITION_CLASS`:

=====================================  =====  ==================================================================
code                                   class  reason
=====================================  =====  ==================================================================
``complete``                           I      1.1 complete
``partial``                            P      1.2 partial
``refusal``, ``break_off``             R      2.11 refusal, 2.12 break-off
``non_contact``, ``callback``          NC     2.20 non-contact; a call-back that never became an interview means
                                              the selected respondent was never available (2.21)
``other``                              O      2.30 other (e.g. language, illness)
``busy``, ``no_answer``                UH     3.x always busy / no answer: unknown whether the number reaches
                                              an eligible unit
``not_issued``, ``issued``,            UO     3.x not attempted / invitation sent but nothing returned:
``no_answer_yet``                             eligibility unknown, no outcome yet
``wrong_number``, ``not_eligible``     NE     4.x non-working or changed number, not eligible (such units are
                                              replaced from the reserve sample)
=====================================  =====  ==================================================================

Every rate below uses only the sum UH + UO, so the UH/UO split does not change any result.
"""

from __future__ import annotations

import math
import numbers
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType

__all__ = [
    "DISPOSITION_CLASS",
    "DispositionCounts",
    "OutcomeRates",
    "coop1",
    "con1",
    "estimate_e",
    "outcome_rates",
    "ref1",
    "rr1",
    "rr3",
]

DISPOSITION_CLASS: Mapping[str, str] = MappingProxyType(
    {
        "complete": "I",
        "partial": "P",
        "refusal": "R",
        "break_off": "R",
        "non_contact": "NC",
        "callback": "NC",
        "other": "O",
        "busy": "UH",
        "no_answer": "UH",
        "not_issued": "UO",
        "issued": "UO",
        "no_answer_yet": "UO",
        "wrong_number": "NE",
        "not_eligible": "NE",
    }
)
"""Disposition code → AAPOR class (a field name of :class:`DispositionCounts`)."""


@dataclass(frozen=True)
class DispositionCounts:
    """Number of sampled units in each AAPOR final disposition class (AAPOR 2023, Standard Definitions).

    Attributes
    ----------
    I, P, R, NC, O, UH, UO, NE : int
        Complete, partial, refusal and break-off, non-contact, other, unknown household, unknown other,
        not eligible. Non-negative integers.

    Examples
    --------
    >>> DispositionCounts.from_dispositions(["complete", "refusal", "complete", "issued"])
    DispositionCounts(I=2, P=0, R=1, NC=0, O=0, UH=0, UO=1, NE=0)
    """

    I: int = 0  # noqa: E741 - AAPOR's own symbol
    P: int = 0
    R: int = 0
    NC: int = 0
    O: int = 0  # noqa: E741 - AAPOR's own symbol
    UH: int = 0
    UO: int = 0
    NE: int = 0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{field.name} must be an integer, but got {value!r}")
            if value < 0:
                raise ValueError(f"{field.name} must be >= 0, but got {value!r}")
            object.__setattr__(self, field.name, int(value))

    @classmethod
    def from_dispositions(cls, codes: Iterable[str]) -> DispositionCounts:
        """Count disposition codes into AAPOR classes using :data:`DISPOSITION_CLASS`.

        Raises
        ------
        ValueError
            For a code that is not in :data:`DISPOSITION_CLASS`.
        """
        tally = Counter(codes)
        unknown = sorted(str(code) for code in tally if code not in DISPOSITION_CLASS)
        if unknown:
            known = ", ".join(DISPOSITION_CLASS)
            raise ValueError(f"unknown disposition code(s) {', '.join(unknown)}; expected one of: {known}")
        totals: Counter[str] = Counter()
        for code, count in tally.items():
            totals[DISPOSITION_CLASS[code]] += count
        return cls(**totals)

    def __add__(self, other: DispositionCounts) -> DispositionCounts:
        """Sum counts, e.g. over strata."""
        if not isinstance(other, DispositionCounts):
            return NotImplemented
        return DispositionCounts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class OutcomeRates:
    """AAPOR outcome rates of a set of dispositions; ``nan`` where a denominator is 0.

    Attributes
    ----------
    rr1, rr3, coop1, ref1, con1 : float
        Response rates 1 and 3, cooperation rate 1, refusal rate 1, contact rate 1.
    e : float
        Share of unknown-eligibility cases assumed eligible, used by ``rr3``.
    """

    rr1: float
    rr3: float
    coop1: float
    ref1: float
    con1: float
    e: float


def _check_counts(counts: object) -> DispositionCounts:
    if not isinstance(counts, DispositionCounts):
        raise TypeError(f"counts must be a DispositionCounts, but got {counts!r}")
    return counts


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def rr1(counts: DispositionCounts) -> float:
    """Response rate 1 (AAPOR 2023): ``I / ((I + P) + (R + NC + O) + (UH + UO))``.

    The minimum response rate: every case of unknown eligibility counts as eligible.

    >>> rr1(DispositionCounts(I=40, P=10, R=20, NC=20, O=10, UH=0, UO=100))
    0.2
    """
    c = _check_counts(counts)
    return _ratio(c.I, (c.I + c.P) + (c.R + c.NC + c.O) + (c.UH + c.UO))


def rr3(counts: DispositionCounts, e: float) -> float:
    """Response rate 3 (AAPOR 2023): ``I / ((I + P) + (R + NC + O) + e·(UH + UO))``.

    ``e`` is the estimated share of unknown-eligibility cases that are eligible (see :func:`estimate_e`).
    A ``nan`` e gives ``nan`` unless there are no unknown cases, when ``e`` does not matter.

    >>> rr3(DispositionCounts(I=40, P=10, R=20, NC=20, O=10, UO=100), e=0.5)
    0.26666666666666666
    """
    c = _check_counts(counts)
    if isinstance(e, bool) or not isinstance(e, numbers.Real):
        raise TypeError(f"e must be a real number, but got {e!r}")
    share = float(e)
    if not (math.isnan(share) or 0.0 <= share <= 1.0):
        raise ValueError(f"e must be in [0, 1], but got {e!r}")
    unknown = c.UH + c.UO
    return _ratio(c.I, (c.I + c.P) + (c.R + c.NC + c.O) + (share * unknown if unknown else 0.0))


def coop1(counts: DispositionCounts) -> float:
    """Cooperation rate 1 (AAPOR 2023): ``I / ((I + P) + R + O)`` — completes among contacted eligible units."""
    c = _check_counts(counts)
    return _ratio(c.I, (c.I + c.P) + c.R + c.O)


def ref1(counts: DispositionCounts) -> float:
    """Refusal rate 1 (AAPOR 2023): ``R / ((I + P) + (R + NC + O) + (UH + UO))``."""
    c = _check_counts(counts)
    return _ratio(c.R, (c.I + c.P) + (c.R + c.NC + c.O) + (c.UH + c.UO))


def con1(counts: DispositionCounts) -> float:
    """Contact rate 1 (AAPOR 2023): ``((I + P) + R + O) / ((I + P) + R + O + NC + (UH + UO))``."""
    c = _check_counts(counts)
    contacted = (c.I + c.P) + c.R + c.O
    return _ratio(contacted, contacted + c.NC + (c.UH + c.UO))


def estimate_e(counts: DispositionCounts) -> float:
    """Share eligible among cases of known eligibility: ``(I+P+R+NC+O) / (I+P+R+NC+O+NE)``.

    The proportional allocation estimate of e that AAPOR (2023) accepts for RR3 (often called the "CASRO"
    method); ``nan`` when no case has known eligibility.

    >>> estimate_e(DispositionCounts(I=40, P=10, R=20, NC=20, O=10, NE=25))
    0.8
    """
    c = _check_counts(counts)
    eligible = c.I + c.P + c.R + c.NC + c.O
    return _ratio(eligible, eligible + c.NE)


def outcome_rates(counts: DispositionCounts, e: float | None = None) -> OutcomeRates:
    """All AAPOR (2023) outcome rates of one set of dispositions.

    Parameters
    ----------
    counts : DispositionCounts
    e : float, optional
        Share of unknown-eligibility cases assumed eligible for RR3, in [0, 1]; estimated with
        :func:`estimate_e` when None.

    Examples
    --------
    >>> rates = outcome_rates(DispositionCounts(I=40, P=10, R=20, NC=20, O=10, UO=100, NE=25))
    >>> rates.rr1, round(rates.rr3, 4), rates.e
    (0.2, 0.2222, 0.8)
    """
    c = _check_counts(counts)
    e_value = estimate_e(c) if e is None else e
    return OutcomeRates(
        rr1=rr1(c),
        rr3=rr3(c, e_value),
        coop1=coop1(c),
        ref1=ref1(c),
        con1=con1(c),
        e=float(e_value),
    )
