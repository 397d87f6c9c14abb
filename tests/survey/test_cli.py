"""The CLI, in-process through click's runner and once as a real subprocess; the commands on a store run on
both backends (``--db`` a SQLite file or a PostgreSQL URL)."""

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.store import open_db


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


def test_draw_prints_round_id_last_and_invitations_write_csv(run, demo_target, tmp_path):
    result = run("draw", "--db", demo_target, "--size", 150, "--strata", "region", "--name", "CLI round")
    assert result.exit_code == 0, result.output
    round_id = int(result.output.strip().splitlines()[-1])
    db = open_db(demo_target)
    assert db.execute("SELECT name FROM rounds WHERE id = ?", [round_id]).fetchone()[0] == "CLI round"
    out = tmp_path / "inv.csv"
    result = run("invitations", round_id, "--db", demo_target, "--base-url", "https://x.cn/s", "-o", out)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 150 and list(rows[0]) == ["customer_id", "name", "phone", "link"]
    assert all(
        r["link"].startswith("https://x.cn/s/?t=") and len(r["link"].split("?t=")[1]) == 32 for r in rows
    )
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'export_invitations'").fetchone()[0] == 1


def test_report_json_has_every_region(run, demo_target):
    result = run("report", 1, "--db", demo_target, "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    regions = {r["region"] for r in data["regions"]}
    assert {"福州", "厦门", "泉州", "全部"} <= regions
    for r in data["regions"]:
        assert r["ci_low"] < r["estimate"] < r["ci_high"] and 1 <= r["estimate"] <= 5


def test_create_user_and_sign_in(run, database_target):
    from survey.users import authenticate

    result = run(
        "create-user",
        "zhang",
        "--role",
        "manager",
        "--region",
        "泉州",
        "--db",
        database_target,
        "--password",
        "long-enough-pw",
    )
    assert result.exit_code == 0
    user = authenticate(open_db(database_target), "zhang", "long-enough-pw")
    assert user.role == "manager" and user.region == "泉州"


def test_import_frame_then_draw(run, tmp_path, database_target):
    frame = tmp_path / "frame.csv"
    lines = ["户号,户名,联系电话,供电单位,区县,用户类别"]
    lines += [
        f"{i:07d},客户{i},13800{i:06d},{'福州' if i % 2 else '厦门'},鼓楼区,居民" for i in range(1, 201)
    ]
    frame.write_text("\n".join(lines), encoding="utf-8")
    result = run("import-frame", frame, "--db", database_target)
    assert result.exit_code == 0, result.output
    assert "added 200" in result.output
    result = run("draw", "--db", database_target, "--size", 20)
    assert result.exit_code == 0
    assert open_db(database_target).execute("SELECT COUNT(*) FROM assignments").fetchone()[0] == 20


@pytest.mark.parametrize(
    "args, message",
    [
        (["draw", "--size", "0"], "size must be a positive integer"),
        (["draw", "--size", "10", "--strata", "name"], "stratum column must be one of"),
        (["report", "99"], "round 99 does not exist"),
        (["invitations", "99"], "round 99 does not exist"),
        (
            ["create-user", "x", "--role", "staff", "--all-regions", "--password", "short"],
            "at least 8 characters",
        ),
    ],
)
def test_library_errors_are_one_line_and_non_zero(demo_target, args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "survey", *args, "--db", str(demo_target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_frame_reports_rows_and_imports_nothing(run, tmp_path, database_target):
    frame = tmp_path / "bad.csv"
    frame.write_text(
        "户号,户名,联系电话,供电单位,用户类别\n1,a,13800000000,福州,居民\n1,b,12,福州,外星人\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import-frame", str(frame), "--db", str(database_target)])
    assert result.exit_code != 0
    assert "row 3" in result.output and "nothing was imported" in result.output
    assert open_db(database_target).execute("SELECT COUNT(*) FROM customers").fetchone()[0] == 0


def test_demo_refuses_to_overwrite(run, demo_path):
    result = CliRunner().invoke(cli, ["demo", "--db", str(demo_path), "--customers", "100"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_report_respects_a_users_region_scope(run, demo_target):
    from survey.users import create_user

    create_user(open_db(demo_target), "qz", "manager", "quanzhou-pass", region="泉州")
    result = run("report", 1, "--db", demo_target, "--json", "--as-user", "qz")
    data = json.loads(result.output)
    assert data["scope"] == "泉州" and {r["region"] for r in data["regions"]} == {"泉州", "全部"}
    whole = json.loads(run("report", 1, "--db", demo_target, "--json").output)
    qz = next(r for r in whole["regions"] if r["region"] == "泉州")
    mine = next(r for r in data["regions"] if r["region"] == "泉州")
    assert mine["estimate"] == pytest.approx(qz["estimate"])
    refused = CliRunner().invoke(
        cli, ["report", "1", "--db", str(demo_target), "--as-user", "qz", "--region", "厦门"]
    )
    assert refused.exit_code != 0 and "may not see region" in refused.output
    # the follow-up queue of a manager scoped to a region that has follow-ups (which regions do depends on the demo)
    everyone = run("follow-ups", "--db", demo_target).output.splitlines()
    region = everyone[0].split("\t")[1]
    create_user(open_db(demo_target), "scoped", "manager", "scoped-pass", region=region)
    queue = run("follow-ups", "--db", demo_target, "--as-user", "scoped").output.splitlines()
    assert queue and all(line.split("\t")[1] == region for line in queue) and len(queue) < len(everyone)
    assert all(line.split("\t")[1] == "泉州" for line in run("follow-ups", "--db", demo_target, "--as-user", "qz")
               .output.splitlines())  # fmt: skip


def test_every_command_is_documented_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in cli.commands if f"python -m survey {name}" not in readme]
    assert not missing, f"commands missing from README.md: {missing}"
