"""Migration 3: every phone-call attempt of the fieldwork (回访记录).

``calls`` keeps one row per attempt — who called, when, the AAPOR-style outcome, an optional
call-back time and a note — so the call history of an assignment is never overwritten; the
assignment's ``status`` holds the latest outcome. ``assignments.replaces_id`` links a released
reserve unit to the ineligible unit it replaces.
"""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    # One statement per execute: executescript() would commit the migration's transaction.
    db.execute(
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            assignment_id INTEGER NOT NULL REFERENCES assignments(id),
            at TEXT NOT NULL,
            interviewer TEXT,
            outcome TEXT NOT NULL,
            callback_at TEXT,
            note TEXT
        )
        """
    )
    db.execute("CREATE INDEX idx_calls_assignment ON calls (assignment_id, at)")
    # A released reserve unit points at the ineligible unit it replaces (one replacement per unit).
    db.execute("ALTER TABLE assignments ADD COLUMN replaces_id INTEGER REFERENCES assignments(id)")
    db.execute(
        "CREATE UNIQUE INDEX idx_assignments_replaces ON assignments (replaces_id) WHERE replaces_id IS NOT NULL"
    )
    db.execute("CREATE INDEX idx_assignments_round_status ON assignments (round_id, status)")
