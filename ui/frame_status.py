"""The running import's status, said the same way on the frame and rounds pages."""

from __future__ import annotations

from ui.fmt import local_time, md
from ui.i18n import t


def in_progress_message(pending: dict) -> str:
    """ "staff is importing the customer frame (since 21:05) …" for a pending import's mark."""
    by = pending.get("by") or t("role_admin")
    return t("import_in_progress", by=md(by), since=local_time(pending.get("started")))
