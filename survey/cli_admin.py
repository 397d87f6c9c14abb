"""Administration commands: accounts, backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from survey.cli import _open, cli, db_option, library_errors
from survey.store import audit, default_database, default_db_path, transaction


@cli.command("users")
@db_option
@library_errors
def users_cmd(db_path):
    """List accounts (name, role, regions, disabled, locked)."""
    from survey.users import list_users

    for u in list_users(_open(db_path)):
        flags = " ".join(
            x
            for x in (
                "disabled" if u["disabled"] else "",
                f"locked until {u['locked_until']}" if u["locked_until"] else "",
            )
            if x
        )
        click.echo(f"{u['name']}\t{u['role']}\t{u['region'] or '*'}\t{flags}".rstrip())


@cli.command("disable-user")
@db_option
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@library_errors
def disable_user_cmd(db_path, name, enable):
    """Disable an account (or --enable it again)."""
    from survey.users import set_disabled

    set_disabled(_open(db_path), name, not enable, by="cli")
    click.echo(f"{'enabled' if enable else 'disabled'} {name}")


@cli.command("reset-password")
@db_option
@click.argument("name")
@click.password_option(help="New password (prompted when omitted).")
@library_errors
def reset_password_cmd(db_path, name, password):
    """Set a new password for an account and lift a lockout."""
    from survey.users import reset_password

    reset_password(_open(db_path), name, password, by="cli")
    click.echo(f"password reset for {name}")


@cli.command("set-scope")
@db_option
@click.argument("name")
@click.option("--region", "regions", multiple=True, help="Region the user may see (repeat for several).")
@click.option("--all-regions", is_flag=True, help="Remove the region restriction.")
@click.option("--role", default=None, type=click.Choice(["staff", "manager", "admin"]))
@library_errors
def set_scope_cmd(db_path, name, regions, all_regions, role):
    """Change an account's region scope and/or role."""
    from survey.users import set_scope

    if bool(regions) == all_regions:
        raise click.ClickException("give either --region (one or more) or --all-regions")
    set_scope(_open(db_path), name, region=None if all_regions else list(regions), role=role, by="cli")
    click.echo(
        f"{name}: regions {', '.join(regions) if regions else 'all'}" + (f", role {role}" if role else "")
    )


@cli.command("backup")
@db_option
@click.argument("dest", type=click.Path(dir_okay=False))
@library_errors
def backup_cmd(db_path, dest):
    """Copy the live database to DEST (SQLite online backup API, or pg_dump for a PostgreSQL store;
    consistent under writes)."""
    from survey.backup import BackupError, backup

    try:
        out = backup(db_path or default_database(), dest)
    except BackupError as e:
        raise click.ClickException(str(e)) from e
    db = _open(db_path)  # a copy of every customer's personal data: audited (issue 11, item 7)
    with transaction(db):
        audit(db, "cli", "backup", f"dest={Path(out).resolve()} bytes={Path(out).stat().st_size}")
    click.echo(f"backup written to {out} ({Path(out).stat().st_size:,} bytes)")


@cli.command("restore")
@db_option
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@library_errors
def restore_cmd(db_path, source, yes):
    """Replace the database with the backup SOURCE (checked first)."""
    from survey.backup import BackupError, restore

    target = db_path or default_database()
    if not yes:
        click.confirm(f"Replace {target} with {source}?", abort=True)
    try:
        restore(source, target)
    except BackupError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"restored {target} from {source}")


@cli.command("copy-store")
@db_option
@click.option("--to", "target", required=True, help="The new PostgreSQL store: postgresql://user@host/db.")
@library_errors
def copy_store_cmd(db_path, target):
    """Copy the SQLite store into a new PostgreSQL store (all tables, ids, the audit log), verified by row
    counts and per-table checksums; nothing is written unless every table matches."""
    from survey.copy_store import CopyStoreError, copy_store

    try:
        copied = copy_store(db_path or default_db_path(), target, by="cli")
    except CopyStoreError as e:
        raise click.ClickException(str(e)) from e
    for t in copied:
        click.echo(f"{t.table}\t{t.rows}\t{t.checksum[:16]}\tok")
    click.echo(f"copied {len(copied)} tables, {sum(t.rows for t in copied):,} rows; counts and checksums match")
