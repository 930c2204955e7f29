"""Who may use the app, and what every response carries.

Authentication is off unless the environment turns it on: `BASIC_AUTH_USERS` ("name:password"
pairs, comma-separated) for a small team, or `TRUSTED_USER_HEADER` (e.g. X-Forwarded-User) when
a reverse proxy has already signed the user in; the header counts only on requests that come
from `TRUSTED_PROXIES`, since anyone who reaches the port could send it. Failed passwords are
throttled per client address. `/health` stays open for load balancers.
Errors never show a traceback: the details go to the log, the user gets one plain sentence.
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .config import Config

log = logging.getLogger(__name__)
OPEN_PATHS = ("/health",)
MAX_FAILED_SIGN_INS = 10   # per client address, within THROTTLE_SECONDS
THROTTLE_SECONDS = 300
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


def protect(server: Flask, config: Config, script_hashes, failures) -> None:
    """`script_hashes()` gives the hashes of the page's inline scripts; Dash adds some while it
    serves its first request, so the policy is made per response (a few hashes of small strings).
    `failures(name, seconds)` counts a failed sign-in and returns how many the window holds."""
    if config.basic_auth_users:
        server.before_request(lambda: require_basic_auth(config.basic_auth_users, failures))
    elif config.trusted_user_header:
        server.before_request(lambda: require_proxy_user(config.trusted_user_header, config.trusted_proxies))
    server.after_request(lambda response: add_security_headers(
        response, {**HEADERS, "Content-Security-Policy": content_security_policy(script_hashes())}))
    server.register_error_handler(RequestEntityTooLarge, too_large)
    server.register_error_handler(Exception, plain_error)


def require_basic_auth(users: dict[str, str], failures) -> Response | None:
    if request.path in OPEN_PATHS:
        return None
    auth = request.authorization
    if auth is None or not auth.username:
        return sign_in()
    throttle = f"sign-in:{request.remote_addr}"
    if failures(throttle, 0) >= MAX_FAILED_SIGN_INS:
        return Response(f"Too many failed sign-ins from your address; try again in {THROTTLE_SECONDS // 60} minutes.",
                        429, {"Retry-After": str(THROTTLE_SECONDS)})
    expected = users.get(auth.username)
    if expected is not None and hmac.compare_digest(expected.encode(), (auth.password or "").encode()):
        return None
    failures(throttle, THROTTLE_SECONDS)
    return sign_in()


def sign_in() -> Response:
    return Response("Sign in to use Territory Slicer.", 401,
                    {"WWW-Authenticate": 'Basic realm="Territory Slicer", charset="UTF-8"'})


def require_proxy_user(header: str, proxies: tuple) -> Response | None:
    signed_in = from_proxy(request.remote_addr, proxies) and request.headers.get(header, "").strip()
    if request.path in OPEN_PATHS or signed_in:
        return None
    return Response("Sign in through your company's sign-in page to use Territory Slicer.", 401)


def from_proxy(address: str | None, proxies: tuple) -> bool:
    try:
        return any(ipaddress.ip_address(address) in network for network in proxies)
    except (TypeError, ValueError):
        return False


def add_security_headers(response: Response, headers: dict[str, str]) -> Response:
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def refuse_malformed_callback(callbacks: dict) -> Response | None:
    """A callback request that is not what a Dash page sends gets 400, not a 500 from deep in
    Dash: a JSON object naming a registered output, with lists of inputs and states."""
    if request.method != "POST" or not request.path.endswith("/_dash-update-component"):
        return None
    body = request.get_json(silent=True)
    well_formed = (isinstance(body, dict) and isinstance(body.get("output"), str) and body["output"] in callbacks
                   and isinstance(body.get("inputs"), list) and isinstance(body.get("state", []), list)
                   and isinstance(body.get("outputs", []), (dict, list))  # a callback without outputs has none
                   and isinstance(body.get("changedPropIds", []), list))
    return None if well_formed else Response("That request is not one this page sends.", 400)


def too_large(_error) -> Response:
    return Response("The upload is larger than this server accepts.", 413)


def plain_error(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return Response(error.description or error.name, error.code or 500)
    log.exception("request failed", exc_info=error)
    return Response("Something went wrong on the server; your data and settings are unchanged.", 500)



def signed_in_user() -> str | None:
    """Who is signed in, as the authentication in force says (None with it off): the Basic-auth
    name, or the proxy's header, which counts only from a trusted proxy."""
    from .services import services

    config = services().config
    if config.basic_auth_users:
        return request.authorization.username if request.authorization else None
    if config.trusted_user_header and from_proxy(request.remote_addr, config.trusted_proxies):
        return request.headers.get(config.trusted_user_header, "").strip()[:200] or None
    return None
