"""Short write locks for big imports: the customers an import adds carry its batch number.

An import adds new customers in chunks of short transactions (customers' drafts and submissions go on between
them) while its batch is pending (setting ``frame_import_pending``); rows of a pending batch are hidden from
counts and draws, and an import that fails or is killed is undone by deleting its batch
(:mod:`survey.frame_apply`). The column stays afterwards: which import added a customer.
"""


def apply(db) -> None:
    db.execute("ALTER TABLE customers ADD COLUMN import_batch INTEGER")
