"""Importing a customer frame onto the region list: read with the list, show the impact, then write.

The page and the CLI take the same three steps:

1. :func:`read_import` reads and validates the file with the stored list (:func:`survey.region_list.place_list`)
   plus the user's :class:`~sampling.places.PlaceChoices` (map an unknown value onto an entry, or add it): regions,
   customer types and districts come out canonical (泉州市供电公司 → 泉州); an unknown one is a problem, grouped by
   value in ``FrameResult.unknown`` (value, column, first rows, count) — the import cannot go on until it is
   mapped or explicitly added;
2. :func:`import_impact` says what writing it would do: added / updated / moved between regions / deactivated;
3. :func:`import_frame` stores the choices (new entries, aliases) and the frame in ONE transaction, refusing to
   deactivate anyone unless ``allow_deactivation`` (the page asks for a confirmation first).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import BinaryIO

import pandas as pd
import sqlite_utils

from sampling.frame import FrameResult, Problem, UnknownValue, read_frame
from sampling.places import PlaceChoices
from survey.access import STAFF_ROLES, NotPermitted, outside_scope, require_role
from survey.frames import ImportSummary, store_frame
from survey.region_list import apply_choices, place_list
from survey.users import User, parse_regions

#: Customer ids named in an out-of-scope problem.
SHOWN_IDS = 5


class UnknownPlaces(ValueError):
    "The frame holds regions or customer types that are not in the list."

    def __init__(self, unknown: Iterable[UnknownValue], hint: str = "") -> None:
        self.unknown = tuple(unknown)
        lines = "; ".join(u.describe("en") for u in self.unknown)
        super().__init__(
            f"not in the region list, nothing was imported: {lines}" + (f" ({hint})" if hint else "")
        )


@dataclass(frozen=True)
class ImportImpact:
    """What importing a frame would do, before anything is written.

    ``moves`` lists ``(from region, to region, customers)`` of the customers ``moved``, largest first.
    """

    added: int
    updated: int
    moved: int
    deactivated: int
    moves: tuple[tuple[str, str, int], ...] = ()


class OutOfScope(NotPermitted):
    "The frame holds rows that the importing user's region scope does not cover."


def read_import(
    db: sqlite_utils.Database,
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    choices: PlaceChoices | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: dict[str, str | None] | None = None,
    filename: str | None = None,
    scope: str | None = None,
) -> FrameResult:
    """:func:`sampling.frame.read_frame` with the stored region list and ``choices`` applied.

    ``scope`` is the importing user's region scope (None = all regions): a valid frame with rows of other
    regions — or with customers who are now another region's — comes back not valid, with one problem per
    such region naming it, its row count and the first customer ids (:func:`scope_problems`).
    """
    places = place_list(db).with_choices(choices or PlaceChoices())
    result = read_frame(
        source, encoding=encoding, sheet=sheet, mapping=mapping, filename=filename, places=places
    )
    if result.frame is None or parse_regions(scope) is None:
        return result
    problems = scope_problems(db, result.frame, scope) + _new_entry_problems(choices, scope)
    if not problems:
        return result
    return replace(result, frame=None, problems=tuple(problems), problem_count=len(problems))


def _ids(ids: pd.Series) -> str:
    shown = ", ".join(ids.astype(str).head(SHOWN_IDS))
    return shown + (", …" if len(ids) > SHOWN_IDS else "")


def _region_out_of_scope(region: str, rows: int, shown_ids: str, allowed: str | None) -> Problem:
    """The problem of ``rows`` frame rows of ``region``, outside the importing user's ``allowed``."""
    return Problem(
        None, "region", region, "region_out_of_scope",
        f"{rows:,} 行属于 {region}，不在您的地区范围（{allowed}）内，未导入任何数据（客户编号 {shown_ids}）",
        f"{rows:,} rows are of {region}, outside your regions ({allowed}); nothing was imported"
        f" (customers {shown_ids})",
    )  # fmt: skip


def _customer_out_of_scope(region: str, customers: int, shown_ids: str, allowed: str | None) -> Problem:
    """The problem of ``customers`` stored customers of ``region`` (outside ``allowed``) the frame would take."""
    return Problem(
        None, "id", region, "customer_out_of_scope",
        f"{customers:,} 位客户目前属于 {region}，不在您的地区范围（{allowed}）内，未导入任何数据（客户编号 {shown_ids}）",
        f"{customers:,} customers are now {region}'s, outside your regions ({allowed}); nothing was imported"
        f" (customers {shown_ids})",
    )  # fmt: skip


def scope_problems(db: sqlite_utils.Database, frame: pd.DataFrame, scope: str | None) -> list[Problem]:
    """Why a user of ``scope`` may not import ``frame``: one problem per region outside the scope (rows of
    that region in the file, or customers stored under it that the file would take over). Empty when the
    frame is all theirs."""
    problems = []
    regions = frame["region"].astype(str)
    for region in outside_scope(scope, regions):
        ids = frame.loc[regions == region, "id"]
        problems.append(_region_out_of_scope(region, len(ids), _ids(ids), scope))
    stored = pd.DataFrame(
        db.execute("SELECT id, region FROM customers").fetchall(), columns=["id", "region"]
    ).set_index("id")["region"]
    ours = ~regions.isin(outside_scope(scope, regions)).to_numpy()  # rows of the scope's regions
    before = stored.reindex(frame.loc[ours, "id"].astype(str)).dropna().astype(str)
    for region in outside_scope(scope, before):
        taken = pd.Series(before.index[before == region])
        problems.append(_customer_out_of_scope(region, len(taken), _ids(taken), scope))
    return problems


def _new_entry_problems(choices: PlaceChoices | None, scope: str | None) -> list[Problem]:
    """A scoped user may map values onto the list but not add entries to it (the list is company-wide)."""
    if choices is None or not choices.new or parse_regions(scope) is None:
        return []
    names = "、".join(name for _, name in choices.new)
    return [Problem(
        None, None, names, "new_entry_out_of_scope",
        f"地区范围受限的账号不能向地区与用户类别清单添加新条目（{names}）：请映射到已有条目，或请全地区的调查员导入",
        f"an account limited to some regions cannot add entries to the region list ({names}): map them onto"
        " existing entries, or ask staff of all regions to import",
    )]  # fmt: skip


def load_place_map(path: str | os.PathLike[str]) -> PlaceChoices:
    """Aliases from a CSV or YAML file (``--region-map``): each written value → a list entry.

    CSV (UTF-8 or GB18030, header row): ``kind,alias,canonical`` with kind ``region`` or ``customer_type``
    (also 地区 / 用户类别), or two columns ``alias,region`` or ``alias,customer_type``. YAML: ``{region: {alias:
    canonical, …}, customer_type: {…}}``. The aliases are kept in the list when the import is stored.

    Raises ValueError naming the file, row and problem.
    """
    import csv
    import io
    from pathlib import Path

    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    pairs: list[tuple[str, str, str]] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict):
            raise ValueError(
                f"{path.name}: expected a mapping of region / customer_type to {{alias: canonical}}"
            )
        for kind, table in data.items():
            if not isinstance(table, dict):
                raise ValueError(f"{path.name}: {kind!r} must map each alias to a canonical name")
            pairs += [(_kind(kind, path.name), str(a), str(c)) for a, c in table.items()]
    else:
        rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
        if not rows:
            raise ValueError(f"{path.name}: the file is empty")
        header = [h.strip().lower() for h in rows[0]]
        if header[:3] == ["kind", "alias", "canonical"]:
            body = [(r[0], r[1], r[2]) if len(r) >= 3 else None for r in rows[1:]]
        elif len(header) >= 2 and header[0] == "alias" and header[1] in ("region", "customer_type"):
            body = [(header[1], r[0], r[1]) if len(r) >= 2 else None for r in rows[1:]]
        else:
            raise ValueError(
                f"{path.name}: the header must be kind,alias,canonical or alias,region or alias,customer_type, "
                f"but got {','.join(rows[0])!r}"
            )
        for i, row in enumerate(body, start=2):
            if row is None or not row[1].strip() or not row[2].strip():
                raise ValueError(f"{path.name}: row {i} needs an alias and a canonical name")
            pairs.append((_kind(row[0], f"{path.name}: row {i}"), row[1].strip(), row[2].strip()))
    return PlaceChoices({(kind, alias): canonical for kind, alias, canonical in pairs})


def _kind(text: str, where: str) -> str:
    kind = {"地区": "region", "供电单位": "region", "用户类别": "customer_type", "type": "customer_type"}.get(
        str(text).strip(), str(text).strip().lower()
    )
    if kind not in ("region", "customer_type"):
        raise ValueError(f"{where}: kind must be region or customer_type, but got {text!r}")
    return kind


def adding_unknown(result: FrameResult, kinds: Iterable[str]) -> PlaceChoices:
    """Choices that add every unknown value of ``kinds`` (``--add-regions`` / ``--add-types``) as a new entry."""
    kinds = set(kinds)
    return PlaceChoices({}, tuple((u.column, u.value) for u in result.unknown if u.column in kinds))


def import_impact(
    db: sqlite_utils.Database, frame: pd.DataFrame, *, scope: str | None = None
) -> ImportImpact:
    """Added / updated / moved between regions / deactivated counts of importing the valid ``frame``
    (by a user of ``scope``: only customers of those regions are deactivated)."""
    rows = db.execute("SELECT id, region, active FROM customers").fetchall()
    old = pd.DataFrame(rows, columns=["id", "region", "active"]).set_index("id")
    ids = frame["id"].astype(str)
    present = ids.isin(old.index).to_numpy()
    before = old["region"].reindex(ids[present]).to_numpy(dtype=object)
    after = frame["region"][present].to_numpy(dtype=object)
    changed = before != after
    moves = (
        pd.DataFrame({"from": before[changed], "to": after[changed]}).value_counts().head(20)
        if changed.any()
        else pd.Series(dtype=int)
    )
    still = old.index.isin(ids)
    allowed = parse_regions(scope)
    if allowed is not None:
        still |= ~old["region"].isin(allowed).to_numpy()  # other regions' customers are left as they are
    return ImportImpact(
        added=int((~present).sum()),
        updated=int(present.sum()),
        moved=int(changed.sum()),
        deactivated=int(((old["active"] == 1).to_numpy() & ~still).sum()),
        moves=tuple((str(a), str(b), int(n)) for (a, b), n in moves.items()),
    )


def import_frame(
    db: sqlite_utils.Database,
    frame: pd.DataFrame,
    *,
    choices: PlaceChoices | None = None,
    allow_deactivation: bool = False,
    by: str | None = None,
    source: str = "",
    progress: Callable[[float], None] | None = None,
    by_user: User | None = None,
) -> ImportSummary:
    """Store ``choices`` and the frame (read by :func:`read_import` with the same choices) in ONE transaction
    (the rows are staged before it without the write lock: :func:`survey.frames.store_frame`).

    Raises :class:`UnknownPlaces` when a region or customer type of the frame is not in the list (after the
    choices), and :class:`survey.frames.DeactivationNotConfirmed` when the import would mark customers inactive
    and ``allow_deactivation`` is False; either way nothing is changed.

    ``by_user`` is the importing account (None = the operator; staff or admin only). A region-scoped account
    imports only rows of its regions and deactivates only within them; rows or customers of other regions,
    or new list entries, raise :class:`OutOfScope` and nothing is changed.
    """
    choices = choices or PlaceChoices()
    require_role(by_user, STAFF_ROLES, "importing a customer frame")
    scope = by_user.region if by_user is not None else None
    by = by or (by_user.name if by_user is not None else None)

    def in_scope() -> None:
        problems = (
            scope_problems(db, frame, scope) + _new_entry_problems(choices, scope)
            if parse_regions(scope) is not None
            else []
        )
        if problems:
            raise OutOfScope("; ".join(p.message_en for p in problems))

    def checks() -> None:  # inside store_frame's one write transaction, after the staging (issue 11.9)
        in_scope()  # again: the stored customers may have changed while the rows were staged
        apply_choices(db, choices, by=by)
        places = place_list(db)
        unknown = [
            UnknownValue(kind, kind, value, int((frame[kind] == value).sum()), ())
            for kind in ("region", "customer_type")
            for value in pd.unique(frame[kind])
            if value not in places.names(kind)
        ]
        if unknown:
            raise UnknownPlaces(unknown, "read the file with survey.frame_import.read_import")

    in_scope()  # fails fast, before the rows are staged
    return store_frame(
        db, frame, by=by, source=source, progress=progress, allow_deactivation=allow_deactivation,
        scope=scope, checks=checks,
    )  # fmt: skip
