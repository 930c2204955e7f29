"""The app as it is deployed, for the tests that need real processes: gunicorn with several
workers, a Celery worker, a redis-server and a round-robin router in front of web processes, each
started on a free loopback port and stopped afterwards. Their output goes to files in the test's
temporary directory."""
from __future__ import annotations

import http.client
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

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

    def __init__(self, directory: Path, *options: str):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.options = options  # more redis-server flags, e.g. "--maxmemory", "8mb"
        self.process = None

    def start(self) -> None:
        self.process = start(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "yes", "--dir", str(self.directory), *self.options],
                             self.directory / "redis.log", {})
        wait_until(self.answers, 20, "redis-server")

    def answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def redis_server(directory: Path, *options: str):
    redis = Redis(directory, *options)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextmanager
def web_app(directory: Path, workers: int = 2, **env):
    """gunicorn serving the app as the Procfile does; `access_log` lists "pid request status"."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    access = directory / "access.log"
    command = [str(BIN / "python"), "-m", "gunicorn", "app:server", "--config", str(ROOT / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", str(access),
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


def workers_that_answered(*access_logs: Path) -> set[str]:
    """Pids of the gunicorn workers that answered a callback request."""
    return {line.split(" ", 1)[0] for log in access_logs for line in log.read_text().splitlines()
            if "_dash-update-component" in line}


HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "date", "server"}


class Forward(BaseHTTPRequestHandler):
    """Passes one request to the router's next web process and its answer back, bytes unchanged."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer, payload = self.server.send_to_next(self.command, self.path, body, self.headers)
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = do_GET

    def log_message(self, *args):
        """Quiet: the web processes keep their own access logs."""


class RoundRobin(ThreadingHTTPServer):
    """A router as a PaaS runs in front of its web processes: each request goes to the next one in
    turn, so consecutive requests of one browser session are certain to meet different processes."""

    daemon_threads = True

    def __init__(self, backends: list[str]):
        super().__init__(("127.0.0.1", 0), Forward)
        self._next = itertools.cycle([urlsplit(b) for b in backends])
        self._lock = threading.Lock()

    def send_to_next(self, method: str, path: str, body: bytes, headers) -> tuple:
        with self._lock:
            backend = next(self._next)
        connection = http.client.HTTPConnection(backend.hostname, backend.port, timeout=180)
        try:
            connection.request(method, path, body, {k: v for k, v in headers.items()
                                                    if k.lower() not in HOP_BY_HOP})
            answer = connection.getresponse()
            return answer, answer.read()
        finally:
            connection.close()


@contextmanager
def round_robin(*backends: str):
    router = RoundRobin(list(backends))
    thread = threading.Thread(target=router.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{router.server_address[1]}"
    finally:
        router.shutdown()
        router.server_close()
