"""Load test of the customer form: simulated customers open their own link, answer and submit (issue 14.5).

Loopback only and bounded. Builds a seeded demo store in a temporary directory, draws a round of personal
links, starts ``N`` app processes behind nginx (:class:`survey.cluster.Cluster`), and ramps the number of
customers filling in the form at the same time (closed loop: a customer who submits is replaced by the next
link) until p95 page-ready > 3 s or p95 submit > 2 s. Each customer speaks Streamlit's WebSocket protocol
(:mod:`benchmarks.form_client`): the page, one script run when the link opens, one per answer (a click) after a
think time, and the submit. Afterwards the store is checked: every customer who saw the thank-you has exactly
one response holding the answers sent, nobody else has one, and nothing outside the load round changed.

    python benchmarks/bench_form_load.py --workers 1,2 [--levels 10,25,50,100,200] [--duration 45]
        [--think 2] [--customers 20000] [--links 6000] [--profile] [--store sqlite|postgresql]

``--store`` picks the store (``STORES``): a SQLite file in the temporary directory, or a database on a
throwaway PostgreSQL 15 server started for the run (``tests/postgres_server.py``: initdb + pg_ctl, Unix
socket only) that every app process shares through ``$SURVEY_DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.form_client import FormError, FormSession  # noqa: E402 (after the sys.path insert)
from survey.cluster import Cluster, free_port_block  # noqa: E402

PAGE_LIMIT = 3.0  # p95 page-ready, seconds
SUBMIT_LIMIT = 2.0  # p95 submit, seconds


# --- the store ------------------------------------------------------------------------------------------------
@dataclass
class LoadStore:
    """A store with one open round of personal links for the load test, and how to check it afterwards."""

    kind: str
    env: dict[str, str]  # what the app processes need to find the store (SURVEY_DB=… or SURVEY_DATABASE_URL=…)
    db_path: Path | str  # the SQLite file or the PostgreSQL URL
    round_id: int
    tokens: list[str]
    outside: Callable[[], str]  # checksum of everything outside the load round
    outside_before: str = ""
    close: Callable[[], None] = lambda: None  # stops a server started for the run


def prepare_sqlite(workdir: Path, *, customers: int, links: int, seed: int) -> LoadStore:
    """A seeded demo database (``customers``) plus a round of ``links`` customers drawn for the test."""
    return _prepare("sqlite", workdir / "survey.db", customers=customers, links=links, seed=seed)


def prepare_postgresql(workdir: Path, *, customers: int, links: int, seed: int) -> LoadStore:
    """The same on a throwaway PostgreSQL server (its own temporary folder, stopped at the end)."""
    from survey.cluster import free_port_block
    from tests import postgres_server

    server = postgres_server.start(free_port_block(1))
    try:
        server.psql("CREATE DATABASE load_test")
        store = _prepare("postgresql", server.url("load_test"), customers=customers, links=links, seed=seed,
                         env={"SURVEY_SECRET_FILE": str(workdir / "secret.key")})  # fmt: skip
    except BaseException:
        server.stop()
        raise
    store.close = server.stop
    return store


def _prepare(kind: str, target: Path | str, *, customers: int, links: int, seed: int,
             env: dict[str, str] | None = None) -> LoadStore:  # fmt: skip
    from survey.demo import build_demo
    from survey.rounds import draw_round
    from survey.store import open_db, store_env
    from survey.tokens import make_token, secret_key

    os.environ.update(env or {})  # the link key this process signs with is the one the workers read
    path = target
    db = open_db(path)
    build_demo(db, customers=customers, seed=seed)
    result = draw_round(db, size=links, strata=(), name="load test", created_by="bench")
    key = secret_key(db)
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM assignments WHERE round_id = ? AND is_reserve = 0 ORDER BY id", [result.round_id]
        )
    ]
    db.conn.close()
    store = LoadStore(
        kind,
        store_env(path),
        path,
        result.round_id,
        [make_token(key, i) for i in ids],
        lambda: outside_checksum(path, result.round_id),
    )
    store.outside_before = store.outside()
    return store


def outside_checksum(path: Path | str, round_id: int) -> str:
    """SHA-256 over every row outside the load round (customers, users, rounds, other rounds' assignments,
    responses, answers, follow-ups, audit entries not written by a customer's submission)."""
    from survey.store import open_db

    queries = [
        "SELECT * FROM customers ORDER BY id",
        "SELECT * FROM users ORDER BY name",
        "SELECT * FROM rounds WHERE id != ? ORDER BY id",
        "SELECT * FROM round_strata WHERE round_id != ? ORDER BY round_id, stratum",
        "SELECT * FROM assignments WHERE round_id != ? ORDER BY id",
        "SELECT r.* FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY r.id",
        "SELECT x.* FROM answers x JOIN responses r ON r.id = x.response_id JOIN assignments a"
        " ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY x.response_id, x.question_id",
        "SELECT f.* FROM follow_ups f JOIN responses r ON r.id = f.response_id JOIN assignments a"
        " ON a.id = r.assignment_id WHERE a.round_id != ? ORDER BY f.response_id",
    ]
    db = open_db(path)
    digest = hashlib.sha256()
    try:
        for sql in queries:
            params = [round_id] if "?" in sql else []
            for row in db.execute(sql, params):
                digest.update(repr(tuple(row)).encode())  # compared with itself: one store's types
    finally:
        db.conn.close()
    return digest.hexdigest()


def verify_store(store: LoadStore, submitted: dict[str, dict]) -> dict:
    """Compare the store with what the customers saw: ``lost`` (thank-you shown, no response), ``duplicated``
    (more than one response for a link), ``unconfirmed`` (a response without a thank-you shown), ``mismatched``
    (stored question ids differ from those answered), ``outside_changed``."""
    from survey.store import open_db
    from survey.tokens import token_hash

    db = open_db(store.db_path)
    try:
        rows = db.execute(
            "SELECT a.token_hash, r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id"
            " WHERE a.round_id = ?",
            [store.round_id],
        ).fetchall()
        by_hash: dict[str, list[int]] = {}
        for h, rid in rows:
            by_hash.setdefault(h, []).append(rid)
        stored_ids = {
            rid: set(q for (q,) in db.execute("SELECT question_id FROM answers WHERE response_id = ?", [rid]))
            for rid in (ids[0] for ids in by_hash.values())
        }
    finally:
        db.conn.close()
    expected = {token_hash(t): {q for q, v in answers.items() if v not in ("", [], None)}
                for t, answers in submitted.items()}  # fmt: skip
    lost = sum(1 for h in expected if h not in by_hash)
    duplicated = sum(1 for ids in by_hash.values() if len(ids) > 1)
    unconfirmed = sum(1 for h in by_hash if h not in expected)
    mismatched = sum(1 for h, want in expected.items() if h in by_hash and stored_ids[by_hash[h][0]] != want)
    return {
        "responses": len(rows),
        "thank_yous": len(submitted),
        "lost": lost,
        "duplicated": duplicated,
        "unconfirmed": unconfirmed,
        "mismatched": mismatched,
        "outside_changed": store.outside() != store.outside_before,
    }


#: How to build and check each kind of store (the checks are the same SQL on both).
STORES: dict[str, tuple[Callable[..., LoadStore], Callable[[LoadStore, dict], dict]]] = {
    "sqlite": (prepare_sqlite, verify_store),
    "postgresql": (prepare_postgresql, verify_store),
}


# --- the processes under test -----------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[float, float]:
    """(RSS in MB, user+system CPU seconds) of one process, from /proc."""
    try:
        rss_kb = next(
            int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )  # fmt: skip
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return rss_kb / 1024, (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, StopIteration, IndexError):
        return 0.0, 0.0


def worker_stats(cluster: Cluster) -> dict[str, tuple[float, float]]:
    return {name: _proc_stat(pid) for name, pid in cluster.pids().items()}


# --- one level of the ramp --------------------------------------------------------------------------------
@dataclass
class Customer:
    page: float | None = None
    answers: list[float] = field(default_factory=list)
    submit: float | None = None
    submitted_at: float | None = None
    seconds: float = 0.0  # from opening the link to the thank-you (or the error)
    error: str | None = None
    node: str | None = None


@dataclass
class Level:
    concurrency: int
    customers: list[Customer]
    rss_idle: dict[str, float]
    rss_peak: dict[str, float]
    cpu: dict[str, float]  # CPU seconds each process used during the level
    client_cpu: float
    wall: float

    def pct(self, what: str) -> tuple[float, float, float]:
        if what == "answer":
            values = [x for c in self.customers for x in c.answers]
        else:
            values = [getattr(c, what) for c in self.customers if getattr(c, what) is not None]
        if not values:
            return (float("nan"),) * 3
        return tuple(float(x) for x in np.percentile(values, [50, 95, 99]))

    @property
    def errors(self) -> Counter:
        return Counter(c.error for c in self.customers if c.error)

    @property
    def submits_per_s(self) -> float:
        """Sustained submissions per second at this concurrency (Little's law: sessions at a time over the mean
        seconds one customer takes, counting only customers who submitted); the customers' think time is
        part of those seconds, so this is what the level's customers produce, not the server's maximum."""
        done = [c.seconds for c in self.customers if c.submit is not None]
        return self.concurrency / float(np.mean(done)) if done else 0.0

    @property
    def runs_per_s(self) -> float:
        runs = sum((c.page is not None) + len(c.answers) + (c.submit is not None) * 2 for c in self.customers)
        return runs / self.wall

    def ok(self) -> bool:
        return self.pct("page")[1] <= PAGE_LIMIT and self.pct("submit")[1] <= SUBMIT_LIMIT and not self.errors


_SEEN_ERRORS: set[str] = set()


async def customer(url: str, token: str, rng: random.Random, think: float, timeout: float,
                   submitted: dict[str, dict]) -> Customer:  # fmt: skip
    """One customer: open the link, answer every question after a think time, submit."""
    result = Customer()
    began = time.perf_counter()
    session = FormSession(url, token, timeout=timeout)
    try:
        result.page = await session.open()
        result.node = session.node
        result.answers = await session.answer_all(rng, think=think)
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        result.submit = await session.submit()
        result.submitted_at = time.perf_counter()
        submitted[token] = dict(session.answered)
    except FormError as e:
        result.error = e.kind
        if str(e) not in _SEEN_ERRORS:  # each distinct message once, so a failing level says why
            _SEEN_ERRORS.add(str(e))
            print(f"  customer error {e.kind}: {str(e)[:300]}", file=sys.stderr, flush=True)
    except OSError as e:
        result.error = f"os:{type(e).__name__}"
    finally:
        try:
            await session.close()
        except Exception:  # noqa: S110 (closing a broken socket)
            pass
        result.seconds = time.perf_counter() - began
    return result


async def run_level(url: str, tokens: Iterator[str], concurrency: int, *, duration: float, think: float,
                    timeout: float, seed: int, submitted: dict[str, dict],
                    cluster: Cluster | None = None) -> Level:  # fmt: skip
    """``concurrency`` customers at a time for ``duration`` seconds (starts spread over one session's
    length, so they do not click in step); customers started before the end finish."""
    loop = asyncio.get_running_loop()
    rng = random.Random(seed)
    session_length = think * 15
    stagger = min(session_length, duration / 2) / concurrency
    start = loop.time()

    stop_at = start + max(duration, stagger * concurrency + 1)
    customers: list[Customer] = []
    rss_idle = {k: v[0] for k, v in (worker_stats(cluster) if cluster else {}).items()}
    cpu0 = {k: v[1] for k, v in (worker_stats(cluster) if cluster else {}).items()}
    client0 = resource.getrusage(resource.RUSAGE_SELF)
    rss_peak: dict[str, float] = dict(rss_idle)
    sampling = True

    async def sample() -> None:
        while sampling:
            for name, (rss, _) in (worker_stats(cluster) if cluster else {}).items():
                rss_peak[name] = max(rss_peak.get(name, 0.0), rss)
            await asyncio.sleep(1.0)

    async def slot(i: int) -> None:
        await asyncio.sleep(i * stagger)
        local = random.Random(rng.random())
        while loop.time() < stop_at:
            token = next(tokens)
            customers.append(await customer(url, token, local, think, timeout, submitted))

    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(slot(i) for i in range(concurrency)))
    sampling = False
    await sampler
    wall = loop.time() - start
    client1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu1 = {k: v[1] for k, v in (worker_stats(cluster) if cluster else {}).items()}
    return Level(
        concurrency,
        customers,
        rss_idle=rss_idle,
        rss_peak=rss_peak,
        cpu={k: cpu1.get(k, 0.0) - cpu0.get(k, 0.0) for k in cpu1},
        client_cpu=(client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime),
        wall=wall,
    )


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


# --- report ------------------------------------------------------------------------------------------------
def level_line(level: Level, workers: int) -> str:
    page, answer, submit = level.pct("page"), level.pct("answer"), level.pct("submit")
    sessions = level.concurrency
    rss_growth = sum(
        level.rss_peak.get(k, 0) - level.rss_idle.get(k, 0) for k in level.rss_peak if k != "nginx"
    )
    cpu_workers = sum(v for k, v in level.cpu.items() if k != "nginx")
    nodes = Counter(c.node for c in level.customers if c.node)
    errors = ",".join(f"{k}:{v}" for k, v in level.errors.items()) or "0"
    return (
        f"| {workers} | {sessions} | {len(level.customers)} | {level.submits_per_s:.2f} | {level.runs_per_s:.1f} | "
        f"{page[0]:.2f} / {page[1]:.2f} / {page[2]:.2f} | {answer[0]:.2f} / {answer[1]:.2f} / {answer[2]:.2f} | "
        f"{submit[0]:.2f} / {submit[1]:.2f} / {submit[2]:.2f} | {errors} | "
        f"{sum(level.rss_peak.get(k, 0) for k in level.rss_peak if k != 'nginx'):.0f} MB "
        f"(+{rss_growth / sessions:.1f} MB/session) | {cpu_workers / level.wall:.2f} + nginx "
        f"{level.cpu.get('nginx', 0) / level.wall:.2f} + client {level.client_cpu / level.wall:.2f} | "
        f"{' '.join(f'{k}:{v}' for k, v in sorted(nodes.items()))} | {'PASS' if level.ok() else 'FAIL'} |"
    )


HEADER = (
    "| workers | concurrent sessions | customers | submits/s (sessions ÷ mean session s) | script runs/s | page-ready p50 / p95 / p99 s "
    "| answer run p50 / p95 / p99 s | submit p50 / p95 / p99 s | errors | workers' RSS peak (growth per session) "
    "| CPU cores used (workers + nginx + client) | customers per worker | p95 page ≤ 3 s and submit ≤ 2 s |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def uptime() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "load average unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="comma-separated numbers of app processes to test")
    parser.add_argument("--levels", default="10,25,50,100,200,300", help="concurrent customers, ramped")
    parser.add_argument(
        "--duration", type=float, default=45.0, help="seconds per level (customers then finish)"
    )
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds before each click")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a customer waits for one step")
    parser.add_argument("--customers", type=int, default=20_000, help="demo frame size")
    parser.add_argument("--links", type=int, default=8_000, help="links drawn for the test (each used once)")
    parser.add_argument("--store", choices=sorted(STORES), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-minutes", type=float, default=12.0, help="stop ramping after this long")
    parser.add_argument("--profile", action="store_true", help="py-spy a worker during the last level")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a streamlit run option for every worker, e.g. runner.postScriptGC=false",
    )
    parser.add_argument(
        "--browsers", type=int, default=0, help="then this many customers in headless Chromium"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    workers_list = [int(x) for x in args.workers.split(",")]
    levels = [int(x) for x in args.levels.split(",")]
    prepare, verify = STORES[args.store]
    workdir = Path(tempfile.mkdtemp(prefix="bench-form-load-"))
    print(f"store {args.store} in {workdir}; {os.cpu_count()} cores; {uptime()}")
    t0 = time.perf_counter()
    store = prepare(workdir, customers=args.customers, links=args.links, seed=args.seed)
    print(
        f"prepared in {time.perf_counter() - t0:.1f} s: {len(store.tokens)} links in round {store.round_id}"
    )
    tokens = iter(store.tokens)
    submitted: dict[str, dict] = {}
    began = time.perf_counter()
    lines, summary = [], []
    profiles: dict[str, str] = {}
    try:
        for n in workers_list:
            port = free_port_block(n + 1)
            options = dict(o.split("=", 1) for o in args.option)
            with Cluster(store.db_path, port=port, workers=n, extra_env=store.env, log=print,
                         streamlit_options=options) as cluster:  # fmt: skip
                asyncio.run(run_level(cluster.url, tokens, n * 2, duration=5, think=0.2, timeout=args.timeout,
                                      seed=args.seed, submitted=submitted))  # warm-up (imports, caches): not counted  # fmt: skip
                best = None
                for c in levels:
                    if (time.perf_counter() - began) / 60 > args.max_minutes:
                        print(f"  stopping: --max-minutes {args.max_minutes} reached")
                        break
                    spy, spy_out = None, workdir / f"profile-{n}w-{c}.txt"
                    if args.profile:
                        spy = start_profile(cluster.pids()["w0"], args.duration, spy_out)
                    level = asyncio.run(run_level(cluster.url, tokens, c, duration=args.duration, think=args.think,
                                                  timeout=args.timeout, seed=args.seed + c, submitted=submitted,
                                                  cluster=cluster))  # fmt: skip
                    line = level_line(level, n)
                    lines.append(line)
                    print(line, f"[{uptime()}]", flush=True)
                    if spy is not None:
                        spy.wait()
                        profiles[f"{n} worker(s), {c} sessions"] = summarise_profile(spy_out)
                    if not level.ok():
                        break
                    best = level
                if args.browsers and Path(CHROMIUM).exists():
                    timings = browser_customers(cluster.url, tokens, args.browsers, submitted)
                    summary.append(
                        f"{n} worker(s), idle, headless Chromium ×{len(timings)} (each a new context): page-ready "
                        f"median {np.median([t[0] for t in timings]):.2f} s, submit median "
                        f"{np.median([t[1] for t in timings]):.2f} s"
                    )
                summary.append(
                    f"{n} worker(s): sustained {best.concurrency if best else 0} concurrent sessions "
                    f"({best.submits_per_s:.2f} submits/s)"
                    if best
                    else f"{n} worker(s): no level passed"
                )
        result = verify(store, submitted)
    finally:
        store.close()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"think time {args.think} s (±50 %) before each click, {args.duration:.0f} s per level; {uptime()}")
    print(HEADER)
    print("\n".join(lines))
    print("\n".join(summary))
    for name, text in list(profiles.items())[-2:]:  # the last level of the last run, and the one before
        print(f"profile of worker w0 ({name}):\n{text}")
    print("store check:", json.dumps(result))
    clean = not (result["lost"] or result["duplicated"] or result["mismatched"] or result["outside_changed"])
    print("exactly once, answers as sent, nothing else changed:", "PASS" if clean else "FAIL")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
