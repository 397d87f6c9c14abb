"""What an account may do, checked in the library (so the CLI's ``--as-user`` and every page go through it).

Rules (README, "Who does what"):

- a region-scoped account reads and exports only its regions' people (invitations, reminders, call lists,
  follow-ups) — the ``region`` / ``scope`` argument of those functions;
- a region-scoped staff member imports only rows of their regions (rows of other regions are an error
  naming them) and deactivates only within them; adding a region or customer type to the list is for
  staff of all regions;
- drawing a round (it spans every region's strata) is reserved to staff or admins of all regions;
- company-wide settings (the follow-up SLA) are admin-only.

``None`` for the acting user means the operator of the machine (CLI without ``--as-user``, scripts, the demo).
"""

from __future__ import annotations

from collections.abc import Iterable

from survey.users import User, parse_regions

#: Roles that import frames and draw rounds.
STAFF_ROLES = ("staff", "admin")


class NotPermitted(PermissionError):
    "The acting account's role or region scope does not allow this."


def outside_scope(scope: str | None, regions: Iterable[str]) -> list[str]:
    """The distinct ``regions`` (in order) that a ``scope`` (None = all regions) does not include.

    >>> outside_scope("泉州", ["泉州", "厦门", "厦门"])
    ['厦门']
    >>> outside_scope(None, ["厦门"])
    []
    """
    allowed = parse_regions(scope)
    if allowed is None:
        return []
    return [r for r in dict.fromkeys(str(x) for x in regions) if r not in allowed]


def require_role(user: User | None, roles: tuple[str, ...], what: str) -> None:
    """Refuse ``what`` unless ``user`` (None = the operator) has one of ``roles``."""
    if user is not None and user.role not in roles:
        raise NotPermitted(f"{what} needs the role {' or '.join(roles)}, but {user.name!r} is {user.role!r}")


def require_all_regions(user: User | None, what: str) -> None:
    """Refuse ``what`` to an account scoped to some regions (None = the operator)."""
    if user is not None and user.regions is not None:
        raise NotPermitted(
            f"{what} is for accounts of all regions; {user.name!r} is limited to {','.join(user.regions)}"
        )


def require_admin(role: str | None, what: str, region: str | None = None) -> None:
    """Refuse ``what`` (a company-wide setting) unless the acting account is an admin of all regions."""
    if role != "admin":
        raise NotPermitted(f"{what} is for admins only, but the acting role is {role!r}")
    if parse_regions(region) is not None:
        raise NotPermitted(f"{what} is company-wide: for admins of all regions, not of {region}")
