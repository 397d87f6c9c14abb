"""Page speed in a real browser (issue 12, item 8): sign-in to the dashboard, a filter change, the monitor page,
the customer form — against the time the sign-in page itself takes to be ready, measured in the same run.

Usage: ``python benchmarks/bench_pages.py [--customers 50000] [--repeat 3]``. Builds a demo database in a temp
directory (or reuses ``--db``), starts ``streamlit run survey_server.py`` on a free port and drives Debian's
chromium with playwright. "Ready" means the page's script run has finished (Streamlit's running indicator gone)
and the element a user waits for is visible. Targets (warm, 50k-customer demo): filter change ≤ 1 s, monitor
≤ 1 s, sign-in to dashboard ≤ 3 s, customer form ready ≤ 2 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
TARGETS = {"sign-in → dashboard": 3.0, "filter change": 1.0, "monitor page": 1.0, "customer form": 2.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settled(page) -> None:
    """Wait until Streamlit has finished the script run (the status widget disappears)."""
    page.wait_for_timeout(150)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=60_000)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _login_page(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").wait_for()
    _settled(page)


def _sign_in(page, password: str) -> None:
    page.get_by_label("用户名").fill("manager")
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.locator("[data-testid='stMetric']").first.wait_for(timeout=60_000)
    _settled(page)


def _filter_change(page, region: str) -> None:
    page.locator(".st-key-dash_region input[role='combobox']").click()
    page.get_by_role("option", name=region, exact=True).click()
    _settled(page)


def _monitor(page) -> None:
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text="进度监控").click()
    page.get_by_role("heading", name="进度监控").wait_for()
    _settled(page)


def _customer_form(form, link: str) -> None:
    form.goto(link)
    form.locator("[data-testid='stRadio']").first.wait_for(timeout=60_000)
    _settled(form)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default=None, help="use this demo database instead of building one")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from survey.demo import build_demo
    from survey.store import open_db
    from survey.tokens import make_token, secret_key

    work = Path(tempfile.mkdtemp(prefix="bench_pages_"))
    db_path = Path(args.db) if args.db else work / "survey.db"
    db = open_db(db_path)
    if not args.db:
        credentials = build_demo(db, customers=args.customers, seed=7).credentials
    else:
        from survey.users import reset_password

        credentials = {"manager": "bench-password-123"}
        reset_password(db, "manager", credentials["manager"])
    aid = db.execute(
        "SELECT id FROM assignments WHERE round_id = 2 AND status = 'issued' LIMIT 1"
    ).fetchone()[0]
    token = make_token(secret_key(db), aid)
    db.conn.close()
    port = _free_port()
    env = dict(os.environ, SURVEY_DB=str(db_path))
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "survey_server.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        times: dict[str, list[float]] = {"baseline: sign-in page ready": [], **{k: [] for k in TARGETS}}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for run in range(args.repeat + 1):  # run 0 warms the caches and is not counted
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                base = _timed(lambda p=page: _login_page(p, url))
                signed = _timed(lambda p=page: _sign_in(p, credentials["manager"]))
                page.wait_for_timeout(500)
                changed = _timed(lambda p=page, r=run: _filter_change(p, "泉州" if r % 2 == 0 else "厦门"))
                monitored = _timed(lambda p=page: _monitor(p))
                page.close()
                form = browser.new_page(viewport={"width": 390, "height": 844})
                opened = _timed(lambda f=form: _customer_form(f, f"{url}/?t={token}"))
                form.close()
                if run:
                    for key, value in zip(times, (base, signed, changed, monitored, opened), strict=True):
                        times[key].append(value)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    baseline = statistics.median(times["baseline: sign-in page ready"])
    print(f"{'step':32s} {'median s':>9s} {'× baseline':>11s} {'target':>8s}")
    for key, values in times.items():
        median = statistics.median(values)
        target = TARGETS.get(key)
        verdict = "" if target is None else ("PASS" if median <= target else "MISS")
        print(
            f"{key:32s} {median:9.2f} {median / baseline:11.2f} {f'≤ {target:.0f} s' if target else '':>8s} {verdict}"
        )


if __name__ == "__main__":
    main()
