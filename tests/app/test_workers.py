"""gunicorn as the Procfile runs it: workers recycled after a number of requests (their memory
returns), and each worker's fork server for background jobs started at boot, not on the first job."""
import runpy
import socket
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

from ..browser.servers import web_app


def children_of(pid: int) -> list[tuple[int, str]]:
    found = []
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append((int(status.parent.name), command))
    return found


def worker_pids(access_log: Path) -> set[str]:
    return {line.split(" ", 1)[0] for line in access_log.read_text().splitlines()}


def test_workers_are_recycled_after_max_requests(tmp_path):
    with web_app(tmp_path, workers=1, MAX_REQUESTS="20") as (base, access_log):
        for _ in range(60):
            urllib.request.urlopen(base + "/health", timeout=10).read()
        time.sleep(1)
    assert len(worker_pids(access_log)) >= 2


def test_a_stopping_worker_answers_a_connection_whose_bytes_come_late(monkeypatch):
    """CI: a worker recycled right after it accepted a connection with no bytes yet closed it
    unanswered (gunicorn closes such a connection when a stopping worker defers it)."""
    config = runpy.run_path(str(Path(__file__).parents[2] / "gunicorn.conf.py"))
    worker_class = config["HealthFirstWorker"]
    taken = []
    monkeypatch.setattr(worker_class.__mro__[1], "enqueue_req", lambda _self, conn: taken.append("thread"))
    client, server = socket.socketpair()
    with client, server:
        for alive in (True, False):
            worker = object.__new__(worker_class)
            worker.alive = alive
            worker.finish_request = lambda conn, answer: taken.append("poller")
            worker.enqueue_req(SimpleNamespace(sock=server, initialized=False, data_ready=False))
    assert taken == ["poller", "thread"]


def test_each_worker_starts_its_fork_server_at_boot(tmp_path):
    with web_app(tmp_path, workers=1) as (base, access_log):
        urllib.request.urlopen(base + "/health", timeout=10).read()
        [worker] = {int(pid.strip("<>")) for pid in worker_pids(access_log)}
        deadline = time.time() + 30
        while time.time() < deadline and not any("forkserver" in c for _, c in children_of(worker)):
            time.sleep(0.5)
        assert any("forkserver" in command for _, command in children_of(worker))


def seconds_to_health(base: str, late: bool) -> float:
    """One check; `late`: the request line comes 0.3 s after the connection, as it can from a
    busy load balancer (it then waited behind every busy thread: 10 s)."""
    host, port = base.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=60) as connection:
        time.sleep(0.3 if late else 0)
        started = time.perf_counter()
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = connection.recv(64)
        seconds = time.perf_counter() - started
    assert answer.startswith(b"HTTP/1.1 200"), answer
    time.sleep(0.3)
    return seconds


def test_health_never_waits_behind_busy_callbacks(tmp_path):
    """Sixteen clients keep every request thread of the one worker busy with uploads of 50,000
    accounts (over a second each); `/health` still answers at once, on a thread of its own, even
    when its request line comes after the connection."""
    import base64
    import json
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from engine.io.generate import main as generate

    generate(["--accounts", "50000", "--reps", "200", "--seed", "5", "--out", str(tmp_path / "big")])
    payload = {"contents": [f"data:text/csv;base64,{base64.b64encode((tmp_path / 'big' / n).read_bytes()).decode()}"
                            for n in ("reps.csv", "accounts.csv")], "names": ["reps.csv", "accounts.csv"]}
    with web_app(tmp_path / "web", workers=1) as (base, _):
        callbacks = json.loads(urllib.request.urlopen(base + "/_dash-dependencies").read())
        upload = next(c for c in callbacks if c["inputs"][0]["id"] == "upload-payload")
        body = json.dumps({"output": upload["output"], "outputs": [
            {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1].split("@")[0]}
            for part in upload["output"].strip(".").split("...")],
            "inputs": [{**upload["inputs"][0], "value": payload}],
            "state": [{**s, "value": None} for s in upload["state"]], "changedPropIds": ["upload-payload.data"]})
        busy, stop, slowest_upload = threading.Event(), threading.Event(), [0.0]

        def keep_uploading():
            while not stop.is_set():
                started = time.perf_counter()
                request = urllib.request.Request(base + "/_dash-update-component", body.encode(),
                                                 {"Content-Type": "application/json"})
                urllib.request.urlopen(request, timeout=120).read()
                slowest_upload[0] = max(slowest_upload[0], time.perf_counter() - started)
                busy.set()

        with ThreadPoolExecutor(16) as clients:
            for _ in range(16):
                clients.submit(keep_uploading)
            busy.wait(120)
            health = [seconds_to_health(base, late=k % 2 == 1) for k in range(10)]
            stop.set()
    # A check that waited for a busy thread took 10-13 s while uploads took 18-28 s; the bound
    # scales with the uploads, since the other test process (pytest -n 2) slows both.
    assert slowest_upload[0] > 1.0 and max(health) < max(1.0, slowest_upload[0] / 5), (slowest_upload, health)
