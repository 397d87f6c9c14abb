"""The region list on the command line: ``python -m survey regions list | add | add-type | add-district | alias |
unalias | rename-en`` (thin shell over :mod:`survey.region_list`)."""

from __future__ import annotations

import click

from survey.cli import _open, cli, db_option, library_errors

kind_option = click.option(
    "--kind",
    type=click.Choice(["region", "customer_type"]),
    default="region",
    show_default=True,
    help="Which list the alias belongs to.",
)


@cli.group("regions")
def regions_cmd() -> None:
    """The region and customer-type list imports map onto (list, add, alias)."""


@regions_cmd.command("list")
@db_option
@click.option(
    "--aliases/--no-aliases", default=True, show_default=True, help="Also list the explicit aliases."
)
@library_errors
def list_cmd(db_path, aliases):
    """Print the regions (English name, districts), the customer types and the aliases."""
    from survey.region_list import list_aliases, list_customer_types, list_regions

    db = _open(db_path)
    for r in list_regions(db):
        click.echo(f"region\t{r.name}\t{r.name_en}\t{'、'.join(r.districts)}")
    for c in list_customer_types(db):
        click.echo(f"customer_type\t{c.name}\t{c.name_en}")
    if aliases:
        for kind, alias, canonical in list_aliases(db):
            click.echo(f"alias\t{kind}\t{alias}\t{canonical}")


@regions_cmd.command("add")
@db_option
@click.argument("name")
@click.option("--en", "name_en", default="", help="English name.")
@click.option("--district", "districts", multiple=True, help="A district (repeat for several).")
@library_errors
def add_cmd(db_path, name, name_en, districts):
    """Add a region to the list."""
    from survey.region_list import add_region

    region = add_region(_open(db_path), name, name_en=name_en, districts=districts, by="cli")
    click.echo(f"added region {region.name}" + (f" ({region.name_en})" if region.name_en else ""))


@regions_cmd.command("add-type")
@db_option
@click.argument("name")
@click.option("--en", "name_en", default="", help="English name.")
@library_errors
def add_type_cmd(db_path, name, name_en):
    """Add a customer type to the list."""
    from survey.region_list import add_customer_type

    add_customer_type(_open(db_path), name, name_en=name_en, by="cli")
    click.echo(f"added customer type {name}")


@regions_cmd.command("add-district")
@db_option
@click.argument("region")
@click.argument("district")
@library_errors
def add_district_cmd(db_path, region, district):
    """Add a district to a region."""
    from survey.region_list import add_district

    add_district(_open(db_path), region, district, by="cli")
    click.echo(f"added district {district} to {region}")


@regions_cmd.command("alias")
@db_option
@click.argument("alias")
@click.argument("canonical")
@kind_option
@library_errors
def alias_cmd(db_path, alias, canonical, kind):
    """Make ALIAS mean the list entry CANONICAL on import (e.g. 泉州电业局 泉州)."""
    from survey.region_list import add_alias

    add_alias(_open(db_path), kind, alias, canonical, by="cli")
    click.echo(f"{kind} alias {alias} → {canonical}")


@regions_cmd.command("unalias")
@db_option
@click.argument("alias")
@kind_option
@library_errors
def unalias_cmd(db_path, alias, kind):
    """Remove an explicit alias."""
    from survey.region_list import remove_alias

    remove_alias(_open(db_path), kind, alias, by="cli")
    click.echo(f"removed {kind} alias {alias}")


@regions_cmd.command("rename-en")
@db_option
@click.argument("name")
@click.argument("name_en")
@kind_option
@library_errors
def rename_en_cmd(db_path, name, name_en, kind):
    """Set the English name of a region (or, with --kind customer_type, a customer type)."""
    from survey.region_list import set_name_en

    set_name_en(_open(db_path), kind, name, name_en, by="cli")
    click.echo(f"{name}: {name_en}")
