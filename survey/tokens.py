"""Customer link tokens.

A token is ``base64url(HMAC-SHA256(key, "assignment:<id>"))`` truncated to 32 characters
(192 bits). The key lives outside the database (``$SURVEY_SECRET`` or ``secret.key`` next
to the database file), the database stores only ``sha256(token)``: a stolen database file
yields no usable link, while staff can re-export invitations at any time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

import sqlite_utils

from survey.store import db_file as store_db_file
from survey.store import private_folder

TOKEN_LENGTH = 32  # characters of base64url = 192 bits


def db_file(db: sqlite_utils.Database) -> Path | None:
    """The file behind a database connection (None for in-memory)."""
    return store_db_file(db)


#: Fewest bytes a link key may have (HMAC-SHA256 wants at least its 32-byte output; secret.key holds 64).
MIN_KEY_BYTES = 32


class SecretKeyError(ValueError):
    "The key behind the customers' links is missing, too short or cannot be written."


def key_path(db: sqlite_utils.Database) -> Path:
    """Where the link key lives when ``$SURVEY_SECRET`` is not set: ``$SURVEY_SECRET_FILE`` if set, else
    ``secret.key`` beside the SQLite file (``data/secret.key`` for a PostgreSQL store: every app server of
    one store needs the same key, so set ``$SURVEY_SECRET`` or ``$SURVEY_SECRET_FILE`` there)."""
    if os.environ.get("SURVEY_SECRET_FILE"):
        return Path(os.environ["SURVEY_SECRET_FILE"])
    path = db_file(db)
    return (path.parent if path else Path("data")) / "secret.key"


def server_key_env() -> dict[str, str]:
    """The environment that gives every app process of a PostgreSQL store the same link key: nothing when
    ``$SURVEY_SECRET`` is set (the processes inherit it), else ``$SURVEY_SECRET_FILE`` made absolute (its
    value, or ``data/secret.key`` as :func:`key_path` has it for a server store)."""
    if os.environ.get("SURVEY_SECRET"):
        return {}
    return {"SURVEY_SECRET_FILE": str(Path(os.environ.get("SURVEY_SECRET_FILE") or "data/secret.key").resolve())}


def check_key(key: bytes, source: str) -> bytes:
    """``key`` if it is long enough to sign links with, else :class:`SecretKeyError` naming ``source``."""
    if len(key.strip()) < MIN_KEY_BYTES:
        raise SecretKeyError(
            f"the link key ({source}) has {len(key.strip())} bytes, but at least {MIN_KEY_BYTES} are needed: "
            'links signed with it could be forged; set a long random key (e.g. `python -c "import secrets; '
            'print(secrets.token_hex(32))"`) or, if no links were sent with it, delete the file to make a new one'
        )
    return key


def _write_new_key(path: Path) -> None:
    """Create ``path`` with a new random key, atomically: a 0600 temp file in the same folder, fsync, then a
    hard link that fails if another process created the key first (no half-written or replaced key)."""
    private_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".secret.key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # atomic and never replaces a key another process wrote meanwhile
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def secret_key(db: sqlite_utils.Database) -> bytes:
    """The HMAC key: ``$SURVEY_SECRET`` if set, else ``secret.key`` beside the database (created once).

    Raises :class:`SecretKeyError` for a key shorter than :data:`MIN_KEY_BYTES` (an empty file left by a
    full disk, a short variable): nothing is signed with a key anyone could guess.
    """
    env = os.environ.get("SURVEY_SECRET")
    if env:
        return check_key(env.encode("utf-8"), "$SURVEY_SECRET")
    path = key_path(db)
    if not path.exists():
        try:
            _write_new_key(path)
        except OSError as e:
            raise SecretKeyError(f"cannot create the link key {path}: {e}") from e
    try:
        key = path.read_bytes().strip()
    except OSError as e:
        raise SecretKeyError(f"cannot read the link key {path}: {e}") from e
    return check_key(key, str(path))


def make_token(key: bytes, assignment_id: int) -> str:
    """The link token of one assignment (deterministic given the key; a key shorter than
    :data:`MIN_KEY_BYTES` raises :class:`SecretKeyError`)."""
    check_key(key, "the key given")
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
