"""``python -m survey demo`` and ``up``: build the seeded demo and start the app (one process, or N behind
nginx with ``--workers``), on a SQLite file or a PostgreSQL store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from survey.cli import cli, db_option, library_errors
from survey.store import default_database, default_db_path, open_db, store_env


def _write_credentials(target: str | Path, credentials: dict[str, str]) -> Path:
    """The demo passwords, 0600, beside the SQLite file (``data/`` for a PostgreSQL store)."""
    from survey.store import is_database_url, open_private

    folder = default_db_path().parent if is_database_url(target) else Path(target).parent
    path = folder / "demo-credentials.txt"
    with open_private(path, "w", encoding="utf-8") as f:  # 0600 even if an older file was wider
        f.write("# Demo accounts (user  role  password) for " + _shown(target) + "\n")
        for user, password in credentials.items():
            f.write(f"{user}\t{password}\n")
    return path


def _shown(target: str | Path) -> str:
    """The store named for people: a file path, or a URL without its password."""
    from survey.store import is_database_url

    if not is_database_url(target):
        return str(target)
    from sqlalchemy.engine import make_url

    return make_url(str(target)).render_as_string(hide_password=True)


def _store_has_data(target: str) -> bool:
    """True when the PostgreSQL store ``target`` already holds customers or accounts."""
    db = open_db(target)
    try:
        return bool(
            db.execute("SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM users)").fetchone()[0]
        )
    finally:
        db.conn.close()


def _seed_demo(target: str | Path, customers: int, seed: int, force: bool) -> None:
    from survey.demo import build_demo
    from survey.store import is_database_url

    if is_database_url(target):
        target = str(target)
        if _store_has_data(target):  # a server database is never dropped by this command
            raise click.ClickException(
                f"{_shown(target)} already holds customers or accounts; the demo needs an empty database "
                "(create a new one, e.g. createdb survey_demo, and pass its URL)"
            )
    else:
        target = Path(target)
        if target.exists():
            if not force:
                raise click.ClickException(f"{target} already exists; use --force to replace it")
            for suffix in ("", "-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
    db = open_db(target)
    result = build_demo(db, customers=customers, seed=seed)
    db.conn.close()
    cred = _write_credentials(target, result.credentials)
    click.echo(
        f"Demo database {_shown(target)}: {result.customers} customers, closed round {result.closed_round}, "
        f"open round {result.open_round}."
    )
    click.echo("Demo accounts (shown once; also saved in " + str(cred) + "):")
    for user, password in result.credentials.items():
        click.echo(f"  {user:8} {password}")


@cli.command()
@db_option
@click.option("--customers", default=50_000, show_default=True, type=click.IntRange(10, 10_000_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--force", is_flag=True, help="Replace an existing database file (SQLite only).")
@library_errors
def demo(db_path, customers, seed, force):
    """Build a seeded demo database (Fujian frame, users, a closed and an open round) in a new SQLite file or
    an empty PostgreSQL database."""
    _seed_demo(db_path or default_database(), customers, seed, force)


@cli.command()
@db_option
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--customers", default=50_000, show_default=True, type=int, help="Demo size on first run.")
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="Run N app processes on the next ports (PORT+1 …) behind nginx on PORT, with sticky sessions.",
)
def up(db_path, port, customers, workers):
    """Seed the demo database on first run, then open the app (streamlit run survey_server.py: the app plus the
    routes of the session cookie, so a reload keeps staff signed in). With --workers N: N such processes
    behind nginx (survey.cluster), health-checked, a worker that dies restarted; Ctrl-C stops them all.
    On a PostgreSQL store (``--db postgresql://…`` or ``$SURVEY_DATABASE_URL``) nothing is seeded: the app
    opens on that database as it is (``python -m survey demo --db URL`` fills an empty one)."""
    from survey.store import is_database_url

    target = db_path or default_database()
    if is_database_url(target):
        open_db(str(target)).conn.close()  # fails here, in one line, when the server cannot be reached
    else:
        target = Path(target)
        if not target.exists():
            _seed_demo(target, customers, 7, False)
    _prepare_topics()
    if workers is not None:
        raise SystemExit(_up_cluster(target, port, workers))
    env = {k: v for k, v in os.environ.items() if k not in ("SURVEY_DB", "SURVEY_DATABASE_URL")}
    env.update(store_env(target))
    app = Path(__file__).resolve().parent.parent / "survey_server.py"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    raise SystemExit(subprocess.call(cmd, env=env))


def _prepare_topics() -> None:
    """Load the suggestion-topic model before any app process starts — the first run after an install or an
    upgrade trains it from the shipped corpus (about a minute here; then cached in ``$SURVEY_MODEL_CACHE``), so no
    customer's submission waits for that."""
    import time

    from survey.follow_ups import warm_follow_up_rules
    from survey.topic_models import dictionary_only

    if dictionary_only():
        return
    click.echo(
        "Preparing the suggestion-topic model (trained once after an install or upgrade, then cached)…"
    )
    started = time.perf_counter()
    warm_follow_up_rules()
    click.echo(f"  ready in {time.perf_counter() - started:.0f} s")
    sys.stdout.flush()  # before the server's own output


def _up_cluster(target: str | Path, port: int, workers: int) -> int:
    import signal

    from survey.cluster import Cluster, ClusterError, NginxMissing

    def _terminate(signum, frame):  # SIGTERM stops the cluster like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    cluster = Cluster(target, port=port, workers=workers, listen_address="0.0.0.0", log=click.echo)  # noqa: S104
    try:
        cluster.start()
        click.echo(
            f"{workers} app processes on 127.0.0.1:{port + 1}..{port + workers} behind nginx on "
            f"{cluster.url} (all interfaces, port {port}); run directory {cluster.run_dir}; Ctrl-C stops them."
        )
        cluster.supervise()
    except (NginxMissing, ClusterError) as e:
        raise click.ClickException(str(e).strip()) from e
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        cluster.stop()
    return 0
