"""Schema migrations 2, 3, …: one module ``mNNNN_<name>.py`` each, exposing ``apply(db)``.

Each runs once, in its own transaction, in number order (see ``survey.store.migrate``).
Append only; never edit a migration that has been released.
"""
