"""Every setting of a deployment, read from environment variables in one place."""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine import Limits


def parse_users(text: str) -> dict[str, str]:
    """'ann:pw1, bo:pw2' → {'ann': 'pw1', 'bo': 'pw2'}; a password may contain ':'."""
    users = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        name, _, password = pair.partition(":")
        if name and password:
            users[name] = password
    return users

def parse_proxies(text: str) -> tuple:
    """'10.0.0.5, 10.1.0.0/16' → the networks whose requests may carry TRUSTED_USER_HEADER."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise ConfigError(f"TRUSTED_PROXIES: {error}; give addresses or networks, comma-separated") from None


log = logging.getLogger(__name__)
DEFAULT_PROXIES = "127.0.0.1,::1"  # a proxy on the same machine

MB = 1024 * 1024


class ConfigError(RuntimeError):
    """The environment asks for something that cannot work; the app refuses to start."""


@dataclass(frozen=True)
class Config:
    secret_key: str
    redis_url: str | None
    cache_dir: Path
    max_upload_bytes: int
    session_ttl_seconds: int
    debug: bool
    basic_auth_users: dict
    trusted_user_header: str | None
    trusted_proxies: tuple = ()         # ip_network of the proxies whose TRUSTED_USER_HEADER counts
    upload_quota_bytes: int = 500 * MB  # per client address per hour
    database_url: str | None = None     # scenarios: PostgreSQL when set, else SQLite under cache_dir
    scenario_max_bytes: int = 50 * MB   # a scenario's data, compressed

    @classmethod
    def from_env(cls, env=os.environ) -> Config:
        secret = env.get("SECRET_KEY")
        if not secret and env.get("REDIS_URL"):
            raise ConfigError("SECRET_KEY must be set when REDIS_URL is: every web worker signs and checks "
                              "background-job handles with it, so all of them need the same one.")
        if not secret:
            log.warning("SECRET_KEY is not set: using a random key, valid for this process only")
            secret = secrets.token_hex(32)
        default_cache = Path(tempfile.gettempdir()) / "territory-slicer"
        return cls(
            secret_key=secret,
            redis_url=env.get("REDIS_URL") or None,
            cache_dir=Path(env.get("CACHE_DIR") or default_cache),
            max_upload_bytes=int(float(env.get("MAX_UPLOAD_MB", "20")) * MB),
            session_ttl_seconds=int(env.get("SESSION_TTL_HOURS", "12")) * 3600,
            debug=env.get("DASH_DEBUG", "").lower() in ("1", "true", "yes"),
            basic_auth_users=parse_users(env.get("BASIC_AUTH_USERS", "")),
            trusted_user_header=env.get("TRUSTED_USER_HEADER") or None,
            trusted_proxies=parse_proxies(env.get("TRUSTED_PROXIES") or DEFAULT_PROXIES),
            upload_quota_bytes=int(float(env.get("UPLOAD_QUOTA_MB", "500")) * MB),
            database_url=env.get("DATABASE_URL") or None,
            scenario_max_bytes=int(float(env.get("SCENARIO_MAX_MB", "50")) * MB),
        )._checked()

    def _checked(self) -> Config:
        if self.basic_auth_users and self.trusted_user_header:
            raise ConfigError("Set BASIC_AUTH_USERS or TRUSTED_USER_HEADER, not both: with both, it is unclear "
                              "who may sign in. Keep the one your deployment uses.")
        return self

    @property
    def limits(self) -> Limits:
        """The loader's caps, with the upload size of this deployment."""
        return Limits(max_bytes=self.max_upload_bytes)

    @property
    def max_request_bytes(self) -> int:
        """Two files, base64-encoded (4/3), plus room for the rest of the request."""
        return 2 * (self.max_upload_bytes * 4 // 3) + MB
