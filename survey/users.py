"""Staff, manager and admin accounts: argon2 password hashes, region scope, lockout, admin changes.

A user's ``region`` is None (all regions) or a comma-separated list of regions; role and
scope combine with AND — a 泉州 manager sees only 泉州's data. Reading a scope, its stored form and its SQL
filter are :mod:`survey.scopes` (``parse_regions``, ``region_filter`` and ``known_regions`` are importable from
here too).
"""

from __future__ import annotations

import functools
import secrets
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from survey.attempts import FailureLimiter
from survey.scopes import _names, _scope
from survey.scopes import known_regions as known_regions
from survey.scopes import parse_regions as parse_regions
from survey.scopes import region_filter as region_filter
from survey.store import audit, db_identity, now, transaction

ROLES = ("staff", "manager", "admin")
MAX_FAILURES = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD = 8
#: Longest account name (longer input is refused, never stored: an audit line holds at most this much).
MAX_NAME = 64
#: Longest password accepted (argon2 hashes any length; a 10 MB "password" only costs time).
MAX_PASSWORD = 1024
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


class PasswordPolicy(UserError):
    "The password is shorter or longer than the policy allows (``minimum``/``maximum`` say which bound)."

    def __init__(self, message: str, *, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum
        super().__init__(message)


def _check_password(password: str | None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise PasswordPolicy(f"password must have at least {MIN_PASSWORD} characters", minimum=MIN_PASSWORD,
                             maximum=MAX_PASSWORD)  # fmt: skip
    if len(password) > MAX_PASSWORD:
        raise PasswordPolicy(f"password must have at most {MAX_PASSWORD} characters, but got {len(password)}",
                             minimum=MIN_PASSWORD, maximum=MAX_PASSWORD)  # fmt: skip


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
    if len(name) > MAX_NAME or not name.isprintable():
        raise UserError(
            f"user name must be at most {MAX_NAME} printable characters, but got {audit_name(name)!r}"
        )
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


def _end_sessions(db: sqlite_utils.Database, name: str, why: str) -> None:
    """End the account's browser sessions (survey.web_sessions), in the caller's transaction."""
    if "web_sessions" in db.table_names():
        from survey.web_sessions import revoke_user

        revoke_user(db, name, why=why)


def set_disabled(db: sqlite_utils.Database, name: str, disabled: bool, *, by: str | None = None) -> None:
    """Disable (no sign-in) or re-enable an account."""
    with transaction(db):
        _existing(db, name)
        db.execute("UPDATE users SET disabled = ? WHERE name = ?", [int(bool(disabled)), name])
        audit(db, by, "disable_user" if disabled else "enable_user", name)
        if disabled:
            _end_sessions(db, name, "account disabled")


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
        _end_sessions(db, name, "password reset")


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
        _end_sessions(db, name, "role or scope changed")


#: In-process sign-in limits: failed attempts per account name and per client within :data:`WINDOW_SECONDS`.
NAME_ATTEMPTS = 10
CLIENT_ATTEMPTS = 10
WINDOW_SECONDS = LOCKOUT_MINUTES * 60


class TooManyAttempts(UserError):
    "Too many failed sign-ins from this client or for this name: wait before trying again."

    def __init__(self, retry_after: float):
        self.retry_after = float(retry_after)
        super().__init__(
            f"too many failed sign-ins; try again in {max(1, round(retry_after / 60))} minute(s)"
        )


class AccountLocked(UserError):
    "The account is locked after repeated wrong passwords (said the same way for a name that does not exist)."

    def __init__(self, until: str):
        self.until = until
        super().__init__(f"the account is locked until {until} after {MAX_FAILURES} wrong passwords")


_limiter = FailureLimiter(WINDOW_SECONDS)


@functools.cache
def _dummy_hash() -> str:
    """An argon2 hash of a random secret, with the same parameters as real ones: what unknown, disabled,
    locked or over-long sign-ins are verified against, so every attempt costs one verification."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    """The one argon2 verification of a sign-in attempt."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def audit_name(name: object) -> str:
    """An attacker-supplied account name as it may be written to the audit log: control characters
    replaced, at most :data:`MAX_NAME` characters (then an ellipsis)."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(name or "")[: MAX_NAME + 1])
    return text if len(text) <= MAX_NAME else text[:MAX_NAME] + "…"


def authenticate(
    db: sqlite_utils.Database, name: str, password: str, *, client: str | tuple[str, ...] | None = None
) -> User | None:
    """The user if name and password match an enabled, unlocked account, else None.

    Every attempt runs exactly one argon2 verification — against the account's hash, or a dummy hash for
    an unknown, disabled, locked or over-long name — so the time taken does not tell whether a name
    exists. The verification runs outside any transaction; only the counters and the audit line are
    written, in one short ``BEGIN IMMEDIATE`` afterwards, so sign-ins never hold up customers' writes.

    After :data:`MAX_FAILURES` wrong passwords in a row an account is locked for :data:`LOCKOUT_MINUTES`
    minutes (even the right password is refused meanwhile). In this process, a name (known or not) and a
    ``client`` (the app's session and address: one key or several, each limited) get at most :data:`NAME_ATTEMPTS` / :data:`CLIENT_ATTEMPTS`
    failures per window; beyond that :class:`TooManyAttempts` is raised without any verification. A locked
    account raises :class:`AccountLocked` with the time the lock ends — and so does any other name after
    :data:`MAX_FAILURES` failures in the window, so the answer does not tell whether a name exists. Every
    attempt that is checked is audited, with the name cut to :data:`MAX_NAME` characters; the answer
    never says whether the name exists.
    """
    name = (name or "").strip() if isinstance(name, str) else ""
    password = password if isinstance(password, str) else ""
    file = _db_key(db)
    name_key = f"{file}\0name\0{name[: MAX_NAME + 1]}"
    limits = {name_key: NAME_ATTEMPTS}
    for c in (client,) if isinstance(client, str) else client or ():
        if c:
            limits[f"{file}\0client\0{str(c)[:200]}"] = CLIENT_ATTEMPTS
    wait = _limiter.retry_after(limits)
    if wait > 0:
        raise TooManyAttempts(wait)

    account = None
    if (
        0 < len(name) <= MAX_NAME and name.isprintable()
    ):  # account names are (create_user); NUL never reaches SQL
        row = db.execute(
            "SELECT name, role, region, password_hash, disabled, locked_until FROM users WHERE name = ?",
            [name],
        ).fetchone()
        account = _SignIn(*row) if row is not None else None
    usable = account is not None and not account.disabled and len(password) <= MAX_PASSWORD
    ok = _verify(account.password_hash if usable else _dummy_hash(), password if usable else "")
    shown = audit_name(name)

    with transaction(db):  # short: counters and the audit line only
        stamp = now()
        current = None
        if account is not None:
            row = db.execute(
                "SELECT password_hash, disabled, failed_attempts, locked_until FROM users WHERE name = ?",
                [account.name],
            ).fetchone()
            current = _Counters(*row) if row is not None else None
        if current is None or current.disabled:
            audit(db, shown, "sign_in_failed", "unknown or disabled account")
            ok = False
        elif current.locked_until and current.locked_until > stamp:
            audit(db, shown, "sign_in_locked", f"locked until {current.locked_until}")
            ok = False
        elif (
            not ok or current.password_hash != account.password_hash
        ):  # (a reset meanwhile: the old one fails)
            failures, locked = current.failed_attempts + 1, None
            if failures >= MAX_FAILURES:
                locked = (
                    (datetime.now(UTC) + timedelta(minutes=LOCKOUT_MINUTES))
                    .replace(microsecond=0)
                    .isoformat()
                )
                failures = 0
            db.execute(
                "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE name = ?",
                [failures, locked, account.name],
            )
            audit(db, shown, "sign_in_failed", f"locked until {locked}" if locked else "wrong password")
            ok = False
        else:
            db.execute(
                "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_sign_in = ? WHERE name = ?",
                [stamp, account.name],
            )
            audit(db, account.name, "sign_in")
    if not ok:
        _limiter.fail(list(limits))
        until = _locked_until(db, account.name if account is not None else None, name_key)
        if until:
            raise AccountLocked(until)
        return None
    _limiter.clear(name_key)
    return User(account.name, account.role, account.region)


#: An account as a sign-in reads it before checking the password, and its counters read again inside the short
#: transaction that updates them (rows read by name).
_SignIn = namedtuple("_SignIn", "name role region password_hash disabled locked_until")
_Counters = namedtuple("_Counters", "password_hash disabled failed_attempts locked_until")


def _locked_until(db: sqlite_utils.Database, account: str | None, name_key: str) -> str | None:
    """When the name's lock ends, or None. A real, enabled account: its stored lock. Any other name: the same
    rule simulated from this process's failures of that name (:data:`MAX_FAILURES` within the window), so the
    answer for a name that does not exist looks like the answer for one that does."""
    if account is not None:
        row = db.execute("SELECT locked_until, disabled FROM users WHERE name = ?", [account]).fetchone()
        if row is not None:
            locked_until, disabled = row
            if not disabled:
                return locked_until if locked_until and locked_until > now() else None
    left = _limiter.locked_for(name_key, MAX_FAILURES)
    if left <= 0:
        return None
    return (datetime.now(UTC) + timedelta(seconds=left)).replace(microsecond=0).isoformat()


def _db_key(db: sqlite_utils.Database) -> str:
    """Which database the in-process limits belong to (its file; each test's database is its own)."""
    return db_identity(db)


def current_user(db: sqlite_utils.Database, name: str) -> User | None:
    """The account as it is now (None if deleted or disabled): role and scope changes apply at once."""
    row = db.execute("SELECT name, role, region, disabled FROM users WHERE name = ?", [name]).fetchone()
    if row is None:
        return None
    account, role, region, disabled = row
    return None if disabled else User(account, role, region)


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
