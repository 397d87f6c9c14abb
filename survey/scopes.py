"""Region scopes: which regions an account may see, as text, as stored and as SQL.

A scope is None (all regions) or one or more region names, comma-separated (ASCII or full-width commas); a
string that names no region is an error, never "all regions". Here: reading a scope (:func:`parse_regions`),
its stored form (``_scope``, for :mod:`survey.users` when an account is created or its scope changed), the
SQL filter restricting a query to it (:func:`region_filter`) and the regions a scope picker offers
(:func:`known_regions`). The accounts that carry a scope are :mod:`survey.users`; a bad scope raises its
:class:`~survey.users.UserError` (imported where it is raised, as survey.users imports this module).
"""

from __future__ import annotations

import sqlite_utils

from survey.frame_apply import visible


def _names(text: str) -> tuple[str, ...]:
    """The region names of a comma-separated list (ASCII or full-width commas), stray separators ignored."""
    names = (p.strip() for p in str(text).replace("，", ",").split(","))
    return tuple(dict.fromkeys(p for p in names if p))


def parse_regions(text: str | None) -> tuple[str, ...] | None:
    """A region scope: None → None (all regions); ``"泉州, 厦门"`` → ``("泉州", "厦门")``.

    A string that names no region (``""``, ``" "``, ``","``) is an error, never "all regions": all regions
    are asked for only by None (``--all-regions`` on the command line).

    >>> parse_regions("泉州，厦门,")
    ('泉州', '厦门')
    >>> parse_regions(",")
    Traceback (most recent call last):
    ...
    survey.users.UserError: region must name at least one region (all regions: --all-regions), but got ','
    """
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(f"region must be a string or None, but got {type(text).__name__}")
    names = _names(text)
    if not names:
        from survey.users import UserError  # (survey.users imports this module)

        raise UserError(
            f"region must name at least one region (all regions: --all-regions), but got {text!r}"
        )
    return names


def _scope(region: str | list | tuple | None) -> str | None:
    """The stored form of a scope: None (all regions) or the comma-joined names. An empty list, or a list
    with a blank item, is an error (an empty multiselect or ``--region ""`` must not mean all regions)."""
    if region is None:
        return None
    if isinstance(region, list | tuple):
        if not region:
            from survey.users import UserError  # (survey.users imports this module)

            raise UserError("region must name at least one region (all regions: --all-regions), but got none")
        for item in region:
            parse_regions(item)  # each item names a region
        region = ",".join(region)
    return ",".join(parse_regions(region))


def known_regions(db: sqlite_utils.Database) -> list[str]:
    """The regions of the region list, in list order (for scope pickers), then any other region a customer
    has (written without an import, e.g. by a script)."""
    listed = [r[0] for r in db.execute("SELECT name FROM regions ORDER BY position, name")]
    hidden_sql, hidden_params = visible(db)  # a running import's regions join the list when it finishes
    others = db.execute(
        "SELECT DISTINCT region FROM customers WHERE region NOT IN (SELECT name FROM regions)"  # noqa: S608
        + hidden_sql
        + " ORDER BY region",
        hidden_params,
    )
    return listed + [r[0] for r in others if r[0]]


def region_filter(column: str, region: str | None) -> tuple[str, list[str]]:
    """SQL fragment and parameters restricting ``column`` to a user's region scope.

    ``region`` is a scope string (None = all regions, or one or more comma-separated regions).
    ``column`` must be a fixed column name from code, never user input.

    >>> region_filter("c.region", "泉州,厦门")
    (' AND c.region IN (?, ?)', ['泉州', '厦门'])
    >>> region_filter("c.region", None)
    ('', [])
    """
    regions = parse_regions(region)
    if not regions:
        return "", []
    return f" AND {column} IN ({', '.join('?' for _ in regions)})", list(regions)
