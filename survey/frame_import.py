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
from dataclasses import dataclass
from typing import BinaryIO

import pandas as pd
import sqlite_utils

from sampling.frame import FrameResult, UnknownValue, read_frame
from sampling.places import PlaceChoices
from survey.frames import ImportSummary, store_frame
from survey.region_list import apply_choices, place_list
from survey.store import transaction


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


def read_import(
    db: sqlite_utils.Database,
    source: str | os.PathLike[str] | bytes | BinaryIO,
    *,
    choices: PlaceChoices | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: dict[str, str | None] | None = None,
    filename: str | None = None,
) -> FrameResult:
    """:func:`sampling.frame.read_frame` with the stored region list and ``choices`` applied."""
    places = place_list(db).with_choices(choices or PlaceChoices())
    return read_frame(
        source, encoding=encoding, sheet=sheet, mapping=mapping, filename=filename, places=places
    )


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


def import_impact(db: sqlite_utils.Database, frame: pd.DataFrame) -> ImportImpact:
    """Added / updated / moved between regions / deactivated counts of importing the valid ``frame``."""
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
) -> ImportSummary:
    """Store ``choices`` and the frame (read by :func:`read_import` with the same choices) in ONE transaction.

    Raises :class:`UnknownPlaces` when a region or customer type of the frame is not in the list (after the
    choices), and :class:`survey.frames.DeactivationNotConfirmed` when the import would mark customers inactive
    and ``allow_deactivation`` is False; either way nothing is changed.
    """
    choices = choices or PlaceChoices()
    with transaction(db):
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
        return store_frame(
            db, frame, by=by, source=source, progress=progress, allow_deactivation=allow_deactivation
        )
