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
@as_user_option
@click.option("--by", "user", default=None, help="Who exports (written to the audit log).")
@click.argument("out", type=click.Path(dir_okay=False))
@library_errors
def report_cmd(db_path, round_id, item, region, as_user, user, out):
    """Write the dashboard tables of a round to an Excel workbook (one sheet per table; audited)."""
    from survey.results import dashboard_statistics, export_tables, likert_items, responses_frame, scope_mask

    db = _open(db_path)
    acting = acting_user(db, as_user)
    if acting is not None and user is not None and user != acting.name:
        raise click.ClickException(f"--by {user!r} and --as-user {as_user!r} name different accounts")
    user = acting.name if acting is not None else (user or "cli")  # audited under the acting user
    region = scope_for(db, region, as_user)
    frame = responses_frame(db, round_id)
    mask = scope_mask(frame, region)  # the scope is a domain of the round's design
    if not mask.any():
        raise click.ClickException(f"round {round_id} has no responses{' in ' + region if region else ''}")
    stats = dashboard_statistics(frame, list(likert_items(db, round_id)), item, domain=mask,
                                 group="district" if region else "region")  # fmt: skip
    tables = {"indicators": stats.indicators, "pairs": stats.all_pairs, "drill_down": stats.drill}
    data = export_tables(
        db, tables, user=user, detail=f"round={round_id} scope={region or 'all'} item={item} cli"
    )
    Path(out).write_bytes(data)
    click.echo(f"{out}: {len(tables)} sheets, {stats.n} responses")


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
