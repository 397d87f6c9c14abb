"""The one editable list of regions (with English names and districts) and customer types, and its aliases.

Stored in ``regions``, ``region_districts``, ``customer_types`` and ``place_aliases`` (migration 7, seeded with
Fujian's nine cities). An import resolves every written value onto this list through
:class:`sampling.places.PlaceList` (:func:`place_list`) and stops on a value it does not recognise; entries and
aliases are added only explicitly — by an admin (``python -m survey regions …``), or by the person importing,
in the import's value-mapping step — and every change is audited.

>>> from survey.store import open_db
>>> db = open_db(":memory:")
>>> resolve(db, "region", "国网泉州供电公司"), region_names_en(db)["泉州"]
('泉州', 'Quanzhou')
"""

from __future__ import annotations

import sqlite_utils

from sampling.places import KINDS, CustomerType, PlaceChoices, PlaceList, Region, place_key
from survey.store import audit, now, transaction


class PlaceListError(ValueError):
    "A region, customer type or alias cannot be added or changed as asked."


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise PlaceListError(f"kind must be one of {KINDS}, but got {kind!r}")


def list_regions(db: sqlite_utils.Database) -> list[Region]:
    """The regions in list order, each with its English name and districts."""
    districts: dict[str, list[str]] = {}
    for region, district in db.execute(
        "SELECT region, district FROM region_districts ORDER BY region, position"
    ):
        districts.setdefault(region, []).append(district)
    rows = db.execute("SELECT name, name_en FROM regions ORDER BY position, name").fetchall()
    return [Region(name, name_en or "", tuple(districts.get(name, ()))) for name, name_en in rows]


def list_customer_types(db: sqlite_utils.Database) -> list[CustomerType]:
    """The customer types in list order, with their English names."""
    rows = db.execute("SELECT name, name_en FROM customer_types ORDER BY position, name").fetchall()
    return [CustomerType(name, name_en or "") for name, name_en in rows]


def region_names_en(db: sqlite_utils.Database) -> dict[str, str]:
    """``{region: English name}`` (the name itself where no English name is set)."""
    return {r.name: r.name_en or r.name for r in list_regions(db)}


def customer_type_names_en(db: sqlite_utils.Database) -> dict[str, str]:
    """``{customer type: English name}`` (the name itself where none is set)."""
    return {c.name: c.name_en or c.name for c in list_customer_types(db)}


def list_aliases(db: sqlite_utils.Database, kind: str | None = None) -> list[tuple[str, str, str]]:
    """Explicit aliases as ``(kind, alias, canonical)``, by kind and canonical name."""
    if kind is not None:
        _check_kind(kind)
    rows = db.execute(
        "SELECT kind, alias, canonical FROM place_aliases WHERE CAST(? AS TEXT) IS NULL OR kind = ?"
        " ORDER BY kind, canonical, alias",
        [kind, kind],
    ).fetchall()
    return [tuple(r) for r in rows]


def place_list(db: sqlite_utils.Database) -> PlaceList:
    """The stored list as a :class:`sampling.places.PlaceList` (what an import resolves values onto)."""
    aliases = {
        (k, key): c for k, key, c in db.execute("SELECT kind, alias_key, canonical FROM place_aliases")
    }
    return PlaceList(tuple(list_regions(db)), tuple(list_customer_types(db)), aliases)


def resolve(db: sqlite_utils.Database, kind: str, value: str) -> str | None:
    """The list entry ``value`` means (canonical name, English name, explicit alias or usual company prefix /
    suffix removed), or None when it is unknown."""
    _check_kind(kind)
    return place_list(db).resolve(kind, value)


def _table(kind: str) -> str:
    return "regions" if kind == "region" else "customer_types"


def _exists(db: sqlite_utils.Database, kind: str, name: str) -> bool:
    return db.execute(f"SELECT 1 FROM {_table(kind)} WHERE name = ?", [name]).fetchone() is not None  # noqa: S608


def _add_entry(db, kind: str, name: str, name_en: str, by: str | None) -> None:
    name, name_en = str(name).strip(), str(name_en or "").strip()
    if not name:
        raise PlaceListError(f"a {kind.replace('_', ' ')} needs a name, but got {name!r}")
    if _exists(db, kind, name):
        raise PlaceListError(f"{kind.replace('_', ' ')} {name!r} is already in the list")
    taken = place_list(db).resolve(kind, name)
    if taken is not None:
        raise PlaceListError(
            f"{kind.replace('_', ' ')} {name!r} already means {taken!r} (an alias or English name); "
            "remove that alias first or choose another name"
        )
    table = _table(kind)
    db.execute(
        f"INSERT INTO {table} (name, name_en, position, created_at, created_by)"  # noqa: S608
        f" VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM {table}), ?, ?)",
        [name, name_en, now(), by],
    )
    audit(db, by, f"add_{kind}", f"{name} ({name_en})" if name_en else name)


def add_region(
    db: sqlite_utils.Database,
    name: str,
    *,
    name_en: str = "",
    districts: tuple[str, ...] | list[str] = (),
    by: str | None = None,
) -> Region:
    """Add a region to the list (at its end), with its English name and districts."""
    with transaction(db):
        _add_entry(db, "region", name, name_en, by)
        for district in districts:
            add_district(db, name.strip(), district, by=by)
    return next(r for r in list_regions(db) if r.name == name.strip())


def add_customer_type(
    db: sqlite_utils.Database, name: str, *, name_en: str = "", by: str | None = None
) -> CustomerType:
    """Add a customer type to the list (at its end)."""
    with transaction(db):
        _add_entry(db, "customer_type", name, name_en, by)
    return next(c for c in list_customer_types(db) if c.name == name.strip())


def add_district(db: sqlite_utils.Database, region: str, district: str, *, by: str | None = None) -> None:
    """Add a district (区县) to a region's list of districts."""
    district = str(district).strip()
    if not _exists(db, "region", region):
        raise PlaceListError(f"region {region!r} is not in the list")
    if not district:
        raise PlaceListError("a district needs a name")
    with transaction(db):
        if db.execute(
            "SELECT 1 FROM region_districts WHERE region = ? AND district = ?", [region, district]
        ).fetchone():
            raise PlaceListError(f"district {district!r} is already in region {region!r}")
        db.execute(
            "INSERT INTO region_districts (region, district, position) VALUES (?, ?,"
            " (SELECT COALESCE(MAX(position), -1) + 1 FROM region_districts WHERE region = ?))",
            [region, district, region],
        )
        audit(db, by, "add_district", f"{region} {district}")


def set_name_en(
    db: sqlite_utils.Database, kind: str, name: str, name_en: str, *, by: str | None = None
) -> None:
    """Set the English name of a region or customer type."""
    _check_kind(kind)
    with transaction(db):
        changed = db.execute(
            f"UPDATE {_table(kind)} SET name_en = ? WHERE name = ?",  # noqa: S608 (constant table name)
            [name_en.strip(), name],
        ).rowcount
        if not changed:
            raise PlaceListError(f"{kind.replace('_', ' ')} {name!r} is not in the list")
        audit(db, by, f"rename_{kind}_en", f"{name} → {name_en.strip()}")


def add_alias(
    db: sqlite_utils.Database, kind: str, alias: str, canonical: str, *, by: str | None = None
) -> None:
    """Make ``alias`` mean the list entry ``canonical`` on import (replacing an earlier alias of the same text).

    Raises PlaceListError when ``canonical`` is not in the list, or ``alias`` is itself an entry's name.
    """
    _check_kind(kind)
    alias, key = str(alias).strip(), place_key(alias)
    if not key:
        raise PlaceListError("an alias must not be empty")
    if not _exists(db, kind, canonical):
        names = ", ".join(place_list(db).names(kind))
        raise PlaceListError(f"{kind.replace('_', ' ')} {canonical!r} is not in the list ({names})")
    if any(place_key(n) == key and n != canonical for n in place_list(db).names(kind)):
        raise PlaceListError(
            f"{alias!r} is itself a {kind.replace('_', ' ')} of the list; it cannot be an alias"
        )
    with transaction(db):
        db.execute(
            "INSERT INTO place_aliases (kind, alias_key, alias, canonical, created_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, alias_key) DO UPDATE SET alias = excluded.alias,"
            " canonical = excluded.canonical, created_at = excluded.created_at, created_by = excluded.created_by",
            [kind, key, alias, canonical, now(), by],
        )
        audit(db, by, "add_alias", f"{kind}: {alias} → {canonical}")


def remove_alias(db: sqlite_utils.Database, kind: str, alias: str, *, by: str | None = None) -> None:
    """Remove an explicit alias."""
    _check_kind(kind)
    with transaction(db):
        gone = db.execute(
            "DELETE FROM place_aliases WHERE kind = ? AND alias_key = ?", [kind, place_key(alias)]
        ).rowcount
        if not gone:
            raise PlaceListError(f"there is no {kind.replace('_', ' ')} alias {alias!r}")
        audit(db, by, "remove_alias", f"{kind}: {alias}")


def apply_choices(db: sqlite_utils.Database, choices: PlaceChoices, *, by: str | None = None) -> None:
    """Store an import's choices: add its new entries, then its aliases (one transaction)."""
    with transaction(db):
        for kind, name in choices.new:
            if not _exists(db, kind, name):
                _add_entry(db, kind, name, "", by)
        for (kind, alias), canonical in choices.aliases.items():
            if place_key(alias) != place_key(canonical):
                add_alias(db, kind, alias, canonical, by=by)
