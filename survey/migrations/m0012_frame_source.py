"""Rounds drawn from an external frame (issue 15): where the frame was, which engine drew it, its fingerprint.

A round drawn with ``draw --frame`` (DuckDB or Spark) loads only its selected customers into ``customers`` (new
ones inactive, so they never join the stored frame's draws or counts) and records here the frame's source
(path or table), kind, row count and fingerprint (file sizes and content or Parquet-footer hashes), the salt's id,
the engine and how many customers it added or refreshed. The round's design keeps the same fingerprint beside its
starts, so the draw can be repeated and audited.
"""


def apply(db) -> None:
    db.execute(
        """
        CREATE TABLE round_frames (
            round_id INTEGER PRIMARY KEY REFERENCES rounds(id),
            engine TEXT NOT NULL,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            rows INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,   -- JSON: files with bytes and sha256 / footer_sha256, prepared or not
            salt_id TEXT NOT NULL,
            customers_added INTEGER NOT NULL DEFAULT 0,
            customers_refreshed INTEGER NOT NULL DEFAULT 0,
            timings TEXT,                -- JSON: seconds per pass
            drawn_at TEXT NOT NULL
        )
        """
    )
