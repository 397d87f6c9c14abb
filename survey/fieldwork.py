"""Fieldwork: invitation links — the invitation and reminder lists of a round (within a region scope, masked
for roles that do not call) and the CSV and Excel files staff export from them, audited. Token resolution,
drafts and response submission live in :mod:`survey.responses` (re-exported here).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from survey.privacy import mask_name, mask_phone
from survey.responses import TokenError as TokenError
from survey.responses import TokenInfo as TokenInfo
from survey.responses import resolve_token as resolve_token
from survey.responses import save_draft as save_draft
from survey.responses import submit_by_assignment as submit_by_assignment
from survey.responses import submit_response as submit_response
from survey.store import audit, transaction
from survey.tokens import make_token, secret_key
from survey.users import region_filter

INVITATION_COLUMNS = ("customer_id", "name", "phone", "stratum", "link", "expires_at")
#: The plain SMS-gateway file of ``python -m survey invitations`` (issue 2's contract).
SMS_COLUMNS = ("customer_id", "name", "phone", "link")
#: Outcomes after which a unit gets no invitation or reminder: it was replaced or is not eligible.
INELIGIBLE_STATUSES = ("wrong_number", "not_eligible")
#: Statuses of units that have not answered and may be reminded (refusals are never reminded).
REMINDABLE_STATUSES = ("issued", "started", "non_contact", "callback")
#: Roles that see full names and phone numbers (they make the calls and send the SMS); others see masks.
CONTACT_ROLES = ("staff",)


def full_contact(role: str | None) -> bool:
    """Whether a user of ``role`` may see full names and phone numbers (PIPL: only those who call)."""
    return role in CONTACT_ROLES


def _contact_rows(
    db: sqlite_utils.Database,
    round_id: int,
    base_url: str,
    *,
    full: bool,
    region: str | None,
    extra_where: str = "",
    extra_params: tuple = (),
) -> list[dict]:
    if db.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchone() is None:
        raise LookupError(f"round {round_id!r} does not exist")
    key = secret_key(db)
    base = base_url if base_url.endswith("/") else base_url + "/"
    marks = ", ".join("?" for _ in INELIGIBLE_STATUSES)
    params: list = [round_id, *INELIGIBLE_STATUSES]
    where = ""
    scope_sql, scope_params = region_filter("a.region", region)
    where += scope_sql
    params.extend(scope_params)
    # Only placeholders and fixed SQL fragments are formatted in; every value is a parameter.
    sql = (
        "SELECT a.id, c.id, c.name, c.phone, a.stratum, a.expires_at FROM assignments a"  # noqa: S608
        " JOIN customers c ON c.id = a.customer_id JOIN rounds r ON r.id = a.round_id"
        " WHERE a.round_id = ? AND (a.is_reserve = 0 OR a.released_at IS NOT NULL)"
        f" AND a.status NOT IN ({marks}){where}{extra_where} ORDER BY a.stratum, a.prn"
    )
    rows = db.execute(sql, [*params, *extra_params]).fetchall()
    return [
        {
            "customer_id": cid,
            "name": name if full else mask_name(name),
            "phone": phone if full else mask_phone(phone),
            "stratum": stratum,
            "link": f"{base}?t={make_token(key, aid)}",
            "expires_at": expires_at or "",
        }
        for aid, cid, name, phone, stratum, expires_at in rows
    ]


def invitation_rows(
    db: sqlite_utils.Database,
    round_id: int,
    base_url: str = "http://localhost:8501/",
    *,
    full: bool = True,
    region: str | None = None,
) -> list[dict]:
    """One row per sampled (or released reserve) customer with a personal link ``…?t=<token>`` and its expiry.

    Units found not eligible (wrong number, not eligible) are left out: they were replaced from the
    reserve. ``full=False`` masks names and phones (`survey.privacy`); ``region`` limits the rows to one
    region.
    """
    return _contact_rows(db, round_id, base_url, full=full, region=region)


def reminder_rows(
    db: sqlite_utils.Database,
    round_id: int,
    days: int,
    base_url: str = "http://localhost:8501/",
    *,
    full: bool = True,
    region: str | None = None,
    as_of: str | None = None,
) -> list[dict]:
    """Invitation rows of units that have not answered ``days`` days after their invitation.

    A unit is invited when the round is drawn, or when it is released from the reserve. Units that
    completed, refused or were found not eligible get no reminder; nor do links that have expired.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValueError(f"days must be a non-negative integer, but got {days!r}")
    moment = datetime.fromisoformat(as_of) if as_of else datetime.now(UTC)
    cutoff = (moment - timedelta(days=days)).replace(microsecond=0).isoformat()
    marks = ", ".join("?" for _ in REMINDABLE_STATUSES)
    return _contact_rows(
        db,
        round_id,
        base_url,
        full=full,
        region=region,
        extra_where=f" AND a.status IN ({marks}) AND COALESCE(a.released_at, r.created_at) <= ?"
        " AND (a.expires_at IS NULL OR a.expires_at > ?)",
        extra_params=(*REMINDABLE_STATUSES, cutoff, moment.replace(microsecond=0).isoformat()),
    )


#: Column headers of the files staff open in Excel, per language (the CLI keeps the machine names).
HEADERS = {
    "zh": {"customer_id": "户号", "name": "户名", "phone": "联系电话", "stratum": "分层", "link": "问卷链接",
           "expires_at": "链接有效期至"},
    "en": {"customer_id": "Customer no.", "name": "Name", "phone": "Phone", "stratum": "Stratum",
           "link": "Survey link", "expires_at": "Link valid until"},
}  # fmt: skip


def _local(value: str, tz: str) -> str:
    """A stored UTC time as ``YYYY-MM-DD HH:MM`` in the time zone ``tz`` (invitation files read by people)."""
    from zoneinfo import ZoneInfo

    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def invitations_csv(
    rows: list[dict], columns: tuple[str, ...] = INVITATION_COLUMNS, headers: dict[str, str] | None = None
) -> str:
    """CSV text (UTF-8 with BOM for Excel) of invitation rows; cells that look like formulas are neutralised.
    ``headers`` renames the columns (:data:`HEADERS`)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    if headers:
        writer.writerow({k: headers.get(k, k) for k in columns})
    else:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(row.get(k, "")) for k in columns})
    return out.getvalue()


def invitations_xlsx(
    rows: list[dict], columns: tuple[str, ...] = INVITATION_COLUMNS, headers: dict[str, str] | None = None
) -> bytes:
    """An Excel workbook (.xlsx) of invitation rows, every cell stored as text and neutralised."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "邀请名单" if headers is HEADERS["zh"] else "invitations"
    sheet.append([(headers or {}).get(k, k) for k in columns])
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([str(safe_cell(row.get(k, ""))) for k in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.data_type = "s"  # never a formula, never a number that loses a leading 0
    for letter, width in zip("ABCDEF", (14, 18, 16, 18, 60, 26), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def safe_cell(value: object) -> object:
    """Prefix ``'`` to text starting with = + - @ so spreadsheets do not run it as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_rows(
    db: sqlite_utils.Database,
    rows: list[dict],
    path: str | Path,
    *,
    by: str | None,
    action: str,
    detail: str,
    columns: tuple[str, ...] = INVITATION_COLUMNS,
) -> int:
    """Write rows to ``path`` as .xlsx or (any other suffix) CSV, and audit who exported what."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(invitations_xlsx(rows, columns))
    else:
        path.write_text(invitations_csv(rows, columns), encoding="utf-8")
    with transaction(db):
        audit(db, by, action, f"{detail} rows={len(rows)} file={path.name}")
    return len(rows)


def write_invitations(
    db: sqlite_utils.Database,
    round_id: int,
    path: str | Path,
    *,
    base_url: str,
    by: str | None = None,
    full: bool = True,
    region: str | None = None,
    columns: tuple[str, ...] = INVITATION_COLUMNS,
) -> int:
    """Export a round's invitation list (within the ``region`` scope) to CSV or .xlsx (by suffix); audited.
    Returns the row count."""
    rows = invitation_rows(db, round_id, base_url, full=full, region=region)
    return export_rows(
        db,
        rows,
        path,
        by=by,
        action="export_invitations",
        detail=f"round={round_id} full={int(full)}" + (f" scope={region}" if region else ""),
        columns=columns,
    )


@dataclass(frozen=True)
class ContactFile:
    """A built invitation or reminder list: the file's bytes, its name and type, and its row count."""

    data: bytes
    file_name: str
    mime: str
    rows: int


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def contact_file(
    db: sqlite_utils.Database,
    round_id: int,
    *,
    by: str | None,
    full: bool,
    region: str | None,
    base_url: str = "http://localhost:8501/",
    days: int | None = None,
    fmt: str = "csv",
    columns: tuple[str, ...] = INVITATION_COLUMNS,
    lang: str | None = None,
    tz: str = "Asia/Shanghai",
) -> ContactFile:
    """Build a round's invitation list (``days`` None) or reminder list (``days`` after the invitation) as a
    CSV or Excel file, and audit the export now, at build time, under ``by``.

    With ``lang`` ("zh"/"en") the headers are in that language and the expiry in ``tz`` local time (the
    pages' files); without it the machine columns and UTC, as the CLI writes them.
    The rows are those of ``region`` (the caller's scope; None = all regions); ``full=False`` masks names
    and phones (use :func:`full_contact` of the caller's role). Pages build a file only when the user asks
    for it, so no personal data is served that the audit log does not show.
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt must be 'csv' or 'xlsx', but got {fmt!r}")
    if days is None:
        rows = invitation_rows(db, round_id, base_url, full=full, region=region)
        action, kind = "export_invitations", "invitations"
    else:
        rows = reminder_rows(db, round_id, days, base_url, full=full, region=region)
        action, kind = "export_reminders", f"reminders-{days}d"
    headers = None
    if lang is not None:  # a file people open: headers in their language, times in the local zone
        if lang not in HEADERS:
            raise ValueError(f"lang must be one of {sorted(HEADERS)}, but got {lang!r}")
        headers = HEADERS[lang]
        rows = [{**row, "expires_at": _local(row.get("expires_at") or "", tz)} for row in rows]
    data = (invitations_csv(rows, columns, headers).encode("utf-8") if fmt == "csv"
            else invitations_xlsx(rows, columns, headers))  # fmt: skip
    detail = f"round={round_id} rows={len(rows)} full={int(full)} scope={region or '*'} format={fmt}"
    with transaction(db):
        audit(db, by, action, detail + (f" days={days}" if days is not None else ""))
    return ContactFile(
        data, f"{kind}-round-{round_id}.{fmt}", "text/csv" if fmt == "csv" else XLSX_MIME, len(rows)
    )
