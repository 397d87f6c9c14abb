"""Staff, manager and admin accounts: argon2 password hashes, region scope, lockout, admin changes.

A user's ``region`` is None (all regions) or a comma-separated list of regions; role and
scope combine with AND — a 泉州 manager sees only 泉州's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.store import audit, now, transaction

ROLES = ("staff", "manager", "admin")
MAX_FAILURES = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD = 8
_hasher = PasswordHasher()


class UserError(Exception):
    "A user account cannot be created or changed as asked."


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str | None = None

    @property
    def regions(self) -> tuple[str, ...] | None:
        """The regions this user may see, or None for all. A stored scope naming no region (written by
        hand in the database) sees nothing — never everything."""
        if self.region is None:
            return None
        return _names(self.region)

    def can_see_region(self, region: str) -> bool:
        return self.regions is None or region in self.regions


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
            raise UserError("region must name at least one region (all regions: --all-regions), but got none")
        for item in region:
            parse_regions(item)  # each item names a region
        region = ",".join(region)
    return ",".join(parse_regions(region))


def _check_password(password: str | None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UserError(f"password must have at least {MIN_PASSWORD} characters")


def create_user(
    db: sqlite_utils.Database,
    name: str,
    role: str,
    password: str,
    *,
    region: str | list | tuple | None = None,
    by: str | None = None,
) -> User:
    """Create an account; the password is stored as an argon2id hash only."""
    name = (name or "").strip()
    if not name:
        raise UserError("user name must not be empty")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, but got {role!r}")
    _check_password(password)
    scope = _scope(region)
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise UserError(f"user {name!r} already exists")
        db.execute(
            "INSERT INTO users (name, role, region, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, role, scope, _hasher.hash(password), now()],
        )
        audit(db, by, "create_user", f"{name} role={role} region={scope or '*'}")
    return User(name, role, scope)


def _existing(db: sqlite_utils.Database, name: str) -> None:
    if not db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise UserError(f"user {name!r} does not exist")


def set_disabled(db: sqlite_utils.Database, name: str, disabled: bool, *, by: str | None = None) -> None:
    """Disable (no sign-in) or re-enable an account."""
    with transaction(db):
        _existing(db, name)
        db.execute("UPDATE users SET disabled = ? WHERE name = ?", [int(bool(disabled)), name])
        audit(db, by, "disable_user" if disabled else "enable_user", name)


def reset_password(db: sqlite_utils.Database, name: str, password: str, *, by: str | None = None) -> None:
    """Set a new password and lift any lockout."""
    _check_password(password)
    with transaction(db):
        _existing(db, name)
        db.execute(
            "UPDATE users SET password_hash = ?, failed_attempts = 0, locked_until = NULL WHERE name = ?",
            [_hasher.hash(password), name],
        )
        audit(db, by, "reset_password", name)


def set_scope(
    db: sqlite_utils.Database,
    name: str,
    *,
    region: str | list | tuple | None,
    role: str | None = None,
    by: str | None = None,
) -> None:
    """Change a user's region scope (None = all regions) and optionally role."""
    if role is not None and role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, but got {role!r}")
    scope = _scope(region)
    with transaction(db):
        _existing(db, name)
        db.execute(
            "UPDATE users SET region = ?, role = COALESCE(?, role) WHERE name = ?", [scope, role, name]
        )
        audit(db, by, "change_scope", f"{name} region={scope or '*'}" + (f" role={role}" if role else ""))


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> User | None:
    """The user if name and password match an enabled, unlocked account, else None.

    After :data:`MAX_FAILURES` wrong passwords in a row the account is locked for
    :data:`LOCKOUT_MINUTES` minutes (even the right password is refused meanwhile). Every
    attempt is audited; the answer never says whether the name exists.
    """
    name = (name or "").strip()
    with transaction(db):
        row = db.execute(
            "SELECT name, role, region, password_hash, disabled, failed_attempts, locked_until FROM users"
            " WHERE name = ?",
            [name],
        ).fetchone()
        stamp = now()
        if row is None or row[4]:
            _hasher.hash(password or "x")  # same work as a real check: no timing oracle on names
            audit(db, name, "sign_in_failed", "unknown or disabled account")
            return None
        if row[6] and row[6] > stamp:
            audit(db, name, "sign_in_locked", f"locked until {row[6]}")
            return None
        try:
            ok = _hasher.verify(row[3], password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            failures = row[5] + 1
            locked = None
            if failures >= MAX_FAILURES:
                locked = (
                    (datetime.now(UTC) + timedelta(minutes=LOCKOUT_MINUTES))
                    .replace(microsecond=0)
                    .isoformat()
                )
                failures = 0
            db.execute(
                "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE name = ?",
                [failures, locked, name],
            )
            audit(db, name, "sign_in_failed", f"locked until {locked}" if locked else "wrong password")
            return None
        db.execute(
            "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ? WHERE name = ?",
            [stamp, name],
        )
        audit(db, name, "sign_in")
        return User(row[0], row[1], row[2])


def current_user(db: sqlite_utils.Database, name: str) -> User | None:
    """The account as it is now (None if deleted or disabled): role and scope changes apply at once."""
    row = db.execute("SELECT name, role, region, disabled FROM users WHERE name = ?", [name]).fetchone()
    if row is None or row[3]:
        return None
    return User(row[0], row[1], row[2])


def has_users(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    cols = ("name", "role", "region", "disabled", "locked_until", "last_sign_in", "created_at")
    return [
        dict(zip(cols, r, strict=True))
        for r in db.execute(
            "SELECT name, role, region, disabled, locked_until, last_sign_in, created_at FROM users ORDER BY name"
        )
    ]


def known_regions(db: sqlite_utils.Database) -> list[str]:
    """The regions of the region list, in list order (for scope pickers), then any other region a customer
    has (written without an import, e.g. by a script)."""
    listed = [r[0] for r in db.execute("SELECT name FROM regions ORDER BY position, name")]
    others = db.execute(
        "SELECT DISTINCT region FROM customers WHERE region NOT IN (SELECT name FROM regions) ORDER BY region"
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
