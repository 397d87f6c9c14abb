"""Planning a stratified round: total size, allocation, expected completes, weights and margins.

Pure (no database): :mod:`survey.rounds` passes the eligible counts ``N_h`` and draws what this
module plans; the staff page shows :meth:`DesignPlan.strata_table` and :meth:`DesignPlan.domain_table`
as a live preview while the design is edited.

The size comes from exactly one of

- ``size``: entered directly, allocated over all strata;
- ``margin`` (``per_domain=False``): the smallest total whose allocation over all strata gives the overall
  proportion ``±margin`` (:func:`sampling.size.size_for_margin`: stratified variance of the allocated sample,
  Cochran 1977, §5.3 and §5.9);
- ``margin`` with ``per_domain=True``: the same within every domain (region) on its own, allocated over the
  domain's strata (Lohr 2019, §4.3: a domain's precision depends on its own sample).

A margin the frame cannot give (too few customers for the response rate) is not silently accepted: the plan
issues every customer of that domain and lists it in :attr:`DesignPlan.shortfalls` with the achieved margin
beside the target. Strata with fewer than two units (possible only with ``minimum`` < 2) are listed in
:attr:`DesignPlan.thin_strata`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import pandas as pd

from sampling.allocation import METHODS, MIN_PER_STRATUM, allocate
from sampling.size import _MARGIN_RTOL, size_for_margin, stratified_margin

__all__ = ["ALL_DOMAIN", "DesignPlan", "MarginCheck", "StratumPlan", "plan_design", "plan_sizes",
           "stratified_margin"]  # fmt: skip

ALL_DOMAIN = "all"
#: Units a stratum needs for its variance to be estimated (s_h² has divisor n_h − 1; Cochran 1977, §5.4).
VARIANCE_MINIMUM = 2


@dataclass(frozen=True)
class StratumPlan:
    """One stratum of a plan: population, sample, expected completes and base weight ``N_h / n_h``."""

    stratum: str
    domain: str
    population: int
    sample_size: int
    expected_completes: float
    weight: float


@dataclass(frozen=True)
class MarginCheck:
    """A margin target beside the margin the plan achieves, for one domain (``"all"``: the overall estimate)."""

    domain: str
    target: float
    achieved: float

    @property
    def met(self) -> bool:
        """Achieved ≤ target (up to float noise); an impossible estimate (nan) is not met."""
        return self.achieved <= self.target * (1 + _MARGIN_RTOL)


@dataclass(frozen=True)
class DesignPlan:
    """A planned round: per-stratum sizes plus expected margins per domain and overall, and — when it was sized
    for a margin — the target beside the achieved margin (overall, or per domain with ``per_domain``)."""

    strata: tuple[StratumPlan, ...]
    domain_margins: dict[str, float]
    overall_margin: float
    confidence: float
    response_rate: float
    target_margin: float | None = None
    margin_checks: tuple[MarginCheck, ...] = ()

    @property
    def meets_target(self) -> bool:
        """Every margin target is met (True when there is no target)."""
        return all(c.met for c in self.margin_checks)

    @property
    def shortfalls(self) -> tuple[MarginCheck, ...]:
        """The targets the plan does not meet, with the achieved margin."""
        return tuple(c for c in self.margin_checks if not c.met)

    @property
    def thin_strata(self) -> tuple[str, ...]:
        """Strata with fewer than 2 units that are not taken whole: their variance cannot be estimated
        (none with no sample at all is represented)."""
        return tuple(s.stratum for s in self.strata if s.sample_size < min(VARIANCE_MINIMUM, s.population))

    @property
    def sizes(self) -> dict[str, int]:
        """``{stratum: n_h}``, what :func:`survey.rounds.draw_round` takes as ``sizes``."""
        return {s.stratum: s.sample_size for s in self.strata}

    @property
    def total(self) -> int:
        return sum(s.sample_size for s in self.strata)

    def strata_table(self) -> pd.DataFrame:
        """Stratum, domain, N_h, n_h, expected completes, weight and the domain's expected margin."""
        rows = [
            (s.stratum, s.domain, s.population, s.sample_size, s.expected_completes, s.weight,
             self.domain_margins.get(s.domain, math.nan))
            for s in self.strata
        ]  # fmt: skip
        cols = ["stratum", "domain", "N_h", "n_h", "expected_completes", "weight", "expected_margin"]
        return pd.DataFrame(rows, columns=cols)

    def domain_table(self) -> pd.DataFrame:
        """Per domain (region): N, n, expected completes and expected margin (±, proportion)."""
        table = self.strata_table()
        out = (
            table.groupby("domain", sort=True)
            .agg(N=("N_h", "sum"), n=("n_h", "sum"), expected_completes=("expected_completes", "sum"))
            .reset_index()
        )
        out["expected_margin"] = out["domain"].map(self.domain_margins)
        return out


def plan_design(
    populations: Mapping[str, int],
    *,
    domains: Mapping[str, str] | None = None,
    size: int | None = None,
    margin: float | None = None,
    per_domain: bool = False,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    response_rate: float = 1.0,
    allocation: str = "proportional",
    sd: Mapping[str, float] | None = None,
    power: float | None = None,
    cost: Mapping[str, float] | None = None,
    minimum: int = MIN_PER_STRATUM,
) -> DesignPlan:
    """Plan sample sizes per stratum (see the module docstring for the three ways to size a round).

    Sizes for a margin: :func:`sampling.size.size_for_margin`, the smallest n whose allocation meets the target
    under the stratified variance Σ W_h² S_h²/m_h (1 − m_h/N_h) (Cochran 1977, §5.3 and §5.9), overall or per
    domain (Lohr 2019, §4.3); allocation: :func:`sampling.allocation.allocate` (proportional, equal, Neyman,
    Bankier power, cost-optimal), at least ``minimum`` (default 2) per stratum. Expected completes
    ``n_h · response_rate``; base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2); expected margins by
    :func:`sampling.size.stratified_margin`.

    Parameters
    ----------
    populations : ``{stratum: N_h}`` eligible customers per stratum.
    domains : ``{stratum: domain}`` (e.g. its region); None puts every stratum in domain ``"all"``.
    size, margin : exactly one of them; ``margin`` in (0, 1).
    per_domain : size every domain for ``±margin`` on its own, then allocate within the domain.
    allocation, sd, power, cost, minimum : as in :func:`sampling.allocation.allocate`.

    Examples
    --------
    >>> plan = plan_design({"A|居民": 9000, "A|大工业": 1000}, size=100)
    >>> plan.sizes
    {'A|居民': 90, 'A|大工业': 10}
    >>> plan_design({"A": 10_000}, margin=0.05, response_rate=0.5).total
    740
    >>> equal = plan_design({"A|居民": 9000, "A|大工业": 1000}, margin=0.05, allocation="equal")
    >>> equal.total, [(c.domain, c.target, round(c.achieved, 4)) for c in equal.margin_checks]
    (607, [('all', 0.05, 0.0499)])
    """
    if (size is None) == (margin is None):
        raise ValueError(f"give exactly one of size and margin, but got size={size!r}, margin={margin!r}")
    if allocation not in METHODS:
        raise ValueError(f"allocation must be one of {', '.join(METHODS)}, but got {allocation!r}")
    if not 0.0 < response_rate <= 1.0:
        raise ValueError(f"response_rate must be in (0, 1], but got {response_rate!r}")
    pops = {h: int(n) for h, n in populations.items()}
    dom = {h: (domains or {}).get(h, ALL_DOMAIN) for h in pops}
    options = {"sd": sd, "power": power, "cost": cost, "minimum": minimum}
    common = {"confidence": confidence, "p": p, "deff": deff, "response_rate": response_rate}
    if margin is None:
        sizes = allocate(pops, int(size), allocation, **options)
    elif per_domain:
        by_domain: dict[str, dict[str, int]] = {}
        for h, n_h in pops.items():
            by_domain.setdefault(dom[h], {})[h] = n_h
        sizes = {}
        for members in by_domain.values():
            found = size_for_margin(
                members, margin, allocation=allocation, **common, **_subset(options, members)
            )
            sizes.update(found.sizes)
    else:
        sizes = size_for_margin(pops, margin, allocation=allocation, **common, **options).sizes
    plan = plan_sizes(
        pops, sizes, domains=dom, confidence=confidence, p=p, deff=deff, response_rate=response_rate
    )
    if margin is None:
        return plan
    if per_domain:
        checks = tuple(MarginCheck(d, margin, plan.domain_margins[d]) for d in plan.domain_margins)
    else:
        checks = (MarginCheck(ALL_DOMAIN, margin, plan.overall_margin),)
    return replace(plan, target_margin=margin, margin_checks=checks)


def plan_sizes(
    populations: Mapping[str, int],
    sizes: Mapping[str, int],
    *,
    domains: Mapping[str, str] | None = None,
    confidence: float = 0.95,
    p: float = 0.5,
    deff: float = 1.0,
    response_rate: float = 1.0,
) -> DesignPlan:
    """The plan of given sizes ``{stratum: n_h}``: expected completes ``n_h · response_rate``, base weights
    ``N_h / n_h`` (Lohr 2019, eq. 3.2) and the expected margins per domain and overall
    (:func:`sampling.size.stratified_margin`, Cochran 1977, eq. 5.6). No target.

    >>> plan_sizes({"a": 1000, "b": 1000}, {"a": 10, "b": 0}).thin_strata
    ('b',)
    """
    pops = {h: int(n) for h, n in populations.items()}
    dom = {h: (domains or {}).get(h, ALL_DOMAIN) for h in pops}
    strata = tuple(
        StratumPlan(h, dom[h], pops[h], int(sizes.get(h, 0)), sizes.get(h, 0) * response_rate,
                    pops[h] / sizes[h] if sizes.get(h) else math.nan)
        for h in pops
    )  # fmt: skip
    completes = {s.stratum: s.expected_completes for s in strata}
    domain_margins = {
        d: stratified_margin({h: pops[h] for h in pops if dom[h] == d}, completes, confidence, p, deff)
        for d in sorted(set(dom.values()))
    }
    overall = stratified_margin(pops, completes, confidence, p, deff)
    return DesignPlan(strata, domain_margins, overall, confidence, response_rate)


def _subset(options: dict, members: Mapping[str, int]) -> dict:
    out = dict(options)
    for key in ("sd", "cost"):
        if isinstance(out[key], Mapping):
            out[key] = {h: v for h, v in out[key].items() if h in members}
    return out
