"""Round design on the stored frame: eligibility, eligible counts N_h, the design plan, the stratum SDs of
Neyman and cost-optimal allocation (last closed round, else p = 0.5) and costs, and the recorded design and
overlap of drawn rounds.

The draw itself (the SQLite engine of the PRN rule) is :func:`survey.rounds.draw_round`, which re-exports
these names for existing callers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from sampling.allocation import METHODS, MIN_PER_STRATUM
from sampling.coordination import arc_length, arc_overlap
from sampling.design import ALL_DOMAIN, DesignPlan, plan_design
from sampling.select import stratum_key
from survey import dialect
from survey.users import parse_regions, region_filter

#: Frame columns that may define strata (column names cannot be SQL parameters, so whitelist).
STRATUM_COLUMNS = ("region", "district", "customer_type", "urban_rural")
ALLOCATIONS = METHODS
ELIGIBLE = "active = 1 AND opted_out = 0 AND has_valid_phone = 1"


class DrawError(Exception):
    "The round cannot be drawn as designed."


def exclusion_cutoff(exclude_days: int | None) -> str | None:
    """ISO timestamp ``exclude_days`` days ago (None for 0/None): rounds created since then exclude their sample."""
    if not exclude_days:
        return None
    if isinstance(exclude_days, bool) or not isinstance(exclude_days, int) or exclude_days < 0:
        raise DrawError(f"exclude_days must be a non-negative integer, but got {exclude_days!r}")
    return (datetime.now(UTC) - timedelta(days=exclude_days)).replace(microsecond=0).isoformat()


_RECENT = (
    "SELECT a.customer_id FROM assignments a JOIN rounds r ON r.id = a.round_id"
    " WHERE r.created_at >= ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL)"
)


def eligibility_sql(cutoff: str | None) -> tuple[str, list]:
    """Eligible: active, not opted out, valid phone, and not sampled in a round created since ``cutoff``."""
    if cutoff is None:
        return ELIGIBLE, []
    return ELIGIBLE + f" AND id NOT IN ({_RECENT})", [cutoff]


def eligible_counts(
    db: sqlite_utils.Database,
    strata: tuple[str, ...] | list[str],
    *,
    exclude_days: int | None = None,
    cutoff: str | None = None,
) -> dict[tuple, int]:
    """``{stratum values: N_h}`` over eligible customers (active, not opted out, valid phone, not sampled
    since ``cutoff`` or within ``exclude_days``).

    Read from the trigger-maintained ``frame_cells`` table (migration 2) minus the recently sampled
    customers, so counting costs the same on 10,000 or 10,000,000 customers.
    """
    check_strata(strata)
    cutoff = cutoff or exclusion_cutoff(exclude_days)
    cols = ", ".join(strata) if strata else "'all'"
    group = ", ".join(strata) if strata else "1"  # PostgreSQL groups by no constant but an output column
    counts: dict[tuple, int] = {}
    for row in db.execute(f"SELECT {cols}, SUM(eligible) FROM frame_cells GROUP BY {group}"):  # noqa: S608
        counts[tuple(row[:-1]) if strata else ()] = row[-1]
    if cutoff is not None:
        recent = db.execute(
            f"SELECT {cols}, COUNT(*) FROM customers WHERE {ELIGIBLE}"  # noqa: S608
            f" AND id IN (SELECT DISTINCT customer_id FROM ({_RECENT}) recent) GROUP BY {group}",
            [cutoff],
        ).fetchall()
        for row in recent:
            key = tuple(row[:-1]) if strata else ()
            counts[key] = counts.get(key, 0) - row[-1]
    return {k: v for k, v in sorted(counts.items()) if v > 0}


def check_strata(strata: tuple[str, ...] | list[str]) -> None:
    """Raise DrawError unless ``strata`` are distinct names from ``STRATUM_COLUMNS``."""
    for col in strata:
        if col not in STRATUM_COLUMNS:
            raise DrawError(f"stratum column must be one of {', '.join(STRATUM_COLUMNS)}, but got {col!r}")
    if len(set(strata)) != len(strata):
        raise DrawError(f"stratum columns repeat: {list(strata)!r}")


def _domains(strata: tuple[str, ...], counts: Mapping[tuple, int]) -> dict[str, str]:
    """Each stratum's domain for planning: its region when stratified by region, else ``"all"``."""
    pos = strata.index("region") if "region" in strata else None
    return {stratum_key(v): (str(v[pos]) if pos is not None else ALL_DOMAIN) for v in counts}


def previous_sd(
    db: sqlite_utils.Database,
    strata: tuple[str, ...] | list[str],
    *,
    survey: str = "default",
    item: str = "overall",
) -> dict[str, float] | None:
    """Per-stratum SD of ``item`` scores in the last closed round of ``survey`` (for Neyman allocation).

    Sample standard deviation ``s_h`` (divisor ``m_h − 1``) of the respondents' numeric answers, grouped by
    the stratum columns of each respondent as drawn (the assignment snapshot) (Cochran 1977, §5.5: Neyman allocation needs S_h,
    usually from a previous survey). Strata with fewer than two answers get the pooled SD.
    None when the survey has no closed round with numeric answers.
    """
    strata = tuple(strata)
    check_strata(strata)
    row = db.execute(
        "SELECT id FROM rounds WHERE survey = ? AND status = 'closed' ORDER BY id DESC LIMIT 1", [survey]
    ).fetchone()
    if row is None:
        return None
    cols = ", ".join(f"a.{c}" for c in strata) or "'all'"
    sql = f"""
        SELECT {cols}, COUNT(*), AVG(CAST(an.value AS REAL)), AVG(CAST(an.value AS REAL) * CAST(an.value AS REAL))
        FROM answers an JOIN responses r ON r.id = an.response_id JOIN assignments a ON a.id = r.assignment_id
        WHERE a.round_id = ? AND an.question_id = ? AND {dialect.is_number(db, "an.value")}
        GROUP BY {", ".join(f"a.{c}" for c in strata) or "1"}
    """  # noqa: S608
    groups = db.execute(sql, [row[0], item]).fetchall()
    k = max(len(strata), 1)
    stats = {stratum_key(g[:k]) if strata else "all": (g[k], g[k + 1], g[k + 2]) for g in groups}
    n = sum(m for m, _, _ in stats.values())
    if n < 2:
        return None
    mean = sum(m * mu for m, mu, _ in stats.values()) / n
    pooled = (sum(m * sq for m, _, sq in stats.values()) / n - mean * mean) * n / (n - 1)
    out = {}
    for key, (m, mu, sq) in stats.items():
        out[key] = max((sq - mu * mu) * m / (m - 1), 0.0) ** 0.5 if m >= 2 else max(pooled, 0.0) ** 0.5
    out["*"] = max(pooled, 0.0) ** 0.5
    return out


#: S_h used when no earlier round of the survey gives one: a proportion at p = 0.5 has S = 0.5 (Cochran 1977,
#: §5.5: S_h² = p_h q_h ≤ 1/4). The same value in every stratum, so Neyman is then proportional and the
#: cost-optimal allocation is N_h/√c_h — for a 1–5 mean any common S_h (e.g. 1.0) gives the same allocation.
DEFAULT_SD = 0.5
#: Allocations that need the stratum standard deviations S_h.
NEEDS_SD = ("neyman", "optimal")


@dataclass(frozen=True)
class StratumSD:
    """The S_h a design uses: ``values`` per stratum and their ``source`` — ``"previous_round"`` (the last closed
    round ``round_id`` of the survey, strata it did not reach get its pooled SD) or ``"p=0.5"`` (S_h = 0.5)."""

    values: dict[str, float]
    source: str
    round_id: int | None = None


def design_sd(
    db: sqlite_utils.Database,
    strata: tuple[str, ...] | list[str],
    *,
    survey: str = "default",
    item: str = "overall",
    counts: Mapping[tuple, int] | None = None,
) -> StratumSD:
    """S_h for every eligible stratum, for Neyman and cost-optimal allocation (Cochran 1977, §5.5).

    From the last closed round of ``survey`` (:func:`previous_sd`: the respondents' SD of ``item``, the pooled
    SD where a stratum had fewer than two answers or was not reached) or, when there is none, ``DEFAULT_SD``
    = 0.5 in every stratum — the SD of a proportion at p = 0.5, the conservative planning value.
    """
    strata = tuple(strata)
    if counts is None:
        counts = eligible_counts(db, strata)
    labels = [stratum_key(v) for v in counts]
    previous = previous_sd(db, strata, survey=survey, item=item)
    if previous is None:
        return StratumSD({h: DEFAULT_SD for h in labels}, "p=0.5")
    round_id = db.execute(
        "SELECT id FROM rounds WHERE survey = ? AND status = 'closed' ORDER BY id DESC LIMIT 1", [survey]
    ).fetchone()[0]
    return StratumSD({h: previous.get(h, previous["*"]) for h in labels}, "previous_round", round_id)


def stratum_costs(
    strata: tuple[str, ...] | list[str], labels: list[str], given: Mapping[str, float] | None
) -> dict[str, float]:
    """Cost c_h of one interview in every stratum for the cost-optimal allocation (Cochran 1977, §5.5).

    ``given`` maps a stratum label (``福州|大工业``) or a value of one stratum column (``大工业``) to a cost; a
    stratum takes its own label's cost, else the cost of its first column value that has one, else 1 (equal
    costs). A key that names no stratum and no stratum value is refused.

    >>> stratum_costs(("region", "customer_type"), ["福州|居民", "福州|大工业"], {"大工业": 4})
    {'福州|居民': 1.0, '福州|大工业': 4.0}
    """
    given = dict(given or {})
    values = [h.split("|") if strata else [h] for h in labels]
    known = set(labels) | {v for vs in values for v in vs}
    unknown = sorted(set(given) - known)
    if unknown:
        raise DrawError(f"cost names no stratum or stratum value: {unknown!r}")
    out = {}
    for h, vs in zip(labels, values, strict=True):
        match = [given[h]] if h in given else [given[v] for v in vs if v in given]
        out[h] = float(match[0]) if match else 1.0
    return out


def domains_of(strata: tuple[str, ...] | list[str], counts: Mapping[tuple, int]) -> dict[str, str]:
    """``{stratum: domain}`` for planning and margins: its region when stratified by region, else ``"all"``."""
    return _domains(tuple(strata), counts)


def plan_round(
    db: sqlite_utils.Database,
    *,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
    size: int | None = None,
    margin: float | None = None,
    per_region: bool = False,
    confidence: float = 0.95,
    response_rate: float = 1.0,
    allocation: str = "proportional",
    power: float | None = None,
    minimum: int = MIN_PER_STRATUM,
    sd: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    survey: str = "default",
    exclude_days: int | None = None,
    cutoff: str | None = None,
    counts: Mapping[tuple, int] | None = None,
) -> DesignPlan:
    """The plan (per-stratum N_h, n_h, expected completes, weight, expected margins, and the margin target beside
    the achieved margin) of a design on today's frame, without drawing: :func:`sampling.design.plan_design` over
    :func:`eligible_counts`. Neyman and cost-optimal allocation without ``sd`` take S_h from :func:`design_sd`;
    ``cost`` may name strata or stratum values (:func:`stratum_costs`), the others cost 1."""
    strata = tuple(strata)
    if counts is None:
        counts = eligible_counts(db, strata, exclude_days=exclude_days, cutoff=cutoff)
    if not counts:
        raise DrawError("the frame has no eligible customers: import a customer frame first")
    if allocation not in ALLOCATIONS:
        raise DrawError(f"allocation must be one of {', '.join(ALLOCATIONS)}, but got {allocation!r}")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise DrawError(f"size must be a positive integer, but got {size!r}")
        total = sum(counts.values())
        if size > total:
            raise DrawError(f"size must be at most the {total} eligible customers, but got {size}")
    populations = {stratum_key(v): n for v, n in counts.items()}
    sd, cost = design_inputs(db, strata, counts, allocation, sd, cost, survey=survey)
    try:
        return plan_design(
            populations, domains=_domains(strata, counts), size=size, margin=margin, per_domain=per_region,
            confidence=confidence, response_rate=response_rate, allocation=allocation, power=power,
            minimum=minimum, sd=sd, cost=cost,
        )  # fmt: skip
    except (TypeError, ValueError) as e:
        raise DrawError(str(e)) from e


def design_inputs(
    db: sqlite_utils.Database,
    strata: tuple[str, ...],
    counts: Mapping[tuple, int],
    allocation: str,
    sd: Mapping[str, float] | None,
    cost: Mapping[str, float] | None,
    *,
    survey: str = "default",
) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """The S_h and c_h the allocation uses, for every stratum: ``sd`` as given (its ``"*"`` entry, the pooled SD,
    filling strata it does not name) or, for Neyman and cost-optimal allocation, :func:`design_sd`; ``cost``
    expanded by :func:`stratum_costs` for the cost-optimal allocation (equal costs when None)."""
    labels = [stratum_key(v) for v in counts]
    if sd is not None and "*" in sd:  # fill strata the previous round did not reach with the pooled SD
        sd = {h: sd.get(h, sd["*"]) for h in labels}
    elif sd is None and allocation in NEEDS_SD:
        sd = design_sd(db, strata, survey=survey, counts=counts).values
    if allocation == "optimal":
        cost = stratum_costs(strata, labels, cost)
    return (dict(sd) if sd is not None else None), (dict(cost) if cost is not None else None)


@dataclass(frozen=True)
class Overlap:
    """Overlap of a round's sample with one earlier round of the same survey."""

    round_id: int
    earlier_round_id: int
    earlier_name: str
    expected: float
    actual: int


def round_overlap(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> list[Overlap]:
    """Expected and actual overlap of a round's sample with every earlier round of the same survey.

    Actual: customers sampled (not reserve, or released reserve) in both rounds. Expected: per stratum,
    ``N_h`` × the length of the intersection of the PRN arcs the two rounds covered, ``[start, next_start)``
    (:func:`sampling.coordination.arc_overlap`, Ohlsson 1995), ≈ 0 until the stratum has been
    covered; rounds with another stratification get the independent-sample value ``n_a·n_b/N``
    (Lohr 2019, §2.3). ``region`` limits both to one region's customers.
    """
    this = get_round(db, round_id)
    survey = db.execute("SELECT survey FROM rounds WHERE id = ?", [round_id]).fetchone()[0]
    strata = this["design"].get("strata", [])
    mine = {s["stratum"]: s for s in round_strata(db, round_id)}
    in_region, region_params = region_filter("a1.region", region)
    regions = parse_regions(region)
    out = []
    for earlier_id, earlier_name, design in db.execute(
        "SELECT id, name, design FROM rounds WHERE survey = ? AND id < ? ORDER BY id", [survey, round_id]
    ).fetchall():
        sampled = "(a{0}.is_reserve = 0 OR a{0}.released_at IS NOT NULL)"
        actual = db.execute(
            "SELECT COUNT(*) FROM assignments a1 JOIN assignments a2 ON a2.customer_id = a1.customer_id"  # noqa: S608
            f" WHERE a1.round_id = ? AND a2.round_id = ? AND {sampled.format(1)} AND {sampled.format(2)}{in_region}",
            [round_id, earlier_id, *region_params],
        ).fetchone()[0]
        theirs = {s["stratum"]: s for s in round_strata(db, earlier_id)}
        expected = 0.0
        same = json.loads(design).get("strata", []) == strata
        for label, s in mine.items():
            if regions and (
                ("region" not in strata) or label.split("|")[strata.index("region")] not in regions
            ):
                continue
            if same and label in theirs:
                e = theirs[label]
                la = arc_length(e["start"], e["next_start"], e["n_h"] + e["reserve_h"], e["N_h"])
                lb = arc_length(s["start"], s["next_start"], s["n_h"] + s["reserve_h"], s["N_h"])
                expected += s["N_h"] * arc_overlap(e["start"], la, s["start"], lb)
            elif not same:
                n_earlier = sum(e["n_h"] for e in theirs.values())
                N_earlier = sum(e["N_h"] for e in theirs.values()) or 1
                expected += s["n_h"] * n_earlier / N_earlier
        out.append(Overlap(round_id, earlier_id, earlier_name, expected, actual))
    return out


def get_round(db: sqlite_utils.Database, round_id: int) -> dict:
    """A round with its design (parsed JSON); LookupError when it does not exist."""
    row = db.execute(
        "SELECT id, name, status, design, questionnaire_id, created_at, expires_at, closed_at FROM rounds WHERE id = ?",
        [round_id],
    ).fetchone()
    if row is None:
        raise LookupError(f"round {round_id!r} does not exist")
    cols = ("id", "name", "status", "design", "questionnaire_id", "created_at", "expires_at", "closed_at")
    out = dict(zip(cols, row, strict=True))
    out["design"] = json.loads(out["design"])
    return out


def round_strata(db: sqlite_utils.Database, round_id: int) -> list[dict]:
    """The strata of a round as recorded at the draw: N_h, n_h, reserve_h, start, next_start."""
    cols = ("stratum", "N_h", "n_h", "reserve_h", "start", "next_start")
    return [
        dict(zip(cols, r, strict=True))
        for r in db.execute(
            "SELECT stratum, population, sample_size, reserve_size, start, next_start FROM round_strata"
            " WHERE round_id = ? ORDER BY stratum",
            [round_id],
        )
    ]
