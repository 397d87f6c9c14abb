"""``python -m survey``: a thin command-line shell over the ``survey`` library.

Each command opens the database, calls one library function and turns library errors into
one line on stderr with a non-zero exit (like sqlite-utils' CLI).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from survey.busy import BUSY_MESSAGE, DatabaseBusy, is_locked
from survey.store import StoreError, database_errors, default_database, open_db

db_option = click.option(
    "--db",
    "--database-url",
    "db_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite database file or postgresql://user@host/db URL (default: $SURVEY_DATABASE_URL, $SURVEY_DB or"
    " data/survey.db).",
)


def library_errors(fn):
    """Turn expected library exceptions into ``click.ClickException`` (one line, exit 1).

    A locked database (another process holds the write lock past the busy timeout) is the one line
    ``database is busy (locked by another process); try again``; any other SQLite error is one line too.
    """
    from questionnaires import AnswerError, QuestionnaireError
    from survey.fieldwork import TokenError
    from survey.frame_apply import ImportInProgress
    from survey.rounds import DrawError
    from survey.users import UserError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (DatabaseBusy, *database_errors()) as e:
            raise click.ClickException(_database_error(e)) from e
        except StoreError as e:  # open_db's "not a usable SQLite database" may only mean "locked"
            raise click.ClickException(_database_error(e) if _locked(e) else str(e)) from e
        except (
            DrawError,
            ImportInProgress,
            UserError,
            TokenError,
            QuestionnaireError,
            AnswerError,
            LookupError,
            ValueError,
            OSError,
        ) as e:
            raise click.ClickException(str(e)) from e

    return wrapper


def _locked(error: BaseException | None) -> bool:
    """True when ``error`` or what caused it is a locked database."""
    while error is not None:
        if isinstance(error, DatabaseBusy) or is_locked(error):
            return True
        error = error.__cause__
    return False


def _database_error(error: BaseException) -> str:
    """One line for a database failure: busy (locked) or SQLite's own first line."""
    if _locked(error):
        return BUSY_MESSAGE
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"database error: {first}"


class _OneLineErrors(click.Group):
    """The command group: a database failure in a command without :func:`library_errors` (backup,
    restore, …) is one line as well, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (DatabaseBusy, *database_errors()) as e:
            raise click.ClickException(_database_error(e)) from e
        except click.ClickException as e:  # e.g. BackupError / StoreError text that only means "locked"
            if _locked(e.__cause__):
                raise click.ClickException(BUSY_MESSAGE) from e
            raise


def _open(db_path: str | None, *, create: bool = False):
    return open_db(db_path or default_database(), create=create)


as_user_option = click.option(
    "--as-user",
    "as_user",
    default=None,
    help="Apply this account's region scope (what a scoped manager may see and export).",
)


def scope_for(db, region: str | None, as_user: str | None) -> str | None:
    """The region scope of a CLI call: ``--region`` within ``--as-user``'s scope (role AND region).

    ``--region`` naming no region (``""``, ``","``) is an error, never "all regions"; without ``--region``
    the scope is the account's (or all regions without ``--as-user``).
    """
    from survey.users import current_user, parse_regions

    asked = parse_regions(region)  # UserError for a blank region: one line on stderr
    if as_user is None:
        return ",".join(asked) if asked else None
    user = current_user(db, as_user)
    if user is None:
        raise click.ClickException(f"user {as_user!r} does not exist or is disabled")
    allowed = user.regions
    if allowed == ():
        raise click.ClickException(
            f"user {as_user!r} has a region scope naming no region; fix it with set-scope"
        )
    if asked is None:
        return user.region if allowed is None else ",".join(allowed)
    if allowed is not None and not set(asked) <= set(allowed):
        raise click.ClickException(f"user {as_user!r} may not see region {region!r} (scope: {user.region})")
    return ",".join(asked)
    user = current_user(db, as_user)
    if user is None:
        raise click.ClickException(f"user {as_user!r} does not exist or is disabled")
    allowed = user.regions
    if region is None:
        return user.region
    asked = parse_regions(region) or ()
    if allowed is not None and not set(asked) <= set(allowed):
        raise click.ClickException(f"user {as_user!r} may not see region {region!r} (scope: {user.region})")
    return region


def acting_user(db, as_user: str | None):
    """The account named by ``--as-user`` (its role and region scope apply), or None: the operator."""
    from survey.users import current_user

    if as_user is None:
        return None
    user = current_user(db, as_user)
    if user is None:
        raise click.ClickException(f"user {as_user!r} does not exist or is disabled")
    return user


@click.group(cls=_OneLineErrors)
@click.version_option("0.1.0", prog_name="survey")
def cli() -> None:
    """Power-supply customer-satisfaction survey system (供电服务满意度抽样调查系统)."""


@cli.command()
@db_option
@click.argument("round_id", type=int)
@click.option("--base-url", default="http://localhost:8501/", show_default=True)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="CSV or .xlsx file (default stdout).",
)
@click.option("--with-expiry", is_flag=True, help="Add the stratum and expires_at columns.")
@click.option("--region", default=None, help="Only these regions (comma-separated).")
@click.option("--masked", is_flag=True, help="Mask names and phone numbers.")
@as_user_option
@library_errors
def invitations(db_path, round_id, base_url, output, with_expiry, region, masked, as_user):
    """Write the invitation CSV (customer_id,name,phone,link) of a round (audited, stdout too).

    With --as-user the account's region scope and masking rule apply (full names and phones for staff only)
    and the export is audited under its name.
    """
    from survey.fieldwork import (
        INVITATION_COLUMNS,
        SMS_COLUMNS,
        contact_file,
        full_contact,
        write_invitations,
    )

    db = _open(db_path)
    user = acting_user(db, as_user)
    scope = scope_for(db, region, as_user)
    full = not masked and (user is None or full_contact(user.role))
    by = user.name if user else "cli"
    columns = INVITATION_COLUMNS if with_expiry else SMS_COLUMNS
    if output:
        n = write_invitations(
            db, round_id, output, base_url=base_url, by=by, full=full, region=scope, columns=columns
        )
        click.echo(f"wrote {n} invitations to {output}", err=True)
    else:
        built = contact_file(db, round_id, by=by, full=full, region=scope, base_url=base_url, columns=columns)
        click.echo(built.data.decode("utf-8").lstrip("\ufeff"), nl=False)


@cli.command()
@db_option
@click.argument("round_id", type=int)
@click.option("--item", default="overall", show_default=True)
@click.option(
    "--region", default=None, help="Only these regions (comma-separated); the overall row is theirs."
)
@as_user_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@library_errors
def report(db_path, round_id, item, region, as_user, as_json):
    """Per-region weighted estimates (mean score with 95% CI; small_cell below the minimum base) of a round."""
    from survey.results import region_estimates, responses_frame, scope_mask

    db = _open(db_path)
    scope = scope_for(db, region, as_user)
    frame = responses_frame(db, round_id)
    mask = scope_mask(frame, scope)  # the scope is a domain of the round's design
    if not mask.any():
        raise click.ClickException(f"round {round_id} has no responses" + (f" in {scope}" if scope else ""))
    table = region_estimates(frame, item, domain=mask)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "round_id": round_id,
                    "item": item,
                    "scope": scope,
                    "regions": table.to_dict(orient="records"),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        click.echo(table.to_string(index=False))


@cli.command("create-user")
@db_option
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["staff", "manager", "admin"]))
@click.option(
    "--region", "regions", multiple=True,
    help="Region the user may see (repeat, or comma-separate, for several).",
)  # fmt: skip
@click.option("--all-regions", is_flag=True, help="No region restriction (an admin has it without the flag).")
@click.password_option(help="Password (prompted when omitted).")
@library_errors
def create_user_cmd(db_path, name, role, regions, all_regions, password):
    """Create a staff, manager or admin account.

    Staff and managers need --region (one or more) or --all-regions; an admin sees all regions unless
    --region restricts it.
    """
    from survey.users import create_user

    if regions and all_regions:
        raise click.ClickException("give either --region (one or more) or --all-regions, not both")
    if not regions and not all_regions and role != "admin":
        raise click.ClickException(f"a {role} account needs --region (one or more) or --all-regions")
    user = create_user(
        _open(db_path, create=True), name, role, password, region=list(regions) or None, by="cli"
    )
    click.echo(f"created {role} {name}" + (f" ({user.region})" if user.region else " (all regions)"))


def _load_command_modules() -> None:
    """Feature areas add commands in ``survey/cli_<area>.py`` (importing ``cli`` from here)."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("cli_"):
            importlib.import_module(f"survey.{info.name}")


_load_command_modules()

if __name__ == "__main__":  # pragma: no cover
    cli()
