"""A throwaway PostgreSQL server for the tests, from the Debian packages (scripts/system-packages.sh):
its own data directory and port, started once per test run and removed after."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def binary(name: str) -> str | None:
    """Debian keeps the server's programs in /usr/lib/postgresql/<version>/bin, off the PATH."""
    return shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[::-1]), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """`url` while running; `stop()` removes everything. As root, the server runs as `postgres`
    (PostgreSQL refuses to run as root)."""

    def __init__(self):
        self.directory = Path(tempfile.mkdtemp(prefix="slicer-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.directory, "postgres")
        self.data = self.directory / "data"
        self.run(binary("initdb"), "-D", str(self.data), "-A", "trust", "-U", "slicer", "-E", "UTF8")
        self.run(binary("pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.directory / "log"), "-o",
                 f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "start")
        self.url = f"postgresql://slicer@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_user, *command], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        try:
            self.run(binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
