"""Follow-up queue: one item per response, with round, region and last-change time."""


def apply(db) -> None:
    db.execute("ALTER TABLE follow_ups ADD COLUMN round_id INTEGER REFERENCES rounds(id)")
    db.execute("ALTER TABLE follow_ups ADD COLUMN region TEXT")
    db.execute("ALTER TABLE follow_ups ADD COLUMN updated_at TEXT")
    db.execute("CREATE UNIQUE INDEX idx_follow_ups_response ON follow_ups (response_id)")
    db.execute("CREATE INDEX idx_follow_ups_region_status ON follow_ups (region, status, due_at)")
