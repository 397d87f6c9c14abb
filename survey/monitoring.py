"""Live fieldwork monitoring: dispositions and AAPOR outcome rates per stratum, completes over time.

Assignment statuses are mapped to AAPOR (2023) *Standard Definitions* disposition codes by
:data:`STATUS_DISPOSITION` and counted with :class:`analysis.rates.DispositionCounts`; the rates
RR1, RR3 (e estimated per stratum, "CASRO" proportional allocation), COOP1, REF1 and CON1 come from
:func:`analysis.rates.outcome_rates`. Unreleased reserve units are not part of the sample and are
never counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import sqlite_utils

from analysis.rates import DispositionCounts, OutcomeRates, outcome_rates
from survey.users import region_filter

#: Assignment status → AAPOR disposition code of ``analysis.rates.DISPOSITION_CLASS``. A web form that was
#: started (a draft was saved) but not submitted is a partial interview (1.2) while fieldwork runs.
STATUS_DISPOSITION = {
    "complete": "complete",
    "started": "partial",
    "partial": "partial",
    "refusal": "refusal",
    "non_contact": "non_contact",
    "callback": "callback",
    "wrong_number": "wrong_number",
    "not_eligible": "not_eligible",
    "issued": "issued",
}


@dataclass(frozen=True)
class StratumProgress:
    """Fieldwork counts and AAPOR rates of one stratum (or of the whole round, stratum ``"*"``).

    ``issued`` counts every unit in the working sample (sampled units and released reserves);
    ``pending`` those with no outcome yet (UO). The rates are ``nan`` when their denominator is 0.
    """

    stratum: str
    issued: int
    completed: int
    partial: int
    refused: int
    non_contact: int
    ineligible: int
    pending: int
    counts: DispositionCounts
    rates: OutcomeRates

    def as_row(self) -> dict:
        """A flat dict (counts and rates) for a table."""
        out = {k: getattr(self, k) for k in ("stratum", "issued", "completed", "partial", "refused",
                                             "non_contact", "ineligible", "pending")}  # fmt: skip
        out.update(rr1=self.rates.rr1, rr3=self.rates.rr3, coop1=self.rates.coop1, ref1=self.rates.ref1,
                   con1=self.rates.con1)  # fmt: skip
        return out


@dataclass(frozen=True)
class RoundProgress:
    """Progress of a round: one entry per stratum and the total over them."""

    round_id: int
    strata: tuple[StratumProgress, ...]
    total: StratumProgress

    def table(self) -> pd.DataFrame:
        """Strata then the total (stratum ``"*"``) as a DataFrame."""
        return pd.DataFrame([s.as_row() for s in (*self.strata, self.total)])


def _progress(stratum: str, statuses: dict[str, int]) -> StratumProgress:
    codes: list[str] = []
    for status, n in statuses.items():
        code = STATUS_DISPOSITION.get(status)
        if code is None:
            raise ValueError(
                f"assignment status must be one of {', '.join(STATUS_DISPOSITION)}, but got {status!r}"
            )
        codes += [code] * n
    counts = DispositionCounts.from_dispositions(codes)
    return StratumProgress(
        stratum=stratum,
        issued=sum(statuses.values()),
        completed=counts.I,
        partial=counts.P,
        refused=counts.R,
        non_contact=counts.NC,
        ineligible=counts.NE,
        pending=counts.UH + counts.UO,
        counts=counts,
        rates=outcome_rates(counts),
    )


def round_progress(db: sqlite_utils.Database, round_id: int, *, region: str | None = None) -> RoundProgress:
    """Dispositions and AAPOR rates per stratum and in total (AAPOR 2023, Standard Definitions).

    ``region`` limits the count to one region's customers (region-scoped users).
    """
    if db.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchone() is None:
        raise LookupError(f"round {round_id!r} does not exist")
    sql = (
        "SELECT a.stratum, a.status, COUNT(*) FROM assignments a"
        " WHERE a.round_id = ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL)"
    )
    params: list = [round_id]
    scope_sql, scope_params = region_filter("a.region", region)
    sql += scope_sql
    params.extend(scope_params)
    per: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for stratum, status, n in db.execute(sql + " GROUP BY a.stratum, a.status ORDER BY a.stratum", params):
        per.setdefault(stratum, {})[status] = n
        total[status] = total.get(status, 0) + n
    return RoundProgress(round_id, tuple(_progress(s, c) for s, c in per.items()), _progress("*", total))


def completes_over_time(
    db: sqlite_utils.Database, round_id: int, *, region: str | None = None, tz: str = "UTC"
) -> pd.DataFrame:
    """Completed responses per day, with the running total and mode.

    A day is the calendar date of ``submitted_at`` (stored in UTC) in the time zone ``tz`` (an IANA name;
    the monitor page passes the display zone, Beijing time by default), so a customer answering at 07:00
    Beijing time counts on that day, not the day before.

    Columns: ``date`` (str YYYY-MM-DD), ``mode`` (web / phone), ``completes``, ``cumulative`` (over modes).
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"tz must be an IANA time zone name, but got {tz!r}") from None
    sql = (
        "SELECT r.submitted_at, r.mode FROM responses r"
        " JOIN assignments a ON a.id = r.assignment_id"
        " WHERE a.round_id = ?"
    )
    params: list = [round_id]
    scope_sql, scope_params = region_filter("a.region", region)
    sql += scope_sql
    params.extend(scope_params)
    responses = pd.DataFrame(db.execute(sql, params).fetchall(), columns=["submitted_at", "mode"])
    if responses.empty:
        return pd.DataFrame({"date": pd.Series(dtype=str), "mode": pd.Series(dtype=str),
                             "completes": pd.Series(dtype="int64"), "cumulative": pd.Series(dtype="int64")})  # fmt: skip
    stamps = pd.to_datetime(responses["submitted_at"], utc=True, format="ISO8601")
    responses["date"] = stamps.dt.tz_convert(zone).dt.strftime("%Y-%m-%d")
    frame = responses.groupby(["date", "mode"], sort=True).size().rename("completes").reset_index()
    frame["completes"] = frame["completes"].astype("int64")
    daily = frame.groupby("date", sort=True)["completes"].sum().cumsum()
    frame["cumulative"] = frame["date"].map(daily).astype("int64")
    return frame
