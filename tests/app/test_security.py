"""Access control, headers and error pages, against the real app started as a server."""
import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from app.config import parse_users

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("/", "/comparison", "/_dash-layout", "/_dash-dependencies")


def test_parse_users():
    assert parse_users(" ann:pw1, bo:p:w2 ,, bad") == {"ann": "pw1", "bo": "p:w2"}
    assert parse_users("") == {}


@contextmanager
def running_app(tmp_path, **env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    environment = {**os.environ, "PORT": str(port), "CACHE_DIR": str(tmp_path), **env}
    process = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def fetch(url: str, headers: dict | None = None, data: bytes | None = None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_basic_auth_guards_pages_and_callbacks(tmp_path):
    with running_app(tmp_path, BASIC_AUTH_USERS="ann:s3cret") as base:
        for path in PAGES:
            assert fetch(base + path)[0] == 401, path
            assert fetch(base + path, basic("ann", "wrong"))[0] == 401, path
            assert fetch(base + path, basic("ann", "s3cret"))[0] == 200, path
        status, headers, _ = fetch(base + "/_dash-update-component", data=b"{}")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
        assert fetch(base + "/health")[0] == 200


def test_proxy_header_sso_and_plain_errors(tmp_path):
    with running_app(tmp_path, TRUSTED_USER_HEADER="X-Forwarded-User") as base:
        assert fetch(base + "/")[0] == 401
        status, headers, _ = fetch(base + "/", {"X-Forwarded-User": "ann@example.com"})
        assert status == 200
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        status, _, body = fetch(base + "/_dash-update-component", {"X-Forwarded-User": "ann"}, data=b"{not json")
        assert status in (400, 500) and "Traceback" not in body and 'File "' not in body


def test_secret_key_is_required_when_the_app_is_scaled_out():
    import pytest

    from app.config import Config, ConfigError

    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        Config.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    config = Config.from_env({"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "shared"})
    assert config.secret_key == "shared" and not config.debug
    assert not Config.from_env({}).debug  # debug is off unless DASH_DEBUG asks for it


def test_every_response_carries_a_content_security_policy(tmp_path):
    with running_app(tmp_path) as base:
        for path in ("/", "/audit", "/health", "/_dash-layout"):
            policy = fetch(base + path)[1]["Content-Security-Policy"]
            assert "default-src 'self'" in policy and "'unsafe-eval'" not in policy
        status, _, body = fetch(base + "/_dash-update-component", data=b'{"output": "x.y", "inputs": 5}')
        assert status in (400, 500) and "Traceback" not in body and 'File "' not in body
