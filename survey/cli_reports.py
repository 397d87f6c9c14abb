"""Report commands: the dashboard workbook and the follow-up queue."""

from __future__ import annotations

from pathlib import Path

import click

from survey.cli import _open, acting_user, as_user_option, cli, db_option, library_errors, scope_for


@cli.command("export-report")
@db_option
@click.option("--round", "round_id", required=True, type=int, help="Round id.")
@click.option("--item", default="overall", show_default=True, help="Likert item compared between groups.")
@click.option("--region", default=None, help="Limit to one region (comparison then by district).")
@click.option("--type", "customer_type", default=None, help="Limit to one customer type (e.g. 居民).")
@click.option(
    "--poststratify", is_flag=True, help="Post-stratify to the customers per region × type at the draw."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "json"]),
    default="xlsx",
    show_default=True,
    help="xlsx: the manager's report; csv (a zip of one file per table) or json: the same tables for analysts.",
)
@click.option(
    "--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Language of the report."
)
@as_user_option
@click.option("--by", "user", default=None, help="Who exports (written to the audit log).")
@click.argument("out", type=click.Path(dir_okay=False))
@library_errors
def report_cmd(db_path, round_id, item, region, customer_type, poststratify, fmt, lang, as_user, user, out):
    """Write a round's dashboard report: a manager-ready Excel workbook (cover with the findings and methods,
    one sheet per table, in --lang), or the analysts' tables as CSV or JSON (audited)."""
    from survey.report import ReportView, export_report

    db = _open(db_path)
    acting = acting_user(db, as_user)
    if acting is not None and user is not None and user != acting.name:
        raise click.ClickException(f"--by {user!r} and --as-user {as_user!r} name different accounts")
    user = acting.name if acting is not None else (user or "cli")  # audited under the acting user
    scope = (
        scope_for(db, None, as_user) if as_user else None
    )  # the account's scope; --region is a filter in it
    chosen = scope_for(db, region, as_user) if region is not None else None
    view = ReportView(round_id, item, scope=scope, region=chosen, customer_type=customer_type,
                      poststratify=poststratify)  # fmt: skip
    data = export_report(db, view, fmt=fmt, lang=lang, user=user, channel="cli")
    Path(out).write_bytes(data)
    click.echo(f"{out}: {fmt} report of round {round_id} ({view.group} comparison)")


@cli.command("follow-ups")
@db_option
@click.option("--round", "round_id", type=int, default=None, help="Backfill this round first.")
@click.option("--region", default=None, help="Only this region.")
@as_user_option
@click.option("--status", type=click.Choice(["open", "contacted", "resolved"]), default=None)
@library_errors
def follow_ups_cmd(db_path, round_id, region, as_user, status):
    """Open missing follow-up items of a round, then list the queue (names and phones masked)."""
    from survey.follow_ups import FollowUpError, list_follow_ups, sync_follow_ups

    db = _open(db_path)
    region = scope_for(db, region, as_user)
    try:
        if round_id is not None:  # backfilled within the caller's scope only
            click.echo(f"created {sync_follow_ups(db, round_id, region=region)} follow-up item(s)")
        for row in list_follow_ups(db, region=region, status=status).itertuples():
            flag = "OVERDUE" if row.overdue else ""
            click.echo(
                f"{row.id}\t{row.region}\t{row.status}\t{row.due_at[:10]}\t{row.phone}\t{row.reason}\t{flag}".rstrip()
            )
    except FollowUpError as e:
        raise click.ClickException(str(e)) from e
