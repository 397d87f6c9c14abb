"""Rounds frozen at the draw: every assignment keeps its design and reporting variables as drawn.

A later frame import may move a customer to another region, rename its district or change its type; the
round's results, scopes, follow-ups, monitoring and call lists read these snapshot columns instead of the
customer's current row (issue 10, item 1). Existing assignments are backfilled: the stratum label gives
the values of the stratum columns as drawn; the other variables are taken from the customer as it is now
(the best that is left of an old round).
"""

import json

SNAPSHOT = ("region", "district", "customer_type", "urban_rural")


def apply(db) -> None:
    for column in SNAPSHOT:
        db.execute(f"ALTER TABLE assignments ADD COLUMN {column} TEXT")
    db.execute(
        "UPDATE assignments SET region = c.region, district = c.district, customer_type = c.customer_type,"
        " urban_rural = c.urban_rural FROM customers c WHERE c.id = assignments.customer_id"
    )
    for round_id, design in db.execute("SELECT id, design FROM rounds").fetchall():
        strata = json.loads(design).get("strata", [])
        for pos, column in enumerate(strata):
            if column not in SNAPSHOT:
                continue
            # stratum labels are the stratum values joined by "|" (sampling.select.stratum_key)
            for label in [r[0] for r in db.execute("SELECT DISTINCT stratum FROM assignments WHERE round_id = ?",
                                                    [round_id])]:  # fmt: skip
                parts = label.split("|")
                if len(parts) == len(strata):
                    db.execute(
                        f"UPDATE assignments SET {column} = ? WHERE round_id = ? AND stratum = ?",  # noqa: S608
                        [parts[pos], round_id, label],
                    )
    db.execute("CREATE INDEX idx_assignments_round_region ON assignments (round_id, region)")
