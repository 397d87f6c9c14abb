"""Sampling commands: import a customer frame onto the region list, design and draw a round (from the store, or
from a frame file or table through DuckDB or Spark), prepare a Parquet frame for fast draws."""

from __future__ import annotations

import click

from survey.cli import _open, acting_user, cli, db_option, library_errors


@cli.command("import-frame")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default=None, help="CSV encoding (default: detect UTF-8 / GB18030).")
@click.option("--sheet", default=None, help="Excel sheet name.")
@click.option(
    "--region-map",
    "region_map",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="CSV (kind,alias,canonical or alias,region) or YAML file mapping written values onto the list; "
    "the aliases are kept.",
)
@click.option("--add-regions", is_flag=True, help="Add the unknown regions to the list as new regions.")
@click.option("--add-types", is_flag=True, help="Add the unknown customer types to the list as new types.")
@click.option("--dry-run", is_flag=True, help="Validate and print the impact; write nothing.")
@click.option(
    "--as-user",
    "as_user",
    default=None,
    help="Import as this account: a region-scoped one imports only its regions' rows and deactivates only there.",
)
@library_errors
def import_frame(db_path, file, encoding, sheet, region_map, add_regions, add_types, dry_run, as_user):
    """Validate and import a customer frame (CSV or XLSX) onto the region list; all or nothing.

    Regions and customer types are mapped onto the list (usual aliases such as 泉州市供电公司 → 泉州 are
    recognised); an unknown one stops the import unless --region-map maps it or --add-regions /
    --add-types adds it. The file is read in chunks (memory bounded whatever its size) and staged on disk
    before anything is written; big imports write in short transactions (customers keep answering).
    """
    from sampling.places import PlaceChoices
    from survey.frame_file_import import drop_staged, import_staged, stage_file, staged_impact
    from survey.frame_import import adding_unknown, load_place_map

    db = _open(db_path, create=True)
    user = acting_user(db, as_user)
    scope = user.region if user else None
    choices = load_place_map(region_map) if region_map else PlaceChoices()
    staged = stage_file(db, file, choices=choices, encoding=encoding, sheet=sheet, scope=scope)
    result = staged.result
    kinds = [k for k, wanted in (("region", add_regions), ("customer_type", add_types)) if wanted]
    if not result.ok and kinds and any(u.column in kinds for u in result.unknown):
        choices = choices.merged(adding_unknown(result, kinds))
        staged = stage_file(db, file, choices=choices, encoding=encoding, sheet=sheet, scope=scope)
        result = staged.result
    if not result.ok:
        places = {"unknown_region", "unknown_customer_type"} if result.unknown else set()
        for u in result.unknown:
            click.echo(f"{file}: {u.describe('en')}", err=True)
        for p in [p for p in result.problems if p.code not in places][:20]:
            where = ", ".join(
                x
                for x in (
                    f"row {p.row}" if p.row else "",
                    p.column or "",
                    f"value {p.value!r}" if p.value else "",
                )
                if x
            )
            click.echo(f"{file}: {where}: {p.message_en}", err=True)
        hint = ""
        if result.unknown:
            hint = (
                f"; {len(result.unknown)} value(s) not in the region list: map them with --region-map FILE"
                " or add them with --add-regions / --add-types (see `python -m survey regions list`)"
            )
        raise click.ClickException(f"{file}: {result.problem_count} problem(s); nothing was imported{hint}")
    impact = staged_impact(db, staged)
    for kind, name in choices.new:
        click.echo(f"new {kind.replace('_', ' ')}: {name}", err=True)
    if dry_run:
        drop_staged(db)
        click.echo(
            f"would add {impact.added}, update {impact.updated} (moved to another region {impact.moved}),"
            f" deactivate {impact.deactivated}; nothing was written"
        )
        return
    summary = import_staged(
        db, staged, allow_deactivation=True, by=user.name if user else "cli", by_user=user,
    )  # fmt: skip
    click.echo(
        f"added {summary.added}, updated {summary.updated}, deactivated {summary.deactivated}"
        f" (moved to another region {summary.moved})"
    )


@cli.command()
@db_option
@click.option("--size", default=None, type=int, help="Total sample size (or use --margin).")
@click.option(
    "--margin", default=None, type=float, help="Size for ±margin overall (e.g. 0.05), or per region."
)
@click.option(
    "--per-region", is_flag=True, help="With --margin: ±margin in every region, allocated within it."
)
@click.option("--confidence", default=0.95, show_default=True, type=float)
@click.option("--response-rate", default=1.0, show_default=True, type=float, help="Expected response rate.")
@click.option("--strata", default="region,customer_type", show_default=True)
@click.option("--allocation", default="proportional", show_default=True)
@click.option("--power", default=None, type=float, help="Bankier exponent for --allocation power.")
@click.option(
    "--minimum", default=2, show_default=True, type=int,
    help="Minimum sample per stratum (2: what a stratum's variance needs; 0 allows empty strata, with a warning).",
)  # fmt: skip
@click.option(
    "--cost", "costs", multiple=True, metavar="KEY=C",
    help="With --allocation optimal: cost of one interview in a stratum (福州|大工业=4) or for a stratum value "
    "(大工业=4); repeatable; the others cost 1.",
)  # fmt: skip
@click.option("--reserve", default=0, show_default=True, type=int, help="Reserve units per stratum.")
@click.option("--exclude-days", default=None, type=int, help="Skip customers sampled in the last K days.")
@click.option("--survey", default="default", show_default=True, help="Survey whose rounds are coordinated.")
@click.option("--name", default=None)
@click.option(
    "--as-user", "as_user", default=None,
    help="Draw as this account (staff or admin of all regions only; audited under its name).",
)  # fmt: skip
@click.option(
    "--frame", "frame", type=click.Path(exists=True), default=None,
    help="Draw from this frame instead of the stored one: a .parquet file, a folder of Parquet files or a "
    ".csv file (UTF-8); only the selected customers are loaded.",
)  # fmt: skip
@click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default=None,
    help="Engine that runs the PRN rule on --frame or --table (default duckdb for --frame, spark for --table).",
)  # fmt: skip
@click.option("--spark-master", default=None, help="Spark master URL (default $SPARK_MASTER, else local[2]).")
@click.option("--table", default=None, help="With --engine spark: a table of the catalog, e.g. db.customers.")
@library_errors
def draw(db_path, size, margin, per_region, confidence, response_rate, strata, allocation, power, minimum,
         costs, reserve, exclude_days, survey, name, as_user, frame, engine, spark_master, table):  # fmt: skip
    """Draw a stratified PRN sample; prints the planned margin and the new round's id on the last line.

    With --frame or --table the engine (DuckDB or Spark) counts N_h and selects the sample and reserve where
    the frame is; the same rule gives the sample the stored frame would give.
    """
    from survey.design import design_sd, previous_sd
    from survey.rounds import draw_round

    cols = tuple(s.strip() for s in strata.split(",") if s.strip())
    cost = _parse_costs(costs) if costs else None
    if cost is not None and allocation != "optimal":
        raise click.ClickException(
            f"--cost is used only by --allocation optimal, but got --allocation {allocation}"
        )
    external = frame is not None or table is not None
    db = _open(db_path, create=external)  # a frame drawn where it lives needs no imported frame
    user = acting_user(db, as_user)
    if user is not None:  # refused before any planning output
        from survey.access import STAFF_ROLES, require_all_regions, require_role

        require_role(user, STAFF_ROLES, "drawing a round")
        require_all_regions(user, "drawing a round")
    if not external and (engine or spark_master):
        raise click.UsageError("--engine and --spark-master are for --frame or --table")
    sd = None
    if allocation in ("neyman", "optimal"):
        found = design_sd(db, cols, survey=survey)
        if allocation == "neyman" and found.source != "previous_round":
            click.echo("no closed round to take stratum SDs from: using proportional allocation", err=True)
            allocation = "proportional"
        else:
            # an external frame's strata are not the store's: the pooled SD ("*") fills the others
            sd = (
                (previous_sd(db, cols, survey=survey) if found.source == "previous_round" else None)
                if external
                else found.values
            )
            click.echo(
                f"S_h from round {found.round_id}'s overall scores (the last closed round of survey {survey!r})"
                if found.source == "previous_round"
                else f"S_h = 0.5 in every stratum (a proportion at p = 0.5): survey {survey!r} has no closed round",
                err=True,
            )
    design = dict(
        size=size, margin=margin, per_region=per_region, confidence=confidence, response_rate=response_rate,
        strata=cols, allocation=allocation, power=power, minimum=minimum, sd=sd, cost=cost, reserve=reserve,
        exclude_days=exclude_days, survey=survey, name=name, created_by=user.name if user else "cli", by_user=user,
    )  # fmt: skip
    if external:
        result = _draw_external(db, frame, table, engine, spark_master, design)
    else:
        result = draw_round(db, **design)
    click.echo(
        f"Drew {result.sample_size} customers (+{result.reserve_size} reserve) in {len(result.strata)} strata"
    )
    _echo_plan(result.plan, per_region=per_region and margin is not None)
    click.echo(result.round_id)


def _draw_external(db, frame, table, engine, spark_master, design):
    """``draw --frame/--table``: the engine's draw, every problem of the frame on its own line on stderr."""
    from sampling.engines import open_engine
    from survey.external_frames import FrameProblems, draw_from_frame

    engine = engine or ("spark" if table is not None else "duckdb")
    with open_engine(engine, frame, table=table, spark_master=spark_master) as source:
        try:
            result = draw_from_frame(db, source, **design)
        except FrameProblems as e:
            _echo_problems(e)
            raise click.ClickException(
                f"{e.source}: {e.total} problem(s) in the frame; nothing was drawn"
            ) from e
    timings = db.execute("SELECT timings FROM round_frames WHERE round_id = ?", [result.round_id]).fetchone()
    click.echo(f"{engine}: {timings[0] if timings else ''}", err=True)
    return result


def _echo_problems(e) -> None:
    for p in e.problems:
        click.echo(p.describe("en"), err=True)
    if e.total > sum(p.count for p in e.problems):
        click.echo(f"… {e.total - sum(p.count for p in e.problems)} more", err=True)


@cli.command("prepare-frame")
@db_option
@click.argument("frame", type=click.Path(exists=True))
@click.argument("out", type=click.Path(exists=False, dir_okay=False))
@click.option(
    "--strata", default="region,customer_type", show_default=True, help="Strata the copy is sorted by."
)
@library_errors
def prepare_frame_command(db_path, frame, out, strata):
    """Write OUT, a Parquet copy of FRAME with its PRN column, sorted by stratum and PRN in small row groups.

    A later `draw --frame OUT` with the same strata reads only the row groups it needs and no row for N_h
    (unless --exclude-days asks which customers were sampled recently). The PRNs use this database's salt.
    """
    from sampling.engines import open_engine
    from survey.external_frames import FrameProblems
    from survey.frame_prepare import prepare_frame

    db = _open(db_path, create=True)
    cols = tuple(s.strip() for s in strata.split(",") if s.strip())
    with open_engine("duckdb", frame) as source:
        try:
            result = prepare_frame(db, source, out, strata=cols)
        except FrameProblems as e:
            _echo_problems(e)
            raise click.ClickException(
                f"{e.source}: {e.total} problem(s) in the frame; nothing was written"
            ) from e
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    click.echo(f"wrote {result.path}: {result.rows:,} rows in {result.row_groups:,} row groups ({steps};"
               f" {result.seconds:.1f} s in all)")  # fmt: skip


def _margin_text(e: float) -> str:
    return f"±{e:.1%}" if e == e else "cannot be computed (a stratum has no sample)"


def _echo_plan(plan, *, per_region: bool) -> None:
    """The planned margin overall (and per region for a per-region target), and the warnings of ``draw``."""
    target = f" (target {_margin_text(plan.target_margin)})" if plan.target_margin is not None else ""
    overall_target = target if not per_region else ""
    click.echo(
        f"planned margin {_margin_text(plan.overall_margin)} overall{overall_target}, "
        f"{plan.confidence:.0%} confidence, p = 0.5, expected response rate {plan.response_rate:.0%}"
    )
    if per_region:
        table = plan.domain_table()
        width = max(len(str(d)) for d in table["domain"])
        for row in table.itertuples():
            click.echo(
                f"  {str(row.domain).ljust(width)}  n={row.n:<6} {_margin_text(row.expected_margin)}{target}"
            )
    if plan.shortfalls:
        where = ", ".join(f"{c.domain} ±{c.achieved:.2%}" if c.achieved == c.achieved else f"{c.domain} "
                          + _margin_text(c.achieved) for c in plan.shortfalls)  # fmt: skip
        click.echo(
            f"warning: the target {_margin_text(plan.target_margin)} cannot be met "
            f"({'overall' if not per_region else 'in ' + str(len(plan.shortfalls)) + ' region(s)'}): every eligible "
            f"customer there is drawn and the planned margin is {where}",
            err=True,
        )
    if plan.thin_strata:
        shown = ", ".join(plan.thin_strata[:10]) + (", …" if len(plan.thin_strata) > 10 else "")
        click.echo(
            f"warning: {len(plan.thin_strata)} strata get fewer than 2 customers, so their variance cannot be "
            f"estimated (raise --minimum to 2): {shown}",
            err=True,
        )


def _parse_costs(costs: tuple[str, ...]) -> dict[str, float]:
    """``("福州|大工业=4", "居民=1")`` → ``{"福州|大工业": 4.0, "居民": 1.0}``."""
    out = {}
    for item in costs:
        key, sep, value = item.rpartition("=")
        try:
            cost = float(value)
        except ValueError:
            cost = float("nan")
        if not sep or not key or not cost > 0 or cost == float("inf"):
            raise click.BadParameter(
                f"must be KEY=C with C a number > 0, but got {item!r}", param_hint="--cost"
            )
        out[key] = cost
    return out
