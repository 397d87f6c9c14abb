"""Suggestion topics by a trained model (issue 13): versioned models, the stored classification of each
response's suggestion (with the model version that produced it) and staff corrections."""


def apply(db) -> None:
    db.execute(
        "CREATE TABLE topic_models (version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, created_by TEXT,"
        " data_hash TEXT NOT NULL, n_train INTEGER NOT NULL, n_corrections INTEGER NOT NULL DEFAULT 0,"
        " scores TEXT NOT NULL, settings TEXT NOT NULL, library TEXT NOT NULL, model BLOB NOT NULL)"
    )
    db.execute(
        "CREATE TABLE suggestion_topics (response_id INTEGER PRIMARY KEY REFERENCES responses(id),"
        " round_id INTEGER NOT NULL REFERENCES rounds(id), model_version TEXT NOT NULL,"
        " prediction TEXT NOT NULL, classified_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_suggestion_topics_round ON suggestion_topics (round_id, model_version)")
    db.execute(
        "CREATE TABLE topic_corrections (response_id INTEGER PRIMARY KEY REFERENCES responses(id),"
        " round_id INTEGER NOT NULL REFERENCES rounds(id), region TEXT, labels TEXT NOT NULL,"
        " complaint INTEGER NOT NULL CHECK (complaint IN (0, 1)), praise INTEGER NOT NULL CHECK (praise IN (0, 1)),"
        " corrected_by TEXT NOT NULL, corrected_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX idx_topic_corrections_round ON topic_corrections (round_id)")
