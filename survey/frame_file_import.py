"""Importing a customer frame FILE in bounded memory (issue 15, item 1): stream, stage, then write.

:func:`survey.frame_import.read_import` + :func:`~survey.frame_import.import_frame` hold the whole frame as a
DataFrame (10M rows peaked at 3.9 GB). For a file, the same steps run chunk by chunk:

1. :func:`stage_file` reads and validates the file with :class:`sampling.frame_stream.FrameStream` (the same
   checks and problems as ``read_frame``) and inserts each valid chunk, with its PRNs and spreadsheet row
   numbers, into the connection's temporary table ``temp.incoming`` — without the write lock (a deferred
   transaction writing only the temp database, which lives on disk). The eligible counts per cell are summed per
   chunk. Duplicate ids *across* chunks are found in the staged table and reported with both rows, and the
   importing user's scope is checked there (rows of other regions, customers now another region's);
2. :func:`staged_impact` says what writing it would do (added / updated / moved / deactivated);
3. :func:`import_staged` writes it as :func:`survey.frames.store_frame` writes a staged re-import (new
   customers in short transactions, the changes in one final one: :mod:`survey.frame_apply`); into an empty
   store in one transaction with the draw index built once at the end. All or nothing either way.

Memory is bounded by the chunk (``CHUNK_ROWS`` rows) whatever the number of rows; the staged table costs disk
(about 100 bytes a customer, in the temp directory).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import sqlite_utils

from sampling.frame import FrameResult, Problem, UnknownValue
from sampling.frame_cells import strictly_increasing
from sampling.frame_schema import MAX_PROBLEMS, make_problem
from sampling.frame_stream import FrameStream
from sampling.places import PlaceChoices
from sampling.prn import prn_array
from survey import dialect
from survey.access import STAFF_ROLES, NotPermitted, outside_scope, require_role
from survey.frame_apply import apply_staged, refuse_while_importing
from survey.frame_import import (
    OutOfScope,
    UnknownPlaces,
    _customer_out_of_scope,
    _new_entry_problems,
    _region_out_of_scope,
)
from survey.frame_rows import (
    CHANGED,
    COLUMNS_SQL,
    FRAME_COLUMNS,
    IMPORT_CACHE_KIB,
    INDEX_CACHE_KIB,
    UPSERT_SET,
    DeactivationNotConfirmed,
    ImportSummary,
    audit_import,
    column_lists,
    insert_rows,
    replace_cells,
)
from survey.migrations.m0002_eligible_prn_indexes import (
    CELL,
    create_indexes,
    create_triggers,
    drop_indexes,
    drop_triggers,
)
from survey.region_list import apply_choices, place_list
from survey.rounds import frame_salt
from survey.store import get_setting, now, transaction
from survey.users import User, parse_regions, region_filter

#: Data rows validated and staged at a time (~150 MB of pandas text at the peak).
CHUNK_ROWS = 200_000
#: Customer ids named per scope problem.
SHOWN_IDS = 5


@dataclass
class StagedFile:
    """A frame file read into ``temp.incoming`` of ``db``'s connection: ``result`` says whether it is valid
    (``result.frame`` is always None: the rows are in the staged table)."""

    result: FrameResult
    source: str
    choices: PlaceChoices
    scope: str | None
    cells: Counter = field(default_factory=Counter)
    values: dict[str, set] = field(default_factory=lambda: {"region": set(), "customer_type": set()})
    #: The staged ids strictly increase in staging order (no duplicates; written in that order).
    ids_sorted: bool = True

    @property
    def ok(self) -> bool:
        return self.result.ok


def drop_staged(db: sqlite_utils.Database) -> None:
    """Free a staged file (the connection may live long)."""
    if not db.conn.in_transaction:
        db.execute("DROP TABLE IF EXISTS temp.incoming")


def stage_file(
    db: sqlite_utils.Database,
    path: str | os.PathLike[str],
    *,
    choices: PlaceChoices | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: dict[str, str | None] | None = None,
    scope: str | None = None,
    max_problems: int = MAX_PROBLEMS,
    chunk_rows: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StagedFile:
    """Read, validate and stage the frame file at ``path`` (see the module docstring); never raises for a
    problem in the file. ``progress`` gets the number of data rows read so far."""
    parse_regions(scope)  # a blank scope is an error, not "all regions"
    choices = choices or PlaceChoices()
    places = place_list(db).with_choices(choices)
    stream = FrameStream(path, encoding=encoding, sheet=sheet, mapping=mapping, places=places,
                         max_problems=max_problems, chunk_rows=chunk_rows or CHUNK_ROWS)  # fmt: skip
    staged = StagedFile(FrameResult(None, (), 0, 0, {}), os.path.basename(os.fspath(path)), choices, scope)
    salt = get_setting(db, "prn_salt")
    if salt is None:  # set by the first import; created in a short transaction otherwise
        with transaction(db):
            salt = frame_salt(db)
    drop_staged(db)
    with transaction(db, immediate=False):  # writes only the temp database: no write lock on the store
        db.execute(
            "CREATE TEMP TABLE incoming AS SELECT "  # noqa: S608 (constant column names)
            + COLUMNS_SQL + ", prn, 0 AS row_no FROM customers WHERE 1 = 0"
        )  # fmt: skip
        dialect.add_rowid(db, "incoming")  # the chunks of survey.frame_apply.apply_staged
        row = f"({', '.join('?' * (len(FRAME_COLUMNS) + 2))})"

        def sql(k: int) -> str:
            return f"INSERT INTO temp.incoming ({COLUMNS_SQL}, prn, row_no) VALUES {', '.join([row] * k)}"  # noqa: S608

        done, last = 0, None
        for frame, rows in stream.chunks():
            ids = frame["id"]
            if staged.ids_sorted and len(
                ids
            ):  # sorted distinct ids so far (as exported): no duplicate possible
                staged.ids_sorted = strictly_increasing(ids) and (last is None or ids.iloc[0] > last)
                last = ids.iloc[-1]
            columns = column_lists(frame)
            columns.append(prn_array(salt, columns[0]).tolist())
            columns.append(np.asarray(rows, dtype=np.int64).tolist())
            if dialect.has_copy(db):
                dialect.bulk_insert(
                    db, "incoming", [*FRAME_COLUMNS, "prn", "row_no"], zip(*columns, strict=True)
                )
            else:
                insert_rows(db, sql, columns)
            _count_cells(staged, frame)
            done += len(frame)
            if progress is not None:
                progress(done)
    # an unsorted file needs the id index to find its duplicates; a sorted one gets it only if a re-import needs it
    problems, count = ([], 0) if staged.ids_sorted else _duplicates(_indexed(db), max_problems)
    if count:
        stream.add_problems(problems, count)
    result = stream.result
    if result.ok and parse_regions(scope) is not None:
        scoped = staged_scope_problems(_indexed(db), scope) + _new_entry_problems(choices, scope)
        if scoped:
            result = replace(result, problems=tuple(scoped), problem_count=len(scoped))
    staged.result = result
    if not result.ok:
        drop_staged(db)
    return staged


def _indexed(db: sqlite_utils.Database) -> sqlite_utils.Database:
    """Index the staged rows by id (joins with ``customers``, duplicates), once."""
    db.execute("CREATE INDEX IF NOT EXISTS temp.idx_incoming_id ON incoming (id)")
    return db


def _count_cells(staged: StagedFile, frame: pd.DataFrame) -> None:
    """Add a chunk's eligible customers per cell (missing text as '') and its regions and types."""
    eligible = ~frame["opted_out"].to_numpy(dtype=bool) & frame["has_valid_phone"].to_numpy(dtype=bool)
    cells = frame.loc[eligible, list(CELL)].fillna("").astype(str)
    for key, n in cells.groupby(list(CELL), sort=False).size().items():
        staged.cells[key] += int(n)
    for kind in ("region", "customer_type"):
        staged.values[kind].update(pd.unique(frame[kind]).tolist())


def _duplicates(db: sqlite_utils.Database, limit: int) -> tuple[list[Problem], int]:
    """Ids staged more than once (a duplicate within one chunk never gets here: that chunk had a problem):
    one problem per repeated row, naming the first row."""
    count = db.execute(
        "SELECT COALESCE(SUM(n - 1), 0) FROM"
        " (SELECT COUNT(*) AS n FROM temp.incoming GROUP BY id HAVING COUNT(*) > 1) repeated"
    ).fetchone()[0]
    if not count:
        return [], 0
    rows = db.execute(
        "SELECT i.row_no, i.id, d.first FROM temp.incoming i JOIN (SELECT id, MIN(row_no) AS first"
        " FROM temp.incoming GROUP BY id HAVING COUNT(*) > 1) d ON d.id = i.id WHERE i.row_no > d.first"
        " ORDER BY i.row_no LIMIT ?",
        [limit],
    ).fetchall()
    problems = [
        make_problem("duplicate_id", int(r), "id", value, first_row=int(first)) for r, value, first in rows
    ]
    return problems, int(count)


def _ids(ids: list[str], total: int) -> str:
    return ", ".join(ids[:SHOWN_IDS]) + (", …" if total > SHOWN_IDS else "")


def staged_scope_problems(db: sqlite_utils.Database, scope: str | None) -> list[Problem]:
    """:func:`survey.frame_import.scope_problems` over the staged rows: one problem per region outside
    ``scope`` (rows of it in the file, or stored customers of it the file would take over)."""
    parse_regions(scope)  # a blank scope is an error, not "all regions"
    problems = []
    staged = [r for (r,) in db.execute("SELECT DISTINCT region FROM temp.incoming")]
    for region in outside_scope(scope, staged):
        n = db.execute("SELECT COUNT(*) FROM temp.incoming WHERE region = ?", [region]).fetchone()[0]
        ids = [i for (i,) in db.execute("SELECT id FROM temp.incoming WHERE region = ? ORDER BY row_no LIMIT ?",
                                        [region, SHOWN_IDS])]  # fmt: skip
        problems.append(_region_out_of_scope(region, n, _ids(ids, n), scope))
    foreign = sorted(outside_scope(scope, staged))
    ours = "".join(" AND i.region != ?" for _ in foreign)  # rows already refused above are not counted again
    stored = db.execute(
        "SELECT c.region, COUNT(*) FROM temp.incoming i JOIN customers c ON c.id = i.id"  # noqa: S608 (fixed text)
        f" WHERE c.region IS NOT NULL{ours} GROUP BY c.region ORDER BY c.region",
        foreign,
    ).fetchall()
    for region, n in stored:
        if not outside_scope(scope, [region]):
            continue
        ids = [i for (i,) in db.execute(
            "SELECT i.id FROM temp.incoming i JOIN customers c ON c.id = i.id"  # noqa: S608 (fixed text)
            f" WHERE c.region = ?{ours} ORDER BY i.row_no LIMIT ?", [region, *foreign, SHOWN_IDS])]  # fmt: skip
        problems.append(_customer_out_of_scope(region, n, _ids(ids, n), scope))
    return problems


@dataclass(frozen=True)
class StagedImpact:
    """What writing a staged file would do (as :class:`survey.frame_import.ImportImpact`)."""

    added: int
    updated: int
    moved: int
    deactivated: int


def staged_impact(db: sqlite_utils.Database, staged: StagedFile) -> StagedImpact:
    """Added / updated / moved between regions / deactivated counts of writing ``staged``."""
    if not staged.ok:
        raise ValueError("the staged file has problems: nothing can be imported")
    total = db.execute("SELECT COUNT(*) FROM temp.incoming").fetchone()[0]
    if not db.execute("SELECT EXISTS (SELECT 1 FROM customers)").fetchone()[0]:
        return StagedImpact(total, 0, 0, 0)  # a first import: no join needed
    updated, moved = (
        _indexed(db)
        .execute(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN c.region IS DISTINCT FROM i.region THEN 1 ELSE 0 END), 0) FROM temp.incoming i"
            " JOIN customers c ON c.id = i.id"
        )
        .fetchone()
    )
    scope_sql, scope_params = region_filter("customers.region", staged.scope)
    deactivated = db.execute(
        "SELECT COUNT(*) FROM customers WHERE active = 1"  # noqa: S608 (fixed text)
        " AND NOT EXISTS (SELECT 1 FROM temp.incoming i WHERE i.id = customers.id)" + scope_sql,
        scope_params,
    ).fetchone()[0]
    return StagedImpact(total - updated, updated, moved, deactivated)


def import_staged(
    db: sqlite_utils.Database,
    staged: StagedFile,
    *,
    allow_deactivation: bool = False,
    by_user: User | None = None,
    by: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> ImportSummary:
    """Write a valid staged file (all or nothing): its choices (new list entries, aliases) and rows.

    The checks of :func:`survey.frame_import.import_frame` run again in the final transaction: the user's scope
    (:class:`survey.frame_import.OutOfScope`) and every region and customer type on the list
    (:class:`survey.frame_import.UnknownPlaces`); an unconfirmed deactivation raises
    :class:`survey.frames.DeactivationNotConfirmed`. Either way nothing is changed.
    """
    if not staged.ok:
        raise ValueError("the staged file has problems: nothing can be imported")
    require_role(by_user, STAFF_ROLES, "importing a customer frame")
    scope = by_user.region if by_user is not None else None
    if scope != staged.scope:
        raise NotPermitted("the file was staged for another region scope: stage it again")
    by = by or (by_user.name if by_user is not None else None)
    report = progress or (lambda fraction: None)
    stamp = now()
    rows = db.execute("SELECT COUNT(*) FROM temp.incoming").fetchone()[0]

    def checks() -> None:
        problems = (staged_scope_problems(db, scope) + _new_entry_problems(staged.choices, scope)
                    if parse_regions(scope) is not None else [])  # fmt: skip
        if problems:
            raise OutOfScope("; ".join(p.message_en for p in problems))
        apply_choices(db, staged.choices, by=by)
        places = place_list(db)
        unknown = [UnknownValue(kind, kind, value, 0, ()) for kind in ("region", "customer_type")
                   for value in sorted(staged.values[kind]) if value not in places.names(kind)]  # fmt: skip
        if unknown:
            raise UnknownPlaces(unknown, "stage the file again with the region list's choices")

    with contextlib.ExitStack() as cleanup:
        cleanup.callback(drop_staged, db)
        cleanup.enter_context(dialect.import_tuning(db, IMPORT_CACHE_KIB))
        if db.execute("SELECT EXISTS (SELECT 1 FROM customers)").fetchone()[0]:
            _indexed(db)

            def before_insert(existing: int, moved: int, deactivated: int) -> None:
                if deactivated and not allow_deactivation:
                    raise DeactivationNotConfirmed(
                        f"the import would mark {deactivated:,} customers inactive (not in the new frame);"
                        " confirm the deactivation to import"
                    )

            def finish(existing: int, moved: int, deactivated: int) -> None:
                checks()
                replace_cells(db, staged.cells, scope)  # as survey.frames writes them
                audit_import(db, by, staged.source, ImportSummary(rows - existing, existing, deactivated, moved=moved),
                       scope)  # fmt: skip

            existing, moved, deactivated = apply_staged(
                db, columns=COLUMNS_SQL, update_set=UPSERT_SET, changed=CHANGED, stamp=stamp, by=by,
                deactivate_where=region_filter("customers.region", scope), before_insert=before_insert,
                finish=finish, report=report,
            )  # fmt: skip
            summary = ImportSummary(rows - existing, existing, deactivated, moved=moved)
        else:  # a first import: nobody can be answering yet; one transaction, the draw index built once
            with transaction(db):
                refuse_while_importing(db)
                checks()
                if db.execute("SELECT EXISTS (SELECT 1 FROM customers)").fetchone()[0]:
                    raise NotPermitted("customers were imported meanwhile: stage the file again")
                drop_triggers(db)
                drop_indexes(db)
                db.execute(
                    f"INSERT INTO customers ({COLUMNS_SQL}, prn, active, updated_at)"  # noqa: S608
                    f" SELECT {COLUMNS_SQL}, prn, 1, ? FROM temp.incoming ORDER BY {'rowid' if staged.ids_sorted else 'id'}",
                    [stamp],
                )
                report(0.8)
                dialect.set_cache_kib(db, INDEX_CACHE_KIB)
                create_indexes(db)
                replace_cells(db, staged.cells, scope)  # as survey.frames writes them
                create_triggers(db)
                summary = ImportSummary(rows, 0, 0)
                audit_import(db, by, staged.source, summary, scope)
    report(1.0)
    return summary
