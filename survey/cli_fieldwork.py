"""Fieldwork commands: reminder lists, progress with AAPOR rates, reserve release, questionnaire versions."""

from __future__ import annotations

import click

from survey.cli import _open, acting_user, as_user_option, cli, db_option, library_errors, scope_for


def _fieldwork_errors():
    from survey.calls import CallError, NoReserve

    return CallError, NoReserve


@cli.command()
@db_option
@click.argument("round_id", type=int)
@click.option(
    "--days", required=True, type=click.IntRange(0, 3650), help="Invited at least this many days ago."
)
@click.option("--base-url", default="http://localhost:8501/", show_default=True)
@click.option("--masked", is_flag=True, help="Mask names and phone numbers.")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="CSV or .xlsx file (by suffix)."
)
@click.option("--region", default=None, help="Only these regions (comma-separated).")
@as_user_option
@library_errors
def reminders(db_path, round_id, days, base_url, masked, output, region, as_user):
    """Write the reminder list: units that have not answered DAYS days after their invitation.

    With --as-user the account's region scope and masking rule apply and the export is audited under its name.
    """
    from survey.fieldwork import export_rows, full_contact, reminder_rows

    db = _open(db_path)
    user = acting_user(db, as_user)
    scope = scope_for(db, region, as_user)
    full = not masked and (user is None or full_contact(user.role))
    rows = reminder_rows(db, round_id, days, base_url, full=full, region=scope)
    n = export_rows(
        db, rows, output, by=user.name if user else "cli", action="export_reminders",
        detail=f"round={round_id} days={days} full={int(full)} scope={scope or '*'}",
    )  # fmt: skip
    click.echo(f"wrote {n} reminders to {output}", err=True)


@cli.command()
@db_option
@click.argument("round_id", type=int)
@click.option("--region", default=None, help="Only this region's customers.")
@library_errors
def progress(db_path, round_id, region):
    """Fieldwork progress per stratum: dispositions and AAPOR RR1, RR3, COOP1, REF1, CON1."""
    from survey.monitoring import round_progress

    table = round_progress(_open(db_path), round_id, region=region).table()
    click.echo(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


@cli.command("release-reserve")
@db_option
@click.argument("assignment_id", type=int)
@library_errors
def release_reserve_cmd(db_path, assignment_id):
    """Replace an ineligible unit (wrong number / not eligible) with the next reserve unit of its stratum."""
    from survey.calls import release_reserve

    try:
        released = release_reserve(_open(db_path), assignment_id, "cli")
    except _fieldwork_errors() as e:
        raise click.ClickException(str(e)) from e
    click.echo(
        f"released assignment {released.assignment_id} (customer {released.customer_id}, {released.stratum})"
    )


@cli.command("import-questionnaire")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@library_errors
def import_questionnaire_cmd(db_path, file):
    """Validate a YAML or XLSForm questionnaire and store it as a new version; prints its id."""
    from pathlib import Path

    from survey.forms import import_questionnaire

    result = import_questionnaire(
        _open(db_path, create=True), Path(file).read_bytes(), Path(file).name, by="cli"
    )
    q = result.questionnaire
    click.echo(f"{'stored new' if result.created else 'already stored'} version {q.id} {q.version} "
               f"({q.sha256()[:12]}, {len(q.questions)} questions)", err=True)  # fmt: skip
    click.echo(result.questionnaire_id)
