"""Sign-in lockout and session bookkeeping for accounts."""


def apply(db) -> None:
    db.execute("ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE users ADD COLUMN locked_until TEXT")
    db.execute("ALTER TABLE users ADD COLUMN last_sign_in TEXT")
    db.execute("CREATE INDEX idx_audit_log_at ON audit_log (at)")
