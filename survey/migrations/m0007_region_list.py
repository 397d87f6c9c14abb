"""Migration 7: the regions (with English names and districts) and customer types as one editable list.

``regions`` / ``region_districts`` / ``customer_types`` are seeded with Fujian's nine cities and the four
customer types (:mod:`survey.regions`); ``place_aliases`` holds the explicit aliases an admin edits
(``kind`` region or customer_type, ``alias_key`` = :func:`sampling.places.place_key` of the alias as written),
seeded with the usual ways exports write the customer types. A database that already has customers gets
every region and customer type they use added to the list, so nothing stored becomes unknown.
"""

from __future__ import annotations

import sqlite_utils

from sampling.frame_schema import CUSTOMER_TYPE_ALIASES
from sampling.places import TYPE_ALIASES, place_key
from survey.regions import CUSTOMER_TYPES, CUSTOMER_TYPES_EN, FUJIAN


def apply(db: sqlite_utils.Database) -> None:
    from survey.store import now  # survey.store imports the migrations

    db.execute(
        "CREATE TABLE regions (name TEXT PRIMARY KEY, name_en TEXT NOT NULL DEFAULT '',"
        " position INTEGER NOT NULL, created_at TEXT, created_by TEXT)"
    )
    db.execute(
        "CREATE TABLE region_districts (region TEXT NOT NULL REFERENCES regions(name) ON DELETE CASCADE,"
        " district TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (region, district))"
    )
    db.execute(
        "CREATE TABLE customer_types (name TEXT PRIMARY KEY, name_en TEXT NOT NULL DEFAULT '',"
        " position INTEGER NOT NULL, created_at TEXT, created_by TEXT)"
    )
    db.execute(
        "CREATE TABLE place_aliases (kind TEXT NOT NULL CHECK (kind IN ('region', 'customer_type')),"
        " alias_key TEXT NOT NULL, alias TEXT NOT NULL, canonical TEXT NOT NULL,"
        " created_at TEXT, created_by TEXT, PRIMARY KEY (kind, alias_key))"
    )
    stamp = now()
    for i, (name, info) in enumerate(FUJIAN.items()):
        db.execute("INSERT INTO regions VALUES (?, ?, ?, ?, 'migration')", [name, info["en"], i, stamp])
        db.conn.executemany(
            "INSERT INTO region_districts VALUES (?, ?, ?)",
            [(name, d, j) for j, d in enumerate(info["districts"])],
        )
    for i, name in enumerate(CUSTOMER_TYPES):
        db.execute(
            "INSERT INTO customer_types VALUES (?, ?, ?, ?, 'migration')",
            [name, CUSTOMER_TYPES_EN.get(name, ""), i, stamp],
        )
    aliases = {place_key(a): t for a, t in {**CUSTOMER_TYPE_ALIASES, **TYPE_ALIASES}.items()}
    db.conn.executemany(
        "INSERT INTO place_aliases VALUES ('customer_type', ?, ?, ?, ?, 'migration')",
        [(key, key, t, stamp) for key, t in aliases.items() if key != place_key(t)],
    )
    # Regions and types already stored stay valid: they join the list (after the seed, in name order).
    for table, column in (("regions", "region"), ("customer_types", "customer_type")):
        db.execute(
            f"INSERT INTO {table} (name, position, created_at, created_by)"  # noqa: S608 (constant names)
            f" SELECT {column}, (SELECT COUNT(*) FROM {table}) + ROW_NUMBER() OVER (ORDER BY {column}), ?,"
            f" 'migration' FROM (SELECT DISTINCT {column} FROM customers WHERE COALESCE({column}, '') != ''"
            f" AND {column} NOT IN (SELECT name FROM {table})) AS used",
            [stamp],
        )
