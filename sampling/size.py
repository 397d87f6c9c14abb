"""Sample size for estimating a proportion, and the margin of error a sample size gives.

Formulas from Cochran (1977), *Sampling Techniques*, 3rd ed., §4.4 (sample size for a proportion with the finite
population correction) and Lohr (2019), *Sampling: Design and Analysis*, 2nd ed., §2.7. The design effect ``deff``
inflates the simple-random-sampling variance (Kish 1965); ``response_rate`` turns the number of completed
interviews needed into the number of customers to issue.

A stratified sample is sized under its allocation (:func:`size_for_margin`): the planned margin is computed from
the allocated ``n_h`` with the stratified variance (Cochran 1977, §5.3, eq. 5.6) and ``n`` is searched until it
meets the target, so an allocation far from proportional (equal, power, Neyman on another variable) is sized
for what it achieves, not for simple random sampling.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

from sampling.allocation import METHODS, MIN_PER_STRATUM, allocate

__all__ = [
    "StratifiedSize", "expected_margin", "sample_size_by_domain", "sample_size_proportion", "size_for_margin",
    "stratified_margin",
]  # fmt: skip

# Relative tolerance that absorbs float noise before rounding up (e.g. 384.00000001 -> 384).
_CEIL_RTOL = 1e-9


def _check_real(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, but got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be nan, but got {value!r}")
    return value


def _check_open_unit(name: str, value: object) -> float:
    x = _check_real(name, value)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must be in (0, 1), but got {value!r}")
    return x


def _check_common(confidence: float, p: float, deff: float) -> tuple[float, float, float]:
    confidence = _check_open_unit("confidence", confidence)
    p_value = _check_real("p", p)
    if not 0.0 <= p_value <= 1.0:
        raise ValueError(f"p must be in [0, 1], but got {p!r}")
    deff_value = _check_real("deff", deff)
    if not (deff_value > 0.0 and math.isfinite(deff_value)):
        raise ValueError(f"deff must be a finite number > 0, but got {deff!r}")
    return confidence, p_value, deff_value


def _check_population(population: object, name: str = "population") -> int | None:
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer or None, but got {population!r}")
    if population < 1:
        raise ValueError(f"{name} must be a positive integer or None, but got {population!r}")
    return int(population)


def _z(confidence: float) -> float:
    """Two-sided standard normal quantile z_{1-alpha/2} for ``confidence = 1 - alpha``."""
    return NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)


def _ceil(x: float) -> int:
    return math.ceil(x - _CEIL_RTOL * abs(x))


def sample_size_proportion(
    margin: float,
    confidence: float = 0.95,
    p: float = 0.5,
    population: int | None = None,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> int:
    """Number of customers to issue so that a proportion is estimated within ``±margin``.

    Cochran's (1977, §4.4) sample size for a proportion with the finite population correction,
    inflated by the design effect and by the expected response rate. The order of operations is:

    1. completes without fpc: ``n0 = deff · z² · p(1 − p) / margin²`` (Cochran §4.4; Kish's deff);
    2. finite population correction, only when ``population`` (N) is given:
       ``n1 = n0 / (1 + (n0 − 1) / N)`` (Cochran 1977, §4.4; Lohr 2019, §2.7);
    3. customers to issue: ``n2 = n1 / response_rate`` (the fpc applies to the *completed* interviews);
    4. round up, ignoring float noise of relative size 1e-9, at least 1, and never more than N.

    Without a population steps 2 and 4's cap are skipped, so the result is
    ``⌈deff·z²·p(1−p) / (margin²·response_rate)⌉``.

    Parameters
    ----------
    margin : float
        Half-width e of the confidence interval, in (0, 1) (0.05 means ±5 percentage points).
    confidence : float, default 0.95
        Confidence level 1 − α, in (0, 1); ``z`` is the standard normal 1 − α/2 quantile.
    p : float, default 0.5
        Anticipated proportion in [0, 1]; 0.5 is the conservative choice.
    population : int or None, default None
        Population size N (≥ 1) for the finite population correction; None for an infinite population.
    deff : float, default 1.0
        Design effect (> 0) of the design relative to simple random sampling.
    response_rate : float, default 1.0
        Expected response rate in (0, 1]; the number of completes is divided by it.

    Returns
    -------
    int
        Number of units to issue.

    Examples
    --------
    >>> sample_size_proportion(0.05)
    385
    >>> sample_size_proportion(0.05, population=10_000)
    370
    >>> sample_size_proportion(0.05, response_rate=0.5)
    769
    """
    margin = _check_open_unit("margin", margin)
    confidence, p, deff = _check_common(confidence, p, deff)
    n_pop = _check_population(population)
    rate = _check_real("response_rate", response_rate)
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"response_rate must be in (0, 1], but got {response_rate!r}")

    z = _z(confidence)
    n = deff * z * z * p * (1.0 - p) / (margin * margin)
    if n_pop is not None:
        n = n / (1.0 + (n - 1.0) / n_pop)
    n = n / rate
    size = max(1, _ceil(n))
    if n_pop is not None:
        size = min(size, n_pop)
    return size


def sample_size_by_domain(
    populations: Mapping[str, int],
    margin: float,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> dict[str, int]:
    """Sample size per domain so that each domain (e.g. region) on its own reaches ``±margin``.

    Each domain is sized separately with :func:`sample_size_proportion`, using its own population
    N_d for the finite population correction, and capped at N_d (a take-all domain). Planning for
    domain estimates this way follows Lohr (2019, §4.3, estimation in domains) and Cochran (1977, §2.13,
    estimates over subpopulations): the precision of a domain estimate depends on the domain's own sample size. A domain with N_d = 0
    gets 0.

    Parameters
    ----------
    populations : Mapping[str, int]
        Domain key → population size N_d (≥ 0).
    margin, confidence, p, deff, response_rate
        As in :func:`sample_size_proportion`.

    Returns
    -------
    dict[str, int]
        Domain key → number of units to issue, in the order of ``populations``.

    Examples
    --------
    >>> sample_size_by_domain({"north": 10_000, "south": 200}, 0.05)
    {'north': 370, 'south': 132}
    """
    if not isinstance(populations, Mapping):
        raise TypeError(f"populations must be a mapping of domain to size, but got {populations!r}")
    sizes: dict[str, int] = {}
    for domain, size in populations.items():
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"populations[{domain!r}] must be an integer, but got {size!r}")
        if size < 0:
            raise ValueError(f"populations[{domain!r}] must be >= 0, but got {size!r}")
    for domain, size in populations.items():
        if size == 0:
            # Still validate the other arguments, so a bad margin is never silently accepted.
            sample_size_proportion(margin, confidence, p, None, deff, response_rate)
            sizes[domain] = 0
        else:
            sizes[domain] = sample_size_proportion(margin, confidence, p, int(size), deff, response_rate)
    return sizes


def expected_margin(
    n: int,
    confidence: float = 0.95,
    p: float = 0.5,
    population: int | None = None,
    deff: float = 1.0,
) -> float:
    """Half-width of the confidence interval for a proportion estimated from ``n`` completes.

    The inverse of steps 1–2 of :func:`sample_size_proportion`:
    ``e = z · sqrt(deff · p(1 − p) / n · (N − n) / (N − 1))``, which is the normal-approximation
    interval with the SRSWOR variance ``(1 − n/N) S²/n`` and ``S² = N p(1 − p)/(N − 1)``
    (Cochran 1977, §3.2 and §4.4; Lohr 2019, §2.7). Without a population the factor
    ``(N − n)/(N − 1)`` is 1. A census (n = N) has margin 0.

    Parameters
    ----------
    n : int
        Number of completed interviews (≥ 1, and ≤ ``population`` when given).
    confidence, p, population, deff
        As in :func:`sample_size_proportion`.

    Returns
    -------
    float
        The margin of error e.

    Examples
    --------
    >>> round(expected_margin(385), 4)
    0.0499
    >>> expected_margin(50, population=50)
    0.0
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a positive integer, but got {n!r}")
    if n < 1:
        raise ValueError(f"n must be a positive integer, but got {n!r}")
    confidence, p, deff = _check_common(confidence, p, deff)
    n_pop = _check_population(population)
    if n_pop is not None and n > n_pop:
        raise ValueError(f"n must not exceed population ({n_pop}), but got {n!r}")

    fpc = 1.0
    if n_pop is not None:
        fpc = 0.0 if n == n_pop else (n_pop - n) / (n_pop - 1)
    return _z(confidence) * math.sqrt(deff * p * (1.0 - p) / int(n) * fpc)


def stratified_margin(
    populations: Mapping[Hashable, int],
    completes: Mapping[Hashable, float],
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
) -> float:
    """Expected half-width of the CI of a proportion under stratified SRS with ``completes`` per stratum.

    ``e = z · sqrt(deff · Σ_h W_h² (1 − m_h/N_h) · S_h² / m_h)`` with ``W_h = N_h/N`` and
    ``S_h² = N_h p(1 − p)/(N_h − 1)`` (Cochran 1977, eq. 5.6 and §3.2; Lohr 2019, eq. 3.5); ``deff`` is any
    further design effect (Kish 1965), 1 by default. A stratum with ``N_h > 0`` but no completes makes the
    estimate impossible: ``nan``. A census (every ``m_h = N_h``) has margin 0.

    >>> round(stratified_margin({"a": 10_000}, {"a": 370}), 4)
    0.05
    """
    total = sum(populations.values())
    if total <= 0:
        return math.nan
    var = 0.0
    for h, N_h in populations.items():
        if N_h <= 0:
            continue
        m_h = float(completes.get(h, 0.0))
        if m_h <= 0:
            return math.nan
        m_h = min(m_h, N_h)
        s2 = N_h * p * (1 - p) / (N_h - 1) if N_h > 1 else 0.0
        var += (N_h / total) ** 2 * (1 - m_h / N_h) * s2 / m_h
    return _z(confidence) * math.sqrt(max(deff * var, 0.0))


@dataclass(frozen=True)
class StratifiedSize:
    """The allocation :func:`size_for_margin` found: ``sizes`` (n_h), its planned ``margin``, the ``target``
    and whether the target is ``met`` (False only when even issuing every customer cannot meet it)."""

    sizes: dict[Hashable, int]
    margin: float
    target: float
    met: bool

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


# Relative slack for "achieved <= target" (float noise in the variance sum).
_MARGIN_RTOL = 1e-9


def size_for_margin(
    populations: Mapping[Hashable, int],
    margin: float,
    *,
    allocation: str = "proportional",
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    response_rate: float = 1.0,
    sd: Mapping[Hashable, float] | None = None,
    power: float | None = None,
    cost: Mapping[Hashable, float] | None = None,
    minimum: int = MIN_PER_STRATUM,
) -> StratifiedSize:
    """The smallest total ``n`` whose allocation meets ``±margin`` for a proportion, or the shortfall.

    For a total ``n`` the strata get ``n_h`` = :func:`sampling.allocation.allocate` (``allocation``, ``sd``,
    ``power``, ``cost``, ``minimum``), the expected completes are ``m_h = n_h · response_rate`` and the planned
    margin is :func:`stratified_margin` — ``z · sqrt(Σ W_h² S_h²/m_h · (1 − m_h/N_h))`` (Cochran 1977, §5.3,
    eq. 5.6; the allocation enters through m_h, which is how Cochran §5.9, eq. 5.25, sizes a stratified sample
    for a given allocation). The margin falls as ``n`` grows, so ``n`` is found by bisection between the
    minimums ``Σ min(minimum, N_h)`` and the census ``Σ N_h``; the result meets the target and ``n − 1`` does
    not. If even the census misses the target (a small frame with ``response_rate < 1``), every customer is
    issued and ``met`` is False — the caller must say so.

    With proportional allocation and a common ``p`` this is close to Cochran's §4.4 size for the whole frame
    (:func:`sample_size_proportion`); other allocations need more.

    Parameters
    ----------
    populations : Mapping[Hashable, int]
        Stratum → N_h (≥ 0).
    margin : float
        Target half-width e in (0, 1).
    allocation, sd, power, cost, minimum
        As in :func:`sampling.allocation.allocate`.
    confidence, p, deff, response_rate
        As in :func:`sample_size_proportion`.

    Returns
    -------
    StratifiedSize

    Examples
    --------
    Equal allocation over a 9 : 1 frame needs 607 for ±5%, where simple random sampling needs 370:

    >>> result = size_for_margin({"a": 9_000, "b": 1_000}, 0.05, allocation="equal")
    >>> result.sizes, round(result.margin, 4), result.met
    ({'a': 304, 'b': 303}, 0.0499, True)
    >>> size_for_margin({"a": 9_000, "b": 1_000}, 0.05).sizes
    {'a': 334, 'b': 37}
    """
    target = _check_open_unit("margin", margin)
    confidence, p, deff = _check_common(confidence, p, deff)
    rate = _check_real("response_rate", response_rate)
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"response_rate must be in (0, 1], but got {response_rate!r}")
    if not isinstance(allocation, str) or allocation not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, but got {allocation!r}")
    options = {"sd": sd, "power": power, "cost": cost, "minimum": minimum}

    def planned(n: int) -> tuple[dict[Hashable, int], float]:
        sizes = allocate(populations, n, allocation, **options)
        achieved = stratified_margin(
            populations, {h: k * rate for h, k in sizes.items()}, confidence, p, deff
        )
        return sizes, achieved

    def meets(achieved: float) -> bool:
        return achieved <= target * (1 + _MARGIN_RTOL)  # nan (a stratum without sample) never meets

    total = sum(int(v) for v in populations.values())
    low = sum(min(int(minimum), int(v)) for v in populations.values()) if isinstance(minimum, int) else 0
    sizes, achieved = planned(total)
    if not meets(achieved):
        return StratifiedSize(sizes, achieved, target, False)
    best = (sizes, achieved)
    sizes, achieved = planned(low)
    if meets(achieved):
        return StratifiedSize(sizes, achieved, target, True)
    lo, hi = low, total  # invariant: planned(lo) misses, planned(hi) meets
    while hi - lo > 1:
        mid = (lo + hi) // 2
        sizes, achieved = planned(mid)
        if meets(achieved):
            hi, best = mid, (sizes, achieved)
        else:
            lo = mid
    return StratifiedSize(best[0], best[1], target, True)
