"""Draw a round from a frame that lives outside the store (issue 15): a Parquet file or folder, a CSV file or a
Spark table, through DuckDB or Spark (:mod:`sampling.engines`).

The engine counts N_h and selects the sample and reserve by the PRN rule where the frame is; only the selected
customers (with their stratum snapshot, in the assignments) and the N_h counts enter the store, in one
transaction. Eligibility and coordination are the stored frame's: opted-out customers and those without a phone
are not eligible, ``exclude_days`` leaves out customers sampled since the cutoff, the salt is the store's, and
each stratum starts where the survey's previous round (same stratification) ended, else at the survey's own start
point — so rounds drawn from the store and from a file of the same customers continue one another.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import sqlite_utils

from sampling.allocation import MIN_PER_STRATUM
from sampling.engines import FrameEngine, FrameSourceError, PreparedInfo
from sampling.engines.draw import (
    FrameProblem,
    FrameProblems,
    cell_totals,
    eligible_counts,
    resolve_cells,
    select_all,
    validate_selected,
)
from sampling.select import stratum_key
from survey.access import STAFF_ROLES, require_all_regions, require_role
from survey.design import _RECENT, DrawError, exclusion_cutoff
from survey.draws import (
    CELL_TOTALS,
    DrawResult,
    _start_points,
    check_draw_arguments,
    planned_sizes,
    record_round,
    salt_id,
)
from survey.frame_apply import refuse_while_importing
from survey.region_list import place_list
from survey.rounds import frame_salt
from survey.store import now, transaction
from survey.users import User

__all__ = [
    "FrameProblems",
    "FrameSourceError",
    "draw_from_frame",
    "frame_counts",
]

#: Environment variable naming the folder of frame files the rounds page offers.
FRAME_DIR_ENV = "SURVEY_FRAME_DIR"


def recently_sampled(db: sqlite_utils.Database, cutoff: str | None) -> list[str]:
    """Customers sampled (or reserves released) in a round created since ``cutoff``: not eligible."""
    if cutoff is None:
        return []
    return [r[0] for r in db.execute(f"SELECT DISTINCT customer_id FROM ({_RECENT}) recent", [cutoff])]  # noqa: S608


def _salt(db: sqlite_utils.Database) -> str:
    with transaction(db):
        return frame_salt(db)


def frame_counts(
    db: sqlite_utils.Database,
    engine: FrameEngine,
    strata: tuple[str, ...] | list[str],
    *,
    exclude_days: int | None = None,
) -> dict[tuple, int]:
    """``{stratum values: N_h}`` of the external frame, as :func:`survey.design.eligible_counts` for the stored
    one (for the design preview); raises :class:`FrameProblems` for unknown regions or types."""
    cutoff = exclusion_cutoff(exclude_days)
    counts = engine.cell_counts(recently_sampled(db, cutoff))
    cells = resolve_cells(counts, tuple(strata), place_list(db), source=_source_name(engine))
    return eligible_counts(cells, tuple(strata))


def _source_name(engine: FrameEngine) -> str:
    return str(getattr(engine, "path", None) or getattr(engine, "table", None) or engine.name)


def _problems_at(engine: FrameEngine, selection: pd.DataFrame, found: list) -> FrameProblems:
    """The selected rows' problems with their file and row (an import's report)."""
    ids = [str(selection["id"].iloc[pos]) for pos, _ in found if 0 <= pos < len(selection)]
    where = engine.locate(ids) if ids else {}
    problems = []
    for pos, p in found:
        cid = str(selection["id"].iloc[pos]) if 0 <= pos < len(selection) else None
        file, row = where.get(cid, (_source_name(engine), None))
        problems.append(FrameProblem(file, row, cid, p.column, p.value, p.message_zh, p.message_en))
    return FrameProblems(_source_name(engine), problems)


def _duplicates(engine: FrameEngine, ids: list[str]) -> FrameProblems | None:
    dup = engine.duplicate_ids(ids)
    if not dup:
        return None
    where = engine.locate(list(dup))
    problems = [
        FrameProblem(
            *where.get(i, (_source_name(engine), None)),
            i,
            "id",
            i,
            f"户号“{i}”重复出现 {n} 次",
            f"duplicate id {i!r} occurs {n} times",
        )  # fmt: skip
        for i, n in sorted(dup.items())
    ]
    return FrameProblems(_source_name(engine), problems)


def _can_prune(
    prepared: PreparedInfo | None, strata: tuple[str, ...], places, source: str, resolved: pd.DataFrame | None
) -> bool:
    """A prepared frame is read by PRN ranges when it was sorted by these strata and every cell still has the
    stratum it had then (the region list may have changed since). ``resolved``: the prepared cells already
    resolved for this draw (row for row), else they are resolved here."""
    if prepared is None or tuple(prepared.strata) != strata:
        return False
    cells = resolved if resolved is not None else resolve_cells(prepared.cells, strata, places, source=source)
    return list(cells["stratum"]) == list(prepared.cells["stratum"])


def draw_from_frame(
    db: sqlite_utils.Database,
    engine: FrameEngine,
    *,
    size: int | None = None,
    sizes: Mapping[str, int] | None = None,
    margin: float | None = None,
    per_region: bool = False,
    confidence: float = 0.95,
    response_rate: float = 1.0,
    strata: tuple[str, ...] | list[str] = ("region", "customer_type"),
    allocation: str = "proportional",
    power: float | None = None,
    minimum: int = MIN_PER_STRATUM,
    sd: Mapping[str, float] | None = None,
    cost: Mapping[str, float] | None = None,
    name: str | None = None,
    reserve: int = 0,
    survey: str = "default",
    questionnaire_id: int | None = None,
    exclude_days: int | None = None,
    expires_days: int = 30,
    created_by: str | None = None,
    by_user: User | None = None,
) -> DrawResult:
    """Design and draw a round from an external frame with the engine ``engine``; the design arguments are
    those of :func:`survey.rounds.draw_round`.

    The sample is the SQLite engine's for the same frame, salt, starts and sizes: in each stratum the ``n_h``
    eligible customers with the smallest ``(prn − a_h) mod 1`` (ties by id), then ``r_h`` reserves (Ohlsson
    1995, sequential SRS with permanent random numbers; PRN as in DESIGN.md); base weight ``N_h / n_h`` (Lohr
    2019, eq. 3.2). Steps: N_h per stratum in the engine (no hashing), sizes, starts, the selection in the engine,
    the selected rows validated as an import validates its rows (problems with file, row, column and value raise
    :class:`FrameProblems`; nothing is written), duplicate ids of the selected customers looked up in the whole
    frame, then ONE transaction: the selected customers loaded (new ones inactive: they never join the stored
    frame's draws), the round, its strata (N_h) and assignments written, and the frame's fingerprint recorded
    (``round_frames``, and ``design["frame"]``).
    """
    require_role(by_user, STAFF_ROLES, "drawing a round")
    require_all_regions(by_user, "drawing a round")
    created_by = created_by or (by_user.name if by_user else None)
    strata = tuple(strata)
    check_draw_arguments(
        strata, size=size, sizes=sizes, margin=margin, allocation=allocation, reserve=reserve
    )
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        t = time.perf_counter()
        timings[step] = round(t - clock, 3)
        clock = t

    source = _source_name(engine)
    salt = _salt(db)
    prepared = engine.prepared
    if prepared is not None and prepared.salt_id != salt_id(salt):
        raise FrameSourceError(
            f"{source} was prepared with another salt (salt id {prepared.salt_id}, this database's is "
            f"{salt_id(salt)}): run prepare-frame again on this database"
        )
    last_round = db.execute("SELECT COALESCE(MAX(id), 0) FROM rounds").fetchone()[0]
    cutoff = exclusion_cutoff(exclude_days)
    excluded = recently_sampled(db, cutoff)
    places = place_list(db)
    cells = resolve_cells(engine.cell_counts(excluded), strata, places, source=source)
    counts = eligible_counts(cells, strata)
    lap("count")
    planned, plan, sd, cost = planned_sizes(
        db, strata, counts, size=size, sizes=sizes, margin=margin, per_region=per_region, confidence=confidence,
        response_rate=response_rate, allocation=allocation, power=power, minimum=minimum, sd=sd, cost=cost,
        survey=survey, cutoff=cutoff,
    )  # fmt: skip
    labels = [stratum_key(v) for v in counts]
    populations = {stratum_key(v): n for v, n in counts.items()}
    starts, offsets = _start_points(db, salt, survey, strata, labels)
    takes = {}
    for h in labels:
        n_h = int(planned.get(h, 0))
        takes[h] = (
            min(n_h + (min(reserve, populations[h] - n_h) if n_h else 0) + 1, populations[h]) if n_h else 0
        )
    prune = _can_prune(
        prepared, strata, places, source, cells if prepared is not None and not excluded else None
    )
    selection = select_all(engine, salt, cells, starts, takes, populations, excluded, ranges=prune)
    lap("select")
    clean, found = validate_selected(selection, places, cells)
    if found:
        raise _problems_at(engine, selection, found)
    dup = _duplicates(engine, selection["id"].astype(str).tolist())
    if dup is not None:
        raise dup
    lap("validate")
    for h in labels:  # the engine's and the cells' strata agree, and every stratum got what it takes
        got = int((selection["stratum"] == h).sum())
        if got != takes[h]:
            raise AssertionError(f"stratum {h!r}: the engine selected {got} units, {takes[h]} expected")
    clean = clean.assign(stratum=selection["stratum"].to_numpy(), prn=selection["prn"].to_numpy(dtype=float))
    by_stratum: dict[str, list[tuple]] = {}  # each stratum's rows in the selection's order, built once
    columns = [clean[c].tolist() for c in ("id", "region", "district", "customer_type", "urban_rural")]
    prns = clean["prn"].astype(float).tolist()
    for h, cid, prn_value, *snapshot in zip(
        clean["stratum"].tolist(), columns[0], prns, *columns[1:], strict=True
    ):
        by_stratum.setdefault(h, []).append((cid, prn_value, *snapshot))

    def scan(values: tuple, start: float, limit: int) -> list[tuple]:
        return by_stratum[stratum_key(values)][:limit]

    fingerprint = engine.describe()
    design_extra = {
        "frame": {**fingerprint, "engine": engine.name, "pruned": prune},
        "eligibility": "row of the frame AND NOT opted_out AND has a phone"
        + (" AND NOT sampled in a round created since exclusion_cutoff" if cutoff else ""),
    }
    with transaction(db):
        refuse_while_importing(db)  # the store's customers are being replaced: draw when the import ends
        if db.execute("SELECT COALESCE(MAX(id), 0) FROM rounds").fetchone()[0] != last_round:
            raise DrawError("another round was drawn while the frame was read (its starts and exclusions may "
                            "have changed): draw again")  # fmt: skip
        drawn = _drawn(clean, takes, planned, reserve, populations)
        added, refreshed = _load_customers(db, drawn)
        result = record_round(
            db, scan, salt=salt, strata=strata, counts=counts, planned=planned, plan=plan, starts=starts,
            offsets=offsets, cell_totals=cell_totals(cells, CELL_TOTALS), size=size, sizes=sizes, margin=margin,
            per_region=per_region, confidence=confidence, response_rate=response_rate, allocation=allocation,
            power=power, minimum=minimum, sd=sd, cost=cost, name=name, reserve=reserve, survey=survey,
            questionnaire_id=questionnaire_id, exclude_days=exclude_days, cutoff=cutoff,
            expires_days=expires_days, created_by=created_by, engine=engine.name, design_extra=design_extra,
        )  # fmt: skip
        lap("store")
        db.execute(
            "INSERT INTO round_frames (round_id, engine, source, kind, rows, fingerprint, salt_id,"
            " customers_added, customers_refreshed, timings, drawn_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [result.round_id, engine.name, fingerprint["source"], fingerprint["kind"], fingerprint["rows"],
             json.dumps(fingerprint, ensure_ascii=False), salt_id(salt), added, refreshed, json.dumps(timings),
             now()],
        )  # fmt: skip
    return result


def _drawn(clean: pd.DataFrame, takes, planned, reserve: int, populations) -> pd.DataFrame:
    """The sample and reserve rows (not the unit after them, which only gives the next start)."""
    n = {h: int(planned.get(h, 0)) for h in populations}
    keep = {h: n_h + min(reserve, populations[h] - n_h) for h, n_h in n.items()}
    limit = clean["stratum"].map(keep).fillna(0).to_numpy()
    return clean[clean.groupby("stratum", sort=False).cumcount().to_numpy() < limit].reset_index(drop=True)


_LOAD = """
    INSERT INTO customers (id, name, phone, region, district, customer_type, urban_rural, complaints_12m,
                           opted_out, active, has_valid_phone, prn, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 1, ?, ?)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, updated_at = excluded.updated_at
"""


def _load_customers(db: sqlite_utils.Database, drawn: pd.DataFrame) -> tuple[int, int]:
    """Load the drawn customers: new ones inactive (not part of the stored frame, its counts or its draws);
    customers already stored keep their frame values and get the frame's name and phone (their contact details
    for this round's fieldwork). Returns (added, refreshed)."""
    ids = drawn["id"].astype(str).tolist()
    known = set()
    for lo in range(0, len(ids), 500):
        chunk = ids[lo : lo + 500]
        marks = ",".join("?" * len(chunk))
        known |= {r[0] for r in db.execute(f"SELECT id FROM customers WHERE id IN ({marks})", chunk)}  # noqa: S608
    stamp = now()
    text = [
        drawn[c].tolist() for c in ("name", "phone", "region", "district", "customer_type", "urban_rural")
    ]
    complaints, prns = drawn["complaints_12m"].astype(int).tolist(), drawn["prn"].astype(float).tolist()
    db.conn.executemany(
        _LOAD,
        [(cid, name or None, *rest, k, p, stamp)
         for cid, name, *rest, k, p in zip(ids, *text, complaints, prns, strict=True)],
    )  # fmt: skip
    return len(ids) - len(known), len(known)


def server_frames(folder: str | Path | None) -> list[Path]:
    """The frame files and folders of the server's frame folder (``$SURVEY_FRAME_DIR``), for the rounds page:
    ``*.parquet`` and ``*.csv`` files and folders holding Parquet files, by name; none when unset."""
    if not folder:
        return []
    root = Path(folder)
    if not root.is_dir():
        return []
    out = []
    for p in sorted(root.iterdir()):
        if p.name.startswith((".", "_")):
            continue
        if p.is_file() and p.suffix.lower() in (".parquet", ".csv"):
            out.append(p)
        elif p.is_dir() and any(p.rglob("*.parquet")):
            out.append(p)
    return out
