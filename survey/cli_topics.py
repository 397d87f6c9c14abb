"""Suggestion-topic commands: train a model version, list versions, reclassify a round."""

from __future__ import annotations

import math

import click

from survey.cli import _open, acting_user, as_user_option, cli, db_option, library_errors


def _number(value: float) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def score_table(title: str, table) -> str:
    """A fixed-width table of :meth:`analysis.topic_eval.TopicScores.table`."""
    lines = [title, f"{'':16} {'precision':>9} {'recall':>7} {'f1':>6} {'n':>5}"]
    for row in table.itertuples():
        lines.append(f"{row.row:16} {_number(row.precision):>9} {_number(row.recall):>7} {_number(row.f1):>6}"
                     f" {row.support:>5}")  # fmt: skip
    return "\n".join(lines)


def _wrap(fn):
    from survey.access import NotPermitted
    from survey.topic_corrections import CorrectionError
    from survey.topic_models import TopicModelError

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (TopicModelError, CorrectionError, NotPermitted) as e:
            raise click.ClickException(str(e)) from e

    run.__name__, run.__doc__ = fn.__name__, fn.__doc__
    return run


@cli.command("train-topics")
@db_option
@click.option("--evaluate", is_flag=True, help="Also print the 5-fold CV scores on the training split.")
@as_user_option
@library_errors
@_wrap
def train_topics(db_path, evaluate, as_user):
    """Train a new suggestion-topic model from the shipped corpus plus staff corrections and store it
    as the next version (admins; audited). Prints the held-out scores beside the dictionary's."""
    from survey.topic_models import train_and_store

    db = _open(db_path)
    info, result = train_and_store(db, user=acting_user(db, as_user), evaluate=evaluate)
    click.echo(f"stored topic model {info.version}: {result.n_train} training texts ({result.n_corrections}"
               f" corrections), {result.n_test} held out, data {result.data_hash[:12]}, {result.seconds:.1f} s")  # fmt: skip
    if result.held_out is not None:
        click.echo(score_table("held-out split: model", result.held_out.table()))
        click.echo(score_table("held-out split: dictionary alone", result.dictionary_held_out.table()))
    if result.cv is not None:
        click.echo(score_table("5-fold CV on the training split: model", result.cv.table()))


@cli.command("topic-models")
@db_option
@library_errors
def topic_models_cmd(db_path):
    """List the stored topic-model versions (newest first) and say which one classifies now."""
    from survey.topic_models import list_models, model_info

    db = _open(db_path)
    for row in list_models(db).itertuples():
        click.echo(f"{row.version}\t{row.created_at}\t{row.created_by or '-'}\t{row.n_train}\t"
                   f"{row.n_corrections}\t{_number(row.held_out_f1)}\t{_number(row.cv_f1)}\t{row.data_hash}")  # fmt: skip
    click.echo(f"current: {model_info(db).version}")


@cli.command("reclassify-topics")
@db_option
@click.option("--round", "round_id", required=True, type=int, help="Round id.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@as_user_option
@library_errors
@_wrap
def reclassify_topics(db_path, round_id, yes, as_user):
    """Classify a round's suggestions again with the current model (a closed round's published topic
    counts change; managers and admins of all regions; audited)."""
    from survey.topic_classification import reclassify_round
    from survey.topic_models import model_info

    db = _open(db_path)
    user = acting_user(db, as_user)
    version = model_info(db).version
    if not yes:
        click.confirm(
            f"reclassify round {round_id} with model {version}? Its topic counts will change", abort=True
        )
    n = reclassify_round(db, round_id, user=user)
    click.echo(f"round {round_id}: {n} suggestion(s) classified by {version}")
