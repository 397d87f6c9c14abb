"""Allocation of a total sample size ``n`` to strata.

Every method gives each stratum h a weight ``w_h`` and allocates ``n_h ∝ w_h``:

==================  ======================  =================================================
method              weight ``w_h``          source
==================  ======================  =================================================
``"proportional"``  ``N_h``                 Cochran (1977) ch. 5; Lohr (2019) §3.4
``"equal"``         ``1``                   Lohr (2019) §3.4 (equal precision per stratum)
``"neyman"``        ``N_h·S_h``             Neyman (1934); Cochran (1977) §5.5; Lohr (2019) §3.4
``"power"``         ``N_h^q`` (× ``S_h``)   Bankier (1988)
``"optimal"``       ``N_h·S_h/√c_h``        Cochran (1977) §5.5 eq. 5.24; Lohr (2019) §3.4
==================  ======================  =================================================

Constraints are applied to the continuous allocation first: each stratum lies in
``[L_h, U_h] = [min(minimum, N_h), N_h]`` (``minimum`` is 2 unless given) and the allocation is ``x_h = clip(λ·w_h, L_h, U_h)`` with λ chosen so
that ``Σ x_h = n`` — strata whose share exceeds N_h are taken whole (take-all) and their surplus is redistributed
over the others in proportion to the weights, repeatedly, which is what this closed form computes
(Cochran 1977, §5.8 on over-allocation). It is computed in exact rational arithmetic and then rounded with the
largest-remainder (Hamilton) method: floors first, then one more unit to the strata with the largest fractional
parts, ties going to the stratum that comes first. The result sums exactly to ``n`` and every ``n_h`` is within 1
of its continuous share ``x_h``.

Hamilton rounding is not monotone in ``n`` (the "Alabama paradox", Balinski & Young 1982): for N = (1, 3, 3),
n = 3 gives (1, 1, 1) but n = 4 gives (0, 2, 2). The continuous shares ``x_h`` are monotone in ``n``; a rounded
``n_h`` can drop by at most one unit when ``n`` grows.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from fractions import Fraction

__all__ = ["METHODS", "MIN_PER_STRATUM", "allocate"]

METHODS: tuple[str, ...] = ("proportional", "equal", "neyman", "power", "optimal")
#: Default minimum sample per stratum: the fewest units from which a stratum's variance can be estimated.
MIN_PER_STRATUM = 2


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, but got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, but got {value!r}")
    return int(value)


def _check_per_stratum(
    name: str, values: object, strata: list[Hashable], *, positive: bool
) -> dict[Hashable, float]:
    """Validate a mapping stratum → finite real (> 0 when ``positive``, else >= 0). Extra keys are ignored."""
    if not isinstance(values, Mapping):
        raise TypeError(f"{name} must be a mapping of stratum to number, but got {values!r}")
    checked: dict[Hashable, float] = {}
    for key in strata:
        if key not in values:
            raise ValueError(f"{name} is missing stratum {key!r}")
        value = values[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}[{key!r}] must be a real number, but got {value!r}")
        x = float(value)
        ok = math.isfinite(x) and (x > 0 if positive else x >= 0)
        if not ok:
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"{name}[{key!r}] must be a finite number {bound}, but got {value!r}")
        checked[key] = x
    return checked


def _weights(
    population: dict[Hashable, int],
    method: str,
    sd: object,
    power: object,
    cost: object,
) -> dict[Hashable, Fraction]:
    """Allocation weights w_h as exact fractions (of the floats the formulas produce)."""
    strata = list(population)
    uses = {
        "proportional": set(),
        "equal": set(),
        "neyman": {"sd"},
        "power": {"power", "sd"},
        "optimal": {"sd", "cost"},
    }[method]
    for name, value in (("sd", sd), ("power", power), ("cost", cost)):
        if value is not None and name not in uses:
            raise ValueError(f"{name} is not used by method={method!r}; pass {name}=None")
    if method in ("neyman", "optimal") and sd is None:
        raise ValueError(f"method={method!r} needs sd, the standard deviation S_h of every stratum")
    if method == "power" and power is None:
        raise ValueError("method='power' needs power, the exponent q in [0, 1]")

    sds = _check_per_stratum("sd", sd, strata, positive=False) if sd is not None else None
    costs = _check_per_stratum("cost", cost, strata, positive=True) if cost is not None else None

    if method == "proportional":
        raw = {h: float(size) for h, size in population.items()}
    elif method == "equal":
        raw = {h: 1.0 for h in strata}
    elif method == "neyman":
        raw = {h: population[h] * sds[h] for h in strata}
    elif method == "power":
        if isinstance(power, bool) or not isinstance(power, numbers.Real):
            raise TypeError(f"power must be a real number, but got {power!r}")
        q = float(power)
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"power must be in [0, 1], but got {power!r}")
        raw = {h: float(population[h]) ** q * (sds[h] if sds is not None else 1.0) for h in strata}
    else:  # optimal; without costs every interview costs the same (c_h = 1), which is Neyman
        raw = {h: population[h] * sds[h] / math.sqrt(costs[h] if costs is not None else 1.0) for h in strata}
    return {h: Fraction(w) for h, w in raw.items()}


def _water_fill(
    weights: dict[Hashable, Fraction],
    lower: dict[Hashable, int],
    upper: dict[Hashable, int],
    target: int,
) -> dict[Hashable, Fraction]:
    """Solve Σ clip(λ·w_h, L_h, U_h) = target for λ >= 0 (all w_h > 0, Σ L <= target <= Σ U).

    g(λ) = Σ clip(λ·w_h, L_h, U_h) is piecewise linear and non-decreasing; on each piece g = A + λ·B,
    where A sums the bounds of the clipped strata and B the weights of the free ones. Sweep the breakpoints
    L_h/w_h (stratum becomes free) and U_h/w_h (stratum becomes take-all) in increasing order.
    """
    if target == sum(lower.values()):
        return {h: Fraction(lower[h]) for h in weights}
    events = []
    for h, w in weights.items():
        events.append((lower[h] / w, 0, h))  # 0: leaves its lower bound
        events.append((upper[h] / w, 1, h))  # 1: reaches its upper bound
    events.sort(key=lambda event: (event[0], event[1]))
    a = Fraction(sum(lower.values()))
    b = Fraction(0)
    lam = None
    for point, kind, h in events:
        if a + point * b >= target:
            lam = (target - a) / b
            break
        if kind == 0:
            a -= lower[h]
            b += weights[h]
        else:
            a += upper[h]
            b -= weights[h]
    if lam is None:  # target == Σ U: everything is taken whole
        return {h: Fraction(upper[h]) for h in weights}
    return {h: min(max(lam * w, Fraction(lower[h])), Fraction(upper[h])) for h, w in weights.items()}


def _continuous(
    population: dict[Hashable, int],
    weights: dict[Hashable, Fraction],
    lower: dict[Hashable, int],
    n: int,
) -> dict[Hashable, Fraction]:
    """Continuous allocation within the bounds; strata with weight 0 keep their lower bound unless the
    strata with positive weight are all taken whole, in which case the rest is shared proportionally to N_h."""
    shares = {h: Fraction(lower[h]) for h in population}
    positive = [h for h in population if weights[h] > 0 and population[h] > 0]
    zero = [h for h in population if h not in positive and population[h] > 0]
    spare = n - sum(lower[h] for h in zero)
    if spare <= sum(population[h] for h in positive):
        sub = {h: weights[h] for h in positive}
        if sub:
            shares.update(
                _water_fill(sub, {h: lower[h] for h in sub}, {h: population[h] for h in sub}, spare)
            )
        return shares
    shares.update({h: Fraction(population[h]) for h in positive})
    rest = n - sum(population[h] for h in positive)
    sub = {h: Fraction(population[h]) for h in zero}
    shares.update(_water_fill(sub, {h: lower[h] for h in sub}, {h: population[h] for h in sub}, rest))
    return shares


def _round_largest_remainder(shares: dict[Hashable, Fraction], n: int) -> dict[Hashable, int]:
    """Hamilton rounding: floors, then +1 to the largest fractional parts (ties: earlier stratum first)."""
    floors = {h: math.floor(x) for h, x in shares.items()}
    remaining = n - sum(floors.values())
    order = sorted(
        enumerate(shares),
        key=lambda item: (-(shares[item[1]] - floors[item[1]]), item[0]),
    )
    for _, h in order[:remaining]:
        floors[h] += 1
    return floors


def allocate(
    population: Mapping[Hashable, int],
    n: int,
    method: str = "proportional",
    *,
    sd: Mapping[Hashable, float] | None = None,
    power: float | None = None,
    cost: Mapping[Hashable, float] | None = None,
    minimum: int = MIN_PER_STRATUM,
) -> dict[Hashable, int]:
    """Allocate a total sample size ``n`` to strata.

    ``n_h ∝ w_h`` with the weight of the chosen method:

    - ``"proportional"``: ``w_h = N_h`` (Cochran 1977, ch. 5; Lohr 2019, §3.4);
    - ``"equal"``: ``w_h = 1`` for every non-empty stratum (Lohr 2019, §3.4, equal precision per stratum);
    - ``"neyman"``: ``w_h = N_h·S_h``, minimising the variance of the estimated mean for fixed n
      (Neyman 1934; Cochran 1977, §5.5; Lohr 2019, §3.4);
    - ``"power"``: ``w_h = N_h^q`` times ``S_h`` when ``sd`` is given, a compromise between equal (q = 0) and
      proportional (q = 1) that keeps domain estimates usable (Bankier 1988, *Survey Methodology* 14(2);
      Lohr 2019, §3.4);
    - ``"optimal"``: ``w_h = N_h·S_h/√c_h``, minimising variance for a fixed cost Σ c_h·n_h
      (Cochran 1977, §5.5, eq. 5.24; Lohr 2019, §3.4); equal costs when ``cost`` is None.

    Each stratum stays within ``[min(minimum, N_h), N_h]``; a stratum whose share exceeds ``N_h`` is taken whole
    and its surplus redistributed over the others (Cochran 1977, §5.8), and the continuous shares are rounded
    by largest remainders so that they sum exactly to ``n``. If every stratum with positive weight is taken whole
    and units are still left (e.g. Neyman with ``S_h = 0`` somewhere), the rest goes proportionally to ``N_h``.

    Parameters
    ----------
    population : Mapping[Hashable, int]
        Stratum key → population size N_h (integer ≥ 0). The result keeps this order, which also breaks ties.
    n : int
        Total sample size, ``Σ min(minimum, N_h) <= n <= Σ N_h``.
    method : {"proportional", "equal", "neyman", "power", "optimal"}
    sd : Mapping[Hashable, float], optional
        Stratum standard deviations S_h (≥ 0), e.g. from the previous round. Required by "neyman" and
        "optimal", optional for "power". Keys not in ``population`` are ignored.
    power : float, optional
        Bankier's exponent q in [0, 1]; required by (and only for) "power".
    cost : Mapping[Hashable, float], optional
        Cost c_h (> 0) of one interview per stratum; only for "optimal", where None means equal costs
        (c_h = 1, and the allocation is Neyman's).
    minimum : int, default 2
        Minimum sample size per stratum, capped at N_h. Two units per stratum are what the variance of a
        stratified estimate needs (Cochran 1977, §5.4; Lohr 2019, §3.2: s_h² has divisor n_h − 1), so by
        default no stratum is left empty or with one unit; ``minimum=0`` allows both (a stratum without sample
        is then not represented, and its variance cannot be estimated).

    Returns
    -------
    dict[Hashable, int]
        Stratum key → n_h, in the order of ``population``; ``sum(...) == n``.

    Raises
    ------
    TypeError
        If ``population`` is not a mapping, or sizes, ``n``, ``minimum``, ``sd``, ``cost`` have the wrong type.
    ValueError
        Unknown method, negative sizes, ``n`` larger than the population or smaller than the minimums,
        a missing or invalid ``sd``/``cost``/``power``, or an argument the method does not use.

    Examples
    --------
    Proportional, quotas 5.0, 3.0, 2.0:

    >>> allocate({"a": 500, "b": 300, "c": 200}, 10)
    {'a': 5, 'b': 3, 'c': 2}

    Neyman: N_h·S_h = 1000, 1000, 100, so quotas 10·(1000, 1000, 100)/2100 = 4.76, 4.76, 0.48; "c" is raised to
    the default minimum of 2 and the other 8 are shared 1000 : 1000:

    >>> allocate({"a": 100, "b": 50, "c": 100}, 10, "neyman", sd={"a": 10, "b": 20, "c": 1})
    {'a': 4, 'b': 4, 'c': 2}

    Without a minimum the quotas are rounded by largest remainders (4, 4, 0, then one more to 0.76 and 0.76):

    >>> allocate({"a": 100, "b": 50, "c": 100}, 10, "neyman", sd={"a": 10, "b": 20, "c": 1}, minimum=0)
    {'a': 5, 'b': 5, 'c': 0}

    Take-all: stratum "small" can give only 2, the other 8 go to "big":

    >>> allocate({"big": 1000, "small": 2}, 10, "equal")
    {'big': 8, 'small': 2}
    """
    if not isinstance(population, Mapping):
        raise TypeError(f"population must be a mapping of stratum to size, but got {population!r}")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}, but got {method!r}")
    sizes = {h: _check_count(f"population[{h!r}]", size) for h, size in population.items()}
    n = _check_count("n", n)
    minimum = _check_count("minimum", minimum)

    total = sum(sizes.values())
    if n > total:
        raise ValueError(f"n must not exceed the total population ({total}), but got {n}")
    lower = {h: min(minimum, size) for h, size in sizes.items()}
    needed = sum(lower.values())
    if n < needed:
        raise ValueError(
            f"n must be at least {needed} (minimum={minimum} in each of {len(sizes)} strata, "
            f"capped at N_h), but got {n}"
        )
    weights = _weights(sizes, method, sd, power, cost)
    shares = _continuous(sizes, weights, lower, n)
    return _round_largest_remainder(shares, n)
