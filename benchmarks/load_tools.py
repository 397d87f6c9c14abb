"""Side tools of the form load test (:mod:`benchmarks.bench_form_load`): customers in a real headless
Chromium, as a cross-check of the protocol client and of nginx serving the front end, and a py-spy profile of
one worker with a summary of where its busy samples were."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

# --- cross-check in a real browser ------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
#: Radio questions a browser customer answers (option index), as the e2e customer journey does.
BROWSER_ANSWERS = {"overall": 3, "attitude": 4, "skill": 3, "reliability": 3, "voltage": 4, "planned_outage": 1,
                   "reported_fault": 1, "billing": 2, "complained": 1, "vs_last_year": 1}  # fmt: skip


def browser_customers(url: str, tokens: Iterator[str], count: int, submitted: dict[str, dict]) -> list[tuple]:
    """``count`` customers one after the other in headless Chromium (Debian's, a phone-sized window, a new
    browser context each: nothing cached): (seconds until the first question shows, seconds from pressing
    提交问卷 until the thank-you shows)."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(count):
                token = next(tokens)
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{url}/?t={token}")
                page.locator(".st-key-q_overall [data-testid='stRadioOption']").first.wait_for(timeout=60_000)
                ready = time.perf_counter() - start
                for qid, option in BROWSER_ANSWERS.items():
                    page.locator(f".st-key-q_{qid} [data-testid='stRadioOption']").nth(option).click()
                    page.locator(f".st-key-q_{qid} input[type='radio']").nth(option).wait_for(
                        state="attached"
                    )
                page.wait_for_timeout(500)  # let the last click's run end, as a customer would look
                start = time.perf_counter()
                page.get_by_role("button", name="提交问卷").click()
                page.get_by_text("提交成功").wait_for(timeout=60_000)
                out.append((ready, time.perf_counter() - start))
                submitted[token] = dict.fromkeys(BROWSER_ANSWERS, "x")
                context.close()
        finally:
            browser.close()
    return out


# --- profile ------------------------------------------------------------------------------------------------
def start_profile(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    """``py-spy record`` of one worker in the collapsed-stack format (None when py-spy is missing)."""
    spy = shutil.which("py-spy")
    if spy is None:
        print("  (py-spy not installed: pip install py-spy; no profile)")
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "50", "--format", "raw",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def summarise_profile(path: Path, top: int = 25) -> str:
    """Where the worker's samples were: share of all samples per function (inclusive), the busiest first,
    over the samples of threads that were running (py-spy leaves out idle ones)."""
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if any(
            f.startswith(("wait (threading", "select (selectors", "_worker (concurrent")) for f in frames[-3:]
        ):
            continue  # idle threads (py-spy --idle keeps them; they say nothing about the cost)
        total += n
        for frame in set(frames):
            inclusive[_short(frame)] += n
        own[_short(frames[-1])] += n
    if not total:
        return "  (no busy samples)"
    lines = [f"  busy samples: {total}", "  inclusive share of busy samples (top functions):"]
    lines += [f"    {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    lines.append("  own time (leaf frames):")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in own.most_common(12)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "render_questionnaire (ui/form.py:140)" → keep the function and file, drop the site-packages prefix
    return (
        frame.replace(str(Path(np.__file__).parents[1]) + "/", "").split(":")[0] + ")"
        if "(" in frame
        else frame
    )
