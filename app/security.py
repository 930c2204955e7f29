"""Who may use the app, and what every response carries.

Authentication is off unless the environment turns it on: `BASIC_AUTH_USERS` ("name:password"
pairs, comma-separated) for a small team, or `TRUSTED_USER_HEADER` (e.g. X-Forwarded-User) when
a reverse proxy has already signed the user in. `/health` stays open for load balancers.
Errors never show a traceback: the details go to the log, the user gets one plain sentence.
"""
from __future__ import annotations

import hmac
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .config import Config

log = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def content_security_policy(script_hashes) -> str:
    """Only the app's own scripts and Dash's inline scripts (by hash, already quoted) may run;
    styles may be inline (Plotly and AG Grid inject theirs); nothing loads from another origin."""
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join([
        "default-src 'self'", f"script-src {scripts}", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
    ])


def protect(server: Flask, config: Config, script_hashes) -> None:
    """`script_hashes()` gives the hashes of the page's inline scripts; Dash adds some while it
    serves its first request, so the policy is made per response (a few hashes of small strings)."""
    if config.basic_auth_users:
        server.before_request(lambda: require_basic_auth(config.basic_auth_users))
    elif config.trusted_user_header:
        server.before_request(lambda: require_proxy_user(config.trusted_user_header))
    server.after_request(lambda response: add_security_headers(
        response, {**HEADERS, "Content-Security-Policy": content_security_policy(script_hashes())}))
    server.register_error_handler(RequestEntityTooLarge, too_large)
    server.register_error_handler(Exception, plain_error)


def require_basic_auth(users: dict[str, str]) -> Response | None:
    if request.path in OPEN_PATHS:
        return None
    auth = request.authorization
    expected = users.get(auth.username) if auth and auth.username else None
    if expected is not None and hmac.compare_digest(expected.encode(), (auth.password or "").encode()):
        return None
    return Response("Sign in to use Territory Slicer.", 401,
                    {"WWW-Authenticate": 'Basic realm="Territory Slicer", charset="UTF-8"'})


def require_proxy_user(header: str) -> Response | None:
    if request.path in OPEN_PATHS or request.headers.get(header, "").strip():
        return None
    return Response("Sign in through your company's sign-in page to use Territory Slicer.", 401)


def add_security_headers(response: Response, headers: dict[str, str]) -> Response:
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def too_large(_error) -> Response:
    return Response("The upload is larger than this server accepts.", 413)


def plain_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return Response(error.description or error.name, error.code or 500)
    log.exception("request failed", exc_info=error)
    return Response("Something went wrong on the server; your data and settings are unchanged.", 500)

