"""Reading the audit log (admins only)."""

from __future__ import annotations

import pandas as pd
import sqlite_utils


def audit_entries(
    db: sqlite_utils.Database,
    *,
    user: str | None = None,
    action: str | None = None,
    since: str | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """Newest first; filters combine with AND. ``since`` is an ISO date or timestamp."""
    where, params = [], []
    if user:
        where.append("user = ?")
        params.append(user)
    if action:
        where.append("action = ?")
        params.append(action)
    if since:
        where.append("at >= ?")
        params.append(since)
    sql = "SELECT id, at, user, action, detail FROM audit_log"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY id DESC LIMIT ?"
    rows = db.execute(sql, [*params, int(limit)]).fetchall()
    return pd.DataFrame(rows, columns=["id", "at", "user", "action", "detail"])


def audit_actions(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log ORDER BY action")]
