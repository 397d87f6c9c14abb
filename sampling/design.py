"""Planning a stratified round: total size, allocation, expected completes, weights and margins.

Pure (no database): :mod:`survey.rounds` passes the eligible counts ``N_h`` and draws what this
module plans; the staff page shows :meth:`DesignPlan.strata_table` and :meth:`DesignPlan.domain_table`
as a live preview while the design is edited.

The size comes from exactly one of

- ``size``: entered directly, allocated over all strata;
- ``margin`` (``per_domain=False``): ``±margin`` for the overall proportion (Cochran 1977, §4.4, with fpc),
  allocated over all strata;
- ``margin`` with ``per_domain=True``: ``±margin`` in every domain (region) on its own
  (:func:`sampling.size.sample_size_by_domain`), then allocated over the strata within each domain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

from sampling.allocation import METHODS, allocate
from sampling.size import sample_size_by_domain, sample_size_proportion

ALL_DOMAIN = "all"


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
class DesignPlan:
    """A planned round: per-stratum sizes plus expected margins per domain and overall."""

    strata: tuple[StratumPlan, ...]
    domain_margins: dict[str, float]
    overall_margin: float
    confidence: float
    response_rate: float

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


def stratified_margin(
    populations: Mapping[str, int],
    completes: Mapping[str, float],
    confidence: float = 0.95,
    p: float = 0.5,
) -> float:
    """Expected half-width of the CI of a proportion under stratified SRS with ``completes`` per stratum.

    ``e = z · sqrt(Σ_h W_h² (1 − m_h/N_h) · S_h² / m_h)`` with ``W_h = N_h/N`` and
    ``S_h² = N_h p(1 − p)/(N_h − 1)`` (Cochran 1977, eq. 5.6 and §3.2; Lohr 2019, eq. 3.5).
    A stratum with ``N_h > 0`` but no completes makes the estimate impossible: ``nan``.
    A census (every ``m_h = N_h``) has margin 0.

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
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    return z * math.sqrt(max(var, 0.0))


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
    minimum: int = 0,
) -> DesignPlan:
    """Plan sample sizes per stratum (see the module docstring for the three ways to size a round).

    Sizes: Cochran (1977, §4.4) via :func:`sampling.size.sample_size_proportion`; per domain: Lohr (2019,
    §4.3) via :func:`sampling.size.sample_size_by_domain`; allocation: :func:`sampling.allocation.allocate`
    (proportional, equal, Neyman, Bankier power, cost-optimal). Expected completes ``n_h · response_rate``;
    base weight ``N_h / n_h`` (Lohr 2019, eq. 3.2); expected margins by :func:`stratified_margin`.

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
    if margin is not None and per_domain:
        by_domain: dict[str, dict[str, int]] = {}
        for h, n_h in pops.items():
            by_domain.setdefault(dom[h], {})[h] = n_h
        targets = sample_size_by_domain(
            {d: sum(v.values()) for d, v in by_domain.items()}, margin, confidence, p, deff, response_rate
        )
        sizes: dict[str, int] = {}
        for d, members in by_domain.items():
            floor = sum(min(minimum, n_h) for n_h in members.values())
            n_d = min(max(targets[d], floor), sum(members.values()))
            sizes.update(allocate(members, n_d, allocation, **_subset(options, members)))
    else:
        total = sum(pops.values())
        if margin is not None:
            size = (
                sample_size_proportion(margin, confidence, p, total or None, deff, response_rate)
                if total
                else 0
            )
            size = min(max(size, sum(min(minimum, n_h) for n_h in pops.values())), total)
        sizes = allocate(pops, int(size), allocation, **options)
    strata = tuple(
        StratumPlan(h, dom[h], pops[h], int(sizes.get(h, 0)), sizes.get(h, 0) * response_rate,
                    pops[h] / sizes[h] if sizes.get(h) else math.nan)
        for h in pops
    )  # fmt: skip
    completes = {s.stratum: s.expected_completes for s in strata}
    domain_margins = {
        d: stratified_margin({h: pops[h] for h in pops if dom[h] == d}, completes, confidence, p)
        for d in sorted(set(dom.values()))
    }
    return DesignPlan(strata, domain_margins, stratified_margin(pops, completes, confidence, p), confidence,
                      response_rate)  # fmt: skip


def _subset(options: dict, members: Mapping[str, int]) -> dict:
    out = dict(options)
    for key in ("sd", "cost"):
        if isinstance(out[key], Mapping):
            out[key] = {h: v for h, v in out[key].items() if h in members}
    return out
