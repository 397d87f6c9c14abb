"""Customer link tokens.

A token is ``base64url(HMAC-SHA256(key, "assignment:<id>"))`` truncated to 32 characters
(192 bits). The key lives outside the database (``$SURVEY_SECRET`` or ``secret.key`` next
to the database file), the database stores only ``sha256(token)``: a stolen database file
yields no usable link, while staff can re-export invitations at any time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import sqlite_utils

TOKEN_LENGTH = 32  # characters of base64url = 192 bits


def db_file(db: sqlite_utils.Database) -> Path | None:
    """The file behind a database connection (None for in-memory)."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


def secret_key(db: sqlite_utils.Database) -> bytes:
    """The HMAC key: ``$SURVEY_SECRET`` if set, else ``secret.key`` beside the database (created once)."""
    env = os.environ.get("SURVEY_SECRET")
    if env:
        return env.encode("utf-8")
    path = db_file(db)
    key_path = (path.parent if path else Path("data")) / "secret.key"
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return key_path.read_text().strip().encode("utf-8")


def make_token(key: bytes, assignment_id: int) -> str:
    """The link token of one assignment (deterministic given the key)."""
    mac = hmac.new(key, f"assignment:{int(assignment_id)}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:TOKEN_LENGTH]


def token_hash(token: str) -> str:
    """What the database stores and looks up: sha256 of the token, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_TOKEN_SHAPE = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")


def looks_like_token(token: object) -> bool:
    """Cheap syntactic check before any database lookup (32 base64url characters)."""
    return isinstance(token, str) and _TOKEN_SHAPE.fullmatch(token) is not None


#: Failed link look-ups a session may make before each further one is slowed down.
FREE_BAD_TOKENS = 3


def bad_token_delay(failures: int) -> float:
    """Seconds to wait before answering a session's ``failures``-th bad link (0 for the first few).

    Doubles from 0.5 s up to 8 s: guessing is slowed down, a customer who mistyped once is not.

    >>> [bad_token_delay(n) for n in (1, 3, 4, 5, 10)]
    [0.0, 0.0, 0.5, 1.0, 8.0]
    """
    if failures <= FREE_BAD_TOKENS:
        return 0.0
    return float(min(0.5 * 2 ** (failures - FREE_BAD_TOKENS - 1), 8.0))
