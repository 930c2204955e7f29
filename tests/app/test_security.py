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


def test_a_callback_request_a_page_would_never_send_gets_400(tmp_path):
    with running_app(tmp_path) as base:
        for body in (b"{not json", b"[]", b'"x"', b'{"output": 5}', b'{"output": "nope.children", "inputs": []}',
                     b'{"output": "kpi-cards.children", "outputs": {}, "inputs": 5}'):
            status, _, text = fetch(base + "/_dash-update-component", data=body)
            assert status == 400 and text == "That request is not one this page sends.", body


def test_the_proxy_header_counts_only_from_trusted_proxies(tmp_path):
    with running_app(tmp_path, TRUSTED_USER_HEADER="X-Forwarded-User", TRUSTED_PROXIES="10.9.8.7") as base:
        assert fetch(base + "/", {"X-Forwarded-User": "ann@example.com"})[0] == 401  # 127.0.0.1 is no proxy
    with running_app(tmp_path, TRUSTED_USER_HEADER="X-Forwarded-User", TRUSTED_PROXIES="127.0.0.0/8") as base:
        assert fetch(base + "/", {"X-Forwarded-User": "ann@example.com"})[0] == 200


def test_the_app_refuses_to_start_with_both_sign_in_modes_or_a_bad_proxy_list():
    import pytest

    from app.config import Config, ConfigError

    with pytest.raises(ConfigError, match="not both"):
        Config.from_env({"BASIC_AUTH_USERS": "ann:pw", "TRUSTED_USER_HEADER": "X-Forwarded-User"})
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Config.from_env({"TRUSTED_USER_HEADER": "X-Forwarded-User", "TRUSTED_PROXIES": "proxy.example"})
    started = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={**os.environ, "BASIC_AUTH_USERS": "ann:pw", "TRUSTED_USER_HEADER": "X-User"})
    assert started.returncode != 0 and "not both" in started.stderr


def test_failed_passwords_are_throttled_per_address_with_429(tmp_path):
    from app.security import MAX_FAILED_SIGN_INS
    with running_app(tmp_path, BASIC_AUTH_USERS="ann:s3cret") as base:
        for _ in range(MAX_FAILED_SIGN_INS):
            assert fetch(base + "/", basic("ann", "guess"))[0] == 401
        status, headers, text = fetch(base + "/", basic("ann", "s3cret"))
        assert status == 429 and int(headers["Retry-After"]) > 0 and "Too many failed sign-ins" in text
        assert fetch(base + "/health")[0] == 200


def test_a_callback_without_outputs_is_well_formed():
    """The lease renewal has no outputs, and dash-renderer then sends no "outputs" key."""
    from flask import Flask

    from app.security import refuse_malformed_callback

    server = Flask(__name__)
    body = {"output": "abc123", "inputs": [{"id": "optimize-lease", "property": "n_intervals", "value": 1}],
            "changedPropIds": ["optimize-lease.n_intervals"], "state": []}
    with server.test_request_context("/_dash-update-component", method="POST", json=body):
        assert refuse_malformed_callback({"abc123": {}}) is None
    with server.test_request_context("/_dash-update-component", method="POST", json={**body, "inputs": 1}):
        assert refuse_malformed_callback({"abc123": {}}).status_code == 400
