"""Signed-in browser sessions that survive a reload: the server side of the HttpOnly session cookie."""


def apply(db) -> None:
    db.execute(
        "CREATE TABLE web_sessions (sid_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),"
        " created_at TEXT NOT NULL, last_seen TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT,"
        " revoked_why TEXT)"
    )
    db.execute("CREATE INDEX idx_web_sessions_user ON web_sessions (user)")
