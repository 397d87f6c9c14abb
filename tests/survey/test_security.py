"""Security house rules that hold across the code base."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from survey.tokens import bad_token_delay

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_config_keeps_safe_defaults():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert 0 < config["server"]["maxUploadSize"] <= 500


def test_no_page_renders_raw_html():
    offenders = [
        str(p.relative_to(ROOT))
        for p in [*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py")]
        if re.search(r"unsafe_allow_html\s*=\s*True", p.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"user text could be rendered as HTML in {offenders}"


def test_all_sql_is_parameterised():
    """ruff's S608 flags SQL built from strings; the few whitelisted column-name cases carry a noqa."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "S608", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_layers_are_respected():
    pure = [
        *ROOT.glob("sampling/**/*.py"),
        *ROOT.glob("questionnaires/**/*.py"),
        *ROOT.glob("analysis/**/*.py"),
    ]
    ui = [*ROOT.glob("app_pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "survey_app.py"]
    bad = [
        p.name
        for p in pure
        if re.search(
            r"^\s*(import|from)\s+(streamlit|sqlite3|sqlite_utils)\b", p.read_text(encoding="utf-8"), re.M
        )
    ]
    bad += [
        p.name
        for p in ui
        if re.search(
            r"^\s*(import|from)\s+(sqlite3|sqlite_utils|scipy)\b", p.read_text(encoding="utf-8"), re.M
        )
    ]
    assert not bad


@pytest.mark.parametrize(
    "failures, delay", [(0, 0), (1, 0), (3, 0), (4, 0.5), (5, 1), (6, 2), (9, 8), (50, 8)]
)
def test_bad_link_guessing_is_slowed_down(failures, delay):
    assert bad_token_delay(failures) == delay
