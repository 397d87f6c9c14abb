"""Issue 11, item 4: a blank region is an error, never "all regions".

The finding: ``--as-user q --region ""`` (or ``","``) returned every region; ``set-scope q --region ""`` and
``create-user … --region ","`` stored "all regions". All regions are asked for only by ``--all-regions`` (or
``None`` in the library). The sweeps: every CLI option ``--region`` and every ``survey`` function taking a
region scope refuse a blank one — or, for a single-region equality, return nothing.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import survey
from survey.cli import cli
from survey.store import open_db
from survey.users import User, UserError, create_user, current_user, parse_regions, region_filter, set_scope

BLANK = ["", " ", ",", "，", " , ,"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def scoped(demo_path):
    db = open_db(demo_path)
    create_user(db, "q", "manager", "quanzhou-pass", region="泉州")
    db.conn.close()
    return demo_path


def _one_line_error(result) -> str:
    assert result.exit_code != 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


# --- the findings ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", ","])
def test_as_user_with_a_blank_region_is_refused_not_widened(runner, scoped, blank):
    result = runner.invoke(
        cli, ["report", "1", "--db", str(scoped), "--json", "--as-user", "q", "--region", blank]
    )
    assert "region must name at least one region" in _one_line_error(result)


@pytest.mark.parametrize("blank", ["", ","])
def test_set_scope_with_a_blank_region_keeps_the_scope(runner, scoped, blank):
    result = runner.invoke(cli, ["set-scope", "q", "--region", blank, "--db", str(scoped)])
    assert "region" in _one_line_error(result)
    assert current_user(open_db(scoped), "q").region == "泉州"


@pytest.mark.parametrize("blank", ["", ","])
def test_create_user_with_a_blank_region_creates_nobody(runner, scoped, blank):
    result = runner.invoke(
        cli,
        ["create-user", "n", "--role", "manager", "--region", blank, "--password", "long-enough-pw",
         "--db", str(scoped)],
    )  # fmt: skip
    assert "region" in _one_line_error(result)
    assert current_user(open_db(scoped), "n") is None


def test_create_user_needs_a_region_or_all_regions_except_for_an_admin(runner, tmp_path):
    db_path = str(tmp_path / "u.db")
    base = ["--password", "long-enough-pw", "--db", db_path]
    assert "--all-regions" in _one_line_error(
        runner.invoke(cli, ["create-user", "m", "--role", "manager", *base])
    )
    both = runner.invoke(
        cli, ["create-user", "m", "--role", "staff", "--region", "泉州", "--all-regions", *base]
    )
    assert "not both" in _one_line_error(both)
    ok = runner.invoke(cli, ["create-user", "m", "--role", "manager", "--all-regions", *base])
    assert ok.exit_code == 0 and "all regions" in ok.output
    ok = runner.invoke(
        cli, ["create-user", "s", "--role", "staff", "--region", "泉州,厦门", "--region", "漳州", *base]
    )
    assert ok.exit_code == 0 and "泉州,厦门,漳州" in ok.output
    assert runner.invoke(cli, ["create-user", "root", "--role", "admin", *base]).exit_code == 0
    db = open_db(db_path)
    assert [current_user(db, n).region for n in ("m", "s", "root")] == [None, "泉州,厦门,漳州", None]


# --- the library: parse_regions, _scope (create_user, set_scope), region_filter ---------------------------


@pytest.mark.parametrize("blank", BLANK)
def test_parse_regions_refuses_a_blank_scope(blank):
    with pytest.raises(UserError, match="at least one region"):
        parse_regions(blank)
    with pytest.raises(UserError):
        region_filter("c.region", blank)


@pytest.mark.parametrize("region", [*BLANK, [], [""], ["泉州", ""], ("泉州", " "), [","]])
def test_create_user_and_set_scope_refuse_a_blank_scope(fresh_db, region):
    with pytest.raises(UserError, match="at least one region"):
        create_user(fresh_db, "a", "manager", "password123", region=region)
    create_user(fresh_db, "b", "manager", "password123", region="泉州")
    with pytest.raises(UserError, match="at least one region"):
        set_scope(fresh_db, "b", region=region)
    assert current_user(fresh_db, "b").region == "泉州"
    assert fresh_db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 1


def test_a_stored_blank_scope_sees_nothing():
    """A scope written by hand as '' or ',' (not possible through the library) fails closed."""
    for stored in ("", ","):
        user = User("x", "manager", stored)
        assert user.regions == () and not user.can_see_region("泉州")
    assert User("x", "manager", None).can_see_region("泉州")


def test_as_user_with_a_stored_blank_scope_is_refused(runner, scoped):
    open_db(scoped).execute("UPDATE users SET region = '' WHERE name = 'q'")
    result = runner.invoke(cli, ["report", "1", "--db", str(scoped), "--json", "--as-user", "q"])
    assert "naming no region" in _one_line_error(result)


def test_scope_for_normalises_and_narrows(scoped):
    from survey.cli import scope_for

    db = open_db(scoped)
    assert scope_for(db, None, None) is None
    assert scope_for(db, " 泉州 ，厦门,", None) == "泉州,厦门"
    assert scope_for(db, None, "q") == "泉州"
    assert scope_for(db, "泉州,", "q") == "泉州"
    with pytest.raises(click.ClickException, match="may not see"):
        scope_for(db, "泉州,厦门", "q")


# --- sweep: every CLI --region option -------------------------------------------------------------------


def _walk(command, path=()):
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))
    else:
        yield path, command


#: Each command that takes --region, with the other arguments it needs (TMP is replaced by a file path).
REGION_COMMANDS = {
    ("invitations",): ["invitations", "2", "-o", "TMP.csv"],
    ("reminders",): ["reminders", "2", "--days", "0", "-o", "TMP.csv"],
    ("report",): ["report", "1"],
    ("export-report",): ["export-report", "--round", "1", "TMP.xlsx"],
    ("follow-ups",): ["follow-ups"],
    ("progress",): ["progress", "2"],
    ("create-user",): ["create-user", "newbie", "--role", "manager", "--password", "long-enough-pw"],
    ("set-scope",): ["set-scope", "q"],
}


def test_the_sweep_covers_every_region_option():
    found = {
        path
        for path, command in _walk(cli)
        for p in command.params
        if isinstance(p, click.Option) and not p.is_flag and any(o == "--region" for o in p.opts)
    }
    assert found <= set(REGION_COMMANDS), f"add to REGION_COMMANDS: {sorted(found - set(REGION_COMMANDS))}"


@pytest.mark.parametrize("blank", ["", " ", ",", "，"])
@pytest.mark.parametrize("as_user", [False, True])
@pytest.mark.parametrize("command", sorted(REGION_COMMANDS), ids="-".join)
def test_every_region_option_refuses_a_blank_region(runner, scoped, tmp_path, command, as_user, blank):
    args = [a.replace("TMP", str(tmp_path / "out")) for a in REGION_COMMANDS[command]]
    params = dict(_walk(cli))[command].params
    if not any("--region" in p.opts for p in params):
        pytest.skip("no --region (yet)")
    takes_as_user = any("--as-user" in p.opts for p in params)
    if as_user and not takes_as_user:
        pytest.skip("no --as-user")
    db = open_db(scoped)
    before = db.execute("SELECT (SELECT COUNT(*) FROM users), (SELECT group_concat(name || region) FROM users)"
                        ).fetchone()  # fmt: skip
    extra = ["--as-user", "q"] if as_user else []
    result = runner.invoke(cli, [*args, "--region", blank, *extra, "--db", str(scoped)])
    assert "region" in _one_line_error(result)
    assert not list(tmp_path.glob("out*"))  # no file written
    after = db.execute("SELECT (SELECT COUNT(*) FROM users), (SELECT group_concat(name || region) FROM users)"
                       ).fetchone()  # fmt: skip
    assert after == before  # no account created or widened


# --- sweep: every survey function taking a region scope -------------------------------------------------


#: Functions whose ``region`` is one region's name (not a scope): a blank one matches nothing.
SINGLE_REGION = {
    "survey.region_list.add_district",
    "survey.regions.region_name_en",
    "survey.demo_rounds.simulate_answers",
    "survey.follow_ups.open_for_new_response",  # the region the customer had at the draw, stored on the item
}


def _scope_functions() -> set[str]:
    out = set()
    for info in pkgutil.iter_modules(survey.__path__):
        if info.name.startswith(("cli", "_")):
            continue
        module = importlib.import_module(f"survey.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                if {"region", "scope"} & set(inspect.signature(fn).parameters):
                    out.add(f"{module.__name__}.{name}")
    return out - SINGLE_REGION


FRAME_CSV = "户号,户名,联系电话,供电单位,区县,用户类别\n0000001,客户1,13800000001,福州,鼓楼区,居民\n".encode()


def _fn(dotted: str):
    """The function named ``module.name`` (called lazily: a function not yet in the code is skipped)."""
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _calls(db, blank):
    from survey import calls, dashboard, design, fieldwork, follow_ups, frames, monitoring, results, users

    frame = results.responses_frame(db, 1)
    items = list(results.likert_items(db, 1))
    fid = db.execute("SELECT id FROM follow_ups ORDER BY id LIMIT 1").fetchone()[0]
    aid = db.execute("SELECT id FROM assignments WHERE round_id = 2 ORDER BY id LIMIT 1").fetchone()[0]

    def frame_file():
        path = db_path_of(db).parent / "frame.csv"
        path.write_bytes(FRAME_CSV)
        return path

    def new_frame():
        from survey.frame_import import read_import

        return read_import(db, FRAME_CSV).frame

    return {
        "survey.access.outside_scope": lambda: _fn("survey.access.outside_scope")(blank, ["泉州"]),
        "survey.access.require_admin": lambda: _fn("survey.access.require_admin")("admin", "x", blank),
        "survey.follow_ups.set_sla_days": lambda: _fn("survey.follow_ups.set_sla_days")(
            db, 5, user="x", role="admin", region=blank
        ),
        "survey.calls.open_contact": lambda: _fn("survey.calls.open_contact")(db, aid, by="x", region=blank),
        "survey.fieldwork.contact_file": lambda: _fn("survey.fieldwork.contact_file")(
            db, 2, by="x", full=False, region=blank
        ),
        "survey.fieldwork.write_invitations": lambda: fieldwork.write_invitations(
            db, 2, db_path_of(db).parent / "inv.csv", base_url="http://x/", region=blank
        ),
        "survey.follow_ups.sync_follow_ups": lambda: _fn("survey.follow_ups.sync_follow_ups")(
            db, 1, region=blank
        ),
        "survey.frame_import.import_impact": lambda: _fn("survey.frame_import.import_impact")(
            db, new_frame(), scope=blank
        ),
        "survey.frame_import.read_import": lambda: _fn("survey.frame_import.read_import")(
            db, FRAME_CSV, scope=blank
        ),
        "survey.frame_import.scope_problems": lambda: _fn("survey.frame_import.scope_problems")(
            db, new_frame(), blank
        ),
        "survey.frames.store_frame": lambda: _fn("survey.frames.store_frame")(db, new_frame(), scope=blank),
        "survey.calls.call_list": lambda: calls.call_list(db, 2, region=blank),
        "survey.calls.record_call": lambda: calls.record_call(
            db, aid, "refusal", interviewer="x", region=blank
        ),
        "survey.calls.complete_by_phone": lambda: calls.complete_by_phone(
            db, aid, {}, interviewer="x", region=blank
        ),
        "survey.calls.release_reserve": lambda: calls.release_reserve(db, aid, "x", region=blank),
        "survey.report.regions_text": lambda: _fn("survey.report.regions_text")(blank, "zh"),
        "survey.dashboard.trend_table": lambda: dashboard.trend_table(db, items, region=blank),
        "survey.design.round_overlap": lambda: design.round_overlap(db, 2, region=blank),
        "survey.fieldwork.invitation_rows": lambda: fieldwork.invitation_rows(
            db, 2, "http://x/", region=blank
        ),
        "survey.fieldwork.reminder_rows": lambda: fieldwork.reminder_rows(
            db, 2, 0, "http://x/", region=blank
        ),
        "survey.follow_ups.follow_up_counts": lambda: follow_ups.follow_up_counts(db, region=blank),
        "survey.follow_ups.list_follow_ups": lambda: follow_ups.list_follow_ups(db, region=blank),
        "survey.follow_ups.reveal_phone": lambda: follow_ups.reveal_phone(db, fid, user="x", region=blank),
        "survey.follow_ups.update_follow_up": lambda: follow_ups.update_follow_up(
            db, fid, user="x", region=blank, note="n"
        ),
        "survey.frames.frame_overview": lambda: frames.frame_overview(db, region=blank),
        "survey.monitoring.completes_over_time": lambda: monitoring.completes_over_time(db, 2, region=blank),
        "survey.monitoring.round_progress": lambda: monitoring.round_progress(db, 2, region=blank),
        "survey.results.responses_frame": lambda: results.responses_frame(db, 1, region=blank),
        "survey.results.scope_mask": lambda: results.scope_mask(frame, blank),
        "survey.results.scoped": lambda: results.scoped(frame, blank),
        "survey.users.create_user": lambda: users.create_user(db, "z", "staff", "password123", region=blank),
        "survey.users.set_scope": lambda: users.set_scope(db, "staff", region=blank),
        "survey.scopes.region_filter": lambda: _fn("survey.scopes.region_filter")("a.region", blank),
        "survey.calls.save_interview_draft": lambda: calls.save_interview_draft(
            db, aid, {"overall": 4}, region=blank
        ),
        "survey.topic_classification.round_classification": lambda: _fn(
            "survey.topic_classification.round_classification"
        )(db, 1, scope=blank),
        "survey.topic_classification.topic_summary": lambda: _fn("survey.topic_classification.topic_summary")(
            db, 1, scope=blank
        ),
        "survey.topic_corrections.corrections_frame": lambda: _fn(
            "survey.topic_corrections.corrections_frame"
        )(db, scope=blank),
        "survey.frame_file_import.stage_file": lambda: _fn("survey.frame_file_import.stage_file")(
            db, frame_file(), scope=blank
        ),
        "survey.frame_rows.replace_cells": lambda: _fn("survey.frame_rows.replace_cells")(db, {}, blank),
        "survey.frame_rows.write_cells": lambda: _fn("survey.frame_rows.write_cells")(db, new_frame(), blank),
        "survey.frame_rows.write_cells_from_codes": lambda: _fn("survey.frame_rows.write_cells_from_codes")(
            db, np.zeros(0, dtype=np.int64), [], blank
        ),
        "survey.frame_rows.audit_import": lambda: _fn("survey.frame_rows.audit_import")(
            db, "x", "frame.csv", _fn("survey.frame_rows.ImportSummary")(0, 0, 0), blank
        ),
        "survey.frame_file_import.staged_scope_problems": lambda: (
            _fn("survey.frame_file_import.stage_file")(db, frame_file()),
            _fn("survey.frame_file_import.staged_scope_problems")(db, blank),
        )[1],
    }


def test_the_library_sweep_covers_every_scope_parameter(demo_db):
    missing = _scope_functions() - set(_calls(demo_db, ""))
    assert not missing, f"add these functions taking a region scope to _calls: {sorted(missing)}"


def db_path_of(db):
    from survey.tokens import db_file

    return db_file(db)


def _empty(result) -> bool:
    if isinstance(result, pd.DataFrame | list | tuple | dict):
        return len(result) == 0
    if hasattr(result, "sum") and hasattr(result, "dtype"):  # a boolean mask
        return not result.any()
    return False


@pytest.mark.parametrize("blank", ["", ","])
def test_every_scope_parameter_refuses_a_blank_scope(demo_db, blank):
    widened = []
    present = _scope_functions()
    for name, call in _calls(demo_db, blank).items():
        if name not in present:
            continue  # (a function another change has not added yet)
        try:
            result = call()
        except UserError:
            continue
        if not _empty(result):
            widened.append(name)
    assert not widened, f"a blank scope was read as all regions by {widened}"
