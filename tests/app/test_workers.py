"""gunicorn as the Procfile runs it: workers recycled after a number of requests (their memory
returns), and each worker's fork server for background jobs started at boot, not on the first job."""
import time
import urllib.request
from pathlib import Path

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


def test_each_worker_starts_its_fork_server_at_boot(tmp_path):
    with web_app(tmp_path, workers=1) as (base, access_log):
        urllib.request.urlopen(base + "/health", timeout=10).read()
        [worker] = {int(pid.strip("<>")) for pid in worker_pids(access_log)}
        deadline = time.time() + 30
        while time.time() < deadline and not any("forkserver" in c for _, c in children_of(worker)):
            time.sleep(0.5)
        assert any("forkserver" in command for _, command in children_of(worker))
