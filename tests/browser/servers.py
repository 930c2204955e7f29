"""The app as it is deployed, for the tests that need real processes: gunicorn with several
workers, a Celery worker and a redis-server, each started on a free loopback port and stopped
afterwards. Their output goes to files in the test's temporary directory."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "a-secret-shared-by-every-worker"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def start(command: list[str], log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Redis:
    """A redis-server that keeps its data across a restart (append-only file)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = start(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "yes", "--dir", str(self.directory)],
                             self.directory / "redis.log", {})
        wait_until(self.answers, 20, "redis-server")

    def answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def redis_server(directory: Path):
    redis = Redis(directory)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextmanager
def web_app(directory: Path, workers: int = 2, **env):
    """gunicorn serving the app as the Procfile does; `access_log` lists "pid request status"."""
    port = free_port()
    access = directory / "access.log"
    command = [str(BIN / "gunicorn"), "app:server", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--threads", "4", "--timeout", "120", "--preload", "--access-logfile", str(access),
               "--access-logformat", '%(p)s "%(r)s" %(s)s']
    process = start(command, directory / "gunicorn.log",
                    {"CACHE_DIR": str(directory / "cache"), "SECRET_KEY": SECRET, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: urllib.request.urlopen(base + "/health", timeout=2).status == 200, 90, "gunicorn")
        yield base, access
    finally:
        stop(process)


@contextmanager
def celery_worker(directory: Path, **env):
    process = start([str(BIN / "celery"), "-A", "app:celery_app", "worker", "--loglevel=INFO", "--concurrency",
                     "1", "--without-gossip", "--without-mingle"], directory / "celery.log",
                    {"CACHE_DIR": str(directory / "cache"), "SECRET_KEY": SECRET, **env})
    try:
        wait_until(lambda: b"ready." in (directory / "celery.log").read_bytes(), 90, "the Celery worker")
        yield process
    finally:
        stop(process)


def workers_that_answered(access_log: Path) -> set[str]:
    """Pids of the gunicorn workers that answered a callback request."""
    return {line.split(" ", 1)[0] for line in access_log.read_text().splitlines()
            if "_dash-update-component" in line}
