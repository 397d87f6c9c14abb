"""Staff, manager and admin accounts (argon2 password hashes) and sign-in."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.store import audit, now, transaction

ROLES = ("staff", "manager", "admin")
_hasher = PasswordHasher()


class UserError(Exception):
    "A user account cannot be created or changed as asked."


@dataclass(frozen=True)
class User:
    name: str
    role: str
    region: str | None = None

    def can_see_region(self, region: str) -> bool:
        return self.region is None or self.region == region


def create_user(
    db: sqlite_utils.Database,
    name: str,
    role: str,
    password: str,
    *,
    region: str | None = None,
    by: str | None = None,
) -> User:
    """Create an account; the password is stored as an argon2id hash only."""
    name = (name or "").strip()
    if not name:
        raise UserError("user name must not be empty")
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, but got {role!r}")
    if len(password or "") < 8:
        raise UserError("password must have at least 8 characters")
    with transaction(db):
        if db.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
            raise UserError(f"user {name!r} already exists")
        db.execute(
            "INSERT INTO users (name, role, region, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            [name, role, region or None, _hasher.hash(password), now()],
        )
        audit(db, by, "create_user", f"{name} role={role} region={region or '*'}")
    return User(name, role, region or None)


def authenticate(db: sqlite_utils.Database, name: str, password: str) -> User | None:
    """The user if name and password match an enabled account, else None (and an audit line)."""
    row = db.execute(
        "SELECT name, role, region, password_hash, disabled FROM users WHERE name = ?", [name or ""]
    ).fetchone()
    ok = False
    if row and not row[4]:
        try:
            ok = _hasher.verify(row[3], password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    with transaction(db):
        audit(db, name, "sign_in" if ok else "sign_in_failed")
    return User(row[0], row[1], row[2]) if ok else None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    return [
        dict(zip(("name", "role", "region", "disabled", "created_at"), r, strict=True))
        for r in db.execute("SELECT name, role, region, disabled, created_at FROM users ORDER BY name")
    ]
