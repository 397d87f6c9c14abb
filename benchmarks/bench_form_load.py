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
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.form_client import FormError, FormSession  # noqa: E402 (after the sys.path insert)
from benchmarks.load_store import STORES  # noqa: E402
from benchmarks.load_tools import CHROMIUM, browser_customers, start_profile, summarise_profile  # noqa: E402
from survey.cluster import Cluster, free_port_block  # noqa: E402

PAGE_LIMIT = 3.0  # p95 page-ready, seconds
SUBMIT_LIMIT = 2.0  # p95 submit, seconds


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
