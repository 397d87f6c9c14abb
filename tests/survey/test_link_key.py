"""Issue 11, item 1: the key behind the customers' links is never empty or short, and is written atomically.

The finding: a ``secret.key`` left empty by a full disk was accepted, and every link was then an HMAC under
the empty key that anyone can compute. The sweep: every source of the key (the file, ``$SURVEY_SECRET``) and
every place that signs or needs it (the draw, invitations, reminders, ``make_token``, the CLI, the app's
start-up) refuses a key shorter than 32 bytes.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey import tokens
from survey.cli import cli
from survey.store import open_db
from survey.tokens import MIN_KEY_BYTES, SecretKeyError, make_token, secret_key

ROOT = Path(__file__).resolve().parents[2]
SHORT_KEYS = [b"", b"\n", b"   \n", b"0123456789abcdef", b"x" * (MIN_KEY_BYTES - 1)]


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch):
    monkeypatch.delenv("SURVEY_SECRET", raising=False)


def test_empty_key_file_is_refused_not_used_to_sign(demo_path):
    """The finding itself: an empty secret.key made every link computable (HMAC under b"")."""
    (demo_path.parent / "secret.key").write_bytes(b"")
    db = open_db(demo_path)
    with pytest.raises(SecretKeyError, match=r"secret\.key.*0 bytes.*at least 32"):
        secret_key(db)
    with pytest.raises(SecretKeyError):
        make_token(b"", 1)


@pytest.mark.parametrize("content", SHORT_KEYS)
def test_short_key_file_is_refused(fresh_db, tmp_path, content):
    (tmp_path / "secret.key").write_bytes(content)
    with pytest.raises(SecretKeyError, match="at least 32"):
        secret_key(fresh_db)


@pytest.mark.parametrize("value", ["short", " " * 40, "a" * (MIN_KEY_BYTES - 1)])
def test_short_environment_key_is_refused(fresh_db, monkeypatch, value):
    monkeypatch.setenv("SURVEY_SECRET", value)
    with pytest.raises(SecretKeyError, match=r"\$SURVEY_SECRET.*at least 32"):
        secret_key(fresh_db)


def test_long_environment_key_is_used_as_given(fresh_db, monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_SECRET", "k" * 32)
    assert secret_key(fresh_db) == b"k" * 32
    assert not (tmp_path / "secret.key").exists()


@pytest.mark.parametrize("key", SHORT_KEYS)
def test_make_token_refuses_a_short_key(key):
    with pytest.raises(SecretKeyError):
        make_token(key, 7)
    assert len(make_token(b"k" * MIN_KEY_BYTES, 7)) == tokens.TOKEN_LENGTH


def test_new_key_is_64_hex_characters_mode_0600_and_stable(fresh_db, tmp_path):
    key = secret_key(fresh_db)
    path = tmp_path / "secret.key"
    assert re.fullmatch(rb"[0-9a-f]{64}", key) and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(fresh_db) == key
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".secret.key.")]  # no temp file left


def test_a_failed_write_leaves_no_key_file(fresh_db, tmp_path, monkeypatch):
    """A full disk while writing the key: no (empty) secret.key stays behind, and the error is clear."""

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tokens.os, "fsync", disk_full)
    with pytest.raises(SecretKeyError, match="cannot create the link key.*No space left"):
        secret_key(fresh_db)
    assert not (tmp_path / "secret.key").exists()
    assert list(tmp_path.glob(".secret.key.*")) == []
    monkeypatch.undo()
    assert len(secret_key(fresh_db)) == 64  # the next attempt creates a good key


def test_concurrent_first_use_agrees_on_one_key(fresh_db, database_target, tmp_path):
    """Several processes creating the key at once must not sign with different keys (link, never replace)."""
    keys, errors, barrier = [], [], threading.Barrier(8, timeout=60)

    def make():
        try:
            db = open_db(database_target)
        except Exception as e:  # a thread that cannot open must fail the test, not leave the others waiting
            errors.append(e)
            barrier.abort()
            return
        try:
            barrier.wait()
            keys.append(secret_key(db))
        except Exception as e:
            errors.append(e)
        finally:
            db.conn.close()

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(keys) == 8 and len(set(keys)) == 1 and keys[0] == (tmp_path / "secret.key").read_bytes()


# --- sweep: every consumer of the key refuses a short one --------------------------------------------


def _consumers():
    from survey.fieldwork import invitation_rows, reminder_rows
    from survey.rounds import draw_round

    return {
        "draw_round": lambda db: draw_round(db, size=20, strata=("region",), created_by="t"),
        "invitation_rows": lambda db: invitation_rows(db, 2, "http://x/"),
        "reminder_rows": lambda db: reminder_rows(db, 2, 0, "http://x/"),
        "secret_key": secret_key,
    }


@pytest.mark.parametrize("consumer", sorted(_consumers()))
@pytest.mark.parametrize("source", ["file", "env"])
def test_every_consumer_refuses_a_short_key(demo_path, monkeypatch, consumer, source):
    if source == "file":
        (demo_path.parent / "secret.key").write_bytes(b"")
    else:
        monkeypatch.setenv("SURVEY_SECRET", "too short")
    db = open_db(demo_path)
    before = db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0]
    with pytest.raises(SecretKeyError):
        _consumers()[consumer](db)
    assert db.execute("SELECT COUNT(*) FROM rounds").fetchone()[0] == before  # nothing drawn


def test_only_tokens_reads_the_key():
    """Every read of the key goes through survey.tokens.secret_key (which checks it): no module reads
    $SURVEY_SECRET or secret.key itself, and every make_token in the app is given secret_key()'s result."""
    offenders = []
    for p in [*ROOT.glob("survey/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("app_pages/*.py")]:
        if p.name == "tokens.py":
            continue
        text = p.read_text(encoding="utf-8")
        if re.search(r"['\"](SURVEY_SECRET|secret\.key)['\"]", text):
            offenders.append(str(p.relative_to(ROOT)))
        for m in re.finditer(r"make_token\((\w+)", text):
            if m.group(1) != "key" or "key = secret_key(" not in text:
                offenders.append(f"{p.relative_to(ROOT)}: make_token({m.group(1)}")
    assert not offenders


@pytest.mark.parametrize("args", [["invitations", "2"], ["draw", "--size", "20", "--strata", "region"]])
def test_cli_says_so_in_one_line(demo_path, args):
    (demo_path.parent / "secret.key").write_bytes(b"")
    result = CliRunner().invoke(cli, [*args, "--db", str(demo_path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "link key" in lines[0] and "at least 32" in lines[0], result.output


def test_key_file_created_in_a_new_private_folder(tmp_path):
    db = open_db(tmp_path / "new" / "survey.db")
    secret_key(db)
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "new" / "secret.key").stat().st_mode) == 0o600
    assert os.access(tmp_path / "new" / "secret.key", os.R_OK)
