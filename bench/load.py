"""Load: N browser sessions moving sliders on the Slicer page at once, against gunicorn.

    .venv/bin/python bench/load.py                          # 10 sessions, 10,000 accounts, 60 s
    .venv/bin/python bench/load.py --sessions 20 --seconds 30 --data data/demo

It starts the app under gunicorn on a free loopback port (as the Procfile does: 2 workers),
uploads the data once per session through the upload callback, then each session moves a
random control every 1–2 s (threshold most often, then a weight or a preference) and sends the
callback requests the browser sends for that move: the settings callback, then at once the page
(cards and charts), the sensitivity chart, the Refine preview, the sensitivity inputs and a block
of the account grid; a weight or preference move also asks for the sensitivity curve (computed at
once up to 20,000 accounts; beyond, it starts the background job and polls it).
It prints p50/p95/p99 latency and errors per request kind and for the whole slider update (the
settings callback plus the slowest of what follows it: what the user waits for). Loopback only;
it stops by itself after --seconds.

    .venv/bin/python bench/load.py --optimize-burst 50      # then 50 Optimize runs at once

With --optimize-burst N, N more sessions on the same data each click Optimize at the same moment
and behave as the page does (renew the lease every 2 s, poll every second) while `/health` is
timed every half second; it counts the runs that finished, the false "went away" and errors.
"""
from __future__ import annotations

import argparse
import base64
import json
import random
import runpy
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from app.jobs import JOB_SLOTS  # noqa: E402
from bench.run import machine  # noqa: E402
from tests.browser.servers import web_app  # noqa: E402

SLIDER_UPDATE = "slider update (what the user waits for)"
POLL_SECONDS = 1.0  # how often dash-renderer asks a background job for its result
TIMEOUT = 30
THREADS = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["threads"]  # per worker, as deployed


class Dash:
    """Callback requests as dash-renderer sends them, found by the component ids they involve."""

    def __init__(self, base: str):
        self.base = base
        self.callbacks = json.loads(urllib.request.urlopen(base + "/_dash-dependencies", timeout=TIMEOUT).read())

    def find(self, first_input: str, output_part: str = "") -> dict:
        return next(c for c in self.callbacks if not c.get("clientside_function")
                    and f"{c['inputs'][0]['id']}.{c['inputs'][0]['property']}" == first_input
                    and output_part in c["output"])

    def request(self, callback: dict, values: dict, changed: str, extra: str = "") -> dict:
        """POST one callback; `values` maps "id.property" to the browser's current values."""
        body = {
            "output": callback["output"],
            "outputs": _outputs(callback["output"]),
            "inputs": [_with_value(i, values) for i in callback["inputs"]],
            "state": [_with_value(s, values) for s in callback["state"]],
            "changedPropIds": [changed],
        }
        request = urllib.request.Request(f"{self.base}/_dash-update-component{extra}", json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            text = response.read()
            return json.loads(text) if response.status == 200 and text else {}


def _outputs(output: str):
    if "." not in output:  # a callback without outputs is named by a hash
        return []
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    specs = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        specs.append({"id": component, "property": prop.split("@")[0]})
    return specs if output.startswith("..") else specs[0]


def _with_value(dependency: dict, values: dict) -> dict:
    key = f"{dependency['id']}.{dependency['property']}"
    return {**dependency, "value": values.get(key)}


def response_value(answer: dict, component: str, prop: str):
    return answer.get("response", {}).get(component, {}).get(prop)


class Recorder:
    """Latencies (ms) and errors per request kind, shared by the session threads. Errors always
    count; latencies only from `recording_from` on, so the start (every session uploading and
    computing its first curve at once) does not stand for the steady state."""

    def __init__(self, recording_from: float):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.errors = defaultdict(int)
        self.recording_from = recording_from

    def timed(self, kind: str, action):
        started = time.perf_counter()
        try:
            result = action()
        except (OSError, ValueError, urllib.error.HTTPError) as error:
            with self.lock:
                self.errors[kind] += 1
            print(f"error in {kind}: {error}", file=sys.stderr)
            return None, (time.perf_counter() - started) * 1000
        self.add(kind, started)
        return result, (time.perf_counter() - started) * 1000

    def add(self, kind: str, started: float) -> None:
        if started >= self.recording_from or kind.startswith("upload"):
            with self.lock:
                self.latency[kind].append((time.perf_counter() - started) * 1000)


def data_urls(directory: Path) -> dict:
    return {"contents": [f"data:text/csv;base64,{base64.b64encode((directory / n).read_bytes()).decode()}"
                         for n in ("reps.csv", "accounts.csv")], "names": ["reps.csv", "accounts.csv"]}


CONTROLS = (("threshold", 6), ("weight-arr", 2), ("weight-accounts", 1), ("geo", 1), ("high-risk", 1))


def session(number: int, dash: Dash, upload: dict, deadline: float, record: Recorder) -> None:
    rng = random.Random(number)
    tab = f"{number:032x}"
    values = {"theme.data": "light", "tab.data": tab, "refine.value": False, "refine-objective.value": "balanced"}
    answer, _ = record.timed("upload (once per session)", lambda: dash.request(
        dash.find("upload-payload.data"), {"upload-payload.data": upload}, "upload-payload.data"))
    values["data.data"] = response_value(answer or {}, "data", "data")
    if not values["data.data"]:
        return
    settings_callback = dash.find("data.data", "settings.data")
    answer, _ = record.timed("settings", lambda: dash.request(settings_callback, values, "data.data"))
    values["settings.data"] = response_value(answer, "settings", "data")
    low, high = values["data.data"]["range"]
    with ThreadPoolExecutor(max_workers=6) as wave:
        while time.time() < deadline:
            time.sleep(rng.uniform(1.0, 2.0))
            move(rng, dash, values, settings_callback, low, high, wave, record)


def move(rng, dash: Dash, values: dict, settings_callback: dict, low: int, high: int, wave, record) -> None:
    control = rng.choices([c for c, _ in CONTROLS], [w for _, w in CONTROLS])[0]
    settings = values["settings.data"]
    current = {"threshold": settings["threshold"], "weight-arr": settings["weights"][0],
               "weight-accounts": settings["weights"][1], "weight-risk": settings["weights"][2],
               "geo": settings["geo"], "preserve": settings["preserve"], "high-risk": settings["high_risk"]}
    current[control] = {"threshold": lambda: rng.randrange(low, high + 1, 1000) if high > low else low,
                        "weight-arr": lambda: rng.randint(0, 100), "weight-accounts": lambda: rng.randint(0, 100),
                        "geo": lambda: rng.choice([0.0, 0.03, 0.05, 0.08]),
                        "high-risk": lambda: rng.choice([50, 60, 70, 80])}[control]()
    values.update({f"{name}.value": value for name, value in current.items()})
    started = time.perf_counter()
    answer, _ = record.timed("settings", lambda: dash.request(settings_callback, values, f"{control}.value"))
    if not answer:
        return
    values["settings.data"] = response_value(answer, "settings", "data")
    requests = {
        "slicer page (cards, charts, rep table)": (dash.find("data.data", "kpi-cards"), "settings.data"),
        "sensitivity chart": (dash.find("sensitivity-curve.data"), "settings.data"),
        "refine preview": (dash.find("settings.data", "refine-preview"), "settings.data"),
        "sensitivity inputs": (dash.find("data.data", "sensitivity-inputs"), "settings.data"),
    }
    grid_values = {**values, "account-grid.getRowsRequest": {"startRow": 0, "endRow": 50, "sortModel": [],
                                                             "filterModel": {}}}
    futures = {kind: wave.submit(record.timed, kind, lambda c=c, ch=ch: dash.request(c, values, ch))
               for kind, (c, ch) in requests.items()}
    futures["account grid block"] = wave.submit(record.timed, "account grid block", lambda: dash.request(
        dash.find("account-grid.getRowsRequest"), grid_values, "account-grid.getRowsRequest"))
    results = {kind: future.result() for kind, future in futures.items()}
    record.add(SLIDER_UPDATE, started)
    new_inputs = response_value(results["sensitivity inputs"][0] or {}, "sensitivity-inputs", "data")
    if new_inputs:
        values["sensitivity-inputs.data"] = new_inputs
        wave.submit(fetch_curve, dash, dict(values), record)


def fetch_curve(dash: Dash, values: dict, record: Recorder) -> None:
    """What the browser does when the curve's inputs change: it asks for the curve, which small
    data gets at once; big data gets a background job instead."""
    answer, _ = record.timed("sensitivity curve (computed at once)", lambda: dash.request(
        dash.find("sensitivity-inputs.data", "sensitivity-job"), values, "sensitivity-inputs.data"))
    job_inputs = response_value(answer or {}, "sensitivity-job", "data")
    if job_inputs:
        run_sensitivity_job(dash, {**values, "sensitivity-job.data": job_inputs}, record)


def run_sensitivity_job(dash: Dash, values: dict, record: Recorder) -> None:
    """Start the background job and poll it every second, as the browser does (Dash's interval)."""
    callback = dash.find("sensitivity-job.data", "sensitivity-curve")

    def job():
        handles = dash.request(callback, values, "sensitivity-job.data")
        query = f"?cacheKey={handles['cacheKey']}&job={handles['job']}"
        while True:
            time.sleep(POLL_SECONDS)
            answer = dash.request(callback, values, "sensitivity-job.data", query)
            if answer.get("response"):
                return answer
    record.timed("sensitivity job (background, start to result)", job)


OPTIMIZE_RUN = "optimize run (click to result)"
HEALTH = "/health during the burst"


def optimize_burst(dash: Dash, upload: dict, runs: int, record: Recorder) -> dict:
    """`runs` sessions click Optimize at once on one upload; returns how the runs ended."""
    values = {"theme.data": "light"}
    answer = dash.request(dash.find("upload-payload.data"), {"upload-payload.data": upload}, "upload-payload.data")
    values["data.data"] = response_value(answer, "data", "data")
    answer = dash.request(dash.find("data.data", "settings.data"), values, "data.data")
    values["settings.data"] = response_value(answer, "settings", "data")
    endings = defaultdict(int)
    done = threading.Event()
    health = threading.Thread(target=time_health, args=(dash.base, done, record))
    health.start()
    with ThreadPoolExecutor(max_workers=runs) as pool:
        for ending in pool.map(lambda n: run_optimize(dash, {**values, "tab.data": f"{n + 1:032x}"}, record),
                               range(runs)):
            endings[ending] += 1
    done.set()
    health.join()
    return dict(endings)


def run_optimize(dash: Dash, values: dict, record: Recorder) -> str:
    callback = dash.find("optimize-run.n_clicks", "optimize-result")
    renew = dash.find("optimize-lease.n_intervals")
    clicked = {**values, "optimize-run.n_clicks": 1, "optimize-lease.n_intervals": 1}

    def job():
        handles = dash.request(callback, clicked, "optimize-run.n_clicks")
        query, last_renewal = f"?cacheKey={handles['cacheKey']}&job={handles['job']}", time.monotonic()
        while True:
            time.sleep(POLL_SECONDS)
            if time.monotonic() - last_renewal >= 2:
                dash.request(renew, clicked, "optimize-lease.n_intervals")
                last_renewal = time.monotonic()
            answer = dash.request(callback, clicked, "optimize-run.n_clicks", query)
            result = response_value(answer, "optimize-result", "data")
            if result:
                return result
    result, _ = record.timed(OPTIMIZE_RUN, job)
    if not result:
        return "request error"
    return "finished" if "weights" in result else result.get("error", "no answer")


def time_health(base: str, done: threading.Event, record: Recorder) -> None:
    while not done.is_set():
        record.timed(HEALTH, lambda: urllib.request.urlopen(base + "/health", timeout=TIMEOUT).read())
        time.sleep(0.5)


class WorkerMemory:
    """Samples the resident memory of the gunicorn workers serving `port` once a second: each
    worker's peak and last reading, and how many workers were recycled (MAX_REQUESTS)."""

    def __init__(self, port: str):
        self.port = port
        self.peak: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def watch(self, done: threading.Event) -> None:
        while not done.is_set():
            for worker in self.workers():
                try:
                    rss = worker.memory_info().rss / 2**20
                except psutil.Error:
                    continue
                self.peak[worker.pid] = max(self.peak.get(worker.pid, 0.0), rss)
                self.last[worker.pid] = rss
            time.sleep(1)

    def workers(self) -> list:
        """The master's children (its workers have its command line too; their own children, the
        fork servers, do not count)."""
        serving = [p for p in psutil.process_iter(["cmdline", "ppid"])
                   if p.info["cmdline"] and f"127.0.0.1:{self.port}" in " ".join(p.info["cmdline"])]
        pids = {p.pid for p in serving}
        return [child for master in serving if master.info["ppid"] not in pids for child in master.children()]

    def summary(self, workers: int) -> str:
        if not self.peak:
            return "Worker memory: no sample."
        alive = sorted(self.last.items(), key=lambda item: item[0])[-workers:]
        recycled = max(0, len(self.peak) - workers)
        return (f"Worker memory (RSS, sampled each second): {len(self.peak)} worker processes seen, so "
                f"{recycled} recycled; the highest any reached {max(self.peak.values()):,.0f} MB; "
                f"at the end {', '.join(f'{rss:,.0f} MB' for _, rss in alive)}.")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def report(record: Recorder, args, seconds: float) -> str:
    lines = [f"Machine: {machine()}", "",
             f"{args.sessions} sessions for {seconds:.0f} s against gunicorn ({args.workers} workers, {THREADS} "
             f"threads each) on 127.0.0.1; data: {args.data.name} ; a move every 1–2 s per session; the first "
             f"{args.warmup:g} s not counted (errors always are).", ""]
    return "\n".join(lines + table(record))


def table(record: Recorder) -> list[str]:
    lines = ["| Request | count | p50 | p95 | p99 | max | errors |", "|---|---|---|---|---|---|---|"]
    for kind in sorted(set(record.latency) | set(record.errors), key=lambda k: (k != SLIDER_UPDATE, k)):
        times = record.latency.get(kind, [])
        cells = [f"{percentile(times, q):.0f} ms" for q in (50, 95, 99)] + [f"{max(times):.0f} ms"] if times \
            else ["—"] * 4
        lines.append(f"| {kind} | {len(times):,} | " + " | ".join(cells) + f" | {record.errors.get(kind, 0)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "benchmark")
    parser.add_argument("--warmup", type=float, default=10, help="seconds at the start not counted")
    parser.add_argument("--optimize-burst", type=int, default=0, help="then this many Optimize runs at once")
    parser.add_argument("--max-requests", type=int, default=None,
                        help="recycle each worker after about this many requests (MAX_REQUESTS)")
    args = parser.parse_args()
    upload = data_urls(args.data)
    scratch = Path(__import__("tempfile").mkdtemp(prefix="territory-slicer-load-"))
    recycling = {"MAX_REQUESTS": str(args.max_requests)} if args.max_requests else {}
    with web_app(scratch, workers=args.workers, **recycling) as (base, _):
        memory, watched = WorkerMemory(base.rsplit(":", 1)[1]), threading.Event()
        threading.Thread(target=memory.watch, args=(watched,), daemon=True).start()
        dash = Dash(base)
        record = Recorder(time.perf_counter() + args.warmup)
        started = time.time()
        deadline = started + args.warmup + args.seconds
        threads = [threading.Thread(target=session, args=(n, dash, upload, deadline, record))
                   for n in range(args.sessions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.warmup + args.seconds + 120)
        print(report(record, args, time.time() - started - args.warmup))
        watched.set()
        print("\n" + memory.summary(args.workers))
        if args.optimize_burst:
            burst = Recorder(0)
            endings = optimize_burst(dash, upload, args.optimize_burst, burst)
            print(f"\n{args.optimize_burst} Optimize runs started at once ({args.workers} workers; jobs of a kind "
                  f"computing at once: {JOB_SLOTS}). How they ended: "
                  + ", ".join(f"{count} {ending}" for ending, count in sorted(endings.items())) + "\n")
            print("\n".join(table(burst)))


if __name__ == "__main__":
    main()
